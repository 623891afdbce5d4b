"""Shared fixtures. Tests never touch the network; temporary files go to tmp_path."""

import os
import socket
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pytest_collection_modifyitems(config, items):
    """Tests marked `hub` (a JupyterHub with real Unix users, PostgreSQL; root, ~15 min) run
    only when asked for: `make test-hub`, i.e. `pytest -m hub`. Plain `pytest tests` leaves
    them out (deselected, not skipped)."""
    if "hub" in (config.getoption("markexpr") or ""):
        return
    hub = [item for item in items if item.get_closest_marker("hub")]
    if hub:
        config.hook.pytest_deselected(items=hub)
        items[:] = [item for item in items if not item.get_closest_marker("hub")]
