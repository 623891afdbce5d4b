"""The grader's half of the hidden tests: for each part, the references and the comparison.

Nothing here runs in the student's kernel. The grading sandbox hides this package from it
(assignments/nbgrader_config.py blocks `course_utils.grading.judges` as it blocks torch), so
an answer cannot import a reference to stand in for itself; the kernel side, one module per
assignment in `course_utils.grading`, holds only the seeded cases and `run_<part>`.
"""

from __future__ import annotations

from . import ps1, ps2, ps3, ps4

JUDGES = {**ps1.JUDGES, **ps2.JUDGES, **ps3.JUDGES, **ps4.JUDGES}
