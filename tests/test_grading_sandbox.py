"""The grading sandbox (assignments/grading_sandbox.py), attacked with the real nbgrader and the
real bubblewrap, on a temporary copy of the course.

One batch grades every assignment with an honest, a wrong, a vandal and a spy submission. The
vandal's first answer walks up from its working folder and deletes the course (sources,
releases, other submissions, autograded notebooks), rewrites the gradebook, and writes into
the grader's HOME and the exchange; the spy's prints the source notebook, another student's
submission, nbgrader_config.py and the gradebook. Both know every absolute path. After the
batch nothing outside autograded/, feedback/ and the gradebook has changed, and the spy's
feedback holds nothing it should not.

A small assignment then shows the rest: no network, torch hidden when the configuration says
so, the refusal when bubblewrap is missing, and the explicit opt-out.

Without bubblewrap these tests skip with the install command, except under CI=true, where
they fail.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from grading_helpers import (
    assignment_names,
    cell_by_id,
    expected_values,
    filled_release,
    html_text,
    is_answer_cell,
    is_test_cell,
    nbgrader_meta,
    read_source,
    secret_lines,
)
from nbgrader.api import Gradebook

from conftest import IN_CI, ROOT
from nbgrader_helpers import copy_course, new_cell, run_nbgrader

sys.path.insert(0, str(ROOT / "assignments"))
import grading_sandbox  # noqa: E402  (beside nbgrader_config.py, which puts it on the path)

slow = pytest.mark.slow
SANDBOX_NOTE = "Graded in a sandbox"
GRADER_TOKEN = "grader-token-0f3a9c"
OUTSIDE_NOTE = "only the files of your own submission are visible"


def bwrap_or_skip() -> None:
    if shutil.which("bwrap"):
        return
    message = ("bubblewrap (bwrap) is not installed; the grading sandbox needs it: "
               "`apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`")
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def fingerprint(*folders: Path) -> dict[str, str]:
    """sha256 of every file under the folders, by path."""
    prints = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def submit(course: Path, student: str, name: str, nb) -> None:
    """What `nbgrader collect` leaves behind: submitted/<student>/<assignment>/<notebook>."""
    folder = course / "submitted" / student / name
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")


def first_answer(nb):
    return next(c for c in nb.cells if c.cell_type == "code" and is_answer_cell(c))


def autograded(course: Path, student: str, name: str):
    return nbformat.read(course / "autograded" / student / name / f"{name}.ipynb", as_version=4)


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


# ---- the sandbox on its own: what it binds, what a process inside sees ----------------------

def working_folder(tmp_path: Path) -> Path:
    """A submission's working folder as autograde leaves it, beside a course it must not see."""
    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "source" / "ps1" / "ps1.ipynb").write_text("SOLUTION")
    folder = course / "autograded" / "alice" / "ps1"
    (folder / "data").mkdir(parents=True)
    (folder / "ps1.ipynb").write_text("the notebook being graded, hidden tests restored")
    (folder / "data" / "points.csv").write_text("1,2\n")
    (folder / "source-link").symlink_to(course / "source")
    return folder


def bound(command: list[str], option: str) -> list[str]:
    return [command[i + 2] for i, arg in enumerate(command) if arg == option]


