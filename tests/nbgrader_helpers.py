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
