"""Measure every budget and comparison of the course; print `name: value unit` lines.

    .venv/bin/python bench/run.py [--quick] [--corpus PATH] [--only SUBSTRING] [--markdown]

- Notebook figures: wall time and peak memory (the kernel process's peak resident set,
  VmHWM) of executing each lesson and each assignment source top to bottom on a fresh kernel.
- Every `bench/figures_*.py` module contributes its own figures through
  `figures(quick: bool[, corpus: str | None]) -> [(name, value, unit), ...]`: widget update
  latency (in the kernel, and in JupyterLab in Chromium from key press to painted picture:
  figures_browser.py), NumPy-vs-torch throughput and agreement, LM quality per wall-clock
  budget, autograding time.

Results go to bench/results.json with the date, CPU model and package versions. `--quick`
runs a reduced set (no notebook execution, shorter budgets) in under two minutes.
Timings on a shared machine are noisy: modules repeat their measurements and report medians,
and comparisons are ratios measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import inspect
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

# The course's budgets on a 2-core CPU machine (README, "Performance"), keyed by the figure names
# that measure them. 1.0 GB of kernel memory: Binder gives about 2 GB, and two open lessons and
# the server must fit.
BUDGETS = {
    "notebook_wall_s": ("≤", 60.0, "s", "one lesson notebook, executed"),
    "notebooks_total_wall_s": ("≤", 300.0, "s", "the whole series and all assignment sources"),
    "notebook_peak_rss_mb": ("≤", 1024.0, "MB", "peak memory of one notebook kernel"),
    "widget_update_median_ms": ("≤", 100.0, "ms", "widget update (median)"),
    "browser_update_median_ms": ("≤", 250.0, "ms", "key press to new picture in the browser (median)"),
    "browser_update_p90_ms": ("≤", 500.0, "ms", "key press to new picture in the browser (90th percentile)"),
    # At the size the budget names (batch 64, hidden 256, 64 steps); other sizes are reported.
    "lstm_numpy_vs_torch_ratio": ("≥", 0.8, "×", "NumPy LSTM (fast kernel) vs torch.nn.LSTM training "
                                  "throughput, batch 64, hidden 256, 64 steps"),
    "autograde_s": ("≤", 15.0, "s", "autograding one submission"),
}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    versions = {}
    for name in ["numpy", "torch", "matplotlib", "ipywidgets", "scipy", "gensim", "nbgrader"]:
        try:
            versions[name] = __import__(name).__version__
        except Exception:  # a missing package is reported, not fatal
            versions[name] = "missing"
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
    }


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def execute_notebook(path: Path) -> tuple[float, float]:
    """(wall seconds, kernel peak RSS MB) of running a notebook on a fresh kernel."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    peak = float("nan")
    start = time.perf_counter()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        wall = time.perf_counter() - start
        peak = peak_rss_mb(pid)
    return wall, peak


def notebook_paths() -> list[Path]:
    lessons = sorted((ROOT / "notebooks").glob("*.ipynb"))
    sources = sorted((ROOT / "assignments" / "source").glob("*/*.ipynb"))
    return lessons + sources


def notebook_figures(repeats: int) -> list[tuple[str, float, str]]:
    results = []
    total = 0.0
    # The offline path, as the tests run it (no download, an empty cache): lesson 00 would
    # otherwise time a GloVe download or load.
    cache = tempfile.TemporaryDirectory(prefix="course-utils-cache-")
    os.environ.update(COURSE_UTILS_OFFLINE="1", COURSE_UTILS_CACHE=cache.name)
    for path in notebook_paths():
        walls, peaks = [], []
        for _ in range(repeats):
            wall, peak = execute_notebook(path)
            walls.append(wall)
            peaks.append(peak)
        name = path.stem
        wall = statistics.median(walls)
        total += wall
        results.append((f"notebook_wall_s[{name}]", wall, "s"))
        results.append((f"notebook_peak_rss_mb[{name}]", max(peaks), "MB"))
    results.append(("notebooks_total_wall_s", total, "s"))
    cache.cleanup()
    return results