def test_the_command_binds_the_environment_read_only_and_never_the_course(tmp_path):
    sandbox = grading_sandbox.Sandbox("bwrap", working_folder(tmp_path), blocked=["torch"])
    try:
        command = sandbox.command([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"],
                                  env={"OMP_NUM_THREADS": "1", "SECRET_TOKEN": "x"})
        read_only, writable = bound(command, "--ro-bind"), bound(command, "--bind")
        assert str(ROOT / "course_utils") in read_only and sys.prefix in read_only
        assert writable == [grading_sandbox.HOME, str(sandbox.ipc)]
        assert not [p for p in read_only + writable
                    if p in (str(ROOT), str(ROOT / "assignments")) or str(tmp_path) in p]
        for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
            assert flag in command
        assert "SECRET_TOKEN" not in command and "OMP_NUM_THREADS" in command
        torch_dirs = grading_sandbox.package_dirs("torch")
        assert torch_dirs and set(torch_dirs) <= set(read_only)  # masked by a raising __init__
        # the copy: the student's files, no notebook, the symlink copied as a link (not followed)
        copy = sandbox.scratch / "home" / "ps1"
        assert sorted(p.name for p in copy.iterdir()) == ["data", "source-link"]
        assert (copy / "source-link").is_symlink()
    finally:
        sandbox.remove()
    assert not sandbox.scratch.exists()


def test_a_process_in_the_sandbox_sees_its_copy_and_the_environment_only(tmp_path):
    bwrap_or_skip()
    folder = working_folder(tmp_path)
    probe = f"""
import os, socket, sys
import numpy, course_utils
print("CWD", os.getcwd(), sorted(os.listdir(".")))
print("REPO", sorted(os.listdir({str(ROOT)!r})))
for path in [{str(folder)!r}, {str(ROOT / "assignments")!r}, "source-link/ps1/ps1.ipynb"]:
    print("EXISTS", path, os.path.exists(path))
for path in [{str(ROOT / "course_utils" / "probe.txt")!r}, "/probe.txt", "own.txt", "/tmp/own.txt"]:
    try:
        open(path, "w").write("x")
        print("WROTE", path)
    except OSError as error:
        print("REFUSED", path, error.errno)
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3)
except OSError as error:
    print("NETWORK", type(error).__name__)
print("ENV", sorted(os.environ))
"""
    sandbox = grading_sandbox.Sandbox("bwrap", folder)
    # the interpreter as `../.venv/bin/python -m nbgrader` run from assignments/ names it, through
    # a folder that the sandbox does not show
    python = Path(sys.executable)
    if python.is_relative_to(ROOT):
        python = ROOT / "assignments" / ".." / python.relative_to(ROOT)
    try:
        command = sandbox.command([str(python), "-c", probe], env=dict(os.environ))
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        sandbox.remove()
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["CWD"] == f"{grading_sandbox.HOME}/ps1 ['data', 'source-link']"
    assert set(ast.literal_eval(lines["REPO"])) <= {"course_utils", ".venv"}  # what the kernel needs
    assert "True" not in [line for line in result.stdout.splitlines() if line.startswith("EXISTS")]
    refused = [line for line in result.stdout.splitlines() if line.startswith("REFUSED")]
    assert len(refused) == 2 and all(line.endswith(" 30") for line in refused)  # read-only (EROFS)
    assert "WROTE own.txt" in result.stdout and "WROTE /tmp/own.txt" in result.stdout
    assert lines["NETWORK"] == "OSError"  # "Network is unreachable": no interface but loopback
    assert "HOME" in lines["ENV"] and "NBGRADER_EXCHANGE" not in lines["ENV"]
    assert not (folder / "own.txt").exists(), "writes stay in the sandbox's copy"


def test_the_kernel_keeps_the_library_path_and_nothing_else_of_the_graders_environment(tmp_path):
    """A Python copied out of a closed folder (make hub's env-python) finds its libpython only
    through LD_LIBRARY_PATH: the sandbox binds those folders read-only and keeps the variable,
    but never a folder that holds the course, nor relative entries."""
    bwrap_or_skip()
    folder = working_folder(tmp_path)  # tmp_path/course/autograded/alice/ps1
    libs = tmp_path / "libs"
    libs.mkdir()
    # a shared library that the dynamic linker finds only through LD_LIBRARY_PATH
    system_lib = next(Path(p) for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/libz.so.1",
                                        "/lib64/libz.so.1", "/usr/lib64/libz.so.1",
                                        "/lib/aarch64-linux-gnu/libz.so.1") if Path(p).is_file())
    shutil.copy(system_lib, libs / "libcourseprobe.so")
    library_path = os.pathsep.join([str(libs), "", "relative/lib", str(tmp_path / "course"),
                                    str(tmp_path), "/nonexistent/lib"])
    env = {"LD_LIBRARY_PATH": library_path, "SECRET_TOKEN": "x", "PATH": os.environ["PATH"]}
    probe = ("import ctypes, os\n"
             "ctypes.CDLL('libcourseprobe.so')\n"
             "print('LOADED', os.environ['LD_LIBRARY_PATH'], sorted(os.environ))\n")
    sandbox = grading_sandbox.Sandbox("bwrap", folder)
    try:
        command = sandbox.command([sys.executable, "-c", probe], env=env)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        # without the variable, the same library is not found inside
        del env["LD_LIBRARY_PATH"]
        without = subprocess.run(sandbox.command([sys.executable, "-c", probe], env=env),
                                 capture_output=True, text=True, timeout=120)
    finally:
        sandbox.remove()
    read_only = bound(command, "--ro-bind")
    assert str(libs) in read_only
    assert not [p for p in read_only if p in (str(tmp_path), str(tmp_path / "course"))]
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    assert loaded[:2] == ["LOADED", str(libs)], result.stdout  # only the library folder
    assert "SECRET_TOKEN" not in result.stdout and "PATH" in result.stdout
    assert without.returncode != 0 and "libcourseprobe.so" in without.stderr


