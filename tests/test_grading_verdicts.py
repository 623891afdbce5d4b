"""Verdicts computed outside the student's process (issue 14, items 2 and 3).

The kernel only hands in what the student's functions returned (a PAYLOAD_MIME display
output); the grader regenerates the inputs, computes the references and decides. So:

- what the kernel hands in comes back exactly, and anything malformed scores 0 with a note;
- a claim of a pass, a stray payload, or one from the wrong cell counts for nothing;
- an answer that uses torch scores 0 on that part, with a one-line note;
- and, with the real nbgrader on every assignment and a grading kernel that cannot import
  torch (as in the sandbox): the source scores full marks, the release zero, and answers made
  wrong score zero however they tamper with numpy, torch, course_utils, sys.modules or the
  cell's outputs; the feedback shows no payload, no hidden test and no expected value.
"""

import copy
import json
import re
import sys

import nbformat
import numpy as np
import pytest
from grading_helpers import (
    answer_and_tests,
    assignment_names,
    expected_values,
    filled_release,
    html_text,
    is_test_cell,
    nbgrader_meta,
    nbgrader_plugins,
    read_source,
    run_source,
    secret_lines,
)
from hostile_answers import forged, perturbed, tampered, torch_answers
from nbgrader.utils import determine_grade

from course_utils import grading
from course_utils.grading._core import Opaque, decode, encode

from nbgrader_helpers import (
    autograded_scores,
    copy_course,
    kernel_without_torch,
    run_nbgrader,
    submit,
)

PS1, PS4 = "ps1_perceptron_ffn", "ps4_lstm_and_bidirectional"
MIME = grading.PAYLOAD_MIME


@pytest.fixture(scope="module")
def ps1():
    return run_source(PS1)


def handed_in(run, *functions) -> dict:
    """The one payload that `run(*functions)` hands in."""
    with grading.collect() as payloads:
        run(*functions)
    assert len(payloads) == 1
    return payloads[0]


# ---- the payload: lossless, and refused when malformed -----------------------------------------

def through_json(value):
    return decode(json.loads(json.dumps(encode(value))))


@pytest.mark.parametrize("array", [
    np.array([0.1, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1 / 3]),
    np.arange(12.0).reshape(3, 4).T,  # not contiguous
    np.arange(6, dtype=">f8").reshape(2, 3),  # big-endian
    np.array([[True, False]]), np.arange(5, dtype=np.int8), np.float32([1.5, 2.25]),
    np.zeros((0, 3)), np.float64(2 / 3), np.int64(-7),
])
def test_arrays_come_back_bit_for_bit(array):
    back = through_json(array)
    assert isinstance(back, np.ndarray) and back.shape == np.shape(array)
    assert back.dtype == np.asarray(array).dtype.newbyteorder("=")
    assert back.tobytes() == np.ascontiguousarray(array, dtype=back.dtype).tobytes()


def test_numbers_and_containers_come_back_exactly():
    value = {"loss": 1 / 3, "nan": float("nan"), "count": 7, "flag": True, "none": None,
             "tokens": [2, 3, 1], "pair": (np.ones(2), {"W": np.eye(2)})}
    back = through_json(value)
    assert back["loss"] == 1 / 3 and np.isnan(back["nan"]) and back["count"] == 7
    assert back["flag"] is True and back["none"] is None and back["tokens"] == [2, 3, 1]
    assert np.array_equal(back["pair"][0], np.ones(2)) and np.array_equal(back["pair"][1]["W"], np.eye(2))


def test_what_cannot_be_rebuilt_is_described_by_its_type():
    import torch

    assert isinstance(through_json(object()), Opaque)
    huge = through_json(np.zeros(10_000))
    assert isinstance(huge, Opaque) and "(10000,)" in repr(huge)
    tensor = through_json(torch.ones(3))
    assert isinstance(tensor, Opaque) and tensor.torch


