"""Helpers for tests that run the real nbgrader on a temporary copy of the course root."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from conftest import ROOT

NBGRADER = [sys.executable, "-m", "nbgrader"]


def copy_course(tmp_path: Path) -> Path:
    """A private copy of assignments/ (config + sources), without any generated state."""
    course = tmp_path / "course"
    shutil.copytree(
        ROOT / "assignments", course,
        ignore=shutil.ignore_patterns("release", "submitted", "autograded", "feedback",
                                      ".exchange", "gradebook.db", ".ipynb_checkpoints"),
    )
    return course


def run_nbgrader(course: Path, *args: str, home: Path | None = None, check: bool = True,
                 timeout: int = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = dict(os.environ, **(env or {}))
    # nbgrader runs helper commands (alembic) from the environment's bin directory.
    bin_dir = str(Path(sys.executable).parent)
    environment["PATH"] = bin_dir + os.pathsep + environment.get("PATH", "")
    if home is not None:
        environment["HOME"] = str(home)
    # The course's own config must be the one that counts, not the user's.
    environment["JUPYTER_CONFIG_DIR"] = str((home or course) / ".jupyter-config")
    result = subprocess.run([*NBGRADER, *args], cwd=course, env=environment, text=True,
                            capture_output=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"nbgrader {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def new_cell(kind: str, source: str, **nbgrader_meta):
    maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = maker(source)
    if nbgrader_meta:
        cell.metadata["nbgrader"] = {"schema_version": 3, "solution": False, "grade": False,
                                     "locked": False, "task": False, **nbgrader_meta}
    return cell


def submit(course: Path, student: str, assignment: str, nb) -> None:
    """What `nbgrader collect` leaves behind: submitted/<student>/<assignment>/<assignment>.ipynb."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")


def autograded_scores(course: Path, assignment: str, student: str) -> dict[str, float]:
    """{grade cell id: score} of one autograded submission, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: g.score for g in submission.grades}


def kernel_without_torch(folder: Path) -> dict:
    """Environment for nbgrader in which the grading kernel cannot import torch, as in the
    sandbox: an IPython startup file (read by the kernel only, not by nbgrader's process)."""
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-no-torch.py").write_text("import sys\n\nsys.modules['torch'] = None\n")
    return {"IPYTHONDIR": str(folder / "ipython")}