def test_the_refusal_says_how_to_install_or_opt_out():
    message = grading_sandbox.problem("/nonexistent/bin/bwrap")
    assert "\n" not in message
    assert "sudo apt-get install bubblewrap" in message and "sudo dnf install bubblewrap" in message
    assert "--GradingExecute.sandbox=off" in message
    assert grading_sandbox.problem("bwrap") is None or not shutil.which("bwrap")


def test_make_names_the_package_when_bubblewrap_is_missing(tmp_path):
    (tmp_path / "uname").symlink_to(shutil.which("uname"))  # PATH: uname, and no bwrap
    missing = subprocess.run([shutil.which("make"), "-s", "sandbox-check"], cwd=ROOT, text=True,
                             capture_output=True, env={"PATH": str(tmp_path)}, timeout=60)
    assert missing.returncode == 0
    assert "sudo apt-get install bubblewrap" in missing.stdout
    assert "sudo dnf install bubblewrap" in missing.stdout
    if shutil.which("bwrap"):
        present = subprocess.run(["make", "-s", "sandbox-check"], cwd=ROOT, text=True,
                                 capture_output=True, timeout=60)
        assert present.stdout == ""


# ---- the hostile batch ----------------------------------------------------------------------

VANDAL = '''\
import glob, os, pathlib, shutil

def destroy(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
        print("DESTROYED", path)
    except OSError as error:
        print("BLOCKED", path, type(error).__name__)

here = pathlib.Path.cwd()
for root in [here, *here.parents, pathlib.Path({course!r})]:
    for pattern in ("source/*", "release/*", "autograded/*", "feedback/*"):
        for path in glob.glob(str(root / pattern)):
            destroy(path)
    for path in glob.glob(str(root / "submitted" / "*")):
        if os.path.basename(path) != "vandal":
            destroy(path)
    for path in glob.glob(str(root / "*.db")):
        try:
            pathlib.Path(path).write_bytes(b"vandalized")
            print("REWROTE", path)
        except OSError as error:
            print("BLOCKED", path, type(error).__name__)
for path in glob.glob({exchange!r} + "/**", recursive=True):
    destroy(path)
for folder in ({exchange!r}, {home!r}, os.path.expanduser("~"), "."):
    try:
        pathlib.Path(folder, "vandal-was-here.txt").write_text("vandal")
        print("WROTE", os.path.abspath(folder))
    except OSError as error:
        print("BLOCKED", folder, type(error).__name__)
import subprocess, sys  # a process meant to outlive grading, in a session of its own
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)", "vandal-daemon"],
                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
print("STARTED vandal-daemon")
os.remove({course!r} + "/gradebook.db")  # not caught: its feedback says why this failed
'''

