"""What the "your turn" solution tests share: finding each exercise in a lesson.

An exercise is a code cell with `raise NotImplementedError` (the learner's stub), the next
code cell (its check) and, in the next Markdown cell, a `<details><summary>Solution</summary>`
block holding the reference solution.
"""

import contextlib
import io
import re

SOLUTION = re.compile(r"<details>\s*<summary>Solution</summary>\s*```python\n(.*?)```\s*</details>",
                      re.DOTALL)


def exercises(nb):
    """[(stub index, check index, solution source)] in notebook order."""
    found = []
    cells = nb.cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or "raise NotImplementedError" not in cell.source:
            continue
        check = next(i for i in range(index + 1, len(cells)) if cells[i].cell_type == "code")
        markdown = next(i for i in range(check + 1, len(cells)) if cells[i].cell_type == "markdown")
        match = SOLUTION.search(cells[markdown].source)
        assert match, f"cell {cells[markdown].get('id')}: no <details> Solution block after check {check}"
        found.append((index, check, match.group(1)))
    return found


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def run_check(nb, definition: str, check: str) -> str:
    """Run the notebook's imports, a definition (stub or solution), then the check, in this
    process; return what the check printed."""
    imports = next(c.source for c in nb.cells if c.get("id") == "imports")
    namespace: dict = {}
    exec(compile(imports, "imports", "exec"), namespace)
    exec(compile(definition, "definition", "exec"), namespace)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(check, "check", "exec"), namespace)
    return output.getvalue()
