"""Every lesson in JupyterLab in headless Chromium: run all, no error, widgets respond.

For each notebook in notebooks/: open it in a real JupyterLab, wait until its kernel is
really idle (the server's session API, not the toolbar), Run All Cells from the menu, wait for
every cell to finish, and check the saved notebook for error outputs and the page for dialogs.
Then, for every dashboard on the page (`.cu-dashboard`), act on its controls as a person
would (keys on a slider, typing in a text box, clicking a button, picking from a list) and
check that its readout text and its plot image changed: the `<img>` source and the pixels.
Screenshots go to test-artifacts/browser/ (git-ignored).

Without Chromium the tests skip with a message, except under CI=true, where they fail.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from browser_lab import CHROMIUM, LabServer, launch_chromium

from conftest import IN_CI, ROOT

ARTIFACTS = ROOT / "test-artifacts" / "browser"
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_ALL_TIMEOUT_S = 300

# What a person does with each dashboard, and what must change. Every dashboard found on a
# page must be listed here: a new dashboard without an entry fails the test.
#   kind: "slider" (keys on the handle), "text" (type, then Enter), "click", "select" (an option
#   label), "checkbox", "hover" / "strip-click" (the pointer on, or a click on, character `index`
#   of a text strip); value: keys/text/label; expect: what must change ("plot", "readout"), or
#   "detail": the strip's panel shows that character.
DASHBOARD_ACTIONS: dict[str, list[dict]] = {
    # 00 word vectors
    "analogy": [{"kind": "text", "control": "cu-analogy-c", "value": "he", "expect": ("plot", "readout")}],
    "similarity": [{"kind": "text", "control": "cu-similarity-word", "value": "stock",
                    "expect": ("plot", "readout")}],
    # 03 window LM, 04 RNN LM
    "growth": [{"kind": "slider", "control": "cu-growth-n", "value": "ArrowRight", "times": 1,
                "expect": ("plot", "readout")}],
    "hidden": [{"kind": "text", "control": "cu-hidden-text", "value": "Police said on Monday",
                "expect": ("plot",)},
               {"kind": "hover", "control": "cu-hidden-strip", "index": 7, "expect": ("detail",)},
               # A click on a character sets the step: the heatmap's column and the bars follow.
               {"kind": "strip-click", "control": "cu-hidden-strip", "index": 3,
                "expect": ("plot", "readout")}],
    "sampling": [{"kind": "click", "control": "cu-sampling-new", "expect": ("readout",)}],
    # 05 RNN limitations, 06 LSTM
    "gradflow": [{"kind": "click", "control": "cu-gradflow-clip", "expect": ("plot", "readout")}],
    "gates": [{"kind": "slider", "control": "cu-gates-unit", "value": "ArrowRight", "times": 1,
               "expect": ("plot", "readout")},
              {"kind": "hover", "control": "cu-gates-strip", "index": 8, "expect": ("detail",)}],
    "connect": [{"kind": "slider", "control": "cu-connect-target", "value": "ArrowLeft", "times": 3,
                 "expect": ("plot", "readout")},
                {"kind": "hover", "control": "cu-connect-strip", "index": 4, "expect": ("detail",)},
                # A click on a character re-targets the view: that character is predicted.
                {"kind": "strip-click", "control": "cu-connect-strip", "index": 12,
                 "expect": ("plot", "readout")}],
    "cells": [{"kind": "select", "control": "cu-cells-pattern", "value": "inside a number",
               "expect": ("plot", "readout")},
              {"kind": "hover", "control": "cu-cells-strip", "index": 5, "expect": ("detail",)}],
    # 07 bidirectional
    "bidirectional": [{"kind": "text", "control": "cu-bidirectional-text",
                       "value": "the bank is on the river", "expect": ("plot", "readout")},
                      {"kind": "hover", "control": "cu-bidirectional-strip", "index": 4,
                       "expect": ("detail",)}],
    # 01 perceptron
    "activation": [
        {"kind": "slider", "control": "cu-activation-z", "value": "ArrowRight", "times": 40,
         "expect": ("plot", "readout")},
        {"kind": "select", "control": "cu-activation-function", "value": "tanh",
         "expect": ("plot", "readout")},
    ],
    "perceptron": [
        {"kind": "slider", "control": "cu-perceptron-w1", "value": "ArrowRight", "times": 10,
         "expect": ("plot", "readout")},
        {"kind": "select", "control": "cu-perceptron-dataset", "value": "XOR", "expect": ("plot",)},
    ],
    # 02 feed-forward network
    "training": [
        {"kind": "click", "control": "cu-training-step", "expect": ("plot", "readout")},
        {"kind": "click", "control": "cu-training-run", "expect": ("plot", "readout")},
        # Reset after training: back to fresh weights, so the boundary and loss change.
        {"kind": "click", "control": "cu-training-reset", "expect": ("plot", "readout")},
        {"kind": "slider", "control": "cu-training-width", "value": "ArrowRight", "times": 4,
         "expect": ("plot", "readout")},
    ],
    "demo": [
        {"kind": "slider", "control": "cu-demo-scale", "value": "ArrowRight", "times": 3,
         "expect": ("plot", "readout")},
        {"kind": "text", "control": "cu-demo-title", "value": "hello", "expect": ("plot",)},
        {"kind": "click", "control": "cu-demo-flip", "expect": ("plot", "readout")},
        {"kind": "select", "control": "cu-demo-colour", "value": "orange", "expect": ("plot",)},
    ],
}


def chromium_or_skip():
    if CHROMIUM.is_file() and shutil.which(str(CHROMIUM)):
        return
    message = (f"browser tests need Chromium at {CHROMIUM}: install it with "
               "`apt-get install chromium` (or set COURSE_CHROMIUM to another Chromium binary)")
    if IN_CI:
        pytest.fail(message + " — required when CI=true")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = launch_chromium(playwright)
        yield instance
        instance.close()


def start_lab(tmp_path_factory, notebooks):
    return LabServer(tmp_path_factory.mktemp("lab"), notebooks).start()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    chromium_or_skip()
    server = start_lab(tmp_path_factory, LESSONS)
    yield server
    server.stop()


# -- driving a notebook ---------------------------------------------------------------------


def wait_kernel_idle(lab: LabServer, notebook: str, timeout: float = 120) -> None:
    """Idle according to the server for 1 s in a row (a starting kernel flickers)."""
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        state = lab.kernel_state(notebook)
        if state == "idle":
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= 1.0:
                return
        else:
            idle_since = None
        time.sleep(0.2)
    raise AssertionError(f"{notebook}: kernel not idle after {timeout} s (state {state!r})")


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


def saved_outputs(page, lab: LabServer, notebook: str) -> nbformat.NotebookNode:
    """Save through the UI (autosave is off) and read the notebook back from the server."""
    before = lab.api(f"contents/{notebook}?content=0")["last_modified"]
    page.locator(".jp-NotebookPanel:visible .jp-Notebook").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while lab.api(f"contents/{notebook}?content=0")["last_modified"] == before:
        assert time.monotonic() < deadline, f"{notebook}: save did not happen"
        time.sleep(0.2)
    return nbformat.from_dict(lab.api(f"contents/{notebook}?content=1")["content"])


def error_outputs(nb) -> list[str]:
    errors = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
    return errors


def assert_no_dialog(page, notebook: str) -> None:
    dialogs = page.locator(".jp-Dialog")
    if dialogs.count():
        text = dialogs.first.inner_text()
        raise AssertionError(f"{notebook}: a dialog is open: {text[:300]!r}")


# -- driving a dashboard ----------------------------------------------------------------------


def dashboard_name(element) -> str:
    classes = element.get_attribute("class").split()
    names = [c[3:] for c in classes if c.startswith("cu-") and c != "cu-dashboard"]
    assert len(names) == 1, f"a dashboard must carry exactly one cu-<name> class, got {classes}"
    return names[0]


def plot_state(dashboard) -> list[str]:
    return [img.get_attribute("src") or "" for img in dashboard.locator("img.cu-plot").all()]


def readout_state(dashboard) -> list[str]:
    return [r.inner_text() for r in dashboard.locator(".cu-readout").all()]


def perform(dashboard, page, action: dict) -> None:
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
    elif kind == "select":
        dashboard.locator(f"select.{control}, .{control} select").first.select_option(
            label=action["value"])
    elif kind == "checkbox":
        dashboard.locator(f".{control} input[type=checkbox]").first.click()
    elif kind == "hover":
        dashboard.locator(f".{control} .cu-strip-char").nth(action["index"]).hover()
    elif kind == "strip-click":
        dashboard.locator(f".{control} .cu-strip-char").nth(action["index"]).click()
    else:
        raise ValueError(f"unknown action kind {kind!r} for {control}")


def wait_until_settled(dashboard, before_src: list[str], timeout: float = 30) -> list[str]:
    """Wait until the plot source changed and then stayed the same for 0.6 s."""
    deadline = time.monotonic() + timeout
    last, stable_since = plot_state(dashboard), None
    while time.monotonic() < deadline:
        time.sleep(0.1)
        current = plot_state(dashboard)
        if current != last:
            last, stable_since = current, None
            continue
        if current != before_src:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= 0.6:
                return current
    return last


def pixel_difference(before: bytes, after: bytes) -> float:
    """Mean absolute difference per channel (0-255) of two screenshots; 255 if sizes differ."""
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(before)).convert("RGB"), dtype=np.float64)
    b = np.asarray(Image.open(io.BytesIO(after)).convert("RGB"), dtype=np.float64)
    if a.shape != b.shape:
        return 255.0
    return float(np.abs(a - b).mean())


def assert_strip_detail(dashboard, action: dict, where: str) -> None:
    """The strip's panel shows the hovered character: its title names it, with its values."""
    strip = dashboard.locator(f".{action['control']}").first
    index = action["index"]
    char = strip.locator(".cu-strip-char").nth(index).inner_text()
    detail = strip.locator(".cu-strip-detail")
    deadline = time.monotonic() + 10
    while detail.get_attribute("data-index") != str(index):
        assert time.monotonic() < deadline, f"{where}: the panel did not show character {index}"
        time.sleep(0.05)
    title = detail.locator(".cu-strip-title").inner_text()
    shown = {" ": "␣", "⏎": "⏎"}.get(char, char)
    assert f"“{shown}”" in title, f"{where}: the panel's title {title!r} does not name {shown!r}"
    assert detail.locator(".cu-strip-row").count() >= 1, f"{where}: the panel shows no values"