SPY = '''\
import glob, os

for path in {targets!r}:
    try:
        if os.path.isdir(path):
            print("LISTED", path, sorted(os.listdir(path)))
        else:
            with open(path, "rb") as handle:
                data = handle.read()
            print("READ", path, len(data))
            print(data.decode("utf-8", "replace"))
    except OSError as error:
        print("BLOCKED", path, type(error).__name__)
for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):  # every process it can see
    for part in ("environ", "cmdline"):
        try:
            with open(f"/proc/{{pid}}/{{part}}", "rb") as handle:
                print("PROC", pid, part, handle.read().decode("utf-8", "replace"))
        except OSError as error:
            print("PROC", pid, part, "BLOCKED", type(error).__name__)
    try:
        print("PROC", pid, "fds", {{fd: os.readlink(f"/proc/{{pid}}/fd/{{fd}}")
                                 for fd in os.listdir(f"/proc/{{pid}}/fd")}})
    except OSError as error:
        print("PROC", pid, "fds", "BLOCKED", type(error).__name__)
print("ENVIRON", dict(os.environ))
for path in sorted(glob.glob("**", recursive=True)):  # its own folder
    print("OWN", path)
    if path.endswith(".ipynb"):
        print(open(path).read())
print(open({relative_source!r}).read())  # not caught: its feedback says why this failed
'''


def spy_targets(course: Path, name: str, exchange: Path, home: Path) -> list[str]:
    """Everything the spy must not see: relative to its working folder and absolute."""
    notebook = f"{name}/{name}.ipynb"
    return [
        f"../../../source/{notebook}", f"../../../submitted/honest/{notebook}",
        "../../../nbgrader_config.py", "../../../gradebook.db", "../../../release",
        str(course / "source" / notebook), str(course / "release" / notebook),
        str(course / "submitted" / "honest" / notebook), str(course / "nbgrader_config.py"),
        str(course / "gradebook.db"), str(course), str(course / "submitted"), str(exchange),
        str(home), str(home / "secret.txt"), f"/proc/{os.getpid()}/environ",
        str(ROOT / "assignments"), str(ROOT / "tests"),
    ]


def honest_marker(name: str) -> str:
    return f"# honest student's own line in {name}"


def batch_submissions(course: Path, name: str, exchange: Path, home: Path) -> dict:
    source = read_source(name)
    release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    honest = filled_release(source, release)
    for cell in honest.cells:
        if cell.cell_type == "code" and is_answer_cell(cell):
            cell.source += "\n" + honest_marker(name)
    vandal, spy = copy.deepcopy(release), copy.deepcopy(release)
    first_answer(vandal).source = VANDAL.format(course=str(course), exchange=str(exchange),
                                                home=str(home))
    first_answer(spy).source = SPY.format(targets=spy_targets(course, name, exchange, home),
                                          relative_source=f"../../../source/{name}/{name}.ipynb")
    return {"honest": honest, "wrong": release, "vandal": vandal, "spy": spy}


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    bwrap_or_skip()
    base = tmp_path_factory.mktemp("sandbox-batch")
    course = copy_course(base)
    exchange, home = base / "exchange", base / "grader-home"
    exchange.mkdir()
    home.mkdir()
    (home / "secret.txt").write_text("the grader's own file")
    # (Jupyter's own config folder stays in the course copy, as run_nbgrader sets it.)
    instructor = {"NBGRADER_EXCHANGE": str(exchange), "HOME": str(home),
                  "GRADER_TOKEN": GRADER_TOKEN}  # e.g. a hub's API token in the grader's env
    names = assignment_names()
    for name in names:
        run_nbgrader(course, "generate_assignment", name, env=instructor)
        run_nbgrader(course, "release_assignment", name, env=instructor)
        for student, nb in batch_submissions(course, name, exchange, home).items():
            submit(course, student, name, nb)
    kept = [course / "source", course / "release", course / "submitted", exchange, home]
    before = fingerprint(*kept)
    config_before = (course / "nbgrader_config.py").read_bytes()
    results = {name: run_nbgrader(course, "autograde", name, env=instructor) for name in names}
    after = fingerprint(*kept)
    for name in names:
        run_nbgrader(course, "generate_feedback", name, env=instructor)
    return dict(course=course, exchange=exchange, home=home, names=names, before=before,
                after=after, config_before=config_before, results=results)


