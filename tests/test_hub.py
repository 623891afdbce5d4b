"""A whole class on a real JupyterHub: separate Unix users, the browser, the exchange between them.

The hub is the one `make hub` starts (tools/hub/hub.py), with one instructor and three students.
- The semester loop, in headless Chromium: the instructor generates and releases ps1 in
  Formgrader; each student logs in, fetches it in the Assignments tab, fills in answers
  (right, wrong or none), saves and submits; one submits twice, one after the deadline; the
  instructor collects and autogrades in Formgrader, grades the written answer by hand,
  releases feedback; each student fetches it and sees their own score; the instructor exports
  grades.csv from a terminal. Screenshots in test-artifacts/hub/.
- Grading in the sandbox, as the unprivileged instructor: Formgrader's Autograde button (the
  loop above) and `course-grade-class` (tools/hub/grade_class.py, in the isolation test) run
  each kernel in bubblewrap, on the class environment's own Python (its libpython found
  through LD_LIBRARY_PATH, not the system's): a submission that opens the course's source
  notebook by its absolute path gets FileNotFoundError, and every feedback page says
  "Graded in a sandbox".
- Isolation, as each student (`runuser`): another student's submission cannot be listed, read,
  replaced or forged; the course directory (source/ holds the solutions) cannot be read;
  another student's feedback cannot be fetched.

As root only (make test-hub): the hub creates and removes Unix users.
"""

from __future__ import annotations

import csv
import datetime
import json
import time

import nbformat
import pytest
from grading_helpers import cell_by_id, nbgrader_meta, read_source
from hub_class import PS1, ClassHub, Instructor, Student, root_or_skip

from conftest import ROOT

pytestmark = [pytest.mark.hub, pytest.mark.slow]
SHOTS = ROOT / "test-artifacts" / "hub"
WRITTEN = "q5_answer"
GOOD_ESSAY = ("A ReLU unit whose pre-activation stays negative has zero gradient, so it never "
              "recovers; ELU's slope alpha*exp(z) is never zero, so the unit keeps learning.")
SANDBOX_NOTE = "Graded in a sandbox"
# A student's code that reads the course's source notebook (the instructor's kernel could, were
# it not in the sandbox) and says which Python runs it.
PEEK = ("import sys\n"
        "try:\n"
        "    open({path!r}).read()\n"
        "    print('course source: readable')\n"
        "except OSError as error:\n"
        "    print('course source:', type(error).__name__)\n"
        "print('kernel python:', sys.version)\n")


def peek(hub: ClassHub, assignment: str) -> str:
    return PEEK.format(path=str(hub.course / "source" / assignment / f"{assignment}.ipynb"))


def class_python(hub: ClassHub) -> str:
    """sys.version of the class environment's Python, as its users run it."""
    result = hub.as_user(hub.instructor, f"{hub.state['env']}/bin/python", "-c",
                         "import sys; print(sys.version)", check=True)
    return result.stdout.strip()


def assert_graded_in_the_sandbox(hub: ClassHub, cell, expected_python: str) -> None:
    printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert "course source: FileNotFoundError" in printed, printed
    assert f"kernel python: {expected_python}" in printed, (printed, expected_python)


@pytest.fixture(scope="module")
def hub():
    root_or_skip()
    class_hub = ClassHub(students=3).start()
    yield class_hub
    result = class_hub.stop()
    users = {line.split(":")[0] for line in open("/etc/passwd")}
    assert not [u for u in users if u.startswith("nsmt-")], f"users left behind: {result.stdout}"




def test_make_hub_prints_the_url_and_every_login_once(hub):
    assert hub.url in hub.output
    for user, password in hub.passwords.items():
        assert f"{user}" in hub.output and password in hub.output
    assert (hub.root / "hub" / "passwords.json").stat().st_mode & 0o077 == 0, "logins: root only"
    # the same prefix again: make hub refuses to take over accounts it did not make
    other = ClassHub(students=1)
    refused = other.hub("up", "--env", hub.state["env"], "--prefix", "nsmt-", "--port",
                        str(other.port), check=False)
    other.hub("down")
    assert refused.returncode != 0 and "already exists" in refused.stderr


# -- the semester loop ------------------------------------------------------------------------

