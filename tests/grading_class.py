"""A synthetic class: many students, all four assignments, honest, wrong, broken and hostile
submissions, written into a course root as `nbgrader collect` leaves them.

Used by tests/test_parallel_grading.py and bench/figures_parallel_grading.py. Every kind is
deterministic: the same submission gets the same score on any machine and under any load
(slow cells are stopped by a timeout far above what an honest cell needs).

Two kinds attack the class, and only the grading sandbox stops them: the vandal deletes the
course (sources, releases, other students' submissions, autograded notebooks) and wrecks the
gradebook (rewrites the SQLite file, or drops the PostgreSQL schema through the server's
socket); the spy prints the source notebook, another student's submission and the gradebook.
Both then answer honestly, so they score as an honest student when the sandbox holds.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
from grading_helpers import (
    answer_and_tests,
    assignment_names,
    defined_names,
    filled_release,
    is_answer_cell,
    nbgrader_meta,
    read_source,
)

from nbgrader_helpers import run_nbgrader

GRADE_CLASS = Path(__file__).resolve().parent.parent / "tools" / "hub" / "grade_class.py"
# A cell limit for the class: an honest cell needs a few seconds even with four graders on two
# cores; a runaway one costs this much.
CELL_TIMEOUT = "--Execute.timeout=40"

PERTURB = '''
def _bent(function):
    import functools
    import numpy as _np

    def bend(x):
        if isinstance(x, _np.ndarray) and x.dtype.kind == "f":
            return x * 1.5 + 0.1
        if isinstance(x, float):
            return x * 1.5 + 0.1
        if isinstance(x, (tuple, list)):
            return type(x)(bend(v) for v in x)
        if isinstance(x, dict):
            return {k: bend(v) for k, v in x.items()}
        return x

    @functools.wraps(function)
    def bent(*args, **kwargs):
        return bend(function(*args, **kwargs))
    return bent
'''
TAMPER = ("import numpy as np\n"
          "np.allclose = lambda *a, **k: True\n"
          "np.isclose = lambda a, b, *r, **k: np.ones_like(np.asarray(a), dtype=bool)\n"
          "np.testing.assert_allclose = lambda *a, **k: None\n")
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
# Printed by the vandal and the spy for each thing they try: DONE when it worked.
VANDAL = '''\
import glob as _glob, os as _os, pathlib as _pathlib, shutil as _shutil

def _attempt(what, action, *args):
    try:
        action(*args)
        print("VANDAL DONE", what)
    except Exception as _error:
        print("VANDAL BLOCKED", what, type(_error).__name__)

def _destroy(path):
    if _os.path.isdir(path) and not _os.path.islink(path):
        _shutil.rmtree(path)
    else:
        _os.remove(path)

def _drop_gradebook(url):
    if url.startswith("sqlite:///"):
        _pathlib.Path(url[len("sqlite:///"):]).write_bytes(b"vandalized")
        return
    import psycopg  # the server's socket folder is in the URL, and it trusts local users
    from urllib.parse import parse_qs, urlsplit
    parts = urlsplit(url)
    with psycopg.connect(host=parse_qs(parts.query)["host"][0], dbname=parts.path.strip("/"),
                         user=parts.username, connect_timeout=5, autocommit=True) as _connection:
        _connection.execute("DROP SCHEMA public CASCADE")

_here = _pathlib.Path.cwd()
for _root in [*_here.parents, _pathlib.Path({course!r})]:
    for _pattern in ("source/*", "release/*", "submitted/*", "autograded/*", "*.db"):
        for _path in _glob.glob(str(_root / _pattern)):
            if _os.path.basename(_path) != {student!r}:
                _attempt(_path, _destroy, _path)
_attempt("course " + {course!r}, _destroy, {course!r})
_attempt("gradebook " + {db_url!r}, _drop_gradebook, {db_url!r})
'''
SPY = '''\
import os as _os

for _path in {targets!r}:
    try:
        if _os.path.isdir(_path):
            print("SPY DONE", _path, sorted(_os.listdir(_path)))
        else:
            with open(_path, "rb") as _handle:
                print("SPY DONE", _path, _handle.read().decode("utf-8", "replace"))
    except Exception as _error:
        print("SPY BLOCKED", _path, type(_error).__name__)
'''


def spy_targets(course: Path, name: str, db_url: str) -> list[str]:
    """What the spy reads: the solutions, another student's work, the gradebook (or the folder
    of the database server's socket)."""
    notebook = f"{name}/{name}.ipynb"
    gradebook = (db_url[len("sqlite:///"):] if db_url.startswith("sqlite:///")
                 else parse_qs(urlsplit(db_url).query)["host"][0])
    return [f"../../../source/{notebook}", str(course / "source" / notebook),
            str(course / "submitted" / "s01" / notebook), str(course / "submitted"), gradebook]


def code_answers(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and is_answer_cell(c)]


def bend(cell) -> None:
    """The answer returns wrong numbers (every float output scaled)."""
    names = defined_names(cell.source)
    cell.source += "\n" + PERTURB + "".join(f"{n} = _bent({n})\n" for n in names)


