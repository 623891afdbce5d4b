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

.PHONY: lab test test-compat test-hub hub hub-clean bench pretrain lint unit unit-fast notebooks strip lock clean-venv help sandbox-check

help:
	@echo "make lab    install the course (first time: about 1-2 minutes) and start JupyterLab"
	@echo "make test   install the course with test tools and run every test and notebook"
	@echo "make hub    (as root) a demo class on a real JupyterHub: instructor + students; make hub-clean"

# ensure_venv.sh EXTRA: create $(VENV) if absent; install -e .[EXTRA] with the lock as
# constraints unless a stamp shows the same pyproject.toml + requirements.lock are installed.
lab:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh lab
	@$(MAKE) --no-print-directory sandbox-check
	@echo "Starting JupyterLab on http://$(LAB_IP):$(LAB_PORT)/lab (Ctrl-C to stop)."
	$(VENV)/bin/jupyter lab --no-browser --allow-root --ip=$(LAB_IP) --port=$(LAB_PORT) \
		--ServerApp.port_retries=0 --ServerApp.root_dir=notebooks

test:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh dev
	@$(MAKE) --no-print-directory sandbox-check lint unit notebooks

# nbgrader autograde runs each student's kernel in the bubblewrap sandbox (Linux): without it,
# autograde refuses to start. Say how to install it (docs/instructors.md, "The grading sandbox").
sandbox-check:
	@if [ "$$(uname -s)" = Linux ] && ! command -v bwrap >/dev/null 2>&1; then \
	  echo "Note: autograding runs students' code in the bubblewrap sandbox, which is not installed."; \
	  echo "      Install the package: sudo apt-get install bubblewrap (Debian/Ubuntu)"; \
	  echo "      or sudo dnf install bubblewrap (Fedora/RHEL). See docs/instructors.md."; \
	fi

lint:
	$(VENV)/bin/ruff check course_utils tests bench notebooks tools assignments

unit:
	$(PY) -m pytest tests $(PYTEST_ARGS)

# The inner loop: every test not marked slow (no server, browser, nbgrader or notebook run).
unit-fast:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" sh tools/ensure_venv.sh dev
	$(PY) -m pytest tests -m "not slow" -q $(PYTEST_ARGS)

# Every lesson and every assignment source, executed top to bottom on a fresh kernel; then every
# lesson again with its exercises solved (as a learner who did them all has it).
notebooks:
	$(PY) tools/run_notebooks.py $(PYTEST_ARGS)
	$(PY) tools/run_notebooks.py --solved notebooks $(PYTEST_ARGS)

# Every lesson again, in a second environment with ipywidgets 7.7 and the oldest numpy and
# matplotlib that pyproject.toml admits (requirements-compat.txt); then the text strip in
# JupyterLab 3 and Notebook 6 with ipywidgets 7.7, in headless Chromium.
test-compat:
	@PYTHON="$(PYTHON)" VENV="$(COMPAT_VENV)" sh tools/ensure_venv.sh compat
	$(COMPAT_VENV)/bin/python -c "import numpy, matplotlib, ipywidgets; print('compat:', 'numpy', numpy.__version__, 'matplotlib', matplotlib.__version__, 'ipywidgets', ipywidgets.__version__)"
	PATH="$(abspath $(COMPAT_VENV))/bin:$$PATH" $(COMPAT_VENV)/bin/python tools/run_notebooks.py notebooks $(PYTEST_ARGS)
	PATH="$(abspath $(COMPAT_VENV))/bin:$$PATH" $(COMPAT_VENV)/bin/python -m pytest -p no:cacheprovider \
		tests/test_text_strip_browser.py $(PYTEST_ARGS)

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

# Clear outputs and execution counts before committing (nbstripout). --keep-id keeps the cell
# ids, which tests/pinned_outputs/ and nbgrader's cell records are keyed by.
STRIP ?= notebooks/*.ipynb assignments/source/*/*.ipynb
strip:
	$(VENV)/bin/nbstripout --keep-id $(STRIP)

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
