"""Execute every lesson and every assignment source notebook with nbval.

    python tools/run_notebooks.py [notebook or folder ...] [extra pytest args]

Cells run top to bottom on a fresh kernel of this environment; outputs are compared only
where a cell says `# NBVAL_CHECK_OUTPUT` (nbval's lax mode), against the outputs recorded in
tests/pinned_outputs/ (see tools/pin_outputs.py), after the substitutions in
tests/nbval_sanitize.cfg. pytest's exit code 5 ("no tests collected") is success while the
folders are still empty; every other failure is passed on.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ["notebooks", "assignments/source"]


def main(argv: list[str]) -> int:
    paths = [a for a in argv if not a.startswith("-") and Path(a).exists()]
    argv = [a for a in argv if a not in paths]
    targets = paths or [f for f in FOLDERS if (ROOT / f).is_dir()]
    notebooks = [p for f in targets
                 for p in ([Path(f)] if f.endswith(".ipynb") else sorted((ROOT / f).rglob("*.ipynb")))
                 if ".ipynb_checkpoints" not in p.parts]
    print(f"Executing {len(notebooks)} notebook(s) in {', '.join(targets)}")
    command = [
        sys.executable, "-m", "pytest", "-p", "nbval_pins", "--nbval-lax", "--nbval-current-env",
        "--nbval-cell-timeout=600",
        "--sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
        "-p", "no:cacheprovider", "--ignore-glob=*.ipynb_checkpoints*",
        "-o", "testpaths=", *targets, *argv,
    ]
    # tools/ on the path so pytest can load the nbval_pins plugin (pinned outputs).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "tools"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    code = subprocess.call(command, cwd=ROOT, env=env)
    if code == 5:
        print("No notebooks to execute yet: nothing failed.")
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