@slow
def test_nothing_outside_the_submission_changed(hostile_batch):
    before, after = hostile_batch["before"], hostile_batch["after"]
    assert before, "nothing was fingerprinted"
    assert sorted(after) == sorted(before), "files appeared or vanished"
    changed = [path for path in before if before[path] != after[path]]
    assert not changed, f"changed by grading: {changed}"
    course = hostile_batch["course"]
    assert (course / "nbgrader_config.py").read_bytes() == hostile_batch["config_before"]
    # no process the kernels started outlived them
    daemons = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"vandal-daemon" in cmdline.read_bytes():
                daemons.append(cmdline.parent.name)
        except OSError:  # the process has just ended
            pass
    assert not daemons, f"processes started by the vandal are still running: {daemons}"
    # only the executed notebook came back: nothing the kernels wrote is anywhere
    base = course.parent
    assert not [p for p in base.rglob("vandal-was-here.txt")]
    for name in hostile_batch["names"]:
        graded = sorted(p.name for p in (course / "autograded" / "vandal" / name).iterdir())
        assert graded == [f"{name}.ipynb", "timestamp.txt"]


@slow
def test_the_vandal_destroyed_nothing_and_was_told_why(hostile_batch):
    course = hostile_batch["course"]
    for name in hostile_batch["names"]:
        cell = first_answer(autograded(course, "vandal", name))
        text = printed(cell)
        assert "DESTROYED" not in text and "REWROTE" not in text, text[:2000]
        assert f"BLOCKED {hostile_batch['home']} FileNotFoundError" in text
        # it could write only into its own sandbox (its HOME and working folder), both discarded
        wrote = [line.split()[1] for line in text.splitlines() if line.startswith("WROTE")]
        assert wrote and all(path.startswith("/home/student") for path in wrote), wrote
        assert any(o.output_type == "error" and o.ename == "FileNotFoundError" for o in cell.outputs)
        assert "STARTED vandal-daemon" in text
        page = html_text(course / "feedback" / "vandal" / name / f"{name}.html")
        assert SANDBOX_NOTE in page and OUTSIDE_NOTE in page


@slow
def test_the_spy_saw_nothing_outside_its_own_folder(hostile_batch):
    course, exchange, home = (hostile_batch[k] for k in ("course", "exchange", "home"))
    for name in hostile_batch["names"]:
        cell = first_answer(autograded(course, "spy", name))
        lines = printed(cell).splitlines()
        for target in spy_targets(course, name, exchange, home):
            verdicts = [line for line in lines if line.split(" ")[1:2] == [target]]
            assert verdicts and verdicts[0].startswith("BLOCKED "), (target, verdicts)
        own = [line for line in lines if line.startswith("OWN ")]
        assert own == ["OWN timestamp.txt"], f"the working folder holds {own}"
        # the processes it sees are the sandbox's own (bwrap's init, the kernel, what they
        # started), and no environment or open file of theirs leads to the grader's
        processes = {line.split()[1] for line in lines if line.startswith("PROC ")}
        assert processes and all(int(pid) < 50 for pid in processes), processes
        assert GRADER_TOKEN not in printed(cell) and "NBGRADER_EXCHANGE" not in printed(cell)
        assert not [line for line in lines if line.startswith(("PROC ", "ENVIRON "))
                    and (str(course) in line or str(home) in line)]