def submission(kind: str, source, release, attack: dict | None = None):
    """(notebook or raw JSON text, file name or None) for one kind of student. `attack`: what
    the vandal and the spy aim at (course, student, db_url, targets)."""
    good = filled_release(source, release)
    answers = code_answers(good)
    nb = copy.deepcopy(good)
    cells = code_answers(nb)
    if kind == "honest":
        return nb, None
    if kind == "unsolved":
        return copy.deepcopy(release), None
    if kind == "partial":  # the first half of the answers only
        for cell in cells[len(cells) // 2:]:
            cell.source = STUB
        return nb, None
    if kind == "wrong":
        for cell in cells:
            bend(cell)
        return nb, None
    if kind == "partly-wrong":
        for cell in cells[::2]:
            bend(cell)
        return nb, None
    if kind == "raises":
        cells[0].source = "raise ValueError('my bug')\n" + cells[0].source
        return nb, None
    if kind == "kernel-exit":
        cells[-1].source = "import os\nos._exit(1)\n" + cells[-1].source
        return nb, None
    if kind == "edited-test":  # a wrong answer, and its test cell rewritten to pass
        first_answer, tests = answer_and_tests(nb)[0]
        first_answer.source = STUB
        tests[0].source = "print('all tests passed')"
        return nb, None
    if kind == "deleted-test":
        last_answer, tests = answer_and_tests(nb)[-1]
        last_answer.source = STUB
        ids = {nbgrader_meta(t).get("grade_id") for t in tests}
        nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") not in ids]
        return nb, None
    if kind == "invalid-json":
        raw = nbformat.writes(good)
        return raw[: len(raw) // 2], None
    if kind == "renamed":  # filed as "<name> (1).ipynb" by write_class
        return nb, None
    if kind == "huge-output":
        cells[0].source = ("for i in range(200_000):\n    print(f'debug line {i}')\n"
                           + cells[0].source)
        return nb, None
    if kind == "tamper":  # wrong answers, and the comparisons replaced by always-pass stubs
        for cell in cells:
            bend(cell)
        cells[0].source = TAMPER + cells[0].source
        return nb, None
    if kind == "vandal":
        cells[0].source = VANDAL.format(**attack) + cells[0].source
        return nb, None
    if kind == "spy":
        cells[0].source = SPY.format(**attack) + cells[0].source
        return nb, None
    if kind == "loop":
        cells[0].source = "while True:\n    pass\n"
        return nb, None
    if kind == "memory-hog":
        cells[0].source = ("import numpy as np\nblocks = []\nwhile True:\n"
                           "    blocks.append(np.ones(2**25))\n")
        return nb, None
    raise ValueError(f"unknown kind of submission {kind!r}; answers: {len(answers)}")


# Sixteen kinds, rotated over the students so that each assignment gets every kind once; the
# two expensive ones (a 40 s timeout, a 2 GiB allocation) once in the whole class.
KINDS = ["honest", "vandal", "unsolved", "partial", "wrong", "partly-wrong", "raises",
         "kernel-exit", "edited-test", "deleted-test", "invalid-json", "renamed", "huge-output",
         "tamper", "honest", "spy"]
EXPENSIVE = {("s03", 1): "loop", ("s07", 2): "memory-hog"}


def class_plan(students: int = 16, assignments: list[str] | None = None) -> dict:
    """{(assignment, student id): kind}."""
    names = assignments or assignment_names()
    plan = {}
    for a, name in enumerate(names):
        for i in range(students):
            student = f"s{i + 1:02d}"
            plan[(name, student)] = EXPENSIVE.get((student, a), KINDS[(i + 4 * a) % len(KINDS)])
    return plan


def write_class(course: Path, plan: dict, db_url: str | None = None) -> None:
    """Generate each assignment (gradebook + release) and file every submission. `db_url`: the
    gradebook the class is graded with (the vandal goes for it; default the course's SQLite)."""
    db_url = db_url or f"sqlite:///{course / 'gradebook.db'}"
    for name in sorted({a for a, _ in plan}):
        if not (course / "release" / name).is_dir():
            run_nbgrader(course, "generate_assignment", name)
    for (name, student), kind in sorted(plan.items()):
        source = read_source(name)
        release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        attack = dict(course=str(course), student=student, db_url=db_url,
                      targets=spy_targets(course, name, db_url))
        content, filename = submission(kind, source, release, attack)
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        path = folder / (f"{name} (1).ipynb" if kind == "renamed" else f"{name}.ipynb")
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            nbformat.write(content, path)
        (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")


def grade_class(course: Path, workers: int, db_url: str, *args: str,
                wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    """tools/hub/grade_class.py on the course, the environment's bin first on PATH."""
    import os

    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["JUPYTER_CONFIG_DIR"] = str(course / ".jupyter-config")
    command = [sys.executable, str(GRADE_CLASS), "--course", str(course), "--workers", str(workers),
               "--db-url", db_url, *args, "--", CELL_TIMEOUT]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)


def scores(db_url: str) -> dict:
    """{(assignment, student): {grade cell: auto score}} of every submission in a gradebook."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(db_url) as gradebook:
        for assignment in gradebook.assignments:
            for sub in gradebook.assignment_submissions(assignment.name):
                cells = {}
                for notebook in sub.notebooks:
                    for grade in notebook.grades:
                        cells[f"{notebook.name}/{grade.name}"] = grade.auto_score
                found[(assignment.name, sub.student_id)] = cells
    return found


def duplicates(db_url: str) -> list[str]:
    """Rows that should be unique but are not: submissions per (assignment, student), grades
    per (submitted notebook, cell)."""
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    checks = {
        "submitted_assignment": "SELECT assignment_id, student_id, count(*) FROM submitted_assignment "
                                "GROUP BY assignment_id, student_id HAVING count(*) > 1",
        "grade": "SELECT notebook_id, cell_id, count(*) FROM grade GROUP BY notebook_id, cell_id "
                 "HAVING count(*) > 1",
    }
    found = []
    with engine.connect() as connection:
        for table, sql in checks.items():
            found += [f"{table}: {tuple(row)}" for row in connection.execute(sa.text(sql))]
    engine.dispose()
    return found
