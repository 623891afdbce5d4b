"""The nbgrader round trip, end to end, on a temporary copy of the course.

What docs/instructors.md tells an instructor to run is what these tests run: generate the
assignments; grade the source as a submission (full marks) and the unchanged release (zero);
grade a batch of hostile submissions that must each get a score and a clear message without
disturbing anyone else; run the whole exchange loop with students in their own HOMEs; export.
"""

import csv
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import nbformat
import pytest
from grading_helpers import (
    assignment_names,
    cell_by_id,
    expected_values,
    filled_release,
    html_text,
    is_test_cell,
    nbgrader_meta,
    read_source,
    secret_lines,
)
from nbgrader.api import Gradebook

from nbgrader_helpers import copy_course, run_nbgrader

pytestmark = pytest.mark.slow

PS1 = "ps1_perceptron_ffn"
# A quick per-cell time limit for the batch (the config's 180 s is sized for training cells).
QUICK_TIMEOUT = "--Execute.timeout=10"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A course copy in which every assignment has been generated (release/ + gradebook)."""
    course = copy_course(tmp_path_factory.mktemp("released"))
    for name in assignment_names():
        run_nbgrader(course, "generate_assignment", name)
    return course


def clone(released, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released, course)
    return course


def read_release(course, name):
    return nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)


def submit_directly(course, student, name, nb=None, raw=None, filename=None):
    """What `nbgrader collect` leaves behind: submitted/<student>/<assignment>/<notebook>."""
    folder = course / "submitted" / student / name
    folder.mkdir(parents=True)
    path = folder / (filename or f"{name}.ipynb")
    if raw is not None:
        path.write_text(raw, encoding="utf-8")
    else:
        nbformat.write(nb, path)
    (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")


def cell_scores(course, name, student):
    """{grade cell id: (score, max_score, needs_manual_grade)} from the gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission_notebook(name, name, student)
        return {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in submission.grades}


def autograded_max(nb):
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
            for c in nb.cells if is_test_cell(c)}


# ---- 1. generate_assignment: the release has no solution and no hidden test -----------------

def test_every_release_has_stubs_and_visible_tests_but_no_secrets(released):
    for name in assignment_names():
        source, release = read_source(name), read_release(released, name)
        text = (released / "release" / name / f"{name}.ipynb").read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text
        solution, hidden = secret_lines(source)
        assert solution and hidden, f"{name}: a source without solutions or hidden tests?"
        assert not [line for line in solution | hidden if line in text]
        assert not [value for value in expected_values(name) if value in text]
        # every test cell is released, locked, with its points and its visible part
        for cell in source.cells:
            if is_test_cell(cell):
                released_cell = cell_by_id(release, nbgrader_meta(cell)["grade_id"])
                assert nbgrader_meta(released_cell)["points"] == nbgrader_meta(cell)["points"]
                assert nbgrader_meta(released_cell)["locked"]
                assert "assert " in released_cell.source, "visible tests give feedback while working"


# ---- 2 + 3. full marks, zero, and the hostile batch -----------------------------------------

IGNORE_INTERRUPT_AND_LOOP = ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                             "while True:\n    pass")


