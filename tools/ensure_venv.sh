#!/bin/sh
# Create a course virtual environment once and keep it in step with the pins.
#   sh tools/ensure_venv.sh lab|dev|compat
# lab/dev: `pip install -e .[EXTRA]` constrained by requirements.lock (the exact course
# environment). compat: the package and the notebook runner constrained by
# requirements-compat.txt (oldest admitted numpy/matplotlib, ipywidgets 7.7, and the front
# ends of that era, JupyterLab 3 and Notebook 6, for the text strip's browser test).
# A stamp file inside the venv holds a hash of the inputs; a second run with the same inputs
# does nothing (seconds).
set -eu
EXTRA="${1:-lab}"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

case "$EXTRA" in
  lab|dev) CONSTRAINTS=requirements.lock; SPEC="-e .[$EXTRA]" ;;
  compat)  CONSTRAINTS=requirements-compat.txt
           SPEC="-e . nbval pytest ipykernel nbformat nbclient jupyterlab notebook playwright" ;;
  *) echo "ensure_venv.sh: EXTRA must be 'lab', 'dev' or 'compat', got '$EXTRA'" >&2; exit 2 ;;
esac

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "The course needs Python 3.10 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1 || echo missing)." >&2
  echo "Run e.g. 'make lab PYTHON=python3.11'." >&2
  exit 1
fi

hash_inputs() {
  cat pyproject.toml "$CONSTRAINTS" | "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
}
WANT="$(hash_inputs)"
# A dev install contains everything a lab install has, so it satisfies both.
for have in "$EXTRA" dev; do
  [ "$EXTRA" = compat ] && [ "$have" = dev ] && continue
  if [ -f "$VENV/.course-stamp-$have" ] && [ "$(cat "$VENV/.course-stamp-$have")" = "$WANT" ]; then
    exit 0
  fi
done

if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating $VENV with $("$PYTHON" --version) ..."
  "$PYTHON" -m venv "$VENV"
fi
echo "Installing the course into $VENV ($EXTRA, pinned by $CONSTRAINTS). The first time takes a minute or two ..."
start=$(date +%s)
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# shellcheck disable=SC2086  # SPEC is a list of requirements
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c "$CONSTRAINTS" $SPEC
rm -f "$VENV"/.course-stamp-*
echo "$WANT" > "$VENV/.course-stamp-$EXTRA"
echo "Installed in $(( $(date +%s) - start )) s."