def answers(kind: str) -> dict[str, str]:
    """grade id -> what the student types: 'honest' (all right), 'wrong', 'partial'."""
    source = read_source(PS1)
    solution = {nbgrader_meta(c).get("grade_id"): c.source for c in source.cells}
    if kind == "honest":
        code = {g: s for g, s in solution.items()
                if g and nbgrader_meta(cell_by_id(source, g)).get("solution") and g != WRITTEN}
        return {**code, WRITTEN: GOOD_ESSAY}
    if kind == "first-try":  # submitted, then improved before the deadline
        return {"elu_forward": "def elu_forward(z, alpha=1.0):\n    raise ValueError('todo')"}
    if kind == "second-try":
        return {"elu_forward": solution["elu_forward"],
                "sgd_momentum_step": solution["sgd_momentum_step"],
                "neuron_loss_and_grads": "def neuron_loss_and_grads(w, b, X, y):\n"
                                         "    return 0.0, 0 * w, 0.0",
                WRITTEN: "ELU is smoother."}
    if kind == "partial":
        return {"elu_forward": solution["elu_forward"], "elu_backward": solution["elu_backward"]}
    raise ValueError(f"kind must be honest, first-try, second-try or partial, got {kind!r}")


def points(*grade_ids: str) -> float:
    source = read_source(PS1)
    return sum(float(nbgrader_meta(cell_by_id(source, g))["points"]) for g in grade_ids)


def work_on(student: Student, hub: ClassHub, kind: str) -> None:
    path = hub.home(student.user) / PS1 / f"{PS1}.ipynb"
    released = nbformat.read(path, as_version=4)
    index = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(released.cells)}
    typed = answers(kind)
    if kind == "partial":  # and tries to read the course's solutions while being graded
        typed["elu_forward"] = peek(hub, PS1) + typed["elu_forward"]
    for grade_id, text in typed.items():
        student.write_cell(index[grade_id], text, markdown=released.cells[index[grade_id]].cell_type
                           == "markdown")
    first_line = list(typed.values())[-1].split("\n")[0]
    student.save(path, must_contain=json.dumps(first_line)[1:-1])


