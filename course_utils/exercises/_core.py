"""What every exercise check shares: call the learner's function safely, compare, report.

    @exercise("rnn_step_forward", success="matches torch.nn.RNNCell on 3 random shapes")
    def check_rnn_step_forward(rnn_step_forward):
        for N, D, H in SHAPES:
            h, cache = unpack("rnn_step_forward", call("rnn_step_forward", rnn_step_forward, ...),
                              ("h", "cache"))
            expect_close("h", h, reference_h, where=f"for a batch of {N}", hint="...")

Inside a check, `Wrong` stops at the first problem; `exercise` turns it into one ✗ line and
a falsy `CheckResult` (a learner's wrong answer never raises). A check that passes prints ✓.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np

from course_utils.checks import CheckResult

__all__ = ["Wrong", "exercise", "call", "unpack", "expect_shape", "expect_close", "cases_rng",
           "needs_own_forward", "yours_or_course", "torch_float64"]


class Wrong(Exception):
    """The learner's answer is wrong; the message says what and where, with a hint."""


def exercise(name: str, success: str):
    """Turn a check body (raising `Wrong`) into a check that prints one line and returns a
    `CheckResult`."""
    def decorate(body):
        @functools.wraps(body)
        def check(*args, quiet: bool = False, **kwargs) -> CheckResult:
            try:
                with np.errstate(all="ignore"):
                    body(*args, **kwargs)
            except Wrong as wrong:
                result = CheckResult(name=name, passed=False, message=str(wrong))
            else:
                result = CheckResult(name=name, passed=True, message=success)
            if not quiet:
                print(result.line)
            return result
        return check
    return decorate


def cases_rng(tag: str) -> np.random.Generator:
    """The same random cases on every run, different for every check."""
    return np.random.default_rng(zlib.crc32(tag.encode()))


def call(name: str, fn, *args):
    """fn(*args), with the learner's exceptions turned into a message."""
    if not callable(fn):
        raise Wrong(f"expected a function, got {type(fn).__name__}")
    try:
        return fn(*args)
    except NotImplementedError:
        raise Wrong("not implemented yet: replace `raise NotImplementedError` with your code") from None
    except Exception as error:  # noqa: BLE001 (any error in the learner's code is reported)
        text = " ".join(str(error).split())
        raise Wrong(f"{name} raised {type(error).__name__}: {text[:160]}") from None


def unpack(name: str, result, names: tuple[str, ...]):
    """A tuple of len(names) values, or a message saying what was returned instead."""
    if len(names) == 1:
        return result
    if not isinstance(result, tuple) or len(result) != len(names):
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise Wrong(f"{name} must return ({', '.join(names)}), got {got}")
    return result


def _as_array(what: str, value) -> np.ndarray:
    if type(value).__module__.startswith("torch"):
        raise Wrong(f"{what} is a torch tensor: compute it with NumPy")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} must be numbers, got {type(value).__name__}") from None


def expect_shape(what: str, got, shape: tuple, where: str = "") -> np.ndarray:
    array = _as_array(what, got)
    if array.shape != tuple(shape):
        hint = ""
        if array.ndim == len(shape) and array.shape == tuple(shape)[::-1]:
            hint = " (transposed? check the order of the matrix product)"
        elif array.ndim != len(shape):
            hint = f" ({array.ndim} dimensions instead of {len(shape)}: a missing sum over an axis?)"
        raise Wrong(f"{what} has shape {array.shape}{_at(where)}, expected {tuple(shape)}{hint}")
    return array


def expect_close(what: str, got, want, where: str = "", hint: str = "", rtol: float = 1e-6,
                 atol: float = 1e-8, mistakes: dict | None = None) -> None:
    """`got` equals `want` within tolerance, else a message with the relative error and the
    index of the largest difference (never the expected value).

    `mistakes` maps a description of a common mistake ("b is not added") to what that mistake
    would give: when the answer equals one of them, the message names the mistake instead.
    """
    want = np.asarray(want, dtype=np.float64)
    array = expect_shape(what, got, want.shape, where)
    if not np.all(np.isfinite(array)):
        raise Wrong(f"{what} contains NaN or inf{_at(where)}" + _hint(hint))
    if np.allclose(array, want, rtol=rtol, atol=atol):
        return
    for mistake, would_give in (mistakes or {}).items():
        would_give = np.asarray(would_give, dtype=np.float64)
        if would_give.shape == array.shape and np.allclose(array, would_give, rtol=rtol, atol=atol):
            raise Wrong(f"{what} is wrong{_at(where)}: it looks as if {mistake}" + _hint(hint))
    difference = np.abs(array - want)
    index = np.unravel_index(int(np.argmax(difference)), difference.shape) if difference.ndim else ()
    relative = float(difference.max() / max(1e-12, np.abs(array).max() + np.abs(want).max()))
    location = f" (largest difference at index {tuple(int(i) for i in index)})" if index else ""
    raise Wrong(f"{what} is wrong{_at(where)}: relative error {relative:.1e}{location}" + _hint(hint))


def _at(where: str) -> str:
    return f" {where}" if where else ""


def _hint(hint: str) -> str:
    return f". Hint: {hint}" if hint else ""


def needs_own_forward(backward_on_course_cache, forward: str, backward: str):
    """A backward exercise checked while the forward pass is still the course's: its cache is not
    the learner's, so the check cannot run. Say "not implemented yet" for a stub, else which
    exercise to finish first. `backward_on_course_cache()` calls the learner's backward pass."""
    try:
        backward_on_course_cache()
    except NotImplementedError:
        raise Wrong("not implemented yet: replace `raise NotImplementedError` with your code") from None
    except Exception:  # noqa: BLE001 (anything else: it needs its own forward pass's cache)
        pass
    raise Wrong(f"{forward} is still the course's (yours has not passed its check): {backward} reads "
                f"the cache of your own {forward}, so make that pass first")


def yours_or_course(yours, course, result: CheckResult):
    """The function the rest of the lesson uses: yours once its check passes, else the
    course's reference (saying so, so that the lesson still runs top to bottom)."""
    name = getattr(course, "__name__", "it")
    if result:
        print(f"→ the rest of the lesson uses your {name}")
        return yours
    print(f"→ the rest of the lesson uses the course's {name} until yours passes")
    return course


def torch_float64(*arrays, grad: bool = False):
    """float64 torch tensors of NumPy arrays (leaves that require grad with `grad=True`)."""
    import torch

    tensors = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad) for a in arrays]
    return tensors[0] if len(tensors) == 1 else tensors