def forgeries(payload) -> dict:
    """Ways a payload could be forged or damaged, each built from a genuine one."""
    def edited(change):
        forged_payload = copy.deepcopy(payload)
        change(forged_payload)
        return forged_payload

    array = payload["cases"][0]["returned"][0]["__array__"]
    return {
        "another part": edited(lambda p: p.update(part="elu_backward")),
        "no cases": edited(lambda p: p.update(cases=[])),
        "one case short": edited(lambda p: p["cases"].pop()),
        "cases not a list": edited(lambda p: p.update(cases="all passed")),
        "record not a dict": edited(lambda p: p["cases"].__setitem__(0, "passed")),
        "data shorter than its shape": edited(lambda p: p["cases"][0]["returned"][0]["__array__"]
                                              .update(data=array["data"][:4])),
        "a huge shape": edited(lambda p: p["cases"][0]["returned"][0]["__array__"]
                               .update(shape=[10**9, 10**9])),
        "object dtype": edited(lambda p: p["cases"][0]["returned"][0]["__array__"]
                               .update(dtype="|O")),
        "not base64": edited(lambda p: p["cases"][0]["returned"][0]["__array__"]
                             .update(data="%%%%")),
        "unknown value": edited(lambda p: p["cases"][0].update(returned={"verdict": "pass"})),
        "deeply nested": edited(lambda p: p["cases"][0].update(returned=[[[[[[[[[[[[1]]]]]]]]]]]])),
    }


def test_a_malformed_payload_scores_zero_with_a_note(ps1):
    payload = handed_in(grading.run_elu_forward, ps1["elu_forward"])
    assert grading.judge("elu_forward", payload) is None
    for how, forgery in forgeries(payload).items():
        message = grading.judge("elu_forward", forgery)
        assert message and message.startswith("elu_forward:"), how
        assert "could not be read" in message or "should return" in message, (how, message)


def test_a_claimed_verdict_counts_for_nothing(ps1):
    def wrong(z, alpha=1.0):
        out, cache = ps1["elu_forward"](z, alpha)
        return out * 1.01, cache

    claims_a_pass = {**handed_in(grading.run_elu_forward, wrong), "verdict": "pass", "score": 2}
    assert "out is wrong" in grading.judge("elu_forward", claims_a_pass)
    claims_a_fail = {**handed_in(grading.run_elu_forward, ps1["elu_forward"]), "verdict": "fail"}
    assert grading.judge("elu_forward", claims_a_fail) is None


def test_an_answer_that_imports_torch_scores_zero_with_a_note(ps1, monkeypatch):
    def elu_with_torch(z, alpha=1.0):
        import torch

        return torch.nn.functional.elu(torch.as_tensor(z), alpha).numpy(), None

    monkeypatch.setitem(sys.modules, "torch", None)  # as in the grading kernel
    payload = handed_in(grading.run_elu_forward, elu_with_torch)
    monkeypatch.undo()
    assert grading.judge("elu_forward", payload) == grading.torch_message("elu_forward")
    assert grading.torch_message("elu_forward") == (
        "elu_forward used torch; this assignment asks for NumPy (torch is not available while "
        "grading)")


def test_an_answer_that_returns_a_torch_tensor_scores_zero_with_a_note():
    import torch

    def elu_returning_a_tensor(z, alpha=1.0):
        return torch.nn.functional.elu(torch.as_tensor(z), alpha), None

    payload = handed_in(grading.run_elu_forward, elu_returning_a_tensor)
    assert grading.judge("elu_forward", payload) == grading.torch_message("elu_forward")


# ---- JudgeHiddenTests on a notebook, without a kernel -------------------------------------------

def graded_notebook(ps1, test_outputs, answer_outputs=()):
    """The elu_forward answer cell and its test cell (source and metadata from ps1's source),
    with the outputs a kernel might have left."""
    answer, tests = answer_and_tests(read_source(PS1))[0]
    answer, test = copy.deepcopy(answer), copy.deepcopy(tests[0])
    answer.outputs, test.outputs = list(answer_outputs), list(test_outputs)
    return nbformat.v4.new_notebook(cells=[answer, test])


def payload_output(payload):
    return nbformat.v4.new_output("display_data", data={MIME: payload, "text/plain": "results"})


def judged(nb):
    nbgrader_plugins().JudgeHiddenTests().preprocess(nb, {})
    test = nb.cells[1]
    score, _ = determine_grade(test)
    errors = [o.evalue for o in test.outputs if o.output_type == "error"]
    return score, (errors[0] if errors else None)


