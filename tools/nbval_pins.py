"""pytest plugin: give nbval the pinned outputs of `# NBVAL_CHECK_OUTPUT` cells.

Notebooks are committed without outputs, so nbval would have nothing to compare a
`# NBVAL_CHECK_OUTPUT` cell against (and it silently skips cells whose stored execution count
is empty). The expected outputs live beside the tests instead, one JSON file per notebook in
tests/pinned_outputs/, written by `python tools/pin_outputs.py NOTEBOOK`. This plugin puts
them into each such cell before nbval runs it; a pinned cell without a recorded output fails
with a message that says how to record one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# NBVAL_CHECK_OUTPUT"


def pins_dir() -> Path:
    return Path(os.environ.get("COURSE_PINS_DIR", ROOT / "tests" / "pinned_outputs"))


def pins_file(notebook: Path) -> Path:
    notebook = Path(notebook).resolve()
    if notebook.stem.endswith(".solved"):  # a lesson with its exercises solved: the lesson's pins
        notebook = notebook.with_name(notebook.stem.removesuffix(".solved") + notebook.suffix)
    try:
        key = notebook.relative_to(ROOT).with_suffix("")
    except ValueError:
        key = Path(notebook.stem)
    return pins_dir() / ("__".join(key.parts) + ".json")


def is_pinned(cell) -> bool:
    return cell.get("cell_type") == "code" and any(
        line.strip().startswith(MARKER) for line in cell.get("source", "").splitlines()
    )


def source_digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf8")).hexdigest()[:16]


def load_pins(notebook: Path) -> dict:
    path = pins_file(notebook)
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf8")).get("cells", {})


def pytest_collection_modifyitems(session, config, items):
    import nbformat  # here, so that tools/cuda_check.py can use this module without it

    cache: dict[Path, dict] = {}
    for item in items:
        if type(item).__name__ != "IPyNbCell" or not is_pinned(item.cell):
            continue
        notebook = Path(str(item.parent.path))
        pins = cache.setdefault(notebook, load_pins(notebook))
        cell_id = item.cell.get("id")
        pin = pins.get(cell_id)
        if pin is None:
            message = (f"no pinned output recorded for this # NBVAL_CHECK_OUTPUT cell (id {cell_id}); "
                       f"run: python tools/pin_outputs.py {notebook.name}\n")
            outputs = [nbformat.v4.new_output("stream", name="stdout", text=message)]
        else:
            outputs = [nbformat.from_dict(o) for o in pin["outputs"]]
        item.cell.outputs = outputs
        # nbval compares only cells with an execution count ("run" reference cells).
        item.cell.execution_count = 1
