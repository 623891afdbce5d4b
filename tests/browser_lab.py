"""A real JupyterLab server and a real Chromium, for the browser tests.

`LabServer` starts JupyterLab from this environment on 127.0.0.1 with a free port and a
random token, in a temporary HOME/config/runtime/settings/workspaces directory (news and
update pop-ups off, autosave off, every cell kept in the page), serving a temporary copy of
the notebooks; it stops the server by PID. `launch_chromium` drives Debian's Chromium through
Playwright (never `playwright install`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import free_port

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]

DISABLED_PLUGINS = {
    "@jupyterlab/apputils-extension:announcements": True,  # the "news?" pop-up
    "@jupyterlab/extensionmanager-extension:plugin": True,
}
USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # Keep every cell in the DOM so the test can see all of them.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


class LabServer:
    """`app` "lab" starts JupyterLab; "notebook" the Notebook front end of the same environment
    (Notebook 7, or the classic Notebook 6 where that is installed)."""

    def __init__(self, workdir: Path, content: list[Path], app: str = "lab"):
        if app not in ("lab", "notebook"):
            raise ValueError(f"LabServer: app must be 'lab' or 'notebook', got {app!r}")
        self.app = app
        self.workdir = Path(workdir)
        self.root = self.workdir / "root"
        self.root.mkdir(parents=True)
        for path in content:
            shutil.copy(path, self.root / path.name)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / "jupyterlab.log"

    def _prepare_dirs(self) -> dict:
        home = self.workdir / "home"
        config = self.workdir / "config"
        settings = self.workdir / "settings"
        for folder in (home, config / "labconfig", settings, self.workdir / "runtime",
                       self.workdir / "data", self.workdir / "workspaces"):
            folder.mkdir(parents=True, exist_ok=True)
        # No news feed, no update check (both would be requests to the internet).
        (config / "jupyter_server_config.json").write_text(json.dumps({"LabApp": {
            "news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}))
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": DISABLED_PLUGINS}))
        for relative, values in USER_SETTINGS.items():
            target = settings / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(config),
                   JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
                   JUPYTER_DATA_DIR=str(self.workdir / "data"), JUPYTER_TOKEN=self.token)
        env.pop("MPLBACKEND", None)  # the kernel must use the inline backend, as a student's does
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        return env

    def start(self, timeout: float = 120) -> LabServer:
        env = self._prepare_dirs()
        command = [
            str(Path(sys.executable).parent / "jupyter"), self.app, "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
            "--NotebookApp.port_retries=0", f"--notebook-dir={self.root}",
            f"--LabApp.user_settings_dir={self.workdir / 'settings'}",
            f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
            f"--JupyterNotebookApp.user_settings_dir={self.workdir / 'settings'}",
            f"--JupyterNotebookApp.workspaces_dir={self.workdir / 'workspaces'}",
        ]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.process.returncode}):\n{self.log()}")
            try:
                self.api("status")
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def api(self, path: str, method: str = "GET", body: dict | None = None):
        request = urllib.request.Request(
            f"{self.base}/api/{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
            return json.loads(payload) if payload else None

    def url(self, notebook: str) -> str:
        if self.app == "notebook":
            return f"{self.base}/notebooks/{notebook}?token={self.token}"
        return f"{self.base}/lab/tree/{notebook}?token={self.token}&reset"

    def kernel_state(self, notebook: str) -> str | None:
        for session in self.api("sessions"):
            if session["path"].endswith(notebook) and session.get("kernel"):
                return session["kernel"]["execution_state"]
        return None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # Shut kernels down through the API first, so none outlives the server.
        try:
            for kernel in self.api("kernels"):
                self.api(f"kernels/{kernel['id']}", method="DELETE")
        except OSError:
            pass
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_FLAGS)