def test_the_grader_judges_only_the_test_cells_own_payload(ps1):
    right = handed_in(grading.run_elu_forward, ps1["elu_forward"])
    nb = graded_notebook(ps1, [payload_output(right)])
    assert judged(nb) == (2.0, None)
    assert not [o for cell in nb.cells for o in cell.outputs if MIME in o.get("data", {})]

    # printed from the answer cell: removed, and the test cell's results are missing
    score, message = judged(graded_notebook(ps1, [], answer_outputs=[payload_output(right)]))
    assert score == 0 and "did not reach the grader" in message
    score, message = judged(graded_notebook(ps1, [payload_output(right)] * 2))
    assert score == 0 and "handed in 2 times" in message
    score, message = judged(graded_notebook(ps1, [payload_output("all tests passed")]))
    assert score == 0 and "did not reach the grader" in message


def test_a_partial_score_from_the_kernel_is_not_taken(ps1):
    """nbgrader reads an execute_result that is not a number as full marks."""
    def wrong(z, alpha=1.0):
        return ps1["elu_forward"](z, alpha * 1.5)

    full_marks = nbformat.v4.new_output("execute_result", data={"text/plain": "'full marks'"},
                                        execution_count=1)
    nb = graded_notebook(ps1, [full_marks, payload_output(handed_in(grading.run_elu_forward, wrong))])
    score, message = judged(nb)
    assert score == 0 and message.startswith("elu_forward: out is wrong")
    assert not [o for o in nb.cells[1].outputs if o.output_type == "execute_result"]


def test_an_error_that_shows_torch_gets_a_note_naming_the_function(ps1):
    traceback = ["\x1b[0;31mModuleNotFoundError\x1b[0m  Traceback (most recent call last)",
                 "Cell \x1b[0;32mIn[5], line 2\x1b[0m\n----> 2 out, _ = elu_forward(...)",
                 "Cell \x1b[0;32mIn[4], line 3\x1b[0m, in \x1b[0;36melu_forward\x1b[0;34m(z, alpha)"
                 "\x1b[0m\n----> 3 import torch",
                 "\x1b[0;31mModuleNotFoundError\x1b[0m: import of torch halted; None in sys.modules"]
    error = nbformat.v4.new_output("error", ename="ModuleNotFoundError",
                                   evalue="import of torch halted; None in sys.modules",
                                   traceback=traceback)
    nb = graded_notebook(ps1, [error])
    assert judged(nb)[0] == 0
    assert nbgrader_plugins().notes_of(nb.cells[1]) == [grading.torch_message("elu_forward")]


def test_feedback_shows_no_payload_and_no_hidden_test(ps1):
    nb = graded_notebook(ps1, [payload_output(handed_in(grading.run_elu_forward, ps1["elu_forward"]))])
    nbgrader_plugins().HideHiddenTests().preprocess(nb, {})
    test = nb.cells[-1]
    assert not test.outputs
    assert "run_elu_forward" not in test.source and test.source.endswith("# (hidden tests: not shown)")


# ---- the real nbgrader, every assignment, a kernel without torch --------------------------------

def noisy(source, release):
    """The solution, with a debugging print of 100 lines in elu_forward: its visible tests
    flood the cell's output past the grader's cap, and the results must still arrive."""
    nb = filled_release(source, release)
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == "elu_forward")
    debug = '    print("\\n".join(f"debug line {i}" for i in range(100)))\n'
    cell.source = cell.source.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n" + debug)
    assert debug in cell.source
    return nb