@slow
def test_the_spys_feedback_holds_no_solution_hidden_test_or_other_students_code(hostile_batch):
    course = hostile_batch["course"]
    for name in hostile_batch["names"]:
        page = html_text(course / "feedback" / "spy" / name / f"{name}.html")
        solution, hidden = secret_lines(read_source(name))
        assert "BEGIN SOLUTION" not in page and "BEGIN HIDDEN TESTS" not in page
        assert not [line for line in solution if line in page], f"{name}: solution in feedback"
        assert not [line for line in hidden if line in page], f"{name}: hidden test in feedback"
        assert not [v for v in expected_values(name) if v in page], f"{name}: expected values"
        assert honest_marker(name) not in page, f"{name}: another student's code in feedback"
        assert "c.CourseDirectory" not in page and "SQLite format" not in page
        assert SANDBOX_NOTE in page and OUTSIDE_NOTE in page
        assert "FileNotFoundError" in page


@slow
def test_every_student_is_in_the_gradebook_honest_full_marks_wrong_zero(hostile_batch):
    course = hostile_batch["course"]
    for name, result in hostile_batch["results"].items():
        assert "There was an error processing" not in result.stdout + result.stderr
        source = read_source(name)
        maximum = sum(float(nbgrader_meta(c)["points"]) for c in source.cells if is_test_cell(c))
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            scores = {s.student.id: s.score for s in gb.assignment_submissions(name)}
        assert sorted(scores) == ["honest", "spy", "vandal", "wrong"]
        assert scores["honest"] == maximum, (name, scores)
        assert scores["wrong"] == 0, (name, scores)
        page = html_text(course / "feedback" / "honest" / name / f"{name}.html")
        assert SANDBOX_NOTE in page and OUTSIDE_NOTE not in page


# ---- a small assignment: network, hidden packages, a missing bubblewrap, the opt-out -------

def tiny_assignment(answer: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_cell("code", "import numpy as np", grade_id="imports", locked=True),
        new_cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * np.asarray(x)\n"
                         "    ### END SOLUTION", solution=True, grade_id="double"),
        new_cell("code", "assert double(2) == 4", grade=True, locked=True, points=1,
                 grade_id="test_double"),
    ]
    if answer:
        cell_by_id(nb, "double").source = answer
    return nb


@pytest.fixture(scope="module")
def tiny_course(tmp_path_factory):
    bwrap_or_skip()
    course = copy_course(tmp_path_factory.mktemp("sandbox-tiny"))
    (course / "source" / "ps0").mkdir(parents=True)
    nbformat.write(tiny_assignment(""), course / "source" / "ps0" / "ps0.ipynb")
    run_nbgrader(course, "generate_assignment", "ps0")
    return course


def answer_outputs(course: Path, student: str):
    return cell_by_id(autograded(course, student, "ps0"), "double").outputs


def score(course: Path, student: str) -> float:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_submission("ps0", student).score


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self):
        self.server.close()


@slow
def test_the_kernel_cannot_open_a_socket_to_localhost(tiny_course):
    listener = Listener()
    try:
        connect = (f"import socket\nsocket.create_connection(('127.0.0.1', {listener.port}), "
                   "timeout=5).close()\nprint('CONNECTED')\n")
        # the listener is real: a process outside the sandbox gets through
        subprocess.run([sys.executable, "-c", connect], check=True, timeout=30)
        assert listener.accepted == 1
        submit(tiny_course, "caller", "ps0", tiny_assignment(connect + "def double(x):\n    return 2 * x"))
        run_nbgrader(tiny_course, "autograde", "ps0", "--student=caller")
    finally:
        listener.close()
    assert listener.accepted == 1, "the grading kernel reached the grader's 127.0.0.1"
    errors = [o for o in answer_outputs(tiny_course, "caller") if o.output_type == "error"]
    assert [o.ename for o in errors] == ["ConnectionRefusedError"]