def exercise_dashboards(page, notebook: str, shots: Path) -> list[str]:
    """Act on every dashboard of the page; return the names exercised."""
    exercised = []
    dashboards = page.locator(".jp-NotebookPanel:visible .cu-dashboard")
    for index in range(dashboards.count()):
        dashboard = dashboards.nth(index)
        name = dashboard_name(dashboard)
        assert name in DASHBOARD_ACTIONS, (
            f"{notebook}: dashboard {name!r} has no entry in DASHBOARD_ACTIONS: say how a person "
            "uses it and what must change")
        dashboard.scroll_into_view_if_needed()
        assert dashboard.locator("img.cu-plot").count() >= 1, f"{name}: no plot rendered"
        dashboard.locator("img.cu-plot").first.wait_for(state="visible", timeout=30_000)
        for step, action in enumerate(DASHBOARD_ACTIONS[name]):
            before_src, before_text = plot_state(dashboard), readout_state(dashboard)
            before_png = dashboard.screenshot()
            (shots / f"{name}-{step}-before.png").write_bytes(before_png)
            perform(dashboard, page, action)
            # Hovering asks nothing of the kernel: the plot stays as it is.
            after_src = before_src if action["kind"] == "hover" else wait_until_settled(dashboard, before_src)
            after_png = dashboard.screenshot()
            (shots / f"{name}-{step}-after.png").write_bytes(after_png)
            where = f"{notebook}: {name}: {action['kind']} on {action['control']}"
            if "plot" in action["expect"]:
                assert after_src != before_src, f"{where}: the plot image did not change"
                difference = pixel_difference(before_png, after_png)
                assert difference > 0.05, f"{where}: the pixels did not change ({difference:.3f})"
            if "readout" in action["expect"]:
                assert readout_state(dashboard) != before_text, f"{where}: the readout did not change"
            if "detail" in action["expect"]:
                assert_strip_detail(dashboard, action, where)
            assert_no_dialog(page, notebook)
        exercised.append(name)
    return exercised


