"""The "your turn" exercises of lesson 06 in the old format: each solution passes its check, each
stub fails it. (Lesson 05's exercises are in the appendix format: tests/test_exercises.py.)

Each exercise is three cells: a stub (a function whose body raises NotImplementedError), a
check cell (course_utils.checks, prints ✓ or ✗) and a Markdown cell with the reference solution
in a collapsed <details> block. The test runs each notebook top to bottom on a fresh kernel with
every solution and a copy of its check inserted *before* its stub, and asserts that the copied
check prints only ✓, that the notebook's own check (after the stub) prints ✗ "not implemented",
and that every other cell runs although the stubs stay defined: no later cell depends on them.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT
from exercise_helpers import exercises, printed

NOTEBOOKS = ["06_lstm.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_exercise_has_a_check_and_a_solution(name):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    found = exercises(nb)
    assert len(found) >= 2
    for stub, check, solution in found:
        assert "check_" in nb.cells[check].source, f"cell {nb.cells[check].id} is not a check cell"
        assert "NotImplementedError" not in solution
        defined = re.findall(r"^def (\w+)", nb.cells[stub].source, re.MULTILINE)
        assert defined and all(f"def {fn}(" in solution for fn in defined), defined


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solutions_pass_their_checks_and_stubs_fail_them(name):
    path = ROOT / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb)
    original_checks = {nb.cells[check].id for _, check, _ in found}
    for number, (stub, check, solution) in reversed(list(enumerate(found))):
        check_copy = nbformat.v4.new_code_cell(nb.cells[check].source)
        check_copy["id"] = f"solution-check-{number}"
        solution_cell = nbformat.v4.new_code_cell(solution)
        solution_cell["id"] = f"solution-{number}"
        nb.cells[stub:stub] = [solution_cell, check_copy]
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # raises on any error
    by_id = {cell.id: cell for cell in nb.cells}
    for number in range(len(found)):
        with_solution = printed(by_id[f"solution-check-{number}"])
        assert "✓" in with_solution and "✗" not in with_solution, with_solution
    for cell_id in original_checks:
        with_stub = printed(by_id[cell_id])
        assert "✗" in with_stub and "not implemented" in with_stub, with_stub
