"""The "your turn" exercises of lesson 07: each solution passes its check, each stub fails it.

Each exercise is three cells: a stub (a function whose body raises NotImplementedError), a
check cell (course_utils.checks, prints ✓ or ✗) and a Markdown cell with the reference solution
in a collapsed <details> block. The check cells of this lesson build their own inputs, so a
short notebook suffices: the lesson's imports cell, then each solution followed by a copy of its
check, then each stub followed by its check, run on a fresh kernel. Asserted: every check after
a solution prints only ✓; every check after a stub prints ✗ and "not implemented"; and no later
cell of the lesson uses an exercise's function, so run-all works with the stubs left in place.
"""

from __future__ import annotations

import re

import nbformat
from nbclient import NotebookClient

from conftest import ROOT
from exercise_helpers import exercises, printed

NOTEBOOK = ROOT / "notebooks" / "07_bidirectional_and_deep_rnns.ipynb"


def test_exercises_have_checks_solutions_and_no_later_use():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    found = exercises(nb)
    assert len(found) == 3
    for stub, check, solution in found:
        assert "check_" in nb.cells[check].source, f"cell {nb.cells[check].id} is not a check cell"
        assert "NotImplementedError" not in solution
        (name,) = re.findall(r"^def (\w+)", nb.cells[stub].source, re.MULTILINE)
        assert f"def {name}(" in solution
        later = [c.id for i, c in enumerate(nb.cells)
                 if i > check and c.cell_type == "code" and re.search(rf"\b{name}\b", c.source)]
        assert not later, f"{name} is used by later cells {later}: they would fail with the stub"


def test_solutions_pass_their_checks_and_stubs_fail_them():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    found = exercises(nb)
    imports = next(c for c in nb.cells if c.get("id") == "imports")
    cells = [nbformat.v4.new_code_cell(imports.source)]
    for number, (_, check, solution) in enumerate(found):
        cells += [nbformat.v4.new_code_cell(solution), nbformat.v4.new_code_cell(nb.cells[check].source)]
        cells[-1].metadata["role"] = f"solution-check-{number}"
    for number, (stub, check, _) in enumerate(found):
        cells += [nbformat.v4.new_code_cell(nb.cells[stub].source),
                  nbformat.v4.new_code_cell(nb.cells[check].source)]
        cells[-1].metadata["role"] = f"stub-check-{number}"
    short = nbformat.v4.new_notebook(cells=cells)
    short.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(short, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()  # raises on error

    by_role = {c.metadata["role"]: printed(c) for c in short.cells if "role" in c.metadata}
    for number in range(len(found)):
        with_solution = by_role[f"solution-check-{number}"]
        assert "✓" in with_solution and "✗" not in with_solution, with_solution
        with_stub = by_role[f"stub-check-{number}"]
        assert "✗" in with_stub and "not implemented" in with_stub, with_stub