def figure_modules() -> list[Path]:
    return sorted(BENCH.glob("figures_*.py"))


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_figures(path: Path, quick: bool, corpus: str | None) -> list[tuple[str, float, str]]:
    module = load_module(path)
    kwargs = {"quick": quick}
    if "corpus" in inspect.signature(module.figures).parameters:
        kwargs["corpus"] = corpus
    return [(str(n), float(v), str(u)) for n, v, u in module.figures(**kwargs)]


def budget_key(name: str) -> str:
    """`notebook_wall_s[01_perceptron]` -> `notebook_wall_s`; widget medians share one budget."""
    base = name.split("[", 1)[0]
    if base.startswith("widget_") and base.endswith("_median_ms"):
        return "widget_update_median_ms"
    if base.startswith("browser_") and base.endswith("_median_ms"):
        return "browser_update_median_ms"
    if base.startswith("browser_") and base.endswith("_p90_ms"):
        return "browser_update_p90_ms"
    if base.startswith("lstm_numpy_vs_torch_ratio"):
        return "lstm_numpy_vs_torch_ratio" if "[b64_h256_t64" in name else base + "[other sizes]"
    if base.startswith("autograde_s"):
        return "autograde_s"
    return base


def verdict(name: str, value: float) -> str:
    key = budget_key(name)
    if key not in BUDGETS:
        return ""
    op, limit, _, _ = BUDGETS[key]
    ok = value <= limit if op == "≤" else value >= limit
    return f"  (budget {op} {limit:g}: {'ok' if ok else 'MISSED'})"


def markdown_table(results: dict) -> str:
    lines = [f"Measured {results['environment']['date']} on {results['environment']['cpu']} "
             f"({results['environment']['cores']} cores), `bench/run.py`"
             f"{' --quick' if results['quick'] else ''}.", "",
             "| figure | measured | budget |", "|---|---|---|"]
    for name, value, unit in results["figures"]:
        key = budget_key(name)
        budget = ""
        if key in BUDGETS:
            op, limit, budget_unit, _ = BUDGETS[key]
            budget = f"{op} {limit:g} {budget_unit}"
        lines.append(f"| `{name}` | {value:.4g} {unit} | {budget} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="reduced set, under two minutes")
    parser.add_argument("--corpus", help="also measure LM quality on this text file")
    parser.add_argument("--only", default="",
                        help="run only figure modules whose name contains this (several: a,b)")
    parser.add_argument("--no-notebooks", action="store_true", help="skip notebook execution")
    parser.add_argument("--notebook-repeats", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table at the end")
    parser.add_argument("--output", default=str(BENCH / "results.json"))
    args = parser.parse_args(argv)
    if args.corpus and not Path(args.corpus).is_file():
        parser.error(f"--corpus: no such file: {args.corpus}")

    os.environ.setdefault("MPLBACKEND", "Agg")
    results = {"environment": environment(), "quick": args.quick, "figures": [], "errors": []}
    started = time.perf_counter()

    def emit(figures):
        for name, value, unit in figures:
            results["figures"].append((name, value, unit))
            print(f"{name}: {value:.4g} {unit}{verdict(name, value)}", flush=True)

    if not (args.quick or args.no_notebooks or args.only):
        emit(notebook_figures(args.notebook_repeats))
    for path in figure_modules():
        if args.only and not any(part and part in path.stem for part in args.only.split(",")):
            continue
        try:
            module_start = time.perf_counter()
            emit(module_figures(path, args.quick, args.corpus))
            emit([(f"bench_module_s[{path.stem}]", time.perf_counter() - module_start, "s")])
        except Exception:
            error = traceback.format_exc()
            results["errors"].append({"module": path.name, "traceback": error})
            print(f"ERROR in {path.name}:\n{error}", file=sys.stderr, flush=True)

    results["wall_s"] = time.perf_counter() - started
    print(f"bench_wall_s: {results['wall_s']:.4g} s")
    Path(args.output).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    if args.markdown:
        print()
        print(markdown_table(results))
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
