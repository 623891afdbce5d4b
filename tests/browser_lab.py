"""A real JupyterLab server and a real Chromium, for the browser tests.

`LabServer` starts JupyterLab from this environment on 127.0.0.1 with a free port and a
random token, in a temporary HOME/config/runtime/settings/workspaces directory (news and
update pop-ups off, autosave off, every cell kept in the page), serving a temporary copy of
the notebooks; it stops the server by PID. `launch_chromium` drives Debian's Chromium through
Playwright (never `playwright install`). `KernelProbe` runs code in a notebook's kernel beside
the page. DASHBOARD_ACTIONS says what a person does with each dashboard; `perform` does it,
`wait_quiet` waits for the kernel and the plot to settle, and `measure_latency` times an action
from the key press to the new image painted (tests/test_browser.py and bench/figures_browser.py
share them).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from conftest import IN_CI, free_port

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
RUN_ALL_TIMEOUT_S = 300
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
        # The lessons' offline path, as tools/run_notebooks.py runs them: lesson 00 uses the
        # shipped vectors instead of trying a download that CI cannot make.
        env["COURSE_UTILS_OFFLINE"] = "1"
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


def chromium_or_skip() -> None:
    """Skip (fail, when CI=true) unless the Chromium the tests drive is installed."""
    if CHROMIUM.is_file() and shutil.which(str(CHROMIUM)):
        return
    message = (f"browser tests need Chromium at {CHROMIUM}: install it with "
               "`apt-get install chromium` (or set COURSE_CHROMIUM to another Chromium binary)")
    if IN_CI:
        pytest.fail(message + " — required when CI=true")
    pytest.skip(message)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_FLAGS)


# -- the time from an action to the new picture on screen ------------------------------------------

# Installed once per page. `window.cuArm(dashboard)` starts one measurement: the next keydown,
# pointerdown or change event inside the dashboard is the start; the end is the first frame
# painted after the plot's <img> got a new source and decoded it (two animation frames: the
# first runs before that paint, the second after it).
LATENCY_JS = """
() => {
  if (window.cuArm) return;
  let pending = null;
  const start = (event) => {
    if (pending && pending.start === null && pending.root.contains(event.target)) {
      pending.start = performance.now();
    }
  };
  for (const type of ['keydown', 'pointerdown', 'change']) {
    document.addEventListener(type, start, true);
  }
  window.cuArm = (root) => {
    const img = root.querySelector('img.cu-plot');
    const before = img.getAttribute('src');
    pending = {root, start: null};
    const mine = pending;
    return new Promise((resolve) => {
      const observer = new MutationObserver(async () => {
        if (img.getAttribute('src') === before) return;
        observer.disconnect();
        const changed = performance.now();
        try { await img.decode(); } catch (error) { /* a newer source replaced it */ }
        const decoded = performance.now();
        requestAnimationFrame(() => requestAnimationFrame(() => {
          const painted = performance.now();
          resolve({start: mine.start, changed, decoded, painted});
        }));
      });
      observer.observe(img, {attributes: true, attributeFilter: ['src']});
    });
  };
}
"""


def arm_latency(page, dashboard) -> None:
    """Start one measurement on `dashboard` (a Playwright locator); `latency_result(page)`
    then waits for the new image and returns {start, changed, decoded, painted} in ms."""
    page.evaluate(LATENCY_JS)
    dashboard.evaluate("(root) => { window.cuMeasurement = window.cuArm(root); }")


def latency_result(page, timeout_ms: float = 30_000) -> dict:
    return page.evaluate("""(timeout) => Promise.race([window.cuMeasurement,
        new Promise((resolve) => setTimeout(() => resolve(null), timeout))])""", timeout_ms)


# -- code run in a notebook's own kernel, beside the page --------------------------------------------


class KernelProbe:
    """A second client of the kernel behind a notebook: runs code in the same namespace as the
    notebook's cells (e.g. to render a dashboard afresh) without touching the page."""

    def __init__(self, lab: LabServer, notebook: str):
        from jupyter_client import BlockingKernelClient

        kernel_id = next(s["kernel"]["id"] for s in lab.api("sessions") if s["path"].endswith(notebook))
        self.client = BlockingKernelClient(
            connection_file=str(lab.workdir / "runtime" / f"kernel-{kernel_id}.json"))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 180) -> str:
        """Execute `code`; return what it printed. A Python error raises RuntimeError."""
        printed, errors = [], []

        def collect(message):
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                errors.append("\n".join(content["traceback"]))

        self.client.execute_interactive(code, store_history=False, timeout=timeout, output_hook=collect)
        if errors:
            raise RuntimeError(f"kernel code failed:\n{errors[0][-3000:]}")
        return "".join(printed)

    def close(self) -> None:
        self.client.stop_channels()


