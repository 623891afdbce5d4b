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

.PHONY: lab test test-compat test-hub hub hub-clean bench lint unit notebooks lock clean-venv help

help:
	@echo "make lab    install the course (first time: about 1-2 minutes) and start JupyterLab"
	@echo "make test   install the course with test tools and run every test and notebook"
	@echo "make hub    (as root) a demo class on a real JupyterHub: instructor + students; make hub-clean"

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

# A demo class on a real JupyterHub on this machine (as root): one instructor and HUB_STUDENTS
# students as local Unix users, the shared exchange, Formgrader and the Assignments tab
# (tools/hub/hub.py). It prints the URL and the logins; make hub-clean stops it by PID and
# removes the users and everything under HUB_ROOT.
HUB_ROOT ?= /srv/neural-seq-models-hub
HUB_STUDENTS ?= 3
HUB_PORT ?= 8000
HUB_IP ?= 127.0.0.1
HUB_PREFIX ?= nsm-
hub:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh dev
	$(PY) tools/hub/hub.py up --root $(HUB_ROOT) --students $(HUB_STUDENTS) --port $(HUB_PORT) \
		--ip $(HUB_IP) --prefix $(HUB_PREFIX)

hub-clean:
	@if [ -x $(PY) ]; then $(PY) tools/hub/hub.py down --root $(HUB_ROOT); \
	else python3 tools/hub/hub.py down --root $(HUB_ROOT); fi

# The class on a real hub, in a browser (the semester loop), isolation between the students'
# accounts, and parallel grading on PostgreSQL (as root; about 15 minutes). .ci/run calls it.
test-hub:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh dev
	$(PY) -m pytest tests -m hub $(PYTEST_ARGS)

# Refresh requirements.lock from the current .venv (after changing a pin on purpose).
lock:
	$(PY) tools/write_lock.py

clean-venv:
	rm -rf $(VENV) $(COMPAT_VENV)
