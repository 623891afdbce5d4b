"""What every problem set's checks share: seeded cases, the kernel's side (call the student's
function safely, hand its results in) and the grader's side (read them back, compare).

Kernel side, inside the student's notebook: `attempt` calls a student's function on the
checker's inputs and records what it returned (or raised); `hand_in` sends the records as a
display output of type PAYLOAD_MIME, with every array serialised losslessly. Nothing here
holds an expected value, and nothing here needs torch.

Grader side, in nbgrader's own process: `read` turns a payload back into records (refusing
anything malformed with `PayloadError`); `returned`, `compare`, `unchanged` and friends raise
`GradingFailure`, whose one-line message names the function, the output and the case that
failed, with a hint, and never an expected value.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import warnings
import zlib

import numpy as np

PAYLOAD_MIME = "application/vnd.course-grading+json"

# Limits on what one payload may hold: far above any checker's cases, far below what could
# slow the grader down. An array beyond MAX_ELEMENTS is handed in as its shape only.
MAX_ELEMENTS = 4096
MAX_ITEMS = 256
MAX_DEPTH = 8
MAX_TEXT = 300
_DTYPES = {"|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8"}


class GradingFailure(AssertionError):
    """A hidden test failed. The message says what failed, never the expected values."""


class PayloadError(ValueError):
    """A payload that the kernel's side of the checks could not have produced."""


def failure(name: str, message: str, hint: str = "") -> GradingFailure:
    return GradingFailure(f"{name}: {message}" + (f" Hint: {hint}" if hint else ""))


def rng(tag: str) -> np.random.Generator:
    """The same cases on every run and in both processes, different per checker."""
    return np.random.default_rng(zlib.crc32(tag.encode()))


# ---- the kernel's side ----------------------------------------------------------------------

class _Omitted:
    """Stands for a value the grader does not need (a cache), so it is not handed in."""


OMITTED = _Omitted()


