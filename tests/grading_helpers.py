"""What the grading tests share: the assignments, their solution and hidden-test lines, and
submissions written the way a student (or a hostile one) would hand them in."""

from __future__ import annotations

import ast
import copy
import functools
import html
import importlib
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
from IPython.core.inputtransformer2 import TransformerManager
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from course_utils import grading

from conftest import ROOT

SOURCE = ROOT / "assignments" / "source"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def assignment_names() -> list[str]:
    return sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file())


def read_source(name: str) -> nbformat.NotebookNode:
    return nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def is_answer_cell(cell) -> bool:
    return nbgrader_meta(cell).get("solution", False)


def region(source: str, begin: str, end: str) -> list[str]:
    """The lines strictly between the delimiters (all regions of the cell)."""
    lines, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def visible_part(cell) -> str:
    """A test cell's source without its hidden tests, as nbgrader's ClearHiddenTests makes it."""
    cell = copy.deepcopy(cell)
    ClearHiddenTests().preprocess_cell(cell, {}, 0)
    return cell.source


def students_copy(nb) -> nbformat.NotebookNode:
    """What generate_assignment hands out, by nbgrader's own preprocessors."""
    nb = copy.deepcopy(nb)
    for preprocessor in (ClearSolutions(), ClearHiddenTests()):
        nb, _ = preprocessor.preprocess(nb, {})
    return nb


def _distinctive(lines, visible: str) -> set[str]:
    """Lines worth searching for: long enough to be specific, not also in the visible text."""
    out = set()
    for line in lines:
        text = line.strip()
        if len(text) >= 12 and not text.startswith("#") and text not in visible:
            out.add(text)
    return out


def secret_lines(nb) -> tuple[set[str], set[str]]:
    """(solution lines, hidden-test lines) of a source notebook that must never reach students."""
    visible = "\n".join(c.source for c in students_copy(nb).cells)
    solution, hidden = [], []
    for cell in nb.cells:
        solution += region(cell.source, BEGIN_SOLUTION, END_SOLUTION)
        hidden += region(cell.source, BEGIN_HIDDEN, END_HIDDEN)
    return _distinctive(solution, visible), _distinctive(hidden, visible)


def html_text(path: Path) -> str:
    """The text a reader sees in an nbconvert HTML page (tags, styles and scripts removed)."""
    page = path.read_text(encoding="utf-8")
    body = page[page.find("<body"):]
    body = re.sub(r"<(style|script)\b.*?</\1>", "", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def defined_names(source: str) -> list[str]:
    """Functions an answer cell defines (with its solution in place)."""
    tree = ast.parse(source)
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def answer_and_tests(nb) -> list[tuple[object, list]]:
    """Each code answer cell with the test cells that follow it (before the next answer)."""
    pairs: list[tuple[object, list]] = []
    for cell in nb.cells:
        if cell.cell_type == "code" and is_answer_cell(cell):
            pairs.append((cell, []))
        elif is_test_cell(cell) and pairs:
            pairs[-1][1].append(cell)
    return pairs


def filled_release(source_nb, release_nb) -> nbformat.NotebookNode:
    """The release with every code answer filled in as the solution: a student who got all
    the code right (written answers left as released). Test cells stay as released."""
    nb = copy.deepcopy(release_nb)
    solutions = {nbgrader_meta(c).get("grade_id"): c.source for c in source_nb.cells}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta.get("solution"):
            cell.source = solutions[meta["grade_id"]]
    return nb


def cell_by_id(nb, grade_id: str):
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


_to_python = TransformerManager().transform_cell


def run_source(name: str) -> dict:
    """Execute a source notebook top to bottom in-process, as its kernel would; its namespace.
    (What its hidden tests hand in is dropped.)"""
    namespace = {"__name__": "__main__"}
    with grading.collect():
        for cell in read_source(name).cells:
            if cell.cell_type == "code":
                exec(compile(_to_python(cell.source), f"<{name}:{cell.id}>", "exec"), namespace)
    return namespace


def hidden_code(cell) -> str:
    return "\n".join(region(cell.source, BEGIN_HIDDEN, END_HIDDEN))


def recorded_outputs(cell, namespace, function) -> list[float]:
    """Numbers the solution returns inside a hidden test: the expected values a leak would show."""
    values: list[float] = []

    def collect(result):
        if isinstance(result, dict):
            for item in result.values():
                collect(item)
        elif isinstance(result, (tuple, list)):
            for item in result:
                collect(item)
        elif isinstance(result, (np.ndarray, float, np.floating)):
            values.extend(np.ravel(np.asarray(result, dtype=float)).tolist())

    def recording(*args, **kwargs):
        result = namespace[function](*args, **kwargs)
        collect(result)
        return result

    with grading.collect():
        exec(compile(hidden_code(cell), "<hidden>", "exec"), {**namespace, function: recording})
    return [v for v in values if np.isfinite(v) and abs(v) >= 1e-3]


def hidden_verdict(cell, namespace, **replacements) -> str | None:
    """What the grader says about a hidden test cell run in-process with `replacements` for
    the answers: None when it passes, else its one-line message. As in autograde, the kernel's
    side (run_<part>) only hands results in; the course's JudgeHiddenTests gives the verdict."""
    with grading.collect() as payloads:
        try:
            exec(compile(hidden_code(cell), "<hidden>", "exec"), {**namespace, **replacements})
        except Exception as error:  # in a notebook: an error output, 0 points
            return f"the cell raised {type(error).__name__}: {error}"
    graded = copy.deepcopy(cell)
    graded.outputs = [nbformat.v4.new_output("display_data", data={grading.PAYLOAD_MIME: p})
                      for p in payloads]
    nb = nbformat.v4.new_notebook(cells=[graded])
    nbgrader_plugins().JudgeHiddenTests().preprocess(nb, {})
    errors = [o.evalue for o in nb.cells[0].outputs if o.output_type == "error"]
    return errors[0] if errors else None


@functools.cache
def nbgrader_plugins():
    """assignments/nbgrader_plugins.py, the course's additions to nbgrader."""
    sys.path.insert(0, str(ROOT / "assignments"))
    return importlib.import_module("nbgrader_plugins")


def renderings(value: float) -> set[str]:
    """How a leaked number would be printed (repr, %.6g, 4 decimals), when specific enough."""
    forms = {f"{value:.6g}", repr(float(value))[:10]}
    if abs(value) >= 0.01:
        forms.add(f"{value:.4f}")
    return {f for f in forms if len(f.strip("-0.")) >= 4}


@functools.cache
def expected_values(name: str) -> frozenset[str]:
    """Every rendering of every value the hidden tests of assignment `name` compare against."""
    namespace = run_source(name)
    forms: set[str] = set()
    for answer, tests in answer_and_tests(read_source(name)):
        for function in defined_names(answer.source):
            for cell in tests:
                if function in hidden_code(cell):
                    for value in recorded_outputs(cell, namespace, function):
                        forms |= renderings(value)
    return frozenset(forms)