def hostile_submissions(source, release):
    """student id -> (notebook or raw text, file name, test cells expected to score 0, message)."""
    good = filled_release(source, release)

    def edit(changes, drop=()):
        nb = filled_release(source, release)
        for grade_id, text in changes.items():
            cell_by_id(nb, grade_id).source = text
        nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") not in drop]
        return nb

    solution = {nbgrader_meta(c).get("grade_id"): c.source for c in source.cells}
    all_tests = set(autograded_max(source))
    raw = nbformat.writes(good)  # then cut in half, as by an interrupted upload
    return {
        "solution": (source, None, set(), "Score"),
        "unchanged-release": (release, None, all_tests, "NotImplementedError"),
        "answer-raises": (edit({"elu_forward": "def elu_forward(z, alpha=1.0):\n"
                                               "    raise ValueError('my bug: alpha is wrong')"}),
                          None, {"test_elu_forward", "test_elu_backward"},
                          "ValueError: my bug: alpha is wrong"),
        "loop-top-level": (edit({"elu_forward": "while True:\n    pass"}),
                           None, {"test_elu_forward", "test_elu_backward"}, "CellTimeoutError"),
        "loop-in-function": (edit({"neuron_loss_and_grads":
                                   "def neuron_loss_and_grads(w, b, X, y):\n"
                                   "    while True:\n        pass"}),
                             None, {"test_neuron"}, "CellTimeoutError"),
        "loop-ignoring-interrupt": (edit({"sgd_momentum_step": IGNORE_INTERRUPT_AND_LOOP}),
                                    None, {"test_momentum"}, "did not respond to the interrupt"),
        "edited-test": (edit({"multilabel_loss_and_grads":
                              "def multilabel_loss_and_grads(params, X, Y):\n"
                              "    return 0.0, {k: np.zeros_like(v) for k, v in params.items()}",
                              "test_multilabel": "print('all tests passed')"}),
                        None, {"test_multilabel"}, "is locked, but your notebook changed it"),
        "deleted-test": (edit({"sgd_momentum_step": "def sgd_momentum_step(params, grads, velocity, "
                                                    "lr, momentum):\n    return params, velocity"},
                              drop={"test_momentum"}),
                         None, {"test_momentum"}, "was missing from your notebook"),
        "kernel-exit": (edit({"sgd_momentum_step": "import os\nos._exit(1)\n"
                                                   + solution["sgd_momentum_step"]}),
                        None, {"test_momentum"}, "the Python kernel stopped"),
        "huge-output": (edit({"neuron_loss_and_grads": "for i in range(300_000):\n"
                                                       "    print(f'debug line {i}: all good')\n"
                                                       + solution["neuron_loss_and_grads"]}),
                        None, set(), "output truncated by the grader"),
        "memory-hog": (edit({"multilabel_loss_and_grads":
                             "def multilabel_loss_and_grads(params, X, Y):\n"
                             "    blocks = []\n"
                             "    while True:  # far beyond the machine's memory, 256 MiB at a time\n"
                             "        blocks.append(np.ones(2**25))"}),
                       None, {"test_multilabel"}, "MemoryError"),
        "invalid-json": (raw[: len(raw) // 2], None, all_tests, "could not be read"),
        "renamed": (good, f"{PS1} (1).ipynb", set(), "it was graded as"),
    }


@pytest.fixture(scope="module")
def hostile_batch(released, tmp_path_factory):
    course = clone(released, tmp_path_factory.mktemp("hostile"))
    source, release = read_source(PS1), read_release(course, PS1)
    cases = hostile_submissions(source, release)
    for student, (content, filename, _, _) in cases.items():
        if isinstance(content, str):
            submit_directly(course, student, PS1, raw=content, filename=filename)
        else:
            submit_directly(course, student, PS1, nb=content, filename=filename)
    start = time.perf_counter()
    result = run_nbgrader(course, "autograde", PS1, QUICK_TIMEOUT)
    seconds = time.perf_counter() - start
    run_nbgrader(course, "generate_feedback", PS1)
    run_nbgrader(course, "export")
    return course, cases, result, seconds


def test_the_batch_finishes_and_every_submission_gets_a_score(hostile_batch):
    course, cases, result, seconds = hostile_batch
    assert result.returncode == 0
    assert "There was an error processing assignment" not in result.stdout + result.stderr
    source = read_source(PS1)
    maximum = autograded_max(source)
    for student, (_, _, zero, _) in cases.items():
        scores = cell_scores(course, PS1, student)
        for cell, points in maximum.items():
            expected = 0.0 if cell in zero else points
            assert scores[cell][0] == expected, f"{student}: {cell} scored {scores[cell][0]}"
        assert (course / "autograded" / student / PS1 / f"{PS1}.ipynb").is_file()
    print(f"autograde of {len(cases)} submissions: {seconds:.1f} s")


def test_export_has_one_row_per_student_with_the_expected_total(hostile_batch):
    course, cases, _, _ = hostile_batch
    maximum = autograded_max(read_source(PS1))
    with open(course / "grades.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["assignment"] == PS1]
    assert sorted(row["student_id"] for row in rows) == sorted(cases)
    for row in rows:
        zero = cases[row["student_id"]][2]
        expected = sum(points for cell, points in maximum.items() if cell not in zero)
        assert float(row["score"]) == expected, row
        assert float(row["max_score"]) == 20.0


def test_source_scores_full_marks_and_leaves_the_written_answer_to_a_human(hostile_batch):
    course, _, _, _ = hostile_batch
    scores = cell_scores(course, PS1, "solution")
    manual = [cell for cell, (_, _, needs) in scores.items() if needs]
    assert manual == ["q5_answer"]
    unchanged = cell_scores(course, PS1, "unchanged-release")
    assert all(score == 0 and not needs for score, _, needs in unchanged.values())


def test_every_feedback_says_what_happened(hostile_batch):
    course, cases, _, _ = hostile_batch
    for student, (_, _, _, message) in cases.items():
        page = course / "feedback" / student / PS1 / f"{PS1}.html"
        assert page.is_file(), f"no feedback for {student}"
        text = html_text(page)
        assert message in text, f"{student}: feedback does not say {message!r}"
    killed = html_text(course / "feedback" / "kernel-exit" / PS1 / f"{PS1}.html")
    assert "NotRun: this cell was not run because the kernel stopped" in killed
    # the unreadable file is kept for the instructor, and the flood did not reach the page
    assert (course / "submitted" / "invalid-json" / PS1 / f"{PS1}.ipynb.unreadable").is_file()
    flood = course / "feedback" / "huge-output" / PS1 / f"{PS1}.html"
    assert flood.stat().st_size < 2_000_000


def test_no_feedback_leaks_hidden_tests_solutions_or_expected_values(hostile_batch):
    course, cases, _, _ = hostile_batch
    solution, hidden = secret_lines(read_source(PS1))
    values = expected_values(PS1)
    assert len(values) > 100
    for student in cases:
        text = html_text(course / "feedback" / student / PS1 / f"{PS1}.html")
        assert "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}: hidden-test code in feedback: {leaked}"
        leaked = [value for value in values if value in text]
        assert not leaked, f"{student}: expected values of hidden tests in feedback: {leaked[:5]}"
        if student in ("unchanged-release", "invalid-json"):
            assert not [line for line in solution if line in text]


# ---- 4 + 5. the exchange loop, students in their own HOMEs, and export ----------------------

def in_parallel(calls):
    """Independent students act at the same time (as on a hub); wait for all, re-raise any."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        for future in [pool.submit(call) for call in calls]:
            future.result()


def as_student(home, *args):
    """A student's command: run in their HOME, with their own Jupyter config."""
    return run_nbgrader(home, *args, home=home)


def test_exchange_loop_with_students_in_their_own_homes(released, tmp_path):
    course = clone(released, tmp_path)
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    instructor = {"NBGRADER_EXCHANGE": str(exchange)}
    run_nbgrader(course, "release_assignment", PS1, env=instructor)

    source = read_source(PS1)
    homes = {}
    for student in ("alice", "carol"):
        home = tmp_path / "home" / student
        (home / ".jupyter-config").mkdir(parents=True)
        # What a JupyterHub admin puts in /etc/jupyter/nbgrader_config.py for every student;
        # the student id line only because one OS user plays three students here (on a hub
        # each student is an OS user and nbgrader takes the id from the login).
        (home / ".jupyter-config" / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            "c.CourseDirectory.course_id = 'neural-seq-models'\n"
            f"c.Exchange.root = {str(exchange)!r}\n"
            f"c.CourseDirectory.student_id = {student!r}\n")
        homes[student] = home
    in_parallel([partial(as_student, home, "fetch_assignment", PS1) for home in homes.values()])

    def work(student, edit):
        path = homes[student] / PS1 / f"{PS1}.ipynb"
        nb = nbformat.read(path, as_version=4)
        edit(nb)
        nbformat.write(nb, path)

    def alice(nb):  # every code answer right, and a written answer
        nb.cells = filled_release(source, nb).cells
        cell_by_id(nb, "q5_answer").source = ("A dead ReLU never has z > 0, so its gradient is "
                                              "always zero; ELU's slope α eᶻ is never zero.")

    def carol(nb):  # only parts 1a and 4
        for grade_id in ("elu_forward", "sgd_momentum_step"):
            cell_by_id(nb, grade_id).source = cell_by_id(source, grade_id).source

    work("alice", alice)
    work("carol", carol)
    in_parallel([partial(as_student, home, "submit", PS1) for home in homes.values()])

    run_nbgrader(course, "collect", PS1, env=instructor)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "carol"]
    run_nbgrader(course, "autograde", PS1, env=instructor)

    # the formgrader's job, done through the same gradebook: a human grades the written answer
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade("q5_answer", PS1, PS1, "alice")
        assert grade.needs_manual_grade
        grade.manual_score = 3
        gb.db.commit()

    run_nbgrader(course, "generate_feedback", PS1, env=instructor)
    run_nbgrader(course, "release_feedback", PS1, env=instructor)
    in_parallel([partial(as_student, home, "fetch_feedback", PS1) for home in homes.values()])
    for student, home in homes.items():
        pages = list((home / PS1 / "feedback").rglob(f"{PS1}.html"))
        assert len(pages) == 1, f"{student} did not receive feedback"
        assert "BEGIN HIDDEN TESTS" not in pages[0].read_text(encoding="utf-8")

    run_nbgrader(course, "export", env=instructor)
    with open(course / "grades.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["assignment"] == PS1]
    totals = {row["student_id"]: float(row["score"]) for row in rows}
    assert len(rows) == 2, "one row per student"
    assert totals == {"alice": 20.0, "carol": 5.0}
    assert {float(row["max_score"]) for row in rows} == {20.0}


# ---- every assignment: the source scores full marks, the release zero ----------------------

@pytest.mark.parametrize("name", [n for n in assignment_names() if n != PS1])
def test_source_full_marks_release_zero_and_clean_feedback(released, tmp_path, name):
    course = clone(released, tmp_path)
    submit_directly(course, "solution", name, nb=read_source(name))
    submit_directly(course, "unchanged-release", name, nb=read_release(course, name))
    run_nbgrader(course, "autograde", name)
    maximum = autograded_max(read_source(name))
    full = cell_scores(course, name, "solution")
    zero = cell_scores(course, name, "unchanged-release")
    assert {cell: full[cell][0] for cell in maximum} == maximum
    assert all(zero[cell][0] == 0 for cell in maximum)
    assert maximum, "an assignment without autograded cells"
    # and the feedback of both shows no hidden test and no expected value
    run_nbgrader(course, "generate_feedback", name)
    _, hidden = secret_lines(read_source(name))
    values = expected_values(name)
    for student in ("solution", "unchanged-release"):
        text = html_text(course / "feedback" / student / name / f"{name}.html")
        assert "BEGIN HIDDEN TESTS" not in text and "(hidden tests: not shown)" in text
        assert not [line for line in hidden if line in text], f"{student}: hidden tests leaked"
        assert not [value for value in values if value in text], f"{student}: values leaked"
