"""bench/run.py: its notebook measurement and its budget verdicts (not the figures themselves)."""

import importlib.util

import nbformat
import pytest

from conftest import ROOT


def load_run():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_budget_verdicts():
    run = load_run()
    assert "ok" in run.verdict("notebook_wall_s[01_perceptron]", 42.0)
    assert "MISSED" in run.verdict("notebook_wall_s[01_perceptron]", 61.0)
    assert "MISSED" in run.verdict("widget_training_update_median_ms", 140.0)
    assert "ok" in run.verdict("browser_gates_median_ms", 180.0)
    assert "MISSED" in run.verdict("browser_gates_median_ms", 260.0)
    assert "ok" in run.verdict("browser_gates_p90_ms", 480.0)
    assert "MISSED" in run.verdict("browser_gates_p90_ms", 510.0)
    assert "ok" in run.verdict("lstm_numpy_vs_torch_ratio[b64_h256_t64]", 0.8)
    assert "MISSED" in run.verdict("lstm_numpy_vs_torch_ratio[b64_h256_t64]", 0.75)
    assert "MISSED" in run.verdict("lstm_numpy_vs_torch_ratio[b64_h256_t64,threads1]", 0.75)
    assert run.verdict("lstm_numpy_vs_torch_ratio[b32_h128_t32,threads1]", 0.7) == ""  # reported only
    assert "MISSED" in run.verdict("notebook_peak_rss_mb[00_word_vectors_recap]", 1100.0)
    assert run.verdict("some_other_figure", 1.0) == ""


def test_markdown_table_lists_budgets():
    run = load_run()
    table = run.markdown_table({"environment": {"date": "d", "cpu": "c", "cores": 2}, "quick": False,
                                "figures": [("notebook_peak_rss_mb[00_x]", 300.0, "MB")]})
    assert "| `notebook_peak_rss_mb[00_x]` | 300 MB | ≤ 1024 MB |" in table


@pytest.mark.slow
def test_execute_notebook_measures_time_and_kernel_memory(tmp_path):
    run = load_run()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nbig = np.ones(40_000_000)  # 320 MB")]
    path = tmp_path / "mem.ipynb"
    nbformat.write(nb, path)
    wall, peak = run.execute_notebook(path)
    assert 0 < wall < 120
    assert peak > 300, "the kernel's peak RSS must include the 320 MB array"


def test_latency_helpers_time_the_call_and_find_controls_by_class():
    import time

    import ipywidgets as widgets

    from course_utils.widgets.common import dashboard

    from widget_latency import find_control, latency_figures, time_calls

    calls = []

    def busy(i):  # about 20 ms of CPU work
        calls.append(i)
        end = time.process_time() + 0.02
        while time.process_time() < end:
            pass

    timing = time_calls(busy, repeats=5, warmup=1)
    assert calls == [0, 0, 1, 2, 3, 4]  # warm-up fn(0), then fn(i) for i in range(repeats)
    assert 15 <= timing["cpu_median_ms"] <= timing["median_ms"] + 5
    assert timing["p90_ms"] >= timing["median_ms"]
    names = [name for name, _, _ in latency_figures("demo", busy, repeats=3)]
    assert names == ["widget_demo_median_ms", "widget_demo_p90_ms", "widget_demo_cpu_ms"]

    slider = widgets.IntSlider()
    slider.add_class("cu-demo-n")
    box = dashboard("demo", [widgets.HBox([widgets.Button(), slider])])
    assert find_control(box, "cu-demo-n") is slider
    with pytest.raises(LookupError, match="cu-demo-missing"):
        find_control(box, "cu-demo-missing")
