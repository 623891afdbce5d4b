"""Shared fixtures. Tests never touch the network; temporary files go to tmp_path."""

import os
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
# bench/widget_latency.py: find_control, shared by the widget tests and the benchmarks.
sys.path.insert(0, str(ROOT / "bench"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, driven by playwright), one per test module."""
    from browser_lab import chromium_or_skip, launch_chromium

    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = launch_chromium(playwright)
        yield instance
        instance.close()


# A text with quotes, brackets, numbers and two lines, and small seeded LMs over its characters:
# what the dashboards' and the text strip's tests read.
SAMPLE_TEXT = ('The bank is on the river. "We will win (again)," he said on 12 May.\n'
               'Prices rose 3.5 per cent. "No," she said.')


@pytest.fixture(scope="module")
def vocab():
    from course_utils.data import Vocab

    return Vocab.build(SAMPLE_TEXT * 3, level="char")


@pytest.fixture(scope="module")
def rnn(vocab):
    from course_utils.nn.language_model import init_lm

    return init_lm("rnn", len(vocab), 8, 16, seed=0)


@pytest.fixture(scope="module")
def lstm(vocab):
    from course_utils.nn.language_model import init_lm

    return init_lm("lstm", len(vocab), 8, 12, seed=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def precise_numerical_gradient(f, x, h=1e-3):
    """Central differences at h and 2h combined (Richardson): error O(h⁴) instead of O(h²).

    A plain central difference at h = 1e-5 is limited by round-off to about 1e-10 absolute,
    which is a relative error of 1e-7 on the rare gradient entry near 1e-4; this one is
    accurate to about 1e-12, so a 1e-7 tolerance tests the backward pass, not the check.
    """
    from course_utils.gradcheck import numerical_gradient

    return (4 * numerical_gradient(f, x, h=h) - numerical_gradient(f, x, h=2 * h)) / 3


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
