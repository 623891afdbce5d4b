"""Student-facing checks: one friendly line, ✓ or ✗, with a hint on where to look.

Every check prints its line and returns a `CheckResult` (truthy when it passed). In a
notebook the result does not print a second time, so a cell may end with a check:

    check_close("sigmoid_prime(0)", sigmoid_prime(0.0), 0.25,
                hint="σ'(z) = σ(z)(1 - σ(z))")

Checks never raise for a wrong answer: a learner running the notebook top to bottom sees
what is wrong and carries on. They do raise for a misuse of the check itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CheckResult",
    "check_shape",
    "check_close",
    "check_function",
    "check_true",
]


@dataclass
class CheckResult:
    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    @property
    def line(self) -> str:
        return f"{'✓' if self.passed else '✗'} {self.name}: {self.message}"

    def _ipython_display_(self) -> None:
        # Already printed when the check ran; showing the object again would repeat it.
        pass


def _report(name: str, passed: bool, message: str, quiet: bool = False) -> CheckResult:
    result = CheckResult(name=name, passed=passed, message=message)
    if not quiet:
        print(result.line)
    return result


def _describe_exception(error: BaseException) -> str:
    if isinstance(error, NotImplementedError):
        return "not implemented yet: replace `raise NotImplementedError` with your code"
    return f"raised {type(error).__name__}: {error}"


def check_shape(name: str, actual, expected_shape: tuple, quiet: bool = False) -> CheckResult:
    """Does `actual` have `expected_shape`? A mismatch names both shapes."""
    expected_shape = tuple(expected_shape)
    shape = np.shape(actual)
    if shape == expected_shape:
        return _report(name, True, f"shape {shape} as expected", quiet)
    hint = ""
    if len(shape) == len(expected_shape) and shape == expected_shape[::-1]:
        hint = " (transposed? check the order of the matrix product)"
    elif len(shape) != len(expected_shape):
        hint = f" ({len(shape)} dimensions instead of {len(expected_shape)}: a missing sum or axis?)"
    return _report(name, False, f"shape is {shape}, expected {expected_shape}{hint}", quiet)


def check_close(
    name: str,
    actual,
    expected,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str = "",
    quiet: bool = False,
) -> CheckResult:
    """Is `actual` equal to `expected` within tolerance? Checks the shape first."""
    expected = np.asarray(expected, dtype=np.float64)
    try:
        actual_array = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return _report(
            name, False, f"expected numbers, got {type(actual).__name__}: {actual!r:.60}", quiet
        )
    if actual_array.shape != expected.shape:
        return check_shape(name, actual_array, expected.shape, quiet)
    if not np.all(np.isfinite(actual_array)):
        return _report(name, False, "contains NaN or inf" + (f"; hint: {hint}" if hint else ""),
                       quiet)
    if np.allclose(actual_array, expected, rtol=rtol, atol=atol):
        return _report(name, True, "correct", quiet)
    diff = np.abs(actual_array - expected)
    where = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    got, want = actual_array[where], expected[where]
    at = f" at index {tuple(int(i) for i in where)}" if where else ""
    message = f"got {got:.6g}{at}, expected {want:.6g}"
    if hint:
        message += f"; hint: {hint}"
    return _report(name, False, message, quiet)


def _function_name(fn) -> str:
    """How a check names `fn`: its own name, or for a lambda the expression it computes
    (`lambda x: apply_layers(x, net)` is called "apply_layers(x, net)"), never "<lambda>"."""
    name = getattr(fn, "__name__", "")
    if name and name != "<lambda>":
        return name
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return "your function"
    start = source.find("lambda")
    colon = source.find(":", start)
    if start < 0 or colon < 0:
        return "your function"
    body, depth = [], 0
    for char in source[colon + 1:]:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if depth < 0 or (depth == 0 and char in ",\n"):
            break
        body.append(char)
    expression = " ".join("".join(body).split())
    if not expression:
        return "your function"
    return expression if len(expression) <= 60 else expression[:59] + "…"


def check_function(
    fn: Callable,
    reference: Callable,
    cases: Iterable[tuple],
    name: str | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str = "",
    quiet: bool = False,
) -> CheckResult:
    """Does `fn(*case)` match `reference(*case)` on every case? Reports the first failure."""
    name = name or _function_name(fn)
    cases = list(cases)
    if not cases:
        raise ValueError("check_function: cases must hold at least one tuple of arguments")
    for number, case in enumerate(cases, start=1):
        if not isinstance(case, tuple):
            raise TypeError(f"check_function: each case must be a tuple of arguments, got {case!r}")
        want = reference(*case)
        try:
            got = fn(*case)
        except Exception as error:  # the learner's code: report, don't crash
            return _report(name, False, f"case {number} {_describe_exception(error)}", quiet)
        inner = check_close(name, got, want, rtol=rtol, atol=atol, quiet=True)
        if not inner:
            message = f"case {number} of {len(cases)}: {inner.message}"
            if hint and "hint:" not in message:
                message += f"; hint: {hint}"
            return _report(name, False, message, quiet)
    return _report(name, True, f"all {len(cases)} cases correct", quiet)


def check_true(name: str, condition: bool, success: str, failure: str,
               quiet: bool = False) -> CheckResult:
    """A check on any condition the lesson can state, with its own two messages."""
    return _report(name, bool(condition), success if condition else failure, quiet)
