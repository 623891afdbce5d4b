"""nbgrader configuration: makes this folder a course root wherever the repository lives.

Run every nbgrader command from inside `assignments/` (see the README's instructor guide).
All paths are relative to this file, so a clone anywhere works without editing it. On a
JupyterHub shared by many students and graders, point the exchange at a shared filesystem
with the NBGRADER_EXCHANGE environment variable (e.g. /srv/nbgrader/exchange).
"""

import os
import sys
import sysconfig

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

# nbgrader runs helper commands (alembic, when it creates the gradebook) from PATH: put the
# running environment's scripts first, so that `../.venv/bin/nbgrader ...` works without an
# activated virtual environment.
SCRIPTS = sysconfig.get_path("scripts")
if os.environ.get("PATH", "").split(os.pathsep)[0] != SCRIPTS:
    os.environ["PATH"] = os.pathsep.join([SCRIPTS, os.environ.get("PATH", os.defpath)])

c.CourseDirectory.course_id = "neural-seq-models"
c.CourseDirectory.root = COURSE_ROOT
# The gradebook lives in the course root (git-ignored), not in the current directory.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db")

# Release/collect exchange: a plain directory that needs no root. Students and instructor
# must all be able to read and write it; on a shared server set NBGRADER_EXCHANGE.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", os.path.join(COURSE_ROOT, ".exchange"))

# Training cells take longer than nbgrader's 30 s default; a runaway cell is still stopped.
c.Execute.timeout = 180
c.Execute.interrupt_on_timeout = True
# A student who deletes a test cell cannot lose it: autograde puts it back from the source.
c.OverwriteCells.add_missing_cells = True
# Students never see solutions or hidden tests in the release.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearHiddenTests.enforce_metadata = True

# --- Safe autograding and leak-free feedback (nbgrader_plugins.py, beside this file) ---------
if COURSE_ROOT not in sys.path:
    sys.path.insert(0, COURSE_ROOT)
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from nbgrader_plugins import (  # noqa: E402
    GradingExecute,
    GradingExporter,
    HideHiddenTests,
    JudgeHiddenTests,
    NoteTampering,
)

# A renamed notebook is graded under its released name; one that is not valid JSON is
# replaced by the release (0 points) with a note, instead of failing the whole submission.
c.Autograde.pre_convert_hook = "nbgrader_plugins.repair_submission"
# nbgrader's lists, with NoteTampering before OverwriteCells, GradingExecute for Execute and,
# right after it, JudgeHiddenTests: the hidden tests' verdicts, computed here and not in the
# student's kernel (which only hands in what the answers returned).
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, NoteTampering, OverwriteCells, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    GradingExecute, JudgeHiddenTests, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
# The grading kernel: 2 GiB of address space (MemoryError beyond), 15 min of CPU time, files
# up to 256 MiB, 10 min of wall time per notebook (Execute.timeout above is per cell), and
# at most 500 lines or 100,000 characters of printed output per cell.
c.GradingExecute.memory_limit_mb = 2048
c.GradingExecute.cpu_limit_s = 900
c.GradingExecute.file_size_limit_mb = 256
c.GradingExecute.notebook_timeout = 600
c.GradingExecute.max_output_chars = 100_000
c.GradingExecute.max_output_lines = 500
# The kernel runs in a bubblewrap sandbox (grading_sandbox.py): it sees a scratch copy of its
# submission and the course environment, read-only; not the course root, the exchange, $HOME
# or the network. Without bubblewrap, autograde refuses to start (the exporter checks before
# touching any submission) unless this run says --GradingExecute.sandbox=off.
c.Autograde.exporter_class = GradingExporter
c.GradingExecute.sandbox = "on"
# Packages the student's kernel cannot import while grading: torch (the assignments ask for
# NumPy; an answer that imports it scores 0 with a note) and the grader's half of the hidden
# tests (its references must not stand in for an answer). Hidden tests only run the answers in
# the kernel; course_utils.grading.judges gives the verdicts in nbgrader's own process.
c.GradingExecute.blocked_packages = ["torch", "course_utils.grading.judges"]
# Feedback shows no hidden test: their regions are removed and test-cell tracebacks cut to
# their last line (the checkers in course_utils.grading make that line say what failed).
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]

# --- The exchange between real users (nbgrader_exchange.py, beside this file) ----------------
# nbgrader collects a submission named after a student even when another account made it;
# this collect skips it with a warning. (Students' side: PrivateSubmit, see the module.)
from nbgrader_exchange import OwnerCheckedCollect  # noqa: E402

c.ExchangeFactory.collect = OwnerCheckedCollect
