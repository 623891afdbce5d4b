"""Every lesson in JupyterLab in headless Chromium: run all, no error, widgets respond.

For each notebook in notebooks/: open it in a real JupyterLab, wait until its kernel is
really idle (the server's session API, not the toolbar), Run All Cells from the menu, wait for
every cell to finish, and check the saved notebook for error outputs and the page for dialogs.
Then, for every dashboard on the page (`.cu-dashboard`), in a 1400 × 1000 window:

- act on each of its controls once, as a person would (keys on a slider, typing in a text
  box, clicking a button, picking from a list, pointing at or clicking a character of a text
  strip): what must change (readout text, plot: the `<img>` source and the pixels; the strip's
  panel: the character pointed at, with its values) changes; no control label or chosen option
  is cut; the plot fills the output's width. One screenshot per control goes to
  test-artifacts/browser/.
- play a few seeded random sequences of such actions, then compare the painted `<img>` (read
  back from the page) with a fresh full render of the same state, made in the notebook's own
  kernel (KernelProbe): the dashboard built again from its cell's expression with no kept
  pictures and given the same control values.
- repeat the dashboard's main action a few times and check that each one paints a new image
  (the times go to test-artifacts/browser/latency.json as a rough note; the figures are
  bench/figures_browser.py's, with more repeats, on a quiet machine).

Without Chromium the tests skip with a message, except under CI=true, where they fail.
"""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser_lab import (
    DASHBOARD_ACTIONS,
    RANDOM_SEQUENCES,
    RANDOM_STEPS,
    REPLAY,
    RESETS,
    KernelProbe,
    LabServer,
    chromium_or_skip,
    dashboard_name,
    latency_summary,
    measure_latency,
    open_notebook,
    perform,
    plot_state,
    readout_state,
    run_all,
    strips_painted,
    wait_quiet,
)

from conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "browser"
TEST_LATENCY_REPEATS = 3
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
VIEWPORT = {"width": 1400, "height": 1000}   # the reference: JupyterLab with its file browser open





def start_lab(tmp_path_factory, notebooks):
    return LabServer(tmp_path_factory.mktemp("lab"), notebooks).start()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    chromium_or_skip()
    server = start_lab(tmp_path_factory, LESSONS)
    yield server
    server.stop()


# -- driving a notebook ---------------------------------------------------------------------


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


def pixel_difference(before: bytes, after: bytes) -> float:
    """Mean absolute difference per channel (0-255) of two screenshots; 255 if sizes differ."""
    a, b = decode(before), decode(after)
    if a.shape != b.shape:
        return 255.0
    return float(np.abs(a - b).mean())