def _short(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def encode(value, depth: int = 0):
    """A JSON value from which `decode` rebuilds `value` exactly (arrays bit for bit); what
    cannot be rebuilt (a torch tensor, an object, a huge array) is described by its type."""
    if depth > MAX_DEPTH:
        return {"__type__": "a structure nested too deeply"}
    if value is None or isinstance(value, (bool, str)):
        return _short(value) if isinstance(value, str) else value
    if isinstance(value, (np.ndarray, np.generic)):  # before float: np.float64 is a float
        return _encode_array(np.asarray(value))
    if isinstance(value, int) and abs(value) < 2**63:
        return value
    if isinstance(value, float):
        return {"__float__": value.hex()}  # exact, and NaN/inf survive JSON
    if isinstance(value, dict) and all(isinstance(k, str) for k in value) and len(value) <= MAX_ITEMS:
        return {"__dict__": {k: encode(v, depth + 1) for k, v in value.items()}}
    if isinstance(value, (tuple, list)) and len(value) <= MAX_ITEMS:
        return [encode(item, depth + 1) for item in value]
    if value is OMITTED:
        return {"__type__": "omitted"}
    kind = type(value)
    return {"__type__": f"{kind.__module__}.{kind.__qualname__}",
            "torch": kind.__module__.split(".")[0] == "torch"}


def _encode_array(array: np.ndarray):
    if array.dtype.kind not in "biuf" or array.dtype.itemsize > 8:
        return {"__type__": f"a NumPy array of dtype {array.dtype}"}
    if array.size > MAX_ELEMENTS:
        return {"__type__": f"a NumPy array of shape {array.shape}", "shape": list(array.shape)}
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {"__array__": {"dtype": little.dtype.str, "shape": list(array.shape),
                          "data": base64.b64encode(little.tobytes()).decode("ascii")}}


@contextlib.contextmanager
def _quiet():
    """The student's prints and warnings stay out of the test cell (stderr would score 0)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def attempt(function, *args, watch=(), cache: bool = False) -> tuple[dict, object]:
    """Call the student's `function(*args)`: (record for the grader, what it returned).

    The record holds the returned value or the exception raised, and the arguments numbered
    in `watch` as they are after the call (the grader checks they were left unchanged). With
    `cache`, the function returns `(value, cache)` and only the value is handed in.
    """
    try:
        with _quiet():
            result = function(*args)
        kept = result
        if cache and isinstance(result, (tuple, list)) and len(result) == 2:
            kept = [result[0], OMITTED]
        record = {"returned": encode(kept)}
    except Exception as error:  # the student's code: report it, never crash the cell
        result = None
        record = {"raised": {"type": type(error).__name__, "message": _short(error),
                             "module": _short(getattr(error, "name", None) or "")}}
    if watch:
        record["after"] = [encode(args[i]) for i in watch]
    return record, result


def forward_then_backward(forward, forward_args: tuple, backward, upstream) -> dict:
    """The student's forward pass (for its cache), then their backward pass from `upstream`."""
    first, result = attempt(forward, *forward_args, cache=True)
    if "raised" in first or not (isinstance(result, (tuple, list)) and len(result) == 2):
        return {"forward": first}
    second, _ = attempt(backward, upstream, result[1])
    return {"forward": first, "backward": second}


_collected: list | None = None


@contextlib.contextmanager
def collect():
    """Payloads go to a list instead of the notebook (tests, and an instructor's check)."""
    global _collected
    previous, _collected = _collected, []
    try:
        yield _collected
    finally:
        _collected = previous


def hand_in(part: str, records: list) -> None:
    """Send the records of `part` to the grader as one display output of PAYLOAD_MIME."""
    payload = {"part": part, "cases": records}
    summary = f"{part}: {len(records)} results handed in for grading"
    if _collected is not None:
        _collected.append(json.loads(json.dumps(payload)))  # exactly what a notebook keeps
        return
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display

    if not InteractiveShell.initialized():
        print(summary)
        return
    display({PAYLOAD_MIME: payload, "text/plain": summary}, raw=True)


# ---- the grader's side ----------------------------------------------------------------------

class Opaque:
    """A value the kernel could only describe: its type (and whether it came from torch)."""

    def __init__(self, description: str, torch: bool = False):
        self.description, self.torch = description, torch

    def __repr__(self) -> str:
        return self.description


def decode(data, depth: int = 0):
    """The value `encode` described; PayloadError for anything `encode` cannot produce."""
    if depth > MAX_DEPTH + 1:
        raise PayloadError("nested too deeply")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list) and len(data) <= MAX_ITEMS:
        return [decode(item, depth + 1) for item in data]
    if not isinstance(data, dict):
        raise PayloadError(f"unexpected {type(data).__name__}")
    if "__float__" in data:
        try:
            return float.fromhex(data["__float__"])
        except (TypeError, ValueError):
            raise PayloadError("a malformed number") from None
    if "__array__" in data:
        return _decode_array(data["__array__"])
    if "__dict__" in data and isinstance(data["__dict__"], dict) and len(data["__dict__"]) <= MAX_ITEMS:
        return {str(k): decode(v, depth + 1) for k, v in data["__dict__"].items()}
    if "__type__" in data:
        return Opaque(_short(data["__type__"], 80), torch=data.get("torch") is True)
    raise PayloadError("an unknown kind of value")


