"""Autograding time per submission, for every assignment (budget: ≤ 15 s per submission).

In a temporary copy of the course root, each assignment is generated and its source notebook
submitted by several students; one `nbgrader autograde <assignment>` grades them all, with
the course's own configuration (the bubblewrap sandbox, resource caps, per-cell timeout).
nbgrader's log, with millisecond timestamps, gives each submission's time from the
pre-convert hook to its autograded notebook being written: sanitizing, a fresh sandbox and
kernel, every cell including the hidden tests, and saving the grades. The median over the
students is the figure; the max is reported too. The same submissions are then graded again
without the sandbox (`--force --GradingExecute.sandbox=off`). On a shared machine two such
runs differ by more than the sandbox costs, so the sandbox's overhead is measured apart:
`GradingExecute` runs a one-cell notebook (imports numpy and course_utils) with the sandbox
on and off, alternately, several times; the difference of the medians is what the sandbox adds
to each notebook (its scratch copy, bwrap's namespaces, the kernel's start behind them). One
more figure times the whole command for a single submission, as an instructor regrading one
student sees it (the command's start-up included).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
LOG_FORMAT = "--Application.log_format=%(asctime)s.%(msecs)03d %(levelname)s %(message)s"
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) \w+ (.*)$")


def assignments() -> list[str]:
    return sorted(p.name for p in (COURSE / "source").iterdir()
                  if (p / f"{p.name}.ipynb").is_file())


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(course / ".jupyter-config"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result


def per_submission_seconds(log: str) -> list[float]:
    """Start (pre-convert hook) to end (permissions of the autograded files) of each one."""
    starts, ends = [], []
    for line in log.splitlines():
        match = STAMP.match(line)
        if not match:
            continue
        when = dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S").timestamp() + int(match[2]) / 1000
        if match[3].startswith("Running pre-convert hook"):
            starts.append(when)
        elif match[3].startswith("Setting destination file permissions"):
            ends.append(when)
    if not starts or len(starts) != len(ends):
        raise RuntimeError("could not find each submission's start and end in nbgrader's log")
    return [end - start for start, end in zip(starts, ends, strict=True)]


def figures(quick: bool) -> list[tuple[str, float, str]]:
    names = assignments()[:1] if quick else assignments()
    students = 2 if quick else 5
    results = []
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(
            "release", "submitted", "autograded", "feedback", ".exchange", "gradebook.db",
            ".ipynb_checkpoints", "__pycache__"))
        for name in names:
            nbgrader(course, "generate_assignment", name)
            for number in range(students):
                folder = course / "submitted" / f"student{number}" / name
                folder.mkdir(parents=True)
                shutil.copy(COURSE / "source" / name / f"{name}.ipynb", folder)
            log = nbgrader(course, "autograde", name, LOG_FORMAT).stderr
            seconds = per_submission_seconds(log)
            results.append((f"autograde_s[{name}]", statistics.median(seconds), "s"))
            results.append((f"autograde_max_s[{name}]", max(seconds), "s"))
            log = nbgrader(course, "autograde", name, LOG_FORMAT, "--force",
                           "--GradingExecute.sandbox=off").stderr
            unsandboxed = statistics.median(per_submission_seconds(log))
            results.append((f"autograde_unsandboxed_s[{name}]", unsandboxed, "s"))
        if not quick:  # the whole command for one student: Python start-up, database, kernel
            start = time.perf_counter()
            nbgrader(course, "autograde", names[0], "--force", "--student", "student0")
            results.append((f"autograde_command_one_submission_s[{names[0]}]",
                            time.perf_counter() - start, "s"))
    return results + sandbox_overhead(repeats=3 if quick else 7)


def sandbox_overhead(repeats: int) -> list[tuple[str, float, str]]:
    """Seconds to run a one-cell notebook through GradingExecute, sandbox on and off."""
    sys.path.insert(0, str(COURSE))
    import nbgrader_plugins  # beside nbgrader_config.py, which puts it on the path for nbgrader

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy\nimport course_utils")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    seconds = {"on": [], "off": []}
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as folder:
        for _ in range(repeats):
            for mode in seconds:
                executor = nbgrader_plugins.GradingExecute(sandbox=mode)
                start = time.perf_counter()
                graded, _ = executor.preprocess(nbformat.from_dict(nb), {"metadata": {"path": folder}})
                seconds[mode].append(time.perf_counter() - start)
                if any(o.output_type == "error" for o in graded.cells[0].outputs):
                    raise RuntimeError(f"the one-cell notebook failed with the sandbox {mode}")
    on, off = (statistics.median(seconds[mode]) for mode in ("on", "off"))
    return [("grading_notebook_s[sandboxed]", on, "s"), ("grading_notebook_s[unsandboxed]", off, "s"),
            ("sandbox_overhead_s", on - off, "s")]


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True)]