def check_notebook(page, lab: LabServer, notebook: str) -> list[str]:
    shots = ARTIFACTS / Path(notebook).stem
    shots.mkdir(parents=True, exist_ok=True)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_notebook(page, lab, notebook)
    run_all(page, lab, notebook)
    page.screenshot(path=str(shots / "after-run-all.png"))
    nb = saved_outputs(page, lab, notebook)
    assert error_outputs(nb) == [], f"{notebook}: error outputs after Run All"
    assert_no_dialog(page, notebook)
    exercised = exercise_dashboards(page, notebook, shots)
    assert not dialogs, f"{notebook}: browser dialogs {dialogs}"
    return exercised


# -- the tests ----------------------------------------------------------------------------------

DEMO_DASHBOARD = '''
import ipywidgets as widgets
import numpy as np
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class

plot = PlotImage(figsize=(4, 2.5))
x = np.linspace(0, 6, 100)
(line,) = plot.ax.plot(x, np.sin(x))
plot.ax.set_xlabel("x"); plot.ax.set_ylabel("y"); plot.ax.set_ylim(-3, 3)
scale = with_class(widgets.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.1,
                                       continuous_update=False, description="scale"), "cu-demo-scale")
title = with_class(widgets.Text(value="", description="title"), "cu-demo-title")
flip = with_class(widgets.Button(description="flip"), "cu-demo-flip")
colour = with_class(widgets.Dropdown(options=["blue", "orange"], description="colour"), "cu-demo-colour")
label = readout("demo")
sign = [1]

def update(*_):
    line.set_ydata(sign[0] * scale.value * np.sin(x))
    line.set_color(colour.value)
    plot.ax.set_title(title.value)
    label.value = f"scale = {scale.value:.1f}, sign = {sign[0]}"
    plot.refresh()

def on_flip(_):
    sign[0] *= -1
    update()

for control in (scale, title, colour):
    control.observe(update, names="value")
flip.on_click(on_flip)
update()
dashboard("demo", [scale, title, flip, colour, label, plot.image])
'''


