"""A whole class on a real JupyterHub: separate Unix users, the browser, the exchange between them.

The hub is the one `make hub` starts (tools/hub/hub.py), with one instructor and three students.
- The semester loop, in headless Chromium: the instructor generates and releases ps1 in
  Formgrader; each student logs in, fetches it in the Assignments tab, fills in answers
  (right, wrong or none), saves and submits; one submits twice, one after the deadline; the
  instructor collects and autogrades in Formgrader, grades the written answer by hand,
  releases feedback; each student fetches it and sees their own score; the instructor exports
  grades.csv from a terminal. Screenshots in test-artifacts/hub/.
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
from browser_lab import launch_chromium
from grading_helpers import cell_by_id, nbgrader_meta, read_source
from hub_class import PS1, ClassHub, Instructor, Student, root_or_skip
from test_browser import chromium_or_skip

from conftest import ROOT

pytestmark = [pytest.mark.hub, pytest.mark.slow]
SHOTS = ROOT / "test-artifacts" / "hub"
WRITTEN = "q5_answer"
GOOD_ESSAY = ("A ReLU unit whose pre-activation stays negative has zero gradient, so it never "
              "recovers; ELU's slope alpha*exp(z) is never zero, so the unit keeps learning.")


@pytest.fixture(scope="module")
def hub():
    root_or_skip()
    class_hub = ClassHub(students=3).start()
    yield class_hub
    result = class_hub.stop()
    users = {line.split(":")[0] for line in open("/etc/passwd")}
    assert not [u for u in users if u.startswith("nsmt-")], f"users left behind: {result.stdout}"


@pytest.fixture(scope="module")
def browser():
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = launch_chromium(playwright)
        yield instance
        instance.close()


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
        score = f"Score: {expected[user]:.1f} / 20.0"
        assert score in text, f"{user} does not see their score {score!r}"
        others = [f"Score: {expected[u]:.1f}" for u in hub.students if expected[u] != expected[user]]
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
