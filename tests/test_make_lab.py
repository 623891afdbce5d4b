"""`make lab` really serves JupyterLab: start it, ask /api/status with the token, stop it."""

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import ROOT, free_port


def wait_for_status(port: int, token: str, process: subprocess.Popen, timeout: float = 90):
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make lab exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, json.loads(response.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"JupyterLab did not answer on port {port} within {timeout} s")


@pytest.mark.slow
def test_make_lab_serves_jupyterlab(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), JUPYTER_TOKEN=token,
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_PORT={port}"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        status, body = wait_for_status(port, token, process)
        assert status == 200 and "started" in body
        # A wrong token is refused: the server is not open to anyone on the machine.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token=wrong", timeout=5)
        assert refused.value.code == 403
        # Its root is notebooks/.
        url = f"http://127.0.0.1:{port}/api/contents?token={token}"
        with urllib.request.urlopen(url, timeout=5) as response:
            listing = json.loads(response.read())
        names = {item["name"] for item in listing["content"]}
        expected = {p.name for p in (ROOT / "notebooks").iterdir() if not p.name.startswith(".")}
        assert names == expected
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = log.read_text()
    assert f"http://127.0.0.1:{port}/lab" in text
    with pytest.raises(OSError):  # nothing listens any more
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
