"""Lesson 00's "your turn" exercises: each solution passes its check, each stub fails it.

Each exercise is a stub cell (a function raising NotImplementedError), a check cell
(course_utils.checks, prints ✓ or ✗) and a Markdown cell with the solution in a collapsed
<details> block. The solution and the check are run, exactly as written in the notebook, in a
namespace holding what the lesson defined before them: the lesson's own `ranks` cell, and for
3CosMul a small random embedding in place of the trained model (the check compares against
gensim's `most_similar_cosmul` on whatever `model` and `w2v` it is given).
"""

from __future__ import annotations

import contextlib
import io
import re

import nbformat
import numpy as np
import pytest

from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "00_word_vectors_recap.ipynb"
SOLUTION = re.compile(r"<details>\s*<summary>Solution</summary>\s*```python\n(.*?)```", re.DOTALL)


def cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def exercises():
    """{function name: (stub source, check source, solution source)} in notebook order."""
    found = {}
    nb_cells = cells()
    for index, cell in enumerate(nb_cells):
        if cell.cell_type != "code" or "raise NotImplementedError" not in cell.source:
            continue
        (name,) = re.findall(r"^def (\w+)", cell.source, re.MULTILINE)
        check = nb_cells[index + 1]
        solution = SOLUTION.search(nb_cells[index + 2].source)
        assert check.cell_type == "code" and "check_" in check.source, f"no check after {name}"
        assert solution, f"no <details> Solution block after the check of {name}"
        found[name] = (cell.source, check.source, solution.group(1))
    return found


def lesson_cell(cell_id):
    (cell,) = [c for c in cells() if c.get("id") == cell_id]
    return cell.source


def namespace():
    """What the lesson has defined when the exercises start (small stand-ins for the models)."""
    from gensim.models import KeyedVectors
    from scipy.stats import spearmanr

    from course_utils.checks import check_close, check_function, check_shape, check_true
    from course_utils.wordvec import WordVectors

    env = {"np": np, "spearmanr": spearmanr, "check_close": check_close, "check_function": check_function,
           "check_shape": check_shape, "check_true": check_true}
    exec(lesson_cell("ranks").split("\nhuman = ")[0], env)     # the lesson's own ranks()
    words = ["man", "woman", "he", "she", "kabul", "afghanistan", "islamabad", "pakistan", "good",
             "better", "bad", "worse"] + [f"w{i}" for i in range(200)]
    kv = KeyedVectors(16)
    kv.add_vectors(words, np.random.default_rng(5).standard_normal((len(words), 16)).astype(np.float32))
    env["model"] = type("Model", (), {"wv": kv})()
    env["w2v"] = WordVectors.from_keyed_vectors(kv)
    return env


def run(source, env) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, env)
    return out.getvalue()


def test_the_lesson_has_two_exercises_with_checks_and_solutions():
    found = exercises()
    assert list(found) == ["spearman_shortcut", "analogy_3cosmul"]
    for name, (_, _, solution) in found.items():
        assert f"def {name}(" in solution and "NotImplementedError" not in solution


@pytest.mark.parametrize("name", ["spearman_shortcut", "analogy_3cosmul"])
def test_solution_passes_and_stub_fails(name):
    stub, check, solution = exercises()[name]
    env = namespace()
    run(solution, env)
    passed = run(check, env)
    assert passed.startswith("✓") and "✗" not in passed, passed

    env = namespace()
    run(stub, env)
    failed = run(check, env)
    assert failed.startswith("✗") and "not implemented" in failed, failed


def test_a_wrong_answer_is_caught():
    _, check, solution = exercises()["spearman_shortcut"]
    env = namespace()
    run(solution.replace("1 - 6", "1 - 5"), env)
    assert run(check, env).startswith("✗")


def test_no_later_cell_uses_an_exercise():
    nb_cells = cells()
    for name in exercises():
        (stub_index,) = [i for i, c in enumerate(nb_cells) if f"def {name}(" in c.source
                         and c.cell_type == "code"]
        later = [c for c in nb_cells[stub_index + 2:] if c.cell_type == "code"]
        assert not any(name in c.source for c in later), f"a cell after the check uses {name}"


def test_shortcut_differs_from_the_exact_formula_with_ties():
    """The claim in the solution text: on WordSim353 (which has ties) the two differ, slightly."""
    from course_utils.data import load_word_similarity
    from course_utils.wordvec import spearman_rho

    _, _, solution = exercises()["spearman_shortcut"]
    env = namespace()
    run(solution, env)
    human = np.array([s for _, _, s in load_word_similarity("wordsim353")])
    other = np.round(human + np.random.default_rng(0).normal(0, 2, human.size), 1)
    difference = abs(env["spearman_shortcut"](human, other) - spearman_rho(human, other))
    assert 1e-5 < difference < 1e-2
