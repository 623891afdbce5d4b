"""Every lesson's "your turn" exercises (the format of course_utils/exercises/__init__.py):

- the appendix solution passes its check;
- the stub, as committed, fails it with "not implemented yet" (and the lesson carries on:
  the notebook runs are in tools/run_notebooks.py);
- every plausible wrong answer in tests/exercise_wrong_answers.py fails it with a message
  that names what is wrong;
- no check, stub or hint contains the solution's code;
- every exercise links to its solution and every solution back to its exercise.

A check runs in a fresh namespace holding the lesson's `imports` cell, then, in notebook
order, the solutions of the earlier exercises and the lesson's `given-*` cells (code the
lesson writes in front of the learner that later exercises use, e.g. the unrolled forward
pass), then the definition under test.
"""

from __future__ import annotations

import contextlib
import io
import re
import tokenize

import nbformat
import pytest

from conftest import ROOT
from exercise_wrong_answers import WRONG_ANSWERS

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FENCED = re.compile(r"```python\n(.*?)```", re.DOTALL)


def lesson_exercises(path):
    """{name: {"stub", "check", "solution", "markdown"}} for one lesson, in notebook order."""
    cells = nbformat.read(path, as_version=4).cells
    by_id = {cell.get("id"): cell for cell in cells}
    found, prelude = {}, []
    for index, cell in enumerate(cells):
        cell_id = cell.get("id", "")
        if cell.cell_type == "code" and cell_id.startswith("given-"):
            prelude.append(cell.source)
        if cell.cell_type != "code" or not re.fullmatch(r"ex-[\w]+", cell_id) or cell_id.endswith("-check"):
            continue
        name = cell_id[3:]
        check = by_id.get(f"{cell_id}-check")
        solution = by_id.get(f"sol-{name}")
        assert check is not None, f"{path.name}: exercise {name} has no cell ex-{name}-check"
        assert solution is not None and solution.cell_type == "markdown", \
            f"{path.name}: exercise {name} has no Markdown cell sol-{name} in the appendix"
        code = FENCED.search(solution.source)
        assert code, f"{path.name}: sol-{name} holds no ```python block"
        markdown = [c.source for c in cells[max(0, index - 2):index] if c.cell_type == "markdown"]
        found[name] = {"stub": cell.source, "check": check.source, "solution": code.group(1),
                       "solution_cell": solution.source, "markdown": "\n".join(markdown),
                       "imports": by_id["imports"].source, "prelude": list(prelude)}
        prelude.append(code.group(1))
    return found


EXERCISES = [(path.stem, name) for path in LESSONS for name in lesson_exercises(path)]


def exercise(lesson, name):
    return lesson_exercises(ROOT / "notebooks" / f"{lesson}.ipynb")[name]


def run_check(ex, definition: str) -> str:
    """The lesson's imports, a definition (stub, solution or wrong answer), then the check,
    in a fresh namespace; returns what the check printed."""
    namespace: dict = {}
    exec(compile(ex["imports"], "imports", "exec"), namespace)
    with contextlib.redirect_stdout(io.StringIO()):
        for number, source in enumerate(ex["prelude"]):
            exec(compile(source, f"prelude {number}", "exec"), namespace)
    exec(compile(definition, "definition", "exec"), namespace)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(ex["check"], "check", "exec"), namespace)
    return output.getvalue()


def first_line(printed: str) -> str:
    return printed.strip().splitlines()[0] if printed.strip() else ""


@pytest.mark.parametrize("lesson, name", EXERCISES)
def test_the_solution_passes_and_the_stub_does_not(lesson, name):
    ex = exercise(lesson, name)
    passed = run_check(ex, ex["solution"])
    assert first_line(passed).startswith("✓"), passed
    assert "uses your" in passed, passed
    stub = run_check(ex, ex["stub"])
    assert first_line(stub).startswith("✗") and "not implemented yet" in stub, stub
    assert "the course's" in stub, stub


