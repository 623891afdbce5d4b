"""Grading a class with several workers at once, on a real PostgreSQL gradebook.

A synthetic class of 16 students x 4 assignments (64 submissions: honest, partly wrong, broken
and hostile, among them a vandal and a spy per assignment; tests/grading_class.py) is graded
- serially, with the course's SQLite gradebook: the reference scores;
- by tools/hub/grade_class.py with 4 workers against PostgreSQL (Debian's server, started in a
  temporary folder and stopped by PID): every submission must have exactly one grade row, with
  the reference's scores; every notebook was graded in the sandbox, the sources, releases and
  submissions are byte for byte what they were, the vandal destroyed nothing (files or
  database) and the spy read nothing;
- by two graders at once, one of whose workers is killed in the middle: a rerun completes the
  class, with no grade lost and none duplicated (on ps1's 16 submissions, one of every kind:
  the collision and the kill need no more, and the whole class here would add minutes).
Throughput (submissions per minute for 1, 2 and 4 workers) is measured by
bench/figures_parallel_grading.py, not here.

The cheap checks (SQLite refuses parallel workers; the exchange hardening) run in make test.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from grading_class import class_plan, duplicates, grade_class, scores, write_class
from grading_helpers import is_answer_cell, read_source, secret_lines

from conftest import IN_CI, ROOT
from nbgrader_helpers import copy_course, run_nbgrader

sys.path.insert(0, str(ROOT / "tools" / "hub"))
from postgres import Cluster  # noqa: E402

ROBUSTNESS = ["ps1_perceptron_ffn"]  # every kind of submission once, no runaway loop
SANDBOX_NOTE = "Graded in a sandbox"


def postgres_or_skip():
    try:
        from postgres import pg_binary, service_user

        pg_binary("initdb")
        service_user()
    except RuntimeError as error:
        if IN_CI:
            pytest.fail(f"{error} — required when CI=true")
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def cluster():
    postgres_or_skip()
    # A short path (the socket lives there), open to the postgres account.
    folder = Path(tempfile.mkdtemp(prefix="nsm-pg-", dir="/tmp"))
    folder.chmod(0o755)
    server = Cluster(folder / "pg")
    server.start()
    yield server
    server.stop()
    assert server.pid() is None
    shutil.rmtree(folder, ignore_errors=True)


def new_database(cluster: Cluster, name: str) -> str:
    result = cluster._psql("postgres", f"CREATE DATABASE {name}")
    assert result.returncode == 0, result.stderr
    return cluster.url.replace("/gradebook?", f"/{name}?")


def course_with_class(tmp: Path, plan: dict, db_url: str | None = None) -> Path:
    course = copy_course(tmp)
    if db_url:  # the gradebook on the server: generate_assignment writes the assignments there
        for name in sorted({a for a, _ in plan}):
            run_nbgrader(course, "generate_assignment", name, f"--CourseDirectory.db_url={db_url}")
    write_class(course, plan, db_url)
    return course


def fingerprint(*folders: Path) -> dict[str, str]:
    """sha256 of every file under the folders, by path."""
    return {str(path): hashlib.sha256(path.read_bytes()).hexdigest()
            for folder in folders for path in sorted(folder.rglob("*")) if path.is_file()}


def assert_nothing_was_lost(before: dict, after: dict, course: Path, plan: dict) -> None:
    """Every file is byte for byte what it was, but for what the grader itself does to a
    submission (nbgrader_plugins.repair_submission): a notebook that is not valid JSON is
    graded as the release, the student's bytes kept beside it (.unreadable), and a renamed
    notebook is graded under a copy with its released name."""
    expected_new = set()
    for (assignment, student), kind in plan.items():
        folder = course / "submitted" / student / assignment
        if kind == "invalid-json":
            notebook = str(folder / f"{assignment}.ipynb")
            assert after.pop(notebook + ".unreadable") == before[notebook], (assignment, student)
            after[notebook] = before[notebook]  # replaced by the release: checked just above
        if kind == "renamed":
            expected_new.add(str(folder / f"{assignment}.ipynb"))
    assert set(after) - set(before) == expected_new, "files appeared"
    assert set(before) - set(after) == set(), "files vanished"
    changed = [path for path in before if before[path] != after[path]]
    assert not changed, f"changed by grading: {changed}"


def first_answer_output(course: Path, student: str, assignment: str) -> str:
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb",
                       as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and is_answer_cell(c))
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def assert_the_sandbox_held(course: Path, plan: dict) -> None:
    """Every notebook graded in the sandbox; the vandal changed nothing, the spy read nothing."""
    for (assignment, student), kind in plan.items():
        graded = course / "autograded" / student / assignment / f"{assignment}.ipynb"
        notes = nbformat.read(graded, as_version=4).metadata.get("course_grading", {}).get("notes", [])
        assert [n for n in notes if n.startswith(SANDBOX_NOTE)], (assignment, student, kind, notes)
        if kind not in ("vandal", "spy"):
            continue
        text = first_answer_output(course, student, assignment)
        tried = [line for line in text.splitlines() if line.startswith(("VANDAL ", "SPY "))]
        assert tried, (assignment, student, kind, text[:2000])
        assert not [line for line in tried if " DONE " in line], (assignment, student, tried)
        if kind == "vandal":  # it could not even see the course or the database's socket
            assert [line for line in tried if line.startswith("VANDAL BLOCKED course ")
                    and line.endswith("FileNotFoundError")], tried
            assert [line for line in tried if line.startswith("VANDAL BLOCKED gradebook ")
                    and line.endswith(("FileNotFoundError", "OperationalError"))], tried
        else:
            assert len(tried) == 5 and all(line.endswith("FileNotFoundError") for line in tried), tried
            solution, hidden = secret_lines(read_source(assignment))
            assert not [line for line in solution | hidden if line in text], assignment


@pytest.fixture(scope="module")
def plan():
    return class_plan(students=16)


@pytest.fixture(scope="module")
def reference(plan, tmp_path_factory):
    """The class graded serially with SQLite, as one grader would today."""
    course = course_with_class(tmp_path_factory.mktemp("serial"), plan)
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    result = grade_class(course, 1, db_url)
    assert result.returncode == 0, result.stdout[-4000:]
    return scores(db_url)


@pytest.mark.hub
def test_the_class_is_big_and_mixed(plan, reference):
    assert len(plan) >= 60 and len({a for a, _ in plan}) == 4
    kinds = set(plan.values())
    assert {"honest", "wrong", "partly-wrong", "raises", "loop", "tamper", "invalid-json", "vandal",
            "spy"} <= kinds
    for assignment in {a for a, _ in plan}:
        assert {"vandal", "spy"} <= {k for (a, _), k in plan.items() if a == assignment}
    assert set(reference) == set(plan), "every submission of the serial run has a grade"
    for (assignment, student), kind in plan.items():
        total = sum(v or 0 for v in reference[(assignment, student)].values())
        if kind in ("unsolved", "invalid-json"):
            assert total == 0, (assignment, student, kind)
    for assignment in {a for a, _ in plan}:
        totals = {kind: sum(v or 0 for v in reference[(a, s)].values())
                  for (a, s), kind in plan.items() if a == assignment}
        assert totals["honest"] == max(totals.values()) > 0, (assignment, totals)
        assert totals["wrong"] < totals["honest"] and totals["partial"] < totals["honest"]
        # stopped by the sandbox, the vandal and the spy lose nothing of their honest answers
        assert totals["vandal"] == totals["spy"] == totals["honest"], (assignment, totals)


@pytest.mark.hub
def test_four_workers_on_postgresql_give_the_serial_scores(plan, reference, cluster, tmp_path):
    db_url = new_database(cluster, "parallel")
    course = course_with_class(tmp_path, plan, db_url)
    kept = [course / "source", course / "release", course / "submitted"]
    before = fingerprint(*kept)
    result = grade_class(course, 4, db_url)
    assert result.returncode == 0, result.stdout[-4000:]
    # the vandals (one per assignment, four workers at once) destroyed nothing, the spies saw
    # nothing: the sources, releases and every submission are as they were
    assert_nothing_was_lost(before, fingerprint(*kept), course, plan)
    assert_the_sandbox_held(course, plan)
    assert re.search(r"graded 64 submissions in [\d.]+ s", result.stdout), result.stdout
    workers = set(re.findall(r"worker (\d): pid \d+", result.stdout))
    assert workers == {"0", "1", "2", "3"}
    assert scores(db_url) == reference
    assert duplicates(db_url) == []
    # one row per submission in the export, with the serial run's total
    run_nbgrader(course, "export", f"--CourseDirectory.db_url={db_url}")
    with open(course / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["assignment"], r["student_id"]) for r in rows) == sorted(plan)
    for r in rows:
        expected = sum(v or 0 for v in reference[(r["assignment"], r["student_id"])].values())
        assert float(r["raw_score"]) == pytest.approx(expected), r
    print(result.stdout.strip().splitlines()[-1])


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.hub
def test_two_graders_at_once_and_a_killed_worker_then_a_rerun_completes(plan, reference, cluster,
                                                                        tmp_path):
    subset = {key: kind for key, kind in plan.items() if key[0] in ROBUSTNESS}
    db_url = new_database(cluster, "robust")
    course = course_with_class(tmp_path, subset, db_url)
    # Two graders start on the same class at the same moment, two workers each.
    graders = [grade_class(course, 2, db_url, wait=False) for _ in range(2)]
    # Kill a worker of the one at work, once it is in the middle of grading.
    autograded = course / "autograded"
    deadline = time.monotonic() + 900
    while not (autograded.is_dir() and len(list(autograded.glob("*/*/*.ipynb"))) >= 3
               and any(children(g.pid) for g in graders)):
        assert time.monotonic() < deadline, "nothing was graded"
        time.sleep(0.5)
    working, waiting = sorted(graders, key=lambda g: -len(children(g.pid)))
    victim = children(working.pid)[0]
    os.killpg(victim, signal.SIGKILL)  # its own process group: nbgrader and its kernel
    out_working, _ = working.communicate(timeout=1800)
    out_waiting, _ = waiting.communicate(timeout=1800)
    print(out_working[-1500:], out_waiting[-1500:], sep="\n")
    assert f"pid {victim}: nbgrader autograde" in out_working
    assert "(exit -9)" in out_working, "the killed worker is reported"
    assert "another grader is at work on this course" in out_waiting
    # Whatever the collision and the kill left, a rerun completes the class.
    rerun = grade_class(course, 2, db_url)
    assert rerun.returncode == 0, rerun.stdout[-4000:]
    # the second grader had already graded what the kill left: nothing to do
    assert f"grade_class: 0 of {len(subset)} submissions to grade" in rerun.stdout, rerun.stdout
    final = scores(db_url)
    assert set(final) == set(subset), "a submission was lost"
    assert {key: final[key] for key in subset} == {key: reference[key] for key in subset}
    assert duplicates(db_url) == []
    # and every submitted notebook has its autograded copy
    for (assignment, student), kind in subset.items():
        folder = course / "autograded" / student / assignment
        assert (folder / f"{assignment}.ipynb").is_file(), (assignment, student, kind)


def test_parallel_workers_refuse_a_sqlite_gradebook(tmp_path):
    course = copy_course(tmp_path)
    result = grade_class(course, 2, f"sqlite:///{course / 'gradebook.db'}")
    assert result.returncode != 0
    assert "--workers 2 needs a database server" in result.stdout + result.stderr