# -- what a person does with each dashboard, and how long they wait ------------------------------------

# What a person does with each control of each dashboard, and what must change. Every
# dashboard found on a page must be listed here: a new dashboard without an entry fails.
#   kind: "slider" (keys on the handle), "text" (type, then Enter), "click", "select" (an option
#   label), "toggle" (a button of a ToggleButtons), "checkbox", "hover" / "strip-click" (the
#   pointer on, or a click on, character `index` of a text strip); value: keys/text/label;
#   expect: what must change ("plot", "readout", "strip": a text strip's colours or legend;
#   "detail": the strip's panel shows that character); values: what random sequences may
#   choose (sliders: keys; selects: every option when absent; strip clicks: any character);
#   "latency": the action timed, repeated.
#   A dashboard whose state is a history (training) lists in REPLAY the buttons that a fresh
#   render must press again, and in RESETS the controls after which earlier presses no longer
#   matter.
S = "slider"
PR = ("plot", "readout")
DASHBOARD_ACTIONS: dict[str, list[dict]] = {
    # 00 word vectors
    "analogy": [
        {"kind": "text", "control": "cu-analogy-c", "value": "he", "expect": PR,
         "values": ["she", "france", "king", "xyzzy"]},
        {"kind": "text", "control": "cu-analogy-a", "value": "man", "expect": ("readout",),
         "values": ["man", "paris"]},
        {"kind": "select", "control": "cu-analogy-example", "value": None, "expect": PR,
         "latency": True},
    ],
    "similarity": [
        {"kind": "text", "control": "cu-similarity-word", "value": "stock", "expect": PR,
         "values": ["money", "king", ""]},
        {"kind": "toggle", "control": "cu-similarity-dataset", "value": "SimLex-999",
         "expect": PR, "latency": True},
        {"kind": "select", "control": "cu-similarity-model", "value": None, "expect": ("readout",)},
    ],
    # 01 perceptron
    "activation": [
        {"kind": S, "control": "cu-activation-z", "value": "ArrowRight", "times": 40,
         "expect": PR, "latency": True},
        {"kind": "select", "control": "cu-activation-function", "value": "tanh",
         "expect": PR},
    ],
    "perceptron": [
        {"kind": S, "control": "cu-perceptron-w1", "value": "ArrowRight", "times": 10,
         "expect": PR, "latency": True},
        {"kind": S, "control": "cu-perceptron-w2", "value": "ArrowLeft", "times": 10, "expect": ("plot",)},
        {"kind": S, "control": "cu-perceptron-b", "value": "ArrowRight", "times": 10, "expect": ("plot",)},
        {"kind": S, "control": "cu-perceptron-x1", "value": "ArrowLeft", "times": 10, "expect": ("plot",)},
        {"kind": S, "control": "cu-perceptron-x2", "value": "ArrowRight", "times": 10, "expect": ("plot",)},
        {"kind": "select", "control": "cu-perceptron-dataset", "value": "XOR", "expect": ("plot",)},
    ],
    # 02 feed-forward network
    "training": [
        {"kind": "click", "control": "cu-training-step", "expect": PR, "latency": True},
        {"kind": "click", "control": "cu-training-run", "expect": PR},
        # Reset after training: back to fresh weights, so the boundary and loss change.
        {"kind": "click", "control": "cu-training-reset", "expect": PR},
        {"kind": S, "control": "cu-training-width", "value": "ArrowRight", "times": 4,
         "expect": PR},
        {"kind": "select", "control": "cu-training-activation", "value": "tanh", "expect": PR},
        {"kind": "select", "control": "cu-training-dataset", "value": "xor", "expect": PR},
        {"kind": S, "control": "cu-training-lr", "value": "ArrowRight", "times": 3, "expect": ("readout",),
         "random": False},   # a float slider's readout cannot be copied exactly into a fresh view
    ],
    # 03 window LM, 04 RNN LM
    "growth": [
        {"kind": S, "control": "cu-growth-n", "value": "ArrowRight", "times": 1,
         "expect": PR, "latency": True},
        {"kind": S, "control": "cu-growth-embed", "value": "ArrowRight", "times": 3, "expect": ("plot",)},
        {"kind": S, "control": "cu-growth-hidden", "value": "ArrowLeft", "times": 3, "expect": ("plot",)},
    ],
    "hidden": [
        {"kind": "text", "control": "cu-hidden-text", "value": "Police said on Monday",
         "expect": ("plot",), "values": ["The Prime Minister", "abc", "Police said on Monday that the"]},
        {"kind": S, "control": "cu-hidden-step", "value": "ArrowLeft", "times": 2, "expect": PR,
         "latency": True},
        {"kind": S, "control": "cu-hidden-unit", "value": "ArrowRight", "times": 1, "expect": PR},
        {"kind": "select", "control": "cu-hidden-rows", "value": None, "expect": ("plot",)},
        {"kind": "select", "control": "cu-hidden-pick", "value": None, "expect": ("plot",)},
        {"kind": "hover", "control": "cu-hidden-strip", "index": 7, "expect": ("detail",), "random": False},
        # A click on a character sets the step: the heatmap's column and the bars follow.
        {"kind": "strip-click", "control": "cu-hidden-strip", "index": 3, "expect": PR},
    ],
    "sampling": [
        {"kind": "click", "control": "cu-sampling-new", "expect": ("readout",)},   # the same first step
        {"kind": "text", "control": "cu-sampling-seed", "value": "7", "expect": ("readout",),
         "values": ["3", "0"]},
        {"kind": S, "control": "cu-sampling-temperature", "value": "ArrowRight", "times": 4,
         "expect": PR, "latency": True},
        {"kind": S, "control": "cu-sampling-length", "value": "ArrowLeft", "times": 4,
         "expect": ("readout",)},
        {"kind": "text", "control": "cu-sampling-prompt", "value": "The ", "expect": PR,
         "values": ["Police ", "He said "]},
    ],
    # 04 and 06: the live graphs of the learner's own RNN and LSTM
    "graph-rnn": [
        {"kind": S, "control": "cu-graph-rnn-loss-step", "value": "ArrowLeft", "times": 2,
         "expect": PR, "latency": True},
        {"kind": S, "control": "cu-graph-rnn-end", "value": "ArrowLeft", "times": 2, "expect": PR},
        {"kind": "text", "control": "cu-graph-rnn-unit", "value": "3", "expect": ("plot",),
         "values": ["0", "5"]},
    ],
    "graph-lstm": [
        {"kind": S, "control": "cu-graph-lstm-step", "value": "ArrowLeft", "times": 2,
         "expect": PR, "latency": True},
        {"kind": S, "control": "cu-graph-lstm-loss-step", "value": "ArrowLeft", "times": 1, "expect": PR},
        {"kind": "text", "control": "cu-graph-lstm-unit", "value": "3", "expect": ("plot",),
         "values": ["0", "5"]},
    ],
    # 05 RNN limitations, 06 LSTM
    "gradflow": [
        {"kind": "click", "control": "cu-gradflow-clip", "expect": PR, "latency": True},
        {"kind": S, "control": "cu-gradflow-radius", "value": "ArrowRight", "times": 4,
         "expect": PR},
        {"kind": "select", "control": "cu-gradflow-activation", "value": "tanh", "expect": PR},
        {"kind": S, "control": "cu-gradflow-length", "value": "ArrowLeft", "times": 2, "expect": ("plot",)},
    ],
    "gates": [
        {"kind": S, "control": "cu-gates-unit", "value": "ArrowRight", "times": 1,
         "expect": PR, "latency": True},
        {"kind": "select", "control": "cu-gates-colour", "value": "forget gate f", "expect": ("readout",)},
        {"kind": "select", "control": "cu-gates-rows", "value": None, "expect": ("plot",)},
        {"kind": "select", "control": "cu-gates-pick", "value": None, "expect": ("plot",)},
        {"kind": "text", "control": "cu-gates-text", "value": "He said (in May) that", "expect": ("plot",),
         "values": ["The bank is on the river.", "12 May"]},
        {"kind": "hover", "control": "cu-gates-strip", "index": 8, "expect": ("detail",), "random": False},
    ],
    "connect": [
        {"kind": S, "control": "cu-connect-target", "value": "ArrowLeft", "times": 3,
         "expect": PR, "latency": True},
        {"kind": "select", "control": "cu-connect-pick", "value": None, "expect": ("plot",)},
        {"kind": "text", "control": "cu-connect-text", "value": "The bank is on the river.",
         "expect": ("plot",), "values": ["He said (in May) that", "12 May 1999"]},
        {"kind": "hover", "control": "cu-connect-strip", "index": 4, "expect": ("detail",), "random": False},
        # A click on a character re-targets the view: that character is predicted.
        {"kind": "strip-click", "control": "cu-connect-strip", "index": 12, "expect": PR},
    ],
    "cells": [
        {"kind": "select", "control": "cu-cells-pattern", "value": "inside a number",
         "expect": PR},
        {"kind": S, "control": "cu-cells-rank", "value": "ArrowRight", "times": 1, "expect": PR,
         "latency": True},
        {"kind": "select", "control": "cu-cells-state", "value": "hidden state h", "expect": PR},
        {"kind": "text", "control": "cu-cells-regex", "value": "[A-Z]+", "expect": PR,
         "values": ["said", "zzz", "("]},
        {"kind": "hover", "control": "cu-cells-strip", "index": 5, "expect": ("detail",), "random": False},
    ],
    # 07 bidirectional
    "bidirectional": [
        {"kind": "text", "control": "cu-bidirectional-text", "value": "the bank is on the river",
         "expect": PR, "values": ["a warm and funny film", "not good"]},
        {"kind": "select", "control": "cu-bidirectional-sentence", "value": None, "expect": PR,
         "latency": True},
        {"kind": "select", "control": "cu-bidirectional-rows", "value": None, "expect": ("plot",)},
        {"kind": S, "control": "cu-bidirectional-unit", "value": "ArrowRight", "times": 1,
         "expect": ("strip",)},
        {"kind": "hover", "control": "cu-bidirectional-strip", "index": 4, "expect": ("detail",),
         "random": False},
    ],
    "demo": [
        {"kind": S, "control": "cu-demo-scale", "value": "ArrowRight", "times": 3,
         "expect": PR, "latency": True},
        {"kind": "text", "control": "cu-demo-title", "value": "hello", "expect": ("plot",)},
        {"kind": "click", "control": "cu-demo-flip", "expect": PR, "random": False},
        {"kind": "select", "control": "cu-demo-colour", "value": "orange", "expect": ("plot",)},
    ],
}
REPLAY = {"training": {"cu-training-step", "cu-training-run"}}
RESETS = {"training": {"cu-training-reset", "cu-training-width", "cu-training-activation",
                       "cu-training-dataset"}}
