"""Browser figures: how long a person waits, in JupyterLab in Chromium, for a dashboard's new picture.

    .venv/bin/python bench/figures_browser.py            (quick: lesson 01 only)
    .venv/bin/python bench/figures_browser.py 04 06 07   (the lessons named by number)
    .venv/bin/python bench/run.py --only browser         (every lesson)

For each lesson: JupyterLab (tests/browser_lab.py's LabServer) in headless Chromium at
1400 × 1000, Run All, then for every dashboard its main action (tests/browser_lab.py's
DASHBOARD_ACTIONS, the one marked "latency": a key on a slider, a click, an option) repeated
LATENCY_REPEATS times. Each time is measured in the page, from the keydown, pointerdown or change
event to the first frame painted after the plot's <img> has its new source decoded:

    browser_<dashboard>_median_ms, browser_<dashboard>_p90_ms    the wait
    browser_<dashboard>_to_image_ms     median time until the new image arrives (the kernel's
                                        update and the round trip): the rest is decoding and paint
    browser_load_1min                   the machine's load average during the run (the figures
                                        are only comparable when it is low)

The in-kernel figures (widget_*_median_ms, in the other modules) time the same updates without a
browser. Needs Chromium (COURSE_CHROMIUM or /usr/bin/chromium); without it the module reports an
error and no figures.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_lab import (  # noqa: E402
    CHROMIUM,
    DASHBOARD_ACTIONS,
    LabServer,
    dashboard_name,
    latency_summary,
    launch_chromium,
    measure_latency,
    open_notebook,
    run_all,
    wait_quiet,
)

VIEWPORT = {"width": 1400, "height": 1000}


def lesson_latency(browser, server, notebook: str) -> dict:
    """{dashboard: latency_summary} for every dashboard of one lesson."""
    page = browser.new_page(viewport=VIEWPORT)
    results = {}
    try:
        open_notebook(page, server, notebook)
        run_all(page, server, notebook)
        dashboards = page.locator(".jp-NotebookPanel:visible .cu-dashboard")
        for index in range(dashboards.count()):
            dashboard = dashboards.nth(index)
            name = dashboard_name(dashboard)
            action = next(a for a in DASHBOARD_ACTIONS[name] if a.get("latency"))
            dashboard.scroll_into_view_if_needed()
            wait_quiet(page, server, notebook, dashboard)
            results[name] = latency_summary(measure_latency(page, server, notebook, dashboard, action))
    finally:
        page.close()
        for session in server.api("sessions"):   # free the kernel before the next lesson
            server.api(f"sessions/{session['id']}", method="DELETE")
    return results


def figures(quick: bool, numbers: list[str] | None = None) -> list[tuple[str, float, str]]:
    """Every lesson's dashboards; `quick`: lesson 01's only; `numbers` ("04", ...): those lessons'."""
    if not CHROMIUM.is_file():
        raise RuntimeError(f"browser figures need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if numbers or quick:
        wanted = numbers or ["01"]
        lessons = [p for p in lessons if p.name[:2] in wanted]
        if len(lessons) != len(wanted):
            raise ValueError(f"figures_browser: lessons must be numbers of notebooks/ (\"04\"), got {wanted}")
    results, loads = [], []
    with tempfile.TemporaryDirectory() as workdir:
        server = LabServer(Path(workdir), lessons).start()
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    for lesson in lessons:
                        for name, summary in lesson_latency(browser, server, lesson.name).items():
                            results += [(f"browser_{name}_median_ms", summary["median_ms"], "ms"),
                                        (f"browser_{name}_p90_ms", summary["p90_ms"], "ms"),
                                        (f"browser_{name}_to_image_ms", summary["to_image_median_ms"], "ms")]
                            loads.append(summary["load"])
                finally:
                    browser.close()
        finally:
            server.stop()
    results.append(("browser_load_1min", max(loads) if loads else os.getloadavg()[0], ""))
    return results


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True, numbers=sys.argv[1:])]
