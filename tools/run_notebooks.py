"""Execute every lesson and every assignment source notebook with nbval.

    python tools/run_notebooks.py [--solved] [notebook or folder ...] [extra pytest args]

Cells run top to bottom on a fresh kernel of this environment; outputs are compared only
where a cell says `# NBVAL_CHECK_OUTPUT` (nbval's lax mode), against the outputs recorded in
tests/pinned_outputs/ (see tools/pin_outputs.py), after the substitutions in
tests/nbval_sanitize.cfg. pytest's exit code 5 ("no tests collected") is success while the
folders are still empty; every other failure is passed on.

With --solved, each lesson that has exercises runs once more with every exercise replaced by
its appendix solution (tools/solved_lessons.py), held to the same pins; the copies are
removed afterwards.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
FOLDERS = ["notebooks", "assignments/source"]


def main(argv: list[str]) -> int:
    solved = "--solved" in argv
    argv = [a for a in argv if a != "--solved"]
    paths = [a for a in argv if not a.startswith("-") and Path(a).exists()]
    argv = [a for a in argv if a not in paths]
    targets = paths or [f for f in FOLDERS if (ROOT / f).is_dir()]
    notebooks = [p for f in targets
                 for p in ([Path(f)] if f.endswith(".ipynb") else sorted((ROOT / f).rglob("*.ipynb")))
                 if ".ipynb_checkpoints" not in p.parts and not p.stem.endswith(".solved")]
    if solved:
        from solved_lessons import write_solved

        copies = [c for c in (write_solved(ROOT / p) for p in notebooks) if c is not None]
        try:
            if not copies:
                print("No lesson has exercises in the appendix format yet: nothing to run solved.")
                return 0
            print(f"Executing {len(copies)} lesson(s) with every exercise solved")
            return _run([str(c.relative_to(ROOT)) for c in copies], argv, skip_solved=False)
        finally:
            for copy in copies:
                copy.unlink(missing_ok=True)
    print(f"Executing {len(notebooks)} notebook(s) in {', '.join(targets)}")
    return _run(targets, argv)


def _run(targets: list[str], argv: list[str], skip_solved: bool = True) -> int:
    command = [
        sys.executable, "-m", "pytest", "-p", "nbval_pins", "--nbval-lax", "--nbval-current-env",
        "--nbval-cell-timeout=600",
        "--sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
        "-p", "no:cacheprovider", "--ignore-glob=*.ipynb_checkpoints*",
        *(["--ignore-glob=*.solved.ipynb"] if skip_solved else []),
        "-o", "testpaths=", *targets, *argv,
    ]
    # tools/ on the path so pytest can load the nbval_pins plugin (pinned outputs). Nothing is
    # downloaded at test time and nothing downloaded before is used (an empty cache): every lesson
    # runs its offline path, the one its pins record (lesson 00 loads GloVe when it can).
    with tempfile.TemporaryDirectory(prefix="course-utils-cache-") as cache:
        python_path = [str(ROOT / "tools"), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = dict(os.environ, COURSE_UTILS_OFFLINE="1", COURSE_UTILS_CACHE=cache,
                   PYTHONPATH=os.pathsep.join(python_path))
        code = subprocess.call(command, cwd=ROOT, env=env)
    if code == 5:
        print("No notebooks to execute yet: nothing failed.")
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