def _decode_array(spec) -> np.ndarray:
    try:
        dtype, shape = np.dtype(spec["dtype"]), tuple(int(n) for n in spec["shape"])
        if spec["dtype"] not in _DTYPES or len(shape) > 8 or min(shape, default=0) < 0:
            raise PayloadError(f"an array of dtype {spec['dtype']!r} and shape {shape}")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        raw = base64.b64decode(spec["data"], validate=True)
    except PayloadError:
        raise
    except Exception:
        raise PayloadError("a malformed array") from None
    if count > MAX_ELEMENTS or len(raw) != count * dtype.itemsize:
        raise PayloadError(f"an array whose data does not match its shape {shape}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def read(payload, part: str, count: int) -> list:
    """The `count` records of `part` that a hidden test handed in, decoded."""
    if not isinstance(payload, dict) or payload.get("part") != part:
        raise PayloadError(f"not the results of {part}")
    cases = payload.get("cases")
    if not isinstance(cases, list) or len(cases) != count:
        got = len(cases) if isinstance(cases, list) else "no"
        raise PayloadError(f"expected {count} results, got {got}")
    return [_decode_record(case) for case in cases]


def each_case(payload, part: str, cases: list):
    """(case, record) pairs: the grader's own cases, each with what the kernel handed in."""
    return zip(cases, read(payload, part, len(cases)), strict=True)


def _decode_record(record, depth: int = 0) -> dict:
    """A record of `attempt` (or of several: forward and backward, momentum's steps)."""
    if not isinstance(record, dict) or depth > 2:
        raise PayloadError("a result that is not a record")
    decoded = {}
    for key, value in record.items():  # anything else (a "verdict", say) is ignored
        if key in ("returned", "after"):
            decoded[key] = decode(value)
        elif key == "raised":
            decoded[key] = value  # read by _raised
        elif key in ("forward", "backward"):
            decoded[key] = _decode_record(value, depth + 1)
        elif key == "steps" and isinstance(value, list) and len(value) <= MAX_ITEMS:
            decoded[key] = [_decode_record(step, depth + 1) for step in value]
    return decoded


def torch_message(name: str) -> str:
    return (f"{name} used torch; this assignment asks for NumPy (torch is not available "
            "while grading)")


def _uses_torch(value) -> bool:
    if isinstance(value, Opaque):
        return value.torch
    if isinstance(value, dict):
        return any(_uses_torch(v) for v in value.values())
    if isinstance(value, list):
        return any(_uses_torch(v) for v in value)
    return False


def _raised(name: str, raised, where: str) -> GradingFailure:
    if not isinstance(raised, dict):
        raise PayloadError("a malformed exception")
    kind, message = str(raised.get("type")), str(raised.get("message"))
    if kind == "NotImplementedError":
        return failure(name, "not implemented yet (it still raises NotImplementedError).")
    if kind in ("ModuleNotFoundError", "ImportError") and \
            "torch" in f"{raised.get('module')} {message}":
        return GradingFailure(torch_message(name))
    return failure(name, f"raised {kind} {where}: {_short(message, 160)}")


def returned(name: str, record: dict, where: str, count: int | None = None, spec: str = ""):
    """What the student's function returned in this record (a tuple of `count` items if
    given); GradingFailure if it raised, used torch or returned something else."""
    if "raised" in record:
        raise _raised(name, record["raised"], where)
    if "returned" not in record:
        raise PayloadError(f"no result of {name} {where}")
    value = record["returned"]
    if _uses_torch(value):
        raise GradingFailure(torch_message(name))
    if count is not None:
        if not isinstance(value, list) or len(value) != count:
            got = f"a {_kind(value)}" + (f" of length {len(value)}" if isinstance(value, list) else "")
            raise failure(name, f"should return {spec}, got {got} {where}.")
        return tuple(value)
    return value


def _kind(value) -> str:
    if isinstance(value, Opaque):
        return value.description
    kinds = {list: "tuple or list", dict: "dict", np.ndarray: "NumPy array"}
    return kinds.get(type(value), type(value).__name__)


def after(record: dict, index: int):
    """Argument `index` of the `watch` list as it was after the student's call."""
    values = record.get("after")
    if not isinstance(values, list) or index >= len(values):
        raise PayloadError("the arguments after the call are missing")
    return values[index]


def forward_and_backward(forward: str, record: dict, where: str, spec: str):
    """From a `forward_then_backward` record: (the forward value, the backward record)."""
    if not isinstance(record.get("forward"), dict):
        raise PayloadError(f"no result of {forward} {where}")
    value, _ = returned(forward, record["forward"], where, 2, spec)
    if not isinstance(record.get("backward"), dict):
        raise PayloadError(f"no gradients {where}")
    return value, record["backward"]


def fix_forward_first(forward: str, forward_right: bool, hint: str) -> str:
    """A gradient's hint, led by the news that the forward pass is wrong on this case too."""
    return hint if forward_right else f"{forward} is wrong for this case too: fix it first. {hint}"


def as_array(name: str, what: str, value, where: str) -> np.ndarray:
    if isinstance(value, Opaque):
        raise failure(name, f"{what} should be a NumPy array of numbers, got {value} {where}.")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise failure(name, f"{what} should be a NumPy array of numbers, got "
                            f"{_kind(value)} {where}.") from None


def close(got, want, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Same shape and values (for hints: which part of an answer is right)."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(want) and bool(np.allclose(got, want, rtol=rtol, atol=atol))


def compare(name: str, what: str, got, want, where: str, hint: str = "",
            rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Shape first, then finiteness, then values; the message gives no expected value."""
    got = as_array(name, what, got, where)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        if got.size == want.size == 1:
            got = got.reshape(want.shape)
        else:
            raise failure(name, f"{what} has shape {got.shape}, expected {want.shape} {where}.")
    if not np.all(np.isfinite(got)):
        raise failure(name, f"{what} contains NaN or inf {where}.", hint)
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        error = float(np.max(np.abs(got - want) / np.maximum(1e-8, np.abs(got) + np.abs(want))))
        raise failure(name, f"{what} is wrong {where} (largest relative error {error:.1e}).", hint)


def _equal(a, b) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except Exception:  # an Opaque value, or a ragged list
        return False


def unchanged(name: str, what: str, before, now, where: str) -> None:
    """The argument `what` is as it was before the call (`now`: the record's `after`)."""
    if isinstance(before, dict):
        same = isinstance(now, dict) and set(now) == set(before) and \
            all(_equal(before[k], now[k]) for k in before)
    else:
        same = _equal(before, now)
    if not same:
        raise failure(name, f"changed its argument {what} in place {where}; "
                            "compute new arrays and leave the inputs as they were.")


def grads_dict(name: str, grads, keys, where: str) -> dict:
    if not isinstance(grads, dict):
        raise failure(name, f"the gradients should be a dict with keys {list(keys)}, got "
                            f"{_kind(grads)} {where}.")
    missing = [k for k in keys if k not in grads]
    if missing:
        raise failure(name, f"the gradient dict is missing {missing} {where}.")
    return grads


# ---- references, computed by the grader only -------------------------------------------------

GRAD_TOL = {"rtol": 1e-5, "atol": 1e-7}  # central differences are good to about 1e-9 here


def numeric_grad(f, x: np.ndarray) -> np.ndarray:
    """d f / d x by central differences (f returns a float); x is restored afterwards."""
    from course_utils.gradcheck import numerical_gradient

    return numerical_gradient(f, np.array(x, dtype=np.float64), h=1e-6)


def upstream_grad(forward, inputs: list, i: int, upstream, *extra) -> np.ndarray:
    """d Σ(forward(inputs) ⊙ upstream) / d inputs[i], by central differences."""
    def weighted_sum(value):
        args = list(inputs)
        args[i] = value
        return float(np.sum(forward(*args, *extra) * upstream))

    return numeric_grad(weighted_sum, inputs[i])


def torch():
    import torch

    return torch


def t(array, grad: bool = False):
    """A float64 tensor of `array` (a leaf that records gradients with `grad`)."""
    if grad:
        return torch().tensor(np.asarray(array, dtype=np.float64), requires_grad=True)
    return torch().from_numpy(np.ascontiguousarray(array, dtype=np.float64))


@contextlib.contextmanager
def one_torch_thread():
    """Tiny tensors: on a busy machine a second thread only adds waiting. Restored after."""
    threads = torch().get_num_threads()
    torch().set_num_threads(1)
    try:
        yield
    finally:
        torch().set_num_threads(threads)