def decode(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def painted_png(dashboard) -> bytes:
    """The plot as the page shows it: the decoded <img>, drawn at its natural size on a canvas."""
    data_url = dashboard.locator("img.cu-plot").first.evaluate("""(img) => {
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        canvas.getContext('2d').drawImage(img, 0, 0);
        return canvas.toDataURL('image/png');
    }""")
    return base64.b64decode(data_url.split(",", 1)[1])


def mismatch(painted: bytes, fresh: bytes) -> str | None:
    """None when the two images agree (the tolerance of test_widgets_equivalence)."""
    a, b = decode(painted), decode(fresh)
    if a.shape != b.shape:
        return f"sizes differ: painted {a.shape[1]}×{a.shape[0]}, fresh {b.shape[1]}×{b.shape[0]}"
    off = np.abs(a - b).max(axis=2) > 32
    return f"{off.sum()} pixels ({100 * off.mean():.2f} %) differ" if off.mean() > 5e-4 else None


# Run in the notebook's kernel: build the dashboard `name` again from the expression that made
# it (the last line of its cell, found through IPython's Out/In), with no kept pictures, bring
# it to the shown one's control values (then press the buttons in `replay`), print both PNGs.
# Controls are found as the headless tests find them (bench/widget_latency.find_control).
FRESH_RENDER = """
def _cu_fresh_render(name, replay):
    import ast, base64, json, sys
    if BENCH not in sys.path:
        sys.path.insert(0, BENCH)
    from widget_latency import find_control
    from course_utils.plots import Blitter

    ip = get_ipython()
    made = [(n, box) for n, box in ip.user_ns["Out"].items()
            if f"cu-{name}" in getattr(box, "_dom_classes", ())]
    number, box = made[-1]
    last = ast.parse(ip.user_ns["In"][number]).body[-1]

    def controls(view):
        found, stack = [], [view]
        while stack:
            widget = stack.pop(0)
            classes = [c for c in getattr(widget, "_dom_classes", ()) if c.startswith(f"cu-{name}-")]
            if classes and hasattr(widget, "value") and not hasattr(widget, "on_click"):
                found.append((classes[0], widget))
            stack = list(getattr(widget, "children", ())) + stack
        return found

    Blitter.reuse = False
    try:
        fresh = eval(compile(ast.Expression(last.value), "<fresh>", "eval"), ip.user_ns)
        for _ in range(3):   # again while one control moves another (a typed regex picks its pattern)
            differ = [(css_class, widget) for css_class, widget in controls(box)
                      if find_control(fresh, css_class).value != widget.value]
            for css_class, widget in differ:
                find_control(fresh, css_class).value = widget.value
        for css_class in replay:
            find_control(fresh, css_class).click()
        png = find_control(fresh, "cu-plot").value
    finally:
        Blitter.reuse = True
    print(json.dumps({"fresh": base64.b64encode(png).decode(),
                      "kernel": base64.b64encode(find_control(box, "cu-plot").value).decode()}))
"""


def install_fresh_render(probe: KernelProbe) -> None:
    probe.run(f"BENCH = {str(ROOT / 'bench')!r}\n" + FRESH_RENDER)


def fresh_render(probe: KernelProbe, name: str, replay: list[str]) -> tuple[bytes, bytes]:
    """(a fresh full render of the dashboard's current state, the PNG the kernel last sent)."""
    out = json.loads(probe.run(f"_cu_fresh_render({name!r}, {replay!r})").strip().splitlines()[-1])
    return base64.b64decode(out["fresh"]), base64.b64decode(out["kernel"])


def random_action(rng, dashboard, spec: list[dict]) -> dict:
    """One action for a random sequence: a control, and a value (sliders go left or right a few
    steps, so they often come back; selects take any option; texts one of their values)."""
    pool = [a for a in spec if a.get("random", True)]
    action = dict(pool[rng.integers(len(pool))])
    if action["kind"] == "slider":
        action.update(value=["ArrowLeft", "ArrowRight"][rng.integers(2)], times=int(rng.integers(1, 4)))
    elif action["kind"] == "select":
        select = dashboard.locator(f"select.{action['control']}, .{action['control']} select").first
        options = select.evaluate("(s) => [...s.options].map((o) => o.label)")
        action["value"] = options[rng.integers(len(options))]
    elif action["kind"] == "text":
        choices = [action["value"], *action.get("values", [])]
        action["value"] = choices[rng.integers(len(choices))]
    elif action["kind"] == "strip-click":   # any character of the text on show
        count = dashboard.locator(f".{action['control']} .cu-strip-char").count()
        action["index"] = int(rng.integers(count))
    return action


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


def truncated_labels(dashboard) -> list[str]:
    """Control labels and chosen options that do not fit their box (shown cut or with …)."""
    return dashboard.evaluate("""(root) => {
        const cut = [];
        for (const label of root.querySelectorAll('.widget-label, .widget-readout')) {
            if (label.offsetParent && label.scrollWidth > label.clientWidth + 1) cut.push(label.textContent);
        }
        const canvas = document.createElement('canvas').getContext('2d');
        for (const select of root.querySelectorAll('select')) {
            const style = getComputedStyle(select);
            canvas.font = `${style.fontSize} ${style.fontFamily}`;
            const text = select.options[select.selectedIndex]?.label || '';
            const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            if (select.offsetParent && canvas.measureText(text).width > room) cut.push(text);
        }
        return cut;
    }""")


def plot_width_share(dashboard) -> float:
    """The plot's width on screen as a share of the output area's."""
    return dashboard.locator("img.cu-plot").first.evaluate("""(img) => {
        const area = img.closest('.jp-OutputArea-output') || img.parentElement;
        return img.getBoundingClientRect().width / area.getBoundingClientRect().width;
    }""")


def exercise_dashboards(page, lab: LabServer, notebook: str, shots: Path, seed: int = 0) -> dict:
    """Act on every dashboard of the page; return {name: latency summary}."""
    results = {}
    dashboards = page.locator(".jp-NotebookPanel:visible .cu-dashboard")
    probe = KernelProbe(lab, notebook)
    try:
        install_fresh_render(probe)
        for index in range(dashboards.count()):
            dashboard = dashboards.nth(index)
            name = dashboard_name(dashboard)
            assert name in DASHBOARD_ACTIONS, (
                f"{notebook}: dashboard {name!r} has no entry in DASHBOARD_ACTIONS: say how a person "
                "uses it and what must change")
            results[name] = exercise_dashboard(page, lab, notebook, dashboard, name, shots, probe,
                                               seed + index)
    finally:
        probe.close()
    return results


def exercise_dashboard(page, lab, notebook, dashboard, name, shots, probe, seed) -> dict:
    spec = DASHBOARD_ACTIONS[name]
    dashboard.scroll_into_view_if_needed()
    assert dashboard.locator("img.cu-plot").count() >= 1, f"{name}: no plot rendered"
    dashboard.locator("img.cu-plot").first.wait_for(state="visible", timeout=30_000)
    wait_quiet(page, lab, notebook, dashboard)
    dashboard.screenshot(path=str(shots / f"{name}-first.png"))
    share = plot_width_share(dashboard)
    assert share > 0.97, f"{notebook}: {name}: the plot fills {100 * share:.0f} % of the output's width"
    clicks = []   # presses since the last reset, for a fresh render of a history
    # 1. every control once, as scripted: what must change changes; one screenshot per control
    for action in spec:
        before_src, before_text = plot_state(dashboard), readout_state(dashboard)
        before_strips = strips_painted(dashboard)
        before_png = dashboard.screenshot()
        perform(dashboard, page, action)
        wait_quiet(page, lab, notebook, dashboard)
        after_png = dashboard.screenshot()
        (shots / f"{name}-{action['control'].removeprefix('cu-')}.png").write_bytes(after_png)
        where = f"{notebook}: {name}: {action['kind']} on {action['control']}"
        if "plot" in action["expect"]:
            assert plot_state(dashboard) != before_src, f"{where}: the plot image did not change"
            difference = pixel_difference(before_png, after_png)
            assert difference > 0.05, f"{where}: the pixels did not change ({difference:.3f})"
        if "readout" in action["expect"]:
            assert readout_state(dashboard) != before_text, f"{where}: the readout did not change"
        if "strip" in action["expect"]:
            assert strips_painted(dashboard) != before_strips, f"{where}: the text strip did not change"
        if "detail" in action["expect"]:
            assert_strip_detail(dashboard, action, where)
        assert not truncated_labels(dashboard), f"{where}: labels cut: {truncated_labels(dashboard)}"
        assert_no_dialog(page, notebook)
        clicks = track_clicks(name, action, clicks)
    # 2. random sequences: the painted image is a fresh render of the final state
    rng = np.random.default_rng(seed)
    for sequence in range(RANDOM_SEQUENCES):
        done = []
        for _ in range(RANDOM_STEPS):
            action = random_action(rng, dashboard, spec)
            perform(dashboard, page, action)
            wait_quiet(page, lab, notebook, dashboard)
            done.append(f"{action['control'].removeprefix('cu-')}={action.get('value')}")
            clicks = track_clicks(name, action, clicks)
        painted = painted_png(dashboard)
        fresh, sent = fresh_render(probe, name, clicks)
        problem = mismatch(painted, fresh)
        if problem:
            for tag, png in (("painted", painted), ("fresh", fresh), ("kernel", sent)):
                (shots / f"{name}-sequence{sequence}-{tag}.png").write_bytes(png)
            transport = "the kernel's last image matches the fresh one" if not mismatch(sent, fresh) else \
                "the kernel's last image is wrong too"
            raise AssertionError(f"{notebook}: {name}: after [{', '.join(done)}] the painted plot is not a "
                                 f"fresh render: {problem}; {transport}")
    # 3. the timed action paints each time (how long a person waits is bench/figures_browser.py's
    # figure, LATENCY_REPEATS times per dashboard; here a few repeats show that it is measurable)
    latency_action = next(a for a in spec if a.get("latency"))
    summary = latency_summary(measure_latency(page, lab, notebook, dashboard, latency_action,
                                              repeats=TEST_LATENCY_REPEATS))
    if latency_action["kind"] == "click" and latency_action["control"] in REPLAY.get(name, ()):
        clicks = clicks + [latency_action["control"]] * TEST_LATENCY_REPEATS
    return dict(summary, action=f"{latency_action['kind']} {latency_action['control']}")


def track_clicks(name: str, action: dict, clicks: list[str]) -> list[str]:
    if action["control"] in RESETS.get(name, ()):
        return ["cu-training-reset"] if action["kind"] == "click" else []
    if action["control"] in REPLAY.get(name, ()):
        return clicks + [action["control"]]
    return clicks


def check_notebook(page, lab: LabServer, notebook: str) -> dict:
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
    latency = exercise_dashboards(page, lab, notebook, shots)
    assert not dialogs, f"{notebook}: browser dialogs {dialogs}"
    record_latency(notebook, latency)
    return latency


def record_latency(notebook: str, latency: dict) -> None:
    """Browser latency per dashboard, kept in test-artifacts/browser/latency.json (bench/ reads
    the same measurement from figures_browser.py)."""
    path = ARTIFACTS / "latency.json"
    known = json.loads(path.read_text()) if path.is_file() else {}
    known.update({name: dict(value, notebook=notebook) for name, value in latency.items()})
    path.write_text(json.dumps(known, indent=1) + "\n")


# -- the tests ----------------------------------------------------------------------------------

DEMO_DASHBOARD = '''
import ipywidgets as widgets
import numpy as np
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class

plot = PlotImage(2.5)
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
        page = browser.new_page(viewport=VIEWPORT)
        assert list(check_notebook(page, server, good.name)) == ["demo"]
        page.close()
        page = browser.new_page(viewport=VIEWPORT)
        with pytest.raises(AssertionError, match="error outputs after Run All"):
            check_notebook(page, server, bad.name)
        page.close()
    finally:
        server.stop()
    assert server.process.poll() is not None


@pytest.mark.slow
@pytest.mark.parametrize("notebook", [p.name for p in LESSONS])
def test_lesson_runs_in_jupyterlab_and_widgets_respond(browser, lab, notebook):
    page = browser.new_page(viewport=VIEWPORT)
    try:
        check_notebook(page, lab, notebook)
    finally:
        page.close()
        # Free the kernel's memory before the next lesson.
        for session in lab.api("sessions"):
            lab.api(f"sessions/{session['id']}", method="DELETE")