def test_a_semester_on_the_hub_in_the_browser(hub, browser):
    start = time.monotonic()
    honest, twice, late = hub.students
    teacher = Instructor(browser, hub, hub.instructor, SHOTS)
    teacher.login()
    assert {"Formgrader", "Assignment List"} <= set(teacher.nbgrader_menu())
    teacher.formgrader()
    teacher.shot("01-formgrader")
    row = teacher.row(PS1)
    teacher.click_and_confirm(row.locator("td.assign a"))   # generate_assignment
    teacher.click_and_confirm(row.locator("td.release a"))  # release_assignment
    teacher.shot("02-released")

    students = {user: Student(browser, hub, user, SHOTS) for user in hub.students}
    for user, kind in [(honest, "honest"), (twice, "first-try")]:
        student = students[user]
        student.login()
        menu = student.nbgrader_menu()
        assert "Assignment List" in menu and "Formgrader" not in menu, menu
        student.fetch(PS1)
        student.open_notebook(PS1)
        work_on(student, hub, kind)
        student.shot(f"03-{user}-answers")
        student.submit(PS1)
        student.shot(f"04-{user}-submitted")
    students[twice].open_notebook(PS1)  # improves the answers, and submits again
    work_on(students[twice], hub, "second-try")
    students[twice].submit(PS1)

    # The deadline passes: set to now, then the last student hands in.
    time.sleep(1.5)
    due = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    time.sleep(1.5)
    teacher.formgrader()
    teacher.set_due_date(PS1, due.strftime("%Y-%m-%dT%H:%M:%S"))
    teacher.shot("05-due-date")
    student = students[late]
    student.login()
    student.fetch(PS1)
    student.open_notebook(PS1)
    work_on(student, hub, "partial")
    student.submit(PS1)
    student.shot(f"06-{late}-late")

    # Collect, autograde every submission, grade the written answers by hand, feedback.
    teacher.formgrader()
    collected = teacher.click_and_confirm(teacher.row(PS1).locator("td.collect a"))
    for user in hub.students:
        assert user in collected
    teacher.formgrader(f"manage_submissions/{PS1}")
    for user in hub.students:
        row = teacher.page.locator("#main-table tr", has_text=user)
        teacher.click_and_confirm(row.locator("td.autograde a"))
    teacher.shot("07-autograded")
    # Formgrader graded in the sandbox, on the class's own Python: the late student's peek at
    # the course's source notebook found nothing
    graded = nbformat.read(hub.course / "autograded" / late / PS1 / f"{PS1}.ipynb", as_version=4)
    assert_graded_in_the_sandbox(hub, cell_by_id(graded, "elu_forward"), class_python(hub))
    teacher.grade_by_hand(honest, PS1, WRITTEN, 3)
    teacher.grade_by_hand(twice, PS1, WRITTEN, 1)
    teacher.shot("08-graded-by-hand")
    teacher.formgrader()
    teacher.click_and_confirm(teacher.row(PS1).locator("td.generate-feedback a"))
    teacher.click_and_confirm(teacher.row(PS1).locator("td.release-feedback a"))

    expected = {honest: points("test_elu_forward", "test_elu_backward", "test_neuron",
                               "test_multilabel", "test_momentum", WRITTEN),
                twice: points("test_elu_forward", "test_momentum") + 1,
                late: points("test_elu_forward", "test_elu_backward")}
    for user, student in students.items():
        student.fetch_feedback(PS1)
        student.shot(f"09-{user}-feedback-fetched")
        pages = list((hub.home(user) / PS1 / "feedback").rglob(f"{PS1}.html"))
        assert len(pages) == 1, f"{user}: feedback pages {pages}"
        timestamp = pages[0].parent.name
        student.page.goto(student.server(f"files/{PS1}/feedback/{timestamp}/{PS1}.html"))
        text = student.page.locator("body").inner_text()
        student.shot(f"10-{user}-feedback")
        total = f"{PS1} (Score: {expected[user]:.1f} / 20.0)"  # the page's header
        assert total in text, f"{user} does not see their score {total!r}"
        assert SANDBOX_NOTE in text, f"{user}'s feedback does not say it was graded in the sandbox"
        others = [f"{PS1} (Score: {expected[u]:.1f}" for u in hub.students if expected[u] != expected[user]]
        assert not [s for s in others if s in text]

    teacher.terminal(f"cd ~/{hub.state['course_id']} && nbgrader export")
    grades = hub.course / "grades.csv"
    deadline = time.monotonic() + 120
    while not (grades.is_file() and grades.read_text().count("\n") >= 4):
        assert time.monotonic() < deadline, "grades.csv was not written"
        time.sleep(1)
    time.sleep(1)
    teacher.shot("11-export")
    with open(grades, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["assignment"] == PS1]
    assert sorted(r["student_id"] for r in rows) == sorted(hub.students), "one row per student"
    for r in rows:
        assert float(r["score"]) == expected[r["student_id"]], r
        assert float(r["max_score"]) == 20.0
        on_time = r["timestamp"] <= r["duedate"]
        assert on_time == (r["student_id"] != late), r
    # the student who submitted twice was graded on the second version
    submitted = hub.course / "submitted" / twice / PS1 / f"{PS1}.ipynb"
    assert "sgd_momentum_step" in submitted.read_text() and "raise ValueError('todo')" not in \
        submitted.read_text()
    print(f"semester loop in the browser: {time.monotonic() - start:.0f} s")


# -- isolation between the students' accounts ---------------------------------------------------

PS2 = "ps2_neural_lms"
MARK_NOTEBOOK = ("import nbformat, sys\n"
                 "path = sys.argv[1]\n"
                 "nb = nbformat.read(path, as_version=4)\n"
                 "nb.cells.append(nbformat.v4.new_markdown_cell(sys.argv[2]))\n"
                 "if len(sys.argv) > 3:\n"
                 "    nb.cells.append(nbformat.v4.new_code_cell(sys.argv[3]))\n"
                 "nbformat.write(nb, path)\n")


def denied(result) -> bool:
    return result.returncode != 0 and ("Permission denied" in result.stderr
                                       or "Operation not permitted" in result.stderr)


