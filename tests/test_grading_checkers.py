"""The hidden tests, run in-process: they accept the solutions, reject the stubs and wrong
answers with a message that reveals no expected value, and nothing in course_utils passes them.

Each assignment source is executed cell by cell in one namespace (as its kernel would); the
test cells are then re-run with the answers swapped out.
"""

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest
from grading_helpers import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    answer_and_tests,
    assignment_names,
    defined_names,
    read_source,
    region,
    strip_region,
)
from IPython.core.inputtransformer2 import TransformerManager

import course_utils
from course_utils.grading import GradingFailure

ASSIGNMENTS = assignment_names()
_to_python = TransformerManager().transform_cell


def run_source(name):
    """Execute a source notebook top to bottom; returns its namespace."""
    namespace = {"__name__": "__main__"}
    for cell in read_source(name).cells:
        if cell.cell_type == "code":
            exec(compile(_to_python(cell.source), f"<{name}:{cell.id}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def solved(request):
    return request.param, run_source(request.param)


def hidden_code(cell) -> str:
    return "\n".join(region(cell.source, BEGIN_HIDDEN, END_HIDDEN))


def run_hidden(cell, namespace, **replacements):
    exec(compile(hidden_code(cell), "<hidden>", "exec"), {**namespace, **replacements})


def failure_message(cell, namespace, **replacements) -> str:
    with pytest.raises(GradingFailure) as info:
        run_hidden(cell, namespace, **replacements)
    return str(info.value)


def test_every_test_cell_has_a_visible_and_a_hidden_part(solved):
    name, _ = solved
    pairs = answer_and_tests(read_source(name))
    assert pairs, f"{name} has no answer cells"
    for answer, tests in pairs:
        assert tests, f"{answer.id} has no test cell"
        for cell in tests:
            assert "assert " in strip_region(cell.source, BEGIN_HIDDEN, END_HIDDEN)
            assert re.search(r"grading\.check_\w+\(", hidden_code(cell)), cell.id


def test_hidden_tests_fail_for_the_released_stubs(solved):
    name, namespace = solved
    for answer, tests in answer_and_tests(read_source(name)):
        def stub(*args, **kwargs):
            raise NotImplementedError()

        for function in defined_names(answer.source):
            for cell in tests:
                if function in hidden_code(cell):
                    message = failure_message(cell, namespace, **{function: stub})
                    assert "not implemented yet" in message


def course_utils_functions():
    """Every function defined anywhere in course_utils, public or private."""
    found = {}
    for module_info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if inspect.isfunction(value) and value.__module__.startswith("course_utils"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_no_function_in_course_utils_passes_a_hidden_test(solved):
    """The package never contains an answer: substitute each of its functions for each answer."""
    name, namespace = solved
    candidates = course_utils_functions()
    assert len(candidates) > 50
    for answer, tests in answer_and_tests(read_source(name)):
        for function in defined_names(answer.source):
            for cell in tests:
                if function not in hidden_code(cell):
                    continue
                passed = []
                for qualified, candidate in candidates.items():
                    try:
                        run_hidden(cell, namespace, **{function: candidate})
                    except Exception:  # GradingFailure, or the candidate crashed the checker
                        continue
                    passed.append(qualified)
                assert not passed, f"{name}: {passed} pass the hidden test for {function}"


# ---- the messages: what failed, with a hint, never an expected value -----------------------

def recorded_outputs(cell, namespace, function):
    """Numbers the solution returns inside the hidden test: the values a leak would show."""
    values = []

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

    run_hidden(cell, namespace, **{function: recording})
    return [v for v in values if np.isfinite(v) and abs(v) >= 1e-3]


def renderings(value: float) -> set[str]:
    """How a leaked number would be printed (repr, %.6g, 4 decimals): only specific ones."""
    forms = {f"{value:.6g}", repr(float(value))[:10]}
    if abs(value) >= 0.01:
        forms.add(f"{value:.4f}")
    return {f for f in forms if len(f.strip("-0.")) >= 4}


def wrong_answers(namespace):
    """Plausible mistakes, by answer name: each must fail with a helpful, value-free message."""
    ns = namespace
    wrong = {
        # ps1
        "elu_forward": lambda z, alpha=1.0: (np.where(z > 0, z, np.exp(z) - 1), z),
        "elu_backward": lambda dout, cache: np.ones_like(dout),
        "neuron_loss_and_grads": lambda w, b, X, y: (
            float(-np.mean(y * np.log(ns["sigmoid"](X @ w + b))
                           + (1 - y) * np.log(1 - ns["sigmoid"](X @ w + b)))),
            X.T @ (ns["sigmoid"](X @ w + b) - y), float(np.sum(ns["sigmoid"](X @ w + b) - y))),
        "multilabel_loss_and_grads": lambda params, X, Y: (
            ns["multilabel_loss_and_grads"](params, X, Y)[0],
            {**ns["multilabel_loss_and_grads"](params, X, Y)[1],
             "W": 2 * ns["multilabel_loss_and_grads"](params, X, Y)[1]["W"]}),
        "sgd_momentum_step": lambda params, grads, velocity, lr, momentum: (
            {k: params[k] - lr * grads[k] for k in params},
            {k: momentum * velocity[k] - lr * grads[k] for k in params}),
    }
    return wrong


def test_wrong_answers_fail_with_a_message_that_reveals_no_expected_value(solved):
    name, namespace = solved
    wrong = wrong_answers(namespace)
    checked = 0
    for answer, tests in answer_and_tests(read_source(name)):
        for function in defined_names(answer.source):
            if function not in wrong:
                continue
            for cell in tests:
                if function not in hidden_code(cell):
                    continue
                message = failure_message(cell, namespace, **{function: wrong[function]})
                assert message.startswith(f"{function}:"), message
                assert "Hint:" in message and len(message) < 400, message
                expected = recorded_outputs(cell, namespace, function)
                assert expected, f"no values recorded for {function}"
                leaked = [form for value in expected for form in renderings(value) if form in message]
                assert not leaked, f"{function}: message {message!r} shows expected values {leaked}"
                checked += 1
    assert checked, f"{name}: no wrong answer was tried"


def test_checkers_keep_the_students_prints_and_warnings_out_of_the_cell(capfd):
    namespace = run_source(ASSIGNMENTS[0])
    capfd.readouterr()

    def noisy(*args, **kwargs):
        import warnings

        print("debugging print")
        warnings.warn("a warning on stderr would make nbgrader score the cell 0", stacklevel=1)
        return namespace["elu_forward"](*args, **kwargs)

    from course_utils import grading

    grading.check_elu_forward(noisy)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_checkers_return_none_so_nbgrader_reads_no_partial_score():
    namespace = run_source(ASSIGNMENTS[0])
    from course_utils import grading

    assert grading.check_elu_forward(namespace["elu_forward"]) is None
