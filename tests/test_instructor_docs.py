"""docs/instructors.md's commands work exactly as written, in both of the forms it gives.

The page says to run its commands from `assignments/` with the course environment either
activated (`. ../.venv/bin/activate`) or as a prefix (`../.venv/bin/nbgrader ...`). This test
reads the commands from the page: the whole loop (its ```bash block that starts with
`cd assignments`) and every complete `nbgrader ...` command quoted in the text. It runs each
one verbatim through bash, in a fresh clone-like folder (`assignments/` beside `.venv`), from
a shell whose PATH holds only the system's directories. The one substitution: the example
exchange /srv/nbgrader/exchange becomes a temporary folder. The student's commands run in the
student's own HOME, with the configuration the page tells an admin to write.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_helpers import filled_release, read_source

from conftest import IN_CI, ROOT

pytestmark = pytest.mark.slow

DOC = ROOT / "docs" / "instructors.md"
EXAMPLE_EXCHANGE = "/srv/nbgrader/exchange"
STUDENT_COMMANDS = ("fetch_assignment", "submit", "fetch_feedback")
ASSIGNMENT = "ps1_perceptron_ffn"


def loop_block(text: str) -> list[str]:
    """The lines of the ```bash block that starts with `cd assignments`, comments removed."""
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
        lines = [line for line in lines if line]
        if lines and lines[0] == "cd assignments":
            return lines
    raise AssertionError("docs/instructors.md has no ```bash block starting with `cd assignments`")


def quoted_commands(text: str) -> list[str]:
    """Complete nbgrader commands quoted in the text, in order: with an argument after the
    subcommand and no <placeholder> (`nbgrader autograde` alone names the command)."""
    spans = re.findall(r"`((?:\.\./\.venv/bin/)?nbgrader [^`]+)`", text)
    return list(dict.fromkeys(span for span in spans if "<" not in span and len(span.split()) > 2))


def test_the_page_has_the_commands_this_test_runs():
    text = DOC.read_text(encoding="utf-8")
    loop = loop_block(text)
    assert [line.split()[1] for line in loop if line.startswith("nbgrader ")] == [
        "generate_assignment", "release_assignment", "fetch_assignment", "submit", "collect",
        "autograde", "generate_feedback", "release_feedback", "fetch_feedback", "export"]
    assert f"../.venv/bin/nbgrader generate_assignment {ASSIGNMENT}" in quoted_commands(text)


def prefixed(command: str) -> str:
    return command if command.startswith("../") else "../.venv/bin/" + command


def bash(script: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=900)


@pytest.mark.parametrize("form", ["activated", "prefixed"])
def test_every_documented_command_works_as_written(tmp_path, form):
    venv = Path(sys.prefix)
    assert (venv / "bin" / "nbgrader").is_file(), "run with the course environment (make test)"
    if not shutil.which("bwrap"):  # autograde needs it; as the grading-sandbox tests do
        message = "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    text = DOC.read_text(encoding="utf-8")
    clone, exchange = tmp_path / "clone", tmp_path / "exchange"
    shutil.copytree(ROOT / "assignments", clone / "assignments", ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", ".exchange", "gradebook.db",
        ".ipynb_checkpoints", "__pycache__"))
    (clone / ".venv").symlink_to(venv)
    instructor_home, student_home = tmp_path / "instructor", clone / "alice"
    instructor_home.mkdir()
    (student_home / ".jupyter").mkdir(parents=True)
    # what the page tells the admin to put into /etc/jupyter/nbgrader_config.py; and the
    # student id, which nbgrader takes from the login name (one OS user plays alice here)
    config = re.search(r"```python\n(c = get_config\(\).*?)```", text, flags=re.S)[1]
    (student_home / ".jupyter" / "nbgrader_config.py").write_text(
        config.replace(EXAMPLE_EXCHANGE, str(exchange)) + "c.CourseDirectory.student_id = 'alice'\n")

    activate = [". ../.venv/bin/activate"] if form == "activated" else []
    preamble = []  # the instructor's `cd` and `export` lines, run before each later command
    ran = []
    for line in loop_block(text) + quoted_commands(text):
        line = line.replace(EXAMPLE_EXCHANGE, str(exchange))
        if line.startswith(("cd ", "export ")):
            preamble.append(line)
            continue
        command = line if form == "activated" else prefixed(line)
        if line.split()[1] in STUDENT_COMMANDS:
            result = bash("\n".join(activate + [command]), student_home, student_home)
        else:
            result = bash("\n".join(preamble + activate + [command]), clone, instructor_home)
        output = result.stdout + result.stderr
        assert result.returncode == 0 and "Traceback" not in output, f"{command}:\n{output[-3000:]}"
        ran.append(command)
        if line.split()[1] == "fetch_assignment":  # the student works: every code answer right
            path = student_home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            nb = filled_release(read_source(ASSIGNMENT), nbformat.read(path, as_version=4))
            nbformat.write(nb, path)

    assert len(ran) >= 12, ran
    if form == "prefixed":
        assert all(c.startswith("../.venv/bin/nbgrader ") for c in ran)
    assert list((student_home / ASSIGNMENT / "feedback").rglob(f"{ASSIGNMENT}.html"))
    with open(clone / "assignments" / "grades.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT]
    assert [(row["student_id"], float(row["score"])) for row in rows] == [("alice", 17.0)]


def solution_lines(notebook: Path) -> tuple[int, int]:
    """Non-blank, non-comment lines inside the solution regions: (code cells, Markdown cells)."""
    counts = {"code": 0, "markdown": 0}
    for cell in nbformat.read(notebook, as_version=4).cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside and line.strip() and not line.strip().startswith("#"):
                counts[cell.cell_type] += 1
    return counts["code"], counts["markdown"]


def test_the_solution_sizes_in_the_table_are_the_sources():
    rows = re.findall(r"^\| `(ps\d_\w+)` \|.*\| (\d+) lines of code, (\d+) of prose \|", DOC.read_text(),
                      flags=re.M)
    assert len(rows) == 4, rows
    for name, code, prose in rows:
        assert solution_lines(ROOT / "assignments" / "source" / name / f"{name}.ipynb") == \
            (int(code), int(prose)), name
