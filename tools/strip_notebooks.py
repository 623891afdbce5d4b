"""Remove outputs and execution counts from notebooks before committing them.

    python tools/strip_notebooks.py [paths ...]     (default: every notebook in the repo)
    python tools/strip_notebooks.py --check          (exit 1 if any notebook has outputs)
"""

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ["notebooks", "assignments/source"]


def notebooks(args):
    if args:
        return [Path(a) for a in args]
    return [p for f in FOLDERS for p in sorted((ROOT / f).rglob("*.ipynb"))
            if ".ipynb_checkpoints" not in p.parts]


def has_outputs(nb) -> bool:
    return any(c.cell_type == "code" and (c.outputs or c.execution_count) for c in nb.cells)


def main(argv) -> int:
    check = "--check" in argv
    paths = notebooks([a for a in argv if a != "--check"])
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not has_outputs(nb):
            continue
        dirty.append(path)
        if not check:
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            nbformat.write(nb, path)
    for path in dirty:
        print(f"{'has outputs' if check else 'stripped'}: {path}")
    return 1 if (check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
