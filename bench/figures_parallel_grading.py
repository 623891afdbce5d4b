"""Grading throughput of a class: submissions per minute for 1, 2 and 4 workers.

The synthetic class of tests/grading_class.py (16 students x 4 assignments: honest, wrong,
broken and hostile submissions; one 40 s runaway loop among them) is graded by
tools/hub/grade_class.py, in a fresh copy of the course each time:
- 1 worker with the course's SQLite gradebook (what one grader does today);
- 1, 2 and 4 workers with a PostgreSQL gradebook (Debian's server, private, stopped by PID).
The machine's load average is reported with each run: on a shared machine other work takes
cores away from the graders. `--quick`: 4 students (16 submissions), 1 and 2 workers.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools" / "hub"))


def graded_per_minute(output: str) -> float:
    match = re.search(r"graded (\d+) submissions in ([\d.]+) s", output)
    if not match:
        raise RuntimeError(f"grade_class did not report its throughput:\n{output[-2000:]}")
    return 60 * int(match[1]) / float(match[2])


def one_run(plan: dict, workers: int, cluster=None) -> tuple[float, float]:
    """(submissions per minute, mean load average during the run)."""
    from grading_class import grade_class, write_class

    from nbgrader_helpers import copy_course, run_nbgrader

    with tempfile.TemporaryDirectory() as tmp:
        course = copy_course(Path(tmp))
        if cluster is None:
            db_url = f"sqlite:///{course / 'gradebook.db'}"
        else:
            name = f"bench_{workers}_{int(time.time() * 1000) % 10**9}"
            created = cluster._psql("postgres", f"CREATE DATABASE {name}")
            if created.returncode != 0:
                raise RuntimeError(created.stderr)
            db_url = cluster.url.replace("/gradebook?", f"/{name}?")
            for assignment in sorted({a for a, _ in plan}):
                run_nbgrader(course, "generate_assignment", assignment, f"--CourseDirectory.db_url={db_url}")
        write_class(course, plan)
        load_before = os.getloadavg()[0]
        result = grade_class(course, workers, db_url)
        load_after = os.getloadavg()[0]
        if result.returncode != 0:
            raise RuntimeError(f"grade_class failed:\n{result.stdout[-3000:]}")
        return graded_per_minute(result.stdout), (load_before + load_after) / 2


def figures(quick: bool = False):
    from grading_class import class_plan
    from postgres import Cluster

    plan = class_plan(students=4 if quick else 16)
    worker_counts = [1, 2] if quick else [1, 2, 4]
    out = [("parallel_grading_submissions", float(len(plan)), "submissions"),
           ("parallel_grading_cores", float(os.cpu_count() or 1), "cores")]
    rate, load = one_run(plan, 1)
    out += [("grading_sqlite_1_worker_per_min", rate, "submissions/min"),
            ("grading_sqlite_1_worker_load", load, "load avg")]
    folder = Path(tempfile.mkdtemp(prefix="nsm-pg-", dir="/tmp"))
    folder.chmod(0o755)
    cluster = Cluster(folder / "pg")
    cluster.start()
    try:
        for workers in worker_counts:
            rate, load = one_run(plan, workers, cluster)
            out += [(f"grading_postgres_{workers}_workers_per_min", rate, "submissions/min"),
                    (f"grading_postgres_{workers}_workers_load", load, "load avg")]
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return out


if __name__ == "__main__":
    for name, value, unit in figures(quick="--quick" in sys.argv):
        print(f"{name}: {value:.2f} {unit}")
