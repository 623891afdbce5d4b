"""A lesson with every exercise solved: each `ex-<name>` cell replaced by the solution in its
appendix cell `sol-<name>` (the format of course_utils/exercises/__init__.py).

    python tools/run_notebooks.py --solved      runs these copies, held to the same pins

A lesson must run top to bottom both ways: as committed (stubs unsolved, the lesson carries on
with the course's reference) and as a learner who solved everything has it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

FENCED = re.compile(r"```python\n(.*?)```", re.DOTALL)
SUFFIX = ".solved"


def solve(nb):
    """The notebook with every exercise cell's source replaced by its appendix solution."""
    by_id = {cell.get("id"): cell for cell in nb.cells}
    solved = 0
    for cell in nb.cells:
        cell_id = cell.get("id", "")
        if cell.cell_type != "code" or not re.fullmatch(r"ex-\w+", cell_id) or cell_id.endswith("-check"):
            continue
        solution = by_id.get(f"sol-{cell_id[3:]}")
        match = FENCED.search(solution.source) if solution is not None else None
        if match is None:
            raise ValueError(f"exercise {cell_id} has no appendix cell sol-{cell_id[3:]} "
                             "with a ```python block")
        cell.source = match.group(1)
        solved += 1
    return nb, solved


def write_solved(path: Path) -> Path | None:
    """Write `<lesson>.solved.ipynb` beside the lesson (same folder: same relative paths);
    None when the lesson has no exercise in this format."""
    nb, solved = solve(nbformat.read(path, as_version=4))
    if not solved:
        return None
    target = path.with_name(path.stem + SUFFIX + path.suffix)
    nbformat.write(nb, target)
    return target