@pytest.mark.parametrize("lesson, name", EXERCISES)
def test_plausible_wrong_answers_fail_with_a_message_that_says_what(lesson, name):
    ex = exercise(lesson, name)
    wrong_answers = WRONG_ANSWERS.get((lesson, name))
    assert wrong_answers, f"tests/exercise_wrong_answers.py has no wrong answer for {lesson} {name}"
    for old, new, says in wrong_answers:
        assert old in ex["solution"], f"{lesson} {name}: the wrong answer's {old!r} is not in the solution"
        printed = run_check(ex, ex["solution"].replace(old, new, 1))
        assert first_line(printed).startswith("✗"), f"{old!r} -> {new!r} passed:\n{printed}"
        assert re.search(says, first_line(printed)), f"{old!r} -> {new!r}: {first_line(printed)!r}"


def code_lines(source: str) -> list[tuple[str, ...]]:
    """Each logical line of Python as a tuple of its tokens (no comments, strings or layout)."""
    lines, current = [], []
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
            tokenize.STRING, tokenize.ENDMARKER}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NEWLINE:
                if current:
                    lines.append(tuple(current))
                current = []
            elif token.type not in skip:
                current.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return lines


def inline_code(markdown: str) -> str:
    return "\n".join(re.findall(r"`([^`\n]+)`", markdown) + FENCED.findall(markdown))


@pytest.mark.parametrize("lesson, name", EXERCISES)
def test_no_check_stub_or_hint_gives_the_solution_away(lesson, name):
    ex = exercise(lesson, name)
    body = [line for line in code_lines(ex["solution"])
            if line[0] not in ("def", "return") and len(line) >= 6]
    assert body, f"{lesson} {name}: the solution has no line of substance"
    for where, source in (("check", ex["check"]), ("stub", ex["stub"]),
                          ("hint", inline_code(ex["markdown"]))):
        shown = " ".join(" ".join(line) for line in code_lines(source))
        for line in body:
            assert " ".join(line) not in shown, f"{lesson} {name}: the {where} contains {' '.join(line)!r}"


@pytest.mark.parametrize("lesson, name", EXERCISES)
def test_exercise_and_solution_link_to_each_other(lesson, name):
    ex = exercise(lesson, name)
    assert f"(#sol-{name})" in ex["markdown"], f"{lesson} {name}: the exercise does not link to #sol-{name}"
    assert f'id="sol-{name}"' in ex["solution_cell"] and f"(#ex-{name})" in ex["solution_cell"]


def test_every_wrong_answer_belongs_to_an_exercise():
    assert set(WRONG_ANSWERS) <= set(EXERCISES), set(WRONG_ANSWERS) - set(EXERCISES)


@pytest.mark.parametrize("lesson, backward, forward", [
    ("lesson02", "ffn_backward", "ffn_forward"),
    ("lesson03", "window_lm_backward", "window_lm_forward"),
    ("lesson04", "rnn_step_backward", "rnn_step_forward"),
])
def test_a_backward_check_on_the_course_forward_says_which_exercise_comes_first(lesson, backward, forward):
    """The backward pass reads its own forward pass's cache: checked beside the course's forward,
    a stub still hears "not implemented", anything else hears to finish the forward pass first."""
    import importlib

    checks = importlib.import_module(f"course_utils.exercises.{lesson}")
    course = {"lesson02": "course_utils.nn.ffn", "lesson03": "course_utils.nn.window_lm",
              "lesson04": "course_utils.nn.rnn"}[lesson]
    course_forward = getattr(importlib.import_module(course), forward)
    check = getattr(checks, f"check_{backward}")

    def stub(*_):
        raise NotImplementedError

    def something(*args):
        return args[-1]

    assert "not implemented yet" in check(stub, course_forward, quiet=True).message
    message = check(something, course_forward, quiet=True).message
    assert f"{forward} is still the course's" in message and f"your own {forward}" in message
