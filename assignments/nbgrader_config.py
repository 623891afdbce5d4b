"""nbgrader configuration: makes this folder a course root wherever the repository lives.

Run every nbgrader command from inside `assignments/` (see the README's instructor guide).
All paths are relative to this file, so a clone anywhere works without editing it. On a
JupyterHub shared by many students and graders, point the exchange at a shared filesystem
with the NBGRADER_EXCHANGE environment variable (e.g. /srv/nbgrader/exchange).
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

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