def test_students_cannot_reach_the_course_or_each_other(hub):
    alice, bob = hub.students[0], hub.students[1]
    python = f"{hub.state['env']}/bin/python"
    hub.nbgrader(hub.instructor, "generate_assignment", PS2, cwd=hub.course)
    hub.nbgrader(hub.instructor, "release_assignment", PS2, cwd=hub.course)
    for student in (alice, bob):
        hub.nbgrader(student, "fetch_assignment", PS2)
        mark = f"written by {student}, nobody else"
        code = [peek(hub, PS2)] if student == bob else []  # Bob peeks while being graded
        hub.as_user(student, python, "-c", MARK_NOTEBOOK, f"{PS2}/{PS2}.ipynb", mark, *code, check=True)
        hub.nbgrader(student, "submit", PS2)
    inbound = hub.exchange / "inbound"
    alices = next(p for p in inbound.iterdir() if p.name.startswith(f"{alice}+{PS2}+"))

    # Bob cannot list the inbound folder, nor read, replace, delete or rename Alice's submission,
    # even with its exact name (which he cannot learn: 72 random bits in it).
    assert denied(hub.as_user(bob, "ls", str(inbound)))
    assert denied(hub.as_user(bob, "ls", str(alices)))
    for name in (f"{PS2}.ipynb", "submission_secret.txt", "timestamp.txt"):
        assert denied(hub.as_user(bob, "cat", str(alices / name))), name
    assert denied(hub.as_user(bob, "sh", "-c", f"echo 0 > '{alices}/{PS2}.ipynb'"))
    assert denied(hub.as_user(bob, "rm", "-rf", str(alices)))
    assert denied(hub.as_user(bob, "mv", str(alices), str(inbound / "mine-now")))
    assert alices.is_dir() and f"written by {alice}" in (alices / f"{PS2}.ipynb").read_text()

    # Bob forges a newer submission in Alice's name; the instructor's collect skips it.
    forged = inbound / f"{alice}+{PS2}+2099-01-01 00:00:00.000000 UTC+forged"
    hub.as_user(bob, "cp", "-r", str(hub.home(bob) / PS2), str(forged), check=True)
    hub.as_user(bob, "sh", "-c", f"echo '2099-01-01 00:00:00.000000 UTC' > '{forged}/timestamp.txt'",
                check=True)
    collected = hub.nbgrader(hub.instructor, "collect", PS2, cwd=hub.course)
    assert "claims to come from" in collected.stdout + collected.stderr
    alices_copy = hub.course / "submitted" / alice / PS2 / f"{PS2}.ipynb"
    assert f"written by {alice}" in alices_copy.read_text()
    assert f"written by {bob}" not in alices_copy.read_text()

    # The course directory (source/ holds the solutions, the gradebook every grade) and the
    # repository it came from are closed to students; so is every other home.
    for path in [hub.course, hub.course / "source" / PS2 / f"{PS2}.ipynb", hub.course / "gradebook.db",
                 hub.course / "nbgrader_config.py", hub.home(hub.instructor), hub.home(alice),
                 ROOT / "assignments" / "source" / PS2 / f"{PS2}.ipynb", ROOT / ".git" / "config"]:
        assert denied(hub.as_user(bob, "cat", str(path))) or denied(hub.as_user(bob, "ls", str(path))), path
    assert denied(hub.as_user(bob, "touch", str(hub.exchange / "outbound" / PS2 / "extra.txt")))

    # The instructor grades the class with course-grade-class (tools/hub/grade_class.py, which
    # make hub puts into the class environment), in the sandbox: Bob's peek found nothing.
    graded = hub.as_user(hub.instructor, f"{hub.state['env']}/bin/course-grade-class", "--course",
                         str(hub.course), "--workers", "1", "--assignment", PS2, "--",
                         "--Execute.timeout=30", cwd=hub.course, check=True)
    assert "graded 2 submissions" in graded.stdout, graded.stdout
    bobs = nbformat.read(hub.course / "autograded" / bob / PS2 / f"{PS2}.ipynb", as_version=4)
    assert_graded_in_the_sandbox(hub, bobs.cells[-1], class_python(hub))

    # Feedback: Bob gets his own page, never Alice's.
    hub.nbgrader(hub.instructor, "generate_feedback", PS2, cwd=hub.course)
    hub.nbgrader(hub.instructor, "release_feedback", PS2, cwd=hub.course)
    assert denied(hub.as_user(bob, "ls", str(hub.exchange / "feedback")))
    hub.nbgrader(bob, "fetch_feedback", PS2)
    hub.nbgrader(bob, "fetch_feedback", PS2, "--student", alice, check=False)
    pages = list((hub.home(bob) / PS2 / "feedback").rglob("*.html"))
    assert len(pages) == 1, pages
    page = pages[0].read_text()
    assert f"written by {bob}" in page and f"written by {alice}" not in page
    assert SANDBOX_NOTE in page
    hub.nbgrader(alice, "fetch_feedback", PS2)
    alices_page = next((hub.home(alice) / PS2 / "feedback").rglob("*.html")).read_text()
    assert f"written by {alice}" in alices_page