RANDOM_SEQUENCES = 2      # per dashboard, after the scripted actions
RANDOM_STEPS = 5
LATENCY_REPEATS = 12


def wait_kernel_idle(lab: LabServer, notebook: str, timeout: float = 120) -> None:
    """Idle according to the server for 1 s in a row (a starting kernel flickers); on failure,
    the states seen and the server's log."""
    deadline, idle_since, states = time.monotonic() + timeout, None, []
    while time.monotonic() < deadline:
        state = lab.kernel_state(notebook)
        if not states or states[-1] != state:
            states.append(state)
        if state == "idle":
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= 1.0:
                return
        else:
            idle_since = None
        time.sleep(0.2)
    raise AssertionError(f"{notebook}: kernel not idle after {timeout} s (states seen: {states}); "
                         f"server log:\n{lab.log()}")


def open_notebook(page, lab: LabServer, notebook: str) -> None:
    page.goto(lab.url(notebook))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
    wait_kernel_idle(lab, notebook)


def run_all(page, lab: LabServer, notebook: str, timeout: float = RUN_ALL_TIMEOUT_S) -> float:
    start = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    prompts = page.locator(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt")
    deadline = start + timeout
    while time.monotonic() < deadline:
        texts = [t.strip() for t in prompts.all_inner_texts()]
        finished = texts and all(re.fullmatch(r"\[\d+\]:", t) for t in texts)
        if finished and lab.kernel_state(notebook) == "idle":
            return time.monotonic() - start
        time.sleep(0.5)
    pending = [i for i, t in enumerate(prompts.all_inner_texts()) if not re.fullmatch(r"\[\d+\]:", t.strip())]
    raise AssertionError(f"{notebook}: cells {pending[:10]} not finished after {timeout} s")


def dashboard_name(element) -> str:
    classes = element.get_attribute("class").split()
    names = [c[3:] for c in classes if c.startswith("cu-") and c != "cu-dashboard"]
    assert len(names) == 1, f"a dashboard must carry exactly one cu-<name> class, got {classes}"
    return names[0]


def plot_state(dashboard) -> list[str]:
    return [img.get_attribute("src") or "" for img in dashboard.locator("img.cu-plot").all()]


def readout_state(dashboard) -> list[str]:
    return [r.inner_text() for r in dashboard.locator(".cu-readout").all()]


def strips_painted(dashboard) -> list[str]:
    """What each text strip paints: its legend and every character's background."""
    return dashboard.locator(".cu-strip").evaluate_all("""(strips) => strips.map((strip) =>
        strip.querySelector('.cu-strip-legend').textContent + ' | ' +
        [...strip.querySelectorAll('.cu-strip-char')].map((c) => c.style.background).join(' '))""")


def perform(dashboard, page, action: dict) -> None:
    """Do `action` as a person would. A select with value None takes the option after the
    shown one (the first after the last)."""
    control = action["control"]
    kind = action["kind"]
    if kind == "slider":
        handle = dashboard.locator(f".{control} .noUi-handle").first
        handle.focus()
        for _ in range(action.get("times", 1)):
            page.keyboard.press(action["value"])
    elif kind == "text":
        box = dashboard.locator(f".{control} input, .{control} textarea").first
        box.click()
        box.press("Control+a")
        box.press_sequentially(action["value"], delay=30)
        box.press("Enter")
    elif kind == "click":
        dashboard.locator(f"button.{control}, .{control} button").first.click()
    elif kind == "toggle":
        dashboard.locator(f".{control} button", has_text=action["value"]).first.click()
    elif kind == "select":
        select = dashboard.locator(f"select.{control}, .{control} select").first
        label = action["value"]
        if label is None:
            label = select.evaluate("""(s) => s.options[(s.selectedIndex + 1) % s.options.length].label""")
        select.select_option(label=label)
    elif kind == "checkbox":
        dashboard.locator(f".{control} input[type=checkbox]").first.click()
    elif kind == "hover":
        dashboard.locator(f".{control} .cu-strip-char").nth(action["index"]).hover()
    elif kind == "strip-click":
        dashboard.locator(f".{control} .cu-strip-char").nth(action["index"]).click()
    else:
        raise ValueError(f"unknown action kind {kind!r} for {control}")


def wait_quiet(page, lab: LabServer, notebook: str, dashboard, timeout: float = 60) -> None:
    """Wait until the kernel has been idle and the plot unchanged for 0.5 s in a row (and at
    least 0.3 s after the action, which may not have reached the kernel yet)."""
    time.sleep(0.3)
    deadline = time.monotonic() + timeout
    last, quiet_since = plot_state(dashboard), None
    while time.monotonic() < deadline:
        time.sleep(0.1)
        current = plot_state(dashboard)
        if current != last or lab.kernel_state(notebook) != "idle":
            last, quiet_since = current, None
            continue
        quiet_since = quiet_since or time.monotonic()
        if time.monotonic() - quiet_since >= 0.5:
            return
    raise AssertionError(f"{notebook}: the dashboard did not settle within {timeout} s")


def measure_latency(page, lab: LabServer, notebook: str, dashboard, action: dict,
                    repeats: int = LATENCY_REPEATS) -> list[dict]:
    """Time `action` `repeats` times (sliders alternate right and left, selects cycle): from
    the key press or click to the new image painted, with the moments in between."""
    samples = []
    keys = ["ArrowRight", "ArrowLeft"]
    if action["kind"] == "slider":   # at the right end a first ArrowRight would change nothing
        handle = dashboard.locator(f".{action['control']} .noUi-handle").first
        if handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax"):
            keys.reverse()
    for repeat in range(repeats):
        step = dict(action)
        if step["kind"] == "slider":
            step.update(value=keys[repeat % 2], times=1)
        elif step["kind"] == "select":
            step["value"] = None
        elif step["kind"] == "toggle":
            labels = dashboard.locator(f".{step['control']} button").all_inner_texts()
            step["value"] = labels[(repeat + 1) % len(labels)]
        arm_latency(page, dashboard)
        perform(dashboard, page, step)
        timing = latency_result(page)
        if timing and timing["start"] is not None:
            samples.append({"total_ms": timing["painted"] - timing["start"],
                            "to_image_ms": timing["changed"] - timing["start"],
                            "decode_ms": timing["decoded"] - timing["changed"],
                            "paint_ms": timing["painted"] - timing["decoded"]})
        wait_quiet(page, lab, notebook, dashboard)
    return samples


def latency_summary(samples: list[dict]) -> dict:
    if not samples:
        raise AssertionError("no latency sample: the timed action never changed the plot")
    total = np.array([s["total_ms"] for s in samples])
    return {"median_ms": float(np.median(total)), "p90_ms": float(np.percentile(total, 90)),
            "to_image_median_ms": float(np.median([s["to_image_ms"] for s in samples])),
            "decode_median_ms": float(np.median([s["decode_ms"] for s in samples])),
            "paint_median_ms": float(np.median([s["paint_ms"] for s in samples])),
            "count": len(samples), "load": os.getloadavg()[0]}


