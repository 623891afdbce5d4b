# Two commands: `make lab` (start the course) and `make test` (prove it works).
# Both create .venv on first use and reuse it while pyproject.toml and
# requirements.lock are unchanged (a stamp records their hash).

PYTHON ?= python3
VENV   ?= .venv
LAB_PORT ?= 8888
LAB_IP   ?= 127.0.0.1
PY     := $(VENV)/bin/python
PYTEST_ARGS ?=
# Recipes see the venv's commands (jupyter, nbgrader, alembic) first.
export PATH := $(abspath $(VENV))/bin:$(PATH)

COMPAT_VENV ?= .venv-compat

.PHONY: lab test test-compat bench pretrain lint unit notebooks lock clean-venv help

help:
	@echo "make lab    install the course (first time: about 1-2 minutes) and start JupyterLab"
	@echo "make test   install the course with test tools and run every test and notebook"

# ensure_venv.sh EXTRA: create $(VENV) if absent; install -e .[EXTRA] with the lock as
# constraints unless a stamp shows the same pyproject.toml + requirements.lock are installed.
lab:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh lab
	@echo "Starting JupyterLab on http://$(LAB_IP):$(LAB_PORT)/lab (Ctrl-C to stop)."
	$(VENV)/bin/jupyter lab --no-browser --allow-root --ip=$(LAB_IP) --port=$(LAB_PORT) \
		--ServerApp.port_retries=0 --ServerApp.root_dir=notebooks

test:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh dev
	@$(MAKE) --no-print-directory lint unit notebooks

lint:
	$(VENV)/bin/ruff check course_utils tests bench notebooks tools

unit:
	$(PY) -m pytest tests $(PYTEST_ARGS)

# Every lesson and every assignment source, executed top to bottom on a fresh kernel.
# Exit code 5 ("no tests collected") is fine while a folder is still empty.
notebooks:
	$(PY) tools/run_notebooks.py $(PYTEST_ARGS)

# Every lesson again, in a second environment with ipywidgets 7.7 and the oldest numpy and
# matplotlib that pyproject.toml admits (requirements-compat.txt).
test-compat:
	@PYTHON="$(PYTHON)" VENV="$(COMPAT_VENV)" sh tools/ensure_venv.sh compat
	$(COMPAT_VENV)/bin/python -c "import numpy, matplotlib, ipywidgets; print('compat:', 'numpy', numpy.__version__, 'matplotlib', matplotlib.__version__, 'ipywidgets', ipywidgets.__version__)"
	PATH="$(abspath $(COMPAT_VENV))/bin:$$PATH" $(COMPAT_VENV)/bin/python tools/run_notebooks.py notebooks $(PYTEST_ARGS)

# Every figure of the README's performance table (about 15 minutes; BENCH_ARGS=--quick: 2).
BENCH_ARGS ?=
bench:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh dev
	$(PY) bench/run.py --markdown $(BENCH_ARGS)

# Train every model the lessons load (course_utils/checkpoints/, about 45 minutes on 2 CPU cores;
# PRETRAIN_ARGS="--only lstm_lm" for one). Deterministic: same machine, same numbers.
PRETRAIN_ARGS ?=
pretrain:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh dev
	$(PY) tools/pretrain.py $(PRETRAIN_ARGS)

# Refresh requirements.lock from the current .venv (after changing a pin on purpose).
lock:
	$(PY) tools/write_lock.py

clean-venv:
	rm -rf $(VENV) $(COMPAT_VENV)