@slow
def test_blocked_packages_cannot_be_imported(tiny_course):
    uses_torch = ("import torch\n\ndef double(x):\n"
                  "    return torch.as_tensor(x).mul(2).numpy()\n")
    uses_judge = ("from course_utils.grading.judges import ps3\n\ndef double(x):\n"
                  "    return 2 * x\n")
    submit(tiny_course, "torch-allowed", "ps0", tiny_assignment(uses_torch))
    submit(tiny_course, "torch-blocked", "ps0", tiny_assignment(uses_torch))
    submit(tiny_course, "judge-blocked", "ps0", tiny_assignment(uses_judge))
    run_nbgrader(tiny_course, "autograde", "ps0", "--student=torch-allowed",
                 "--GradingExecute.blocked_packages=gensim")
    run_nbgrader(tiny_course, "autograde", "ps0", "--student=torch-blocked")
    run_nbgrader(tiny_course, "autograde", "ps0", "--student=judge-blocked")
    # the same answer imports torch in the sandbox when only another package is blocked, and not
    # as the course configures it: torch and the grader's references are hidden from the kernel
    assert score(tiny_course, "torch-allowed") == 1
    assert not [o for o in answer_outputs(tiny_course, "torch-allowed") if o.output_type == "error"]
    for student, package in (("torch-blocked", "torch"), ("judge-blocked", "course_utils.grading.judges")):
        errors = [o for o in answer_outputs(tiny_course, student) if o.output_type == "error"]
        assert [o.ename for o in errors] == ["ModuleNotFoundError"], student
        assert f"No module named '{package}'" in errors[0].evalue
        assert "not available while grading" in errors[0].evalue
        assert score(tiny_course, student) == 0


@slow
@pytest.mark.parametrize("how", ["a bwrap path that does not exist", "PATH without bwrap"])
def test_autograde_refuses_without_bubblewrap_and_touches_nothing(tiny_course, how):
    student = "refused-path" if how.startswith("PATH") else "refused-trait"
    submit(tiny_course, student, "ps0", tiny_assignment(""))
    if how.startswith("PATH"):  # the venv's scripts only: nbgrader and alembic, no bwrap
        args, env = (), {"PATH": str(Path(sys.executable).parent)}
    else:
        args, env = ("--GradingExecute.bwrap=/nonexistent/bin/bwrap",), {}
    result = run_nbgrader(tiny_course, "autograde", "ps0", f"--student={student}", *args,
                          env=env, check=False)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if "bubblewrap" in line]
    assert len(lines) == 1, lines
    assert "apt-get install bubblewrap" in lines[0] and "dnf install bubblewrap" in lines[0]
    assert "--GradingExecute.sandbox=off" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tiny_course / "autograded" / student).exists()
    with Gradebook(f"sqlite:///{tiny_course / 'gradebook.db'}") as gb:
        assert student not in [s.student.id for s in gb.assignment_submissions("ps0")]


@slow
def test_the_opt_out_grades_and_says_so_in_the_log_and_the_feedback(tiny_course):
    submit(tiny_course, "unsandboxed", "ps0", tiny_assignment(""))
    result = run_nbgrader(tiny_course, "autograde", "ps0", "--student=unsandboxed",
                          "--GradingExecute.sandbox=off", "--GradingExecute.bwrap=/nonexistent")
    assert "Grading WITHOUT the sandbox" in result.stdout + result.stderr
    assert score(tiny_course, "unsandboxed") == 1
    run_nbgrader(tiny_course, "generate_feedback", "ps0", "--student=unsandboxed")
    page = html_text(tiny_course / "feedback" / "unsandboxed" / "ps0" / "ps0.html")
    assert "graded WITHOUT the grading sandbox" in page and SANDBOX_NOTE not in page
