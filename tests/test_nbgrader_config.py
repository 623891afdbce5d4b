"""assignments/ is a working nbgrader course root wherever the repository is cloned."""

import json
import runpy

import nbformat
import pytest

from conftest import ROOT
from nbgrader_helpers import copy_course, new_cell, run_nbgrader


def load_config(path):
    from traitlets.config import Config

    config = Config()
    runpy.run_path(str(path), init_globals={"get_config": lambda: config})
    return config


def test_config_paths_are_relative_to_the_course_root(tmp_path):
    course = copy_course(tmp_path)
    config = load_config(course / "nbgrader_config.py")
    assert config.CourseDirectory.root == str(course)
    assert config.CourseDirectory.db_url == f"sqlite:///{course / 'gradebook.db'}"
    assert config.Exchange.root == str(course / ".exchange")
    assert config.CourseDirectory.course_id == "neural-seq-models"
    assert config.Execute.timeout >= 120, "training cells need more than nbgrader's 30 s"
    assert config.OverwriteCells.add_missing_cells is True
    text = (ROOT / "assignments" / "nbgrader_config.py").read_text()
    assert "/home/" not in text and "/root" not in text


def test_exchange_can_be_moved_for_a_shared_hub(tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(tmp_path / "shared-exchange"))
    config = load_config(ROOT / "assignments" / "nbgrader_config.py")
    assert config.Exchange.root == str(tmp_path / "shared-exchange")


def tiny_assignment() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_cell("markdown", "Implement `double(x)`."),
        new_cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x  # SECRET-SOLUTION\n"
                         "    ### END SOLUTION", solution=True, grade_id="double"),
        new_cell("code", "assert double(2) == 4\n### BEGIN HIDDEN TESTS\n"
                         "assert double(21) == 42  # SECRET-HIDDEN\n### END HIDDEN TESTS",
                 grade=True, locked=True, points=1, grade_id="test_double"),
    ]
    return nb


@pytest.mark.slow
def test_generate_assignment_strips_solutions_in_a_temp_copy(tmp_path):
    course = copy_course(tmp_path)
    source = course / "source" / "ps0"
    source.mkdir(parents=True)
    nbformat.write(tiny_assignment(), source / "ps0.ipynb")

    run_nbgrader(course, "generate_assignment", "ps0", "--force")

    released = course / "release" / "ps0" / "ps0.ipynb"
    assert released.is_file()
    text = released.read_text()
    assert "SECRET-SOLUTION" not in text and "SECRET-HIDDEN" not in text
    assert "raise NotImplementedError()" in text
    assert "assert double(2) == 4" in text  # the visible test stays
    assert (course / "gradebook.db").is_file()  # the gradebook lives in the course root
    cells = json.loads(text)["cells"]
    assert cells[2]["metadata"]["nbgrader"]["points"] == 1
    # the source was not touched
    assert "SECRET-SOLUTION" in (source / "ps0.ipynb").read_text()
    # nothing was written into the repository's own course root
    assert not (ROOT / "assignments" / "release" / "ps0").exists()
