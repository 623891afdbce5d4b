"""Run the lessons on a machine with a CUDA GPU and report what changes there.

    python tools/cuda_check.py [NOTEBOOK ...]      (default: every lesson in notebooks/)

The lessons' torch code picks `cuda` when torch sees a GPU. CI has none, so this tool is how a
contributor with a GPU proves that the lessons still run there: each notebook's code cells are
executed in order in one in-process IPython shell (no Jupyter server needed; widgets are
built but not displayed, figures go to the Agg backend), and the tool prints, per lesson,
whether every cell ran, which device the lesson's `device` variable names, and which
`# NBVAL_CHECK_OUTPUT` cells print exactly their pinned CPU output (tests/pinned_outputs/).
On a GPU some pins may differ in their last digits (float32 kernels differ from the CPU's);
the list says which, so a reader can judge. Exit status 1 if any cell raised.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import time
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
os.environ.setdefault("MPLBACKEND", "Agg")

from nbval_pins import is_pinned, load_pins  # noqa: E402


def sanitizers() -> list[tuple[re.Pattern, str]]:
    parser = ConfigParser()
    parser.read(ROOT / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def pinned_text(pin: dict) -> str:
    return "".join("".join(o.get("text", "")) for o in pin["outputs"] if o.get("output_type") == "stream")


def run_notebook(path: Path, subs) -> dict:
    from IPython.core.interactiveshell import InteractiveShell

    notebook = json.loads(path.read_text(encoding="utf8"))
    pins = load_pins(path)
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance(colors="nocolor")
    cwd = os.getcwd()
    os.chdir(path.parent)
    report = {"notebook": path.name, "errors": [], "pins_equal": [], "pins_differ": {}}
    start = time.perf_counter()
    try:
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            cell["source"] = source = "".join(cell["source"])
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                result = shell.run_cell(source, silent=True, store_history=False)
            if not result.success:
                error = result.error_in_exec or result.error_before_exec
                printed = out.getvalue().strip().splitlines()[-14:]
                report["errors"].append(f"cell {cell.get('id')}: {type(error).__name__}: {error}"
                                        + "".join(f"\n      | {line}" for line in printed))
                break
            if is_pinned(cell) and cell.get("id") in pins:
                got, want = out.getvalue(), pinned_text(pins[cell["id"]])
                for pattern, replacement in subs:
                    got, want = pattern.sub(replacement, got), pattern.sub(replacement, want)
                if got == want:
                    report["pins_equal"].append(cell["id"])
                else:
                    want_lines, got_lines = want.splitlines(), got.splitlines()
                    diff = [(w, g) for w, g in zip(want_lines, got_lines, strict=False) if w != g]
                    if len(want_lines) != len(got_lines):
                        diff.append((f"{len(want_lines)} lines", f"{len(got_lines)} lines"))
                    report["pins_differ"][cell["id"]] = diff[:3]
        device = shell.user_ns.get("device")
        report["device"] = str(device) if device is not None else "(no torch device)"
    finally:
        os.chdir(cwd)
        report["seconds"] = round(time.perf_counter() - start, 1)
        import matplotlib.pyplot as plt

        plt.close("all")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    import torch

    print(f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}"
          + (f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""))
    subs, failed = sanitizers(), False
    for path in paths:
        report = run_notebook(path.resolve(), subs)
        ok = not report["errors"]
        failed |= not ok
        print(f"{report['notebook']}: {'ran' if ok else 'FAILED'} in {report['seconds']} s on "
              f"{report['device']}; pins equal {len(report['pins_equal'])}, "
              f"differ {len(report['pins_differ'])}")
        for error in report["errors"]:
            print("   error:", error)
        for cell_id, lines in report["pins_differ"].items():
            for want, got in lines:
                print(f"   {cell_id}: pinned {want!r}\n   {' ' * len(cell_id)}  got    {got!r}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