def demo_notebook(path: Path, broken: bool = False) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo"), nbformat.v4.new_code_cell(DEMO_DASHBOARD)]
    if broken:
        nb.cells.append(nbformat.v4.new_code_cell("1 / 0"))
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_harness_sees_widget_changes_and_errors(browser, tmp_path_factory, tmp_path):
    """The harness itself: a working dashboard passes, a notebook with an error is caught."""
    good = demo_notebook(tmp_path / "demo_good.ipynb")
    bad = demo_notebook(tmp_path / "demo_bad.ipynb", broken=True)
    server = start_lab(tmp_path_factory, [good, bad])
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        assert check_notebook(page, server, good.name) == ["demo"]
        page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        with pytest.raises(AssertionError, match="error outputs after Run All"):
            check_notebook(page, server, bad.name)
        page.close()
    finally:
        server.stop()
    assert server.process.poll() is not None


@pytest.mark.slow
@pytest.mark.parametrize("notebook", [p.name for p in LESSONS])
def test_lesson_runs_in_jupyterlab_and_widgets_respond(browser, lab, notebook):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    try:
        check_notebook(page, lab, notebook)
    finally:
        page.close()
        # Free the kernel's memory before the next lesson.
        for session in lab.api("sessions"):
            lab.api(f"sessions/{session['id']}", method="DELETE")