HOSTILE = {"perturbed": perturbed, "tampered": tampered, "forged": forged}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every assignment generated; honest, release, perturbed, tampered and forged submissions
    (ps1 also a noisy honest one, ps4 one that uses torch) autograded by a kernel without torch,
    and their feedback generated."""
    folder = tmp_path_factory.mktemp("verdicts")
    course = copy_course(folder)
    no_torch = kernel_without_torch(folder)
    students = {}
    for name in assignment_names():
        run_nbgrader(course, "generate_assignment", name)
        source = read_source(name)
        release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        submissions = {"honest": source, "release": release}
        submissions.update({student: build(source, release) for student, build in HOSTILE.items()})
        if name == PS1:
            submissions["noisy"] = noisy(source, release)
        if name == PS4:
            submissions["torch"] = torch_answers(source, release)
        for student, nb in submissions.items():
            submit(course, student, name, nb)
        run_nbgrader(course, "autograde", name, "--Execute.timeout=60", env=no_torch)
        run_nbgrader(course, "generate_feedback", name)
        students[name] = list(submissions)
    return course, students


def totals(course, name):
    tests = [nbgrader_meta(c)["grade_id"] for c in read_source(name).cells if is_test_cell(c)]
    result = {}
    for student in ("honest", "release", *HOSTILE, "noisy", "torch"):
        if (course / "autograded" / student / name).is_dir():
            scores = autograded_scores(course, name, student)
            result[student] = sum(scores[cell] for cell in tests)
    return result


@pytest.mark.slow
@pytest.mark.parametrize("name", assignment_names())
def test_wrong_answers_score_zero_however_they_tamper(graded, name):
    course, _ = graded
    maximum = sum(float(nbgrader_meta(c)["points"]) for c in read_source(name).cells
                  if is_test_cell(c))
    scores = totals(course, name)
    print(f"{name}: {scores} of {maximum:g}")
    assert scores["honest"] == maximum == 17
    assert scores["release"] == 0 and scores["perturbed"] == 0
    assert scores["tampered"] <= scores["perturbed"] and scores["forged"] <= scores["perturbed"]
    if name == PS1:
        assert scores["noisy"] == maximum, "a flood of prints pushed the results out"


def autograded_outputs(course, name, student):
    nb = nbformat.read(course / "autograded" / student / name / f"{name}.ipynb", as_version=4)
    return {nbgrader_meta(c).get("grade_id"): c for c in nb.cells if c.cell_type == "code"}


@pytest.mark.slow
@pytest.mark.parametrize("name", assignment_names())
def test_tampered_answers_are_told_what_is_wrong(graded, name):
    """The tamper's comparisons pass in its kernel, so some visible tests pass; the grader then
    says, for each part whose hidden test ran, which output is wrong (or that no results came:
    the tamper replaced some of the hidden tests' own functions)."""
    course, _ = graded
    told = 0
    for _, tests in answer_and_tests(read_source(name)):
        for test in tests:
            cell = autograded_outputs(course, name, "tampered")[nbgrader_meta(test)["grade_id"]]
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert errors, f"{test.id} of the tampered submission has no error"
            message = errors[-1].evalue
            if errors[-1].ename == "GradingFailure":
                parts = re.findall(r"grading\.run_(\w+)\(", test.source)
                assert any(message.startswith(f"{part}: ") for part in parts), message
                told += "Hint:" in message  # a verdict on the outputs, not on missing results
    assert told >= 2, f"{name}: the grader judged only {told} tampered parts"


@pytest.mark.slow
def test_answers_that_use_torch_score_zero_with_a_note(graded):
    course, _ = graded
    scores = autograded_scores(course, PS4, "torch")
    assert scores["test_gru_step_forward"] == scores["test_gru_step_backward"] == 0
    assert scores["test_bidirectional_gru"] == scores["test_residual"] == 0
    text = html_text(course / "feedback" / "torch" / PS4 / f"{PS4}.html")
    for function in ("gru_step_forward", "residual_stacked_lstm"):
        assert grading.torch_message(function) in text, function


@pytest.mark.slow
@pytest.mark.parametrize("name", assignment_names())
def test_feedback_shows_no_payload_hidden_test_or_expected_value(graded, name):
    course, students = graded
    solution, hidden = secret_lines(read_source(name))
    values = expected_values(name)
    for student in students[name]:
        cells = autograded_outputs(course, name, student).values()
        assert not [o for c in cells for o in c.outputs if MIME in o.get("data", {})], \
            f"{student}: a payload stayed in the autograded notebook"
        page = course / "feedback" / student / name / f"{name}.html"
        raw = page.read_text(encoding="utf-8")
        assert "__array__" not in raw and "__float__" not in raw, student
        if MIME not in (course / "submitted" / student / name / f"{name}.ipynb").read_text():
            assert MIME not in raw, student  # (the tampering code names it itself)
        text = html_text(page)
        assert "BEGIN HIDDEN TESTS" not in text and "grading.run_" not in text, student
        assert not [line for line in hidden if line in text], f"{student}: hidden tests leaked"
        # A visible check that fails prints its own expected value (from the released test),
        # which may happen to round like a hidden one: those ✗ lines are not the grader's.
        graders_text = "\n".join(line for line in text.splitlines()
                                  if not line.lstrip().startswith("✗"))
        assert not [value for value in values if value in graders_text], f"{student}: values leaked"
        if student == "release":
            assert not [line for line in solution if line in text]
