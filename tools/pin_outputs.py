"""Record the outputs of a notebook's `# NBVAL_CHECK_OUTPUT` cells as the expected ones.

    python tools/pin_outputs.py notebooks/01_perceptron.ipynb [...]

Executes each notebook top to bottom on a fresh kernel of this environment (in the
notebook's folder) and writes tests/pinned_outputs/<notebook>.json. The notebook file itself
is not changed (it stays without outputs); review the diff of the JSON file before committing:
it is what `make test` will hold the notebook to.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbval_pins import is_pinned, pins_file, source_digest  # noqa: E402

VOLATILE = ("execution_count", "transient")


def clean_output(output: dict) -> dict:
    output = {k: v for k, v in output.items() if k not in VOLATILE}
    if output.get("output_type") == "execute_result":
        output["execution_count"] = None
    return output


def pin(notebook: Path) -> Path:
    nb = nbformat.read(notebook, as_version=4)
    if not any(is_pinned(c) for c in nb.cells):
        raise SystemExit(f"{notebook}: no '# NBVAL_CHECK_OUTPUT' cell to pin")
    missing_ids = [i for i, c in enumerate(nb.cells) if "id" not in c]
    if missing_ids:
        raise SystemExit(f"{notebook}: cells {missing_ids} have no id; re-save it with nbformat >= 5.1")
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    client.execute()
    cells = {}
    for cell in nb.cells:
        if is_pinned(cell):
            cells[cell["id"]] = {
                "source_sha": source_digest(cell["source"]),
                "source": cell["source"],
                "outputs": [clean_output(o) for o in cell.get("outputs", [])],
            }
    target = pins_file(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {"notebook": notebook.resolve().name, "cells": cells}
    target.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf8")
    return target


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    # The pins record the offline path, as tools/run_notebooks.py runs it: no download, an empty cache.
    with tempfile.TemporaryDirectory(prefix="course-utils-cache-") as cache:
        os.environ.update(COURSE_UTILS_OFFLINE="1", COURSE_UTILS_CACHE=cache)
        for arg in argv:
            path = Path(arg)
            if not path.is_file():
                raise SystemExit(f"pin_outputs: no such notebook: {arg}")
            target = pin(path)
            print(f"pinned {path} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
