"""Lesson 04: every "your turn" solution passes its check and every stub fails it, run in this
process (its exercises need only the imports cell). Lesson 03's exercises have the appendix
format and are covered by tests/test_exercises.py."""

import re

import nbformat
import pytest

from conftest import ROOT
from exercise_helpers import exercises, run_check

NOTEBOOKS = ["04_rnn_language_model.ipynb"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_lesson_solutions_pass_and_stubs_fail(notebook):
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    found = exercises(nb)
    assert len(found) >= 2
    for stub_index, check_index, solution in found:
        stub, check = nb.cells[stub_index], nb.cells[check_index]
        names = re.findall(r"^def (\w+)", stub.source, re.MULTILINE)
        assert names and all(f"def {name}(" in solution for name in names)
        assert "check_" in check.source
        with_solution = run_check(nb, solution, check.source)
        assert "✓" in with_solution and "✗" not in with_solution, with_solution
        with_stub = run_check(nb, stub.source, check.source)
        assert "✗" in with_stub and "not implemented" in with_stub, with_stub
        for cell in nb.cells[check_index + 1:]:  # nothing after the exercise relies on the learner's function
            if cell.cell_type == "code":
                assert not any(re.search(rf"\b{name}\(", cell.source) for name in names), cell.id
