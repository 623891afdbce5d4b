"""The checks behind the lessons' "your turn" exercises, one module per lesson.

A lesson's exercise is three cells and an appendix entry, found by their cell ids:

    ex-<name>          the learner's code cell: `def <name>(...)` with a docstring, a
                       `# YOUR CODE HERE` block and `raise NotImplementedError`
    ex-<name>-check    the check: `check_<name>(<name>)` from `course_utils.exercises.lessonNN`,
                       which compares with torch or numerical gradients on seeded random
                       shapes and prints ✓ or ✗ with a hint that names the equation, never
                       the code; then `<name> = yours_or_course(...)`, so that with the stub
                       unsolved the lesson carries on with the course's reference and says so
    sol-<name>         a Markdown cell in the notebook's "Solutions" appendix holding the
                       solution in a ```python block, linked from the exercise

A check is self-contained: it needs only the learner's function (and the lesson's imports),
so the tests run each solution, each stub and known wrong answers against it in seconds
(tests/test_exercises.py). Failure messages say what is wrong (the shape, which output or
gradient, at which step, by how much); they never print the reference formula or code.
"""

from course_utils.exercises._core import yours_or_course  # noqa: E402 (the lessons' one import)

__all__ = ["yours_or_course"]
