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
    assert "ok" in run.verdict("lstm_numpy_vs_torch_ratio[b64_h256_t64]", 0.8)
    assert "MISSED" in run.verdict("lstm_numpy_vs_torch_ratio[b64_h256_t64]", 0.5)
    assert run.verdict("some_other_figure", 1.0) == ""


def test_markdown_table_lists_budgets():
    run = load_run()
    table = run.markdown_table({"environment": {"date": "d", "cpu": "c", "cores": 2}, "quick": False,
                                "figures": [("notebook_peak_rss_mb[00_x]", 300.0, "MB")]})
    assert "| `notebook_peak_rss_mb[00_x]` | 300 MB | ≤ 1536 MB |" in table


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
