"""Checkers behind the hidden tests of the course's nbgrader assignments.

A hidden test cell calls one checker with the student's functions, for example

    from course_utils import grading
    grading.check_elu_backward(elu_forward, elu_backward)

The checker runs them on random shapes and values (seeded, so a regrade gives the same
score) and compares with PyTorch, computed here on the same numbers in float64. When an
answer is wrong it raises `GradingFailure`, an AssertionError whose one-line message names
the function, the output and the kind of input that failed, with a hint; it never contains
an expected value. That line is what the generated feedback shows.

The references are written inline with torch, never as NumPy functions with the answer's
signature: nothing in `course_utils` can stand in for an answer (tests/test_grading_leaks.py
tries every function of the package against every hidden test). Checkers return None, so
nbgrader never reads a partial score from a cell's last value.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import warnings
import zlib

import numpy as np

__all__ = [
    "GradingFailure",
    # ps1_perceptron_ffn
    "check_elu_forward",
    "check_elu_backward",
    "check_neuron_loss_and_grads",
    "check_multilabel_loss_and_grads",
    "check_sgd_momentum_step",
    # ps2_neural_lms
    "check_window_lm_direct",
    "check_leaky_rnn_step_forward",
    "check_leaky_rnn_step_backward",
    "check_leaky_rnn_forward",
    "check_leaky_rnn_backward",
    # ps3_training_and_decoding
    "check_masked_cross_entropy",
    "check_clip_each_norm",
    "check_top_p_filter",
    "check_beam_search",
    # ps4_lstm_and_bidirectional
    "check_gru_step_forward",
    "check_gru_step_backward",
    "check_bidirectional_gru",
    "check_residual_stacked_lstm",
]


class GradingFailure(AssertionError):
    """A hidden test failed. The message says what failed, never the expected values."""


# ---- shared machinery ------------------------------------------------------------------------

def _failure(name: str, message: str, hint: str = "") -> GradingFailure:
    return GradingFailure(f"{name}: {message}" + (f" Hint: {hint}" if hint else ""))


def _rng(tag: str) -> np.random.Generator:
    """The same cases on every run (a regrade gives the same score), different per checker."""
    return np.random.default_rng(zlib.crc32(tag.encode()))


def _torch():
    import torch

    return torch


def _checker(check):
    """Run a checker with torch on one thread: tiny tensors, and on a busy machine a second
    thread only adds waiting (10 ms per operation instead of 30 µs). Restored afterwards."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        __tracebackhide__ = True
        torch = _torch()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return check(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return run


def _t(array, grad: bool = False):
    torch = _torch()
    if grad:
        return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float64))  # no copy


def _short(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextlib.contextmanager
def _quiet():
    """The student's prints and warnings stay out of the test cell (stderr would score 0)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _call(name: str, fn, args: tuple, where: str):
    __tracebackhide__ = True
    if not callable(fn):
        raise _failure(name, f"expected a function, got {type(fn).__name__}.")
    try:
        with _quiet():
            return fn(*args)
    except NotImplementedError:
        raise _failure(name, "not implemented yet (it still raises NotImplementedError).") from None
    except Exception as error:  # the student's code: report it, don't crash the checker
        raise _failure(name, f"raised {type(error).__name__} {where}: {_short(error)}") from None


def _as_array(name: str, what: str, value, where: str) -> np.ndarray:
    __tracebackhide__ = True
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _failure(name, f"{what} should be a NumPy array of numbers, got "
                             f"{type(value).__name__} {where}.") from None
    return array


def _compare(name: str, what: str, got, want, where: str, hint: str = "",
             rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Shape first, then finiteness, then values; the message gives no expected value."""
    __tracebackhide__ = True
    got = _as_array(name, what, got, where)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        if got.size == want.size == 1:
            got = got.reshape(want.shape)
        else:
            raise _failure(name, f"{what} has shape {got.shape}, expected {want.shape} {where}.")
    if not np.all(np.isfinite(got)):
        raise _failure(name, f"{what} contains NaN or inf {where}.", hint)
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        error = float(np.max(np.abs(got - want) / np.maximum(1e-8, np.abs(got) + np.abs(want))))
        raise _failure(name, f"{what} is wrong {where} (largest relative error {error:.1e}).", hint)


def _unpack(name: str, result, count: int, spec: str, where: str) -> tuple:
    __tracebackhide__ = True
    if not isinstance(result, (tuple, list)) or len(result) != count:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}"
                                               if isinstance(result, (tuple, list)) else "")
        raise _failure(name, f"should return {spec}, got {got} {where}.")
    return tuple(result)


def _unchanged(name: str, what: str, before, after, where: str) -> None:
    __tracebackhide__ = True
    same = (all(np.array_equal(before[k], after[k]) for k in before)
            if isinstance(before, dict) else np.array_equal(before, after))
    if not same:
        raise _failure(name, f"changed its argument {what} in place {where}; "
                             "compute new arrays and leave the inputs as they were.")


def _grads_dict(name: str, grads, keys, where: str) -> dict:
    __tracebackhide__ = True
    if not isinstance(grads, dict):
        raise _failure(name, f"the gradients should be a dict with keys {list(keys)}, got "
                             f"{type(grads).__name__} {where}.")
    missing = [k for k in keys if k not in grads]
    if missing:
        raise _failure(name, f"the gradient dict is missing {missing} {where}.")
    return grads


# ---- ps1_perceptron_ffn ----------------------------------------------------------------------
#
# Values come from torch's own functions (forward only); gradients from central differences
# of those torch functions in float64, so no reference here is an answer written out.

def _numeric_grad(f, x: np.ndarray) -> np.ndarray:
    """d f / d x by central differences (f returns a float); x is restored afterwards."""
    from course_utils.gradcheck import numerical_gradient

    return numerical_gradient(f, x, h=1e-6)


_GRAD_TOL = {"rtol": 1e-5, "atol": 1e-7}  # central differences are good to about 1e-9 here


def _elu_cases(tag: str):
    rng = _rng(tag)
    for shape, alpha in [((1,), 1.0), ((6,), 0.5), ((3, 5), 2.0), ((2, 3, 4), 1.3), ((7, 2), 0.1)]:
        z = rng.normal(0.0, 2.0, size=shape)
        z[np.abs(z) < 1e-3] = 0.5  # keep away from the kink at 0
        yield z, alpha, f"for z of shape {shape} with alpha={alpha}"


def _torch_elu(z, alpha):
    torch = _torch()
    return torch.nn.functional.elu(_t(z), alpha=alpha).numpy()


@_checker
def check_elu_forward(elu_forward) -> None:
    """ELU(z) = z for z > 0, α(eᶻ − 1) otherwise; returns (out, cache). Checked against torch."""
    __tracebackhide__ = True
    name = "elu_forward"
    cases = list(_elu_cases(name))
    cases.append((np.array([-800.0, -30.0, 30.0, 800.0]), 1.5, "for very large |z| (|z| up to 800)"))
    for z, alpha, where in cases:
        z_before = z.copy()
        result = _call(name, elu_forward, (z, alpha), where)
        out, _ = _unpack(name, result, 2, "a pair (out, cache)", where)
        _unchanged(name, "z", z_before, z, where)
        hint = ("ELU must not overflow: np.exp of a large positive z is inf; only compute "
                "α(eᶻ − 1) where z ≤ 0" if "large" in where else
                "out = z where z > 0 and α(eᶻ − 1) where z ≤ 0, element-wise")
        _compare(name, "out", out, _torch_elu(z_before, alpha), where, hint)


@_checker
def check_elu_backward(elu_forward, elu_backward) -> None:
    """dz = dout ⊙ ELU'(z), against central differences of torch's ELU."""
    __tracebackhide__ = True
    name = "elu_backward"
    rng = _rng(name + "/dout")
    h = 1e-6
    for z, alpha, where in _elu_cases(name):
        result = _call("elu_forward", elu_forward, (z.copy(), alpha), where)
        _, cache = _unpack("elu_forward", result, 2, "a pair (out, cache)", where)
        dout = rng.normal(size=z.shape)
        dz = _call(name, elu_backward, (dout.copy(), cache), where)
        # ELU acts element by element, so one central difference per element is exact enough.
        slope = (_torch_elu(z + h, alpha) - _torch_elu(z - h, alpha)) / (2 * h)
        want = dout * slope
        got = _as_array(name, "dz", dz, where)
        hint = "dz = dout ⊙ ELU'(z): 1 where z > 0, α eᶻ (= out + α) where z ≤ 0"
        if got.shape == want.shape and np.all(np.isfinite(got)) and \
                not np.allclose(got, want, **_GRAD_TOL):
            positive = z > 0
            if np.allclose(got[positive], want[positive], **_GRAD_TOL):
                hint = "right where z > 0; where z ≤ 0 the derivative of α(eᶻ − 1) is α eᶻ"
            elif np.allclose(got[~positive], want[~positive], **_GRAD_TOL):
                hint = "right where z ≤ 0; where z > 0 ELU is the identity, so dz = dout there"
            if np.allclose(got, slope, **_GRAD_TOL):
                hint = "you return ELU'(z) alone: multiply it by the upstream gradient dout"
        _compare(name, "dz", got, want, where, hint, **_GRAD_TOL)


def _neuron_cases(tag: str):
    rng = _rng(tag)
    for N, D in [(1, 3), (5, 2), (20, 7), (8, 4)]:
        X = rng.normal(size=(N, D))
        w = rng.normal(size=D)
        b = float(rng.normal())
        y = rng.integers(0, 2, size=N).astype(np.float64)
        yield w, b, X, y, f"for X of shape {(N, D)}"
    # saturated logits: |z| up to about 60, where a naive log(1 − σ(z)) gives log(0)
    X = rng.normal(size=(12, 3)) * 20.0
    w = np.array([1.0, -0.8, 0.6])
    y = (rng.random(12) < 0.5).astype(np.float64)
    yield w, 0.5, X, y, "when the logits are large (|z| up to about 60)"


def _torch_bce(logits, targets, reduction="mean") -> float:
    torch = _torch()
    return torch.nn.functional.binary_cross_entropy_with_logits(
        _t(logits), _t(targets), reduction=reduction).item()


@_checker
def check_neuron_loss_and_grads(neuron_loss_and_grads) -> None:
    """Mean binary cross-entropy of a sigmoid neuron (torch) and (dw, db) (central differences)."""
    __tracebackhide__ = True
    name = "neuron_loss_and_grads"
    for w, b, X, y, where in _neuron_cases(name):
        args = (w.copy(), b, X.copy(), y.copy())
        result = _call(name, neuron_loss_and_grads, args, where)
        loss, dw, db = _unpack(name, result, 3, "a triple (loss, dw, db)", where)
        _unchanged(name, "w", w, args[0], where)
        large = "large" in where
        stable = ("keep it finite for large |z|: log σ(z) = −log(1 + e^(−z)) is "
                  "-np.logaddexp(0, -z), and log(1 − σ(z)) = -np.logaddexp(0, z)")
        _compare(name, "loss", loss, _torch_bce(X @ w + b, y), where,
                 stable if large else "L = −mean(y log a + (1 − y) log(1 − a)) with a = σ(Xw + b)")
        want_dw = _numeric_grad(lambda v, X=X, b=b, y=y: _torch_bce(X @ v + b, y), w.copy())
        want_db = _numeric_grad(lambda v, X=X, w=w, y=y: _torch_bce(X @ w + v[0], y),
                                np.array([b]))[0]
        _compare(name, "dw", dw, want_dw, where,
                 stable if large else "dL/dz = (a − y) / N for each example; dw = Xᵀ dL/dz",
                 **_GRAD_TOL)
        _compare(name, "db", db, want_db, where, "db = Σ_n dL/dz_n (a sum, not a mean)",
                 **_GRAD_TOL)


@_checker
def check_multilabel_loss_and_grads(multilabel_loss_and_grads) -> None:
    """tanh hidden layer, sigmoid outputs, BCE summed over labels and averaged over examples."""
    __tracebackhide__ = True
    name = "multilabel_loss_and_grads"
    torch = _torch()
    rng = _rng(name)
    keys = ("W", "b", "U", "c")
    for N, D, H, K in [(1, 2, 3, 2), (6, 4, 5, 3), (16, 3, 8, 5), (9, 7, 2, 4)]:
        where = f"for N={N}, n0={D}, n1={H}, K={K}"
        params = {"W": rng.normal(size=(H, D)), "b": rng.normal(size=H) * 0.1,
                  "U": rng.normal(size=(K, H)), "c": rng.normal(size=K) * 0.1}
        X = rng.normal(size=(N, D))
        Y = (rng.random((N, K)) < 0.4).astype(np.float64)
        passed = copy.deepcopy(params)
        result = _call(name, multilabel_loss_and_grads, (passed, X.copy(), Y.copy()), where)
        loss, grads = _unpack(name, result, 2, "a pair (loss, grads)", where)
        _unchanged(name, "params", params, passed, where)
        grads = _grads_dict(name, grads, keys, where)

        def reference_loss(p, X=X, Y=Y, N=N):
            hidden = torch.tanh(_t(X) @ _t(p["W"]).T + _t(p["b"])).numpy()
            return _torch_bce(hidden @ p["U"].T + p["c"], Y, reduction="sum") / N

        _compare(name, "loss", loss, reference_loss(params), where,
                 "sum the binary cross-entropy over the K labels, then average over the N examples")
        want = {k: _numeric_grad(lambda v, k=k, p=params: reference_loss({**p, k: v}),
                                 params[k].copy()) for k in keys}
        right = {k: np.shape(grads[k]) == want[k].shape and
                 np.allclose(np.asarray(grads[k], dtype=float), want[k], **_GRAD_TOL) for k in keys}
        for k in ("U", "c", "W", "b"):
            hint = {"U": "dZ = (σ(Z) − Y) / N, and dU = dZᵀ H",
                    "c": "dc sums dZ over the examples",
                    "W": "back through tanh: dA = (dZ U) ⊙ (1 − H²), then dW = dAᵀ X",
                    "b": "db sums dA over the examples"}[k]
            if k in ("W", "b") and right["U"] and right["c"]:
                hint = "the output layer is right; " + hint
            _compare(name, f"grads['{k}']", grads[k], want[k], where, hint, **_GRAD_TOL)


@_checker
def check_sgd_momentum_step(sgd_momentum_step) -> None:
    """Three steps of v ← μ v + g, θ ← θ − lr v (torch.optim.SGD's rule), against its closed form
    v_t = Σ_s μ^(t−s) g_s and θ_t = θ_0 − lr Σ_s v_s."""
    __tracebackhide__ = True
    name = "sgd_momentum_step"
    rng = _rng(name)
    for shapes, lr, momentum in [({"w": (3,)}, 0.1, 0.9),
                                 ({"W": (4, 3), "b": (4,)}, 0.05, 0.5),
                                 ({"E": (6, 2), "U": (2, 6), "c": (6,)}, 0.3, 0.0)]:
        start = {k: rng.normal(size=s) for k, s in shapes.items()}
        params = copy.deepcopy(start)
        velocity = {k: np.zeros(s) for k, s in shapes.items()}
        history = []
        for step in range(1, 4):
            where = f"at step {step} with lr={lr}, momentum={momentum} and parameters {list(shapes)}"
            grads = {k: rng.normal(size=s) for k, s in shapes.items()}
            history.append(grads)
            before = (copy.deepcopy(params), copy.deepcopy(grads), copy.deepcopy(velocity))
            result = _call(name, sgd_momentum_step, (params, grads, velocity, lr, momentum), where)
            new_params, new_velocity = _unpack(name, result, 2, "a pair (params, velocity)", where)
            for what, old, now in zip(("params", "grads", "velocity"), before,
                                      (params, grads, velocity), strict=True):
                _unchanged(name, what, old, now, where)
            new_params = _grads_dict(name, new_params, shapes, where)
            new_velocity = _grads_dict(name, new_velocity, shapes, where)
            for k in shapes:
                # v_t = Σ_{s ≤ t} μ^(t−s) g_s ;  θ_t = θ_0 − lr Σ_{r ≤ t} v_r
                v = [sum(momentum ** (r - s) * history[s][k] for s in range(r + 1))
                     for r in range(step)]
                _compare(name, f"velocity['{k}']", new_velocity[k], v[-1], where,
                         "v ← μ·v + g (the previous velocity times momentum, plus the gradient)")
                _compare(name, f"params['{k}']", new_params[k], start[k] - lr * sum(v), where,
                         "θ ← θ − lr·v, using the new velocity")
            params, velocity = new_params, new_velocity


# ---- ps2_neural_lms --------------------------------------------------------------------------
#
# The forward formulas of the assignment, written in torch (the specification, not an answer:
# no NumPy function here has an answer's signature); gradients by central differences.

@_checker
def check_window_lm_direct(window_lm_direct_loss_and_grads) -> None:
    """Bengio's window LM with direct connections G, against torch (loss) and central differences."""
    __tracebackhide__ = True
    name = "window_lm_direct_loss_and_grads"
    torch = _torch()
    rng = _rng(name)
    keys = ("E", "W", "b", "U", "G", "c")
    for V, n, D, H, B in [(5, 1, 2, 3, 1), (7, 3, 2, 4, 6), (6, 2, 3, 2, 9), (8, 3, 2, 3, 5)]:
        where = f"for V={V}, n={n}, D={D}, H={H} and a batch of B={B}"
        params = {"E": rng.normal(size=(V, D)), "W": rng.normal(size=(H, n * D)) * 0.5,
                  "b": rng.normal(size=H) * 0.1, "U": rng.normal(size=(V, H)) * 0.5,
                  "G": rng.normal(size=(V, n * D)) * 0.5, "c": rng.normal(size=V) * 0.1}
        contexts = rng.integers(0, V, size=(B, n))
        contexts[0, :] = contexts[0, 0]  # one word several times in a context: rows of dE add up
        targets = rng.integers(0, V, size=B)
        passed = copy.deepcopy(params)
        result = _call(name, window_lm_direct_loss_and_grads,
                       (passed, contexts.copy(), targets.copy()), where)
        loss, grads = _unpack(name, result, 2, "a pair (loss, grads)", where)
        _unchanged(name, "params", params, passed, where)
        grads = _grads_dict(name, grads, keys, where)

        def reference_loss(p, contexts=contexts, targets=targets, B=B):
            x = _t(p["E"])[torch.as_tensor(contexts)].reshape(B, -1)  # (B, n·D)
            hidden = torch.tanh(x @ _t(p["W"]).T + _t(p["b"]))
            logits = hidden @ _t(p["U"]).T + x @ _t(p["G"]).T + _t(p["c"])
            return torch.nn.functional.cross_entropy(logits, torch.as_tensor(targets)).item()

        _compare(name, "loss", loss, reference_loss(params), where,
                 "logits = U h + G x + c, then the mean cross-entropy over the batch")
        want = {k: _numeric_grad(lambda v, k=k, p=params: reference_loss({**p, k: v}),
                                 params[k].copy()) for k in keys}
        right = {k: np.shape(grads[k]) == want[k].shape and
                 np.allclose(np.asarray(grads[k], dtype=float), want[k], **_GRAD_TOL) for k in keys}
        hints = {"c": "dc sums dlogits = (softmax − onehot) / B over the batch",
                 "U": "dU = dlogitsᵀ h",
                 "G": "the direct path: dG = dlogitsᵀ x, with x the concatenated embeddings",
                 "W": "back through tanh: da = (dlogits U) ⊙ (1 − h²), dW = daᵀ x",
                 "b": "db sums da over the batch",
                 "E": "dx gets two contributions, dlogits G and da W; reshape it to (B, n, D) "
                      "and add each row into dE at its word (np.add.at: a word can repeat)"}
        for k in ("c", "U", "G", "W", "b", "E"):
            hint = hints[k]
            if k == "E" and all(right[j] for j in ("c", "U", "G", "W", "b")):
                hint = "every other gradient is right; " + hint
            _compare(name, f"grads['{k}']", grads[k], want[k], where, hint, **_GRAD_TOL)


def _leaky_step_torch(x, h_prev, W_e, W_h, b, alpha):
    torch = _torch()
    a = _t(h_prev) @ _t(W_h).T + _t(x) @ _t(W_e).T + _t(b)
    return ((1 - alpha) * _t(h_prev) + alpha * torch.tanh(a)).numpy()


def _leaky_sequence_torch(x, h0, W_e, W_h, b, alpha):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = _leaky_step_torch(x[:, t], h, W_e, W_h, b, alpha)
        hs.append(h)
    return np.stack(hs, axis=1)


def _leaky_cases(tag: str, sequence: bool):
    rng = _rng(tag)
    sizes = [(1, 2, 3, 1, 0.5), (4, 3, 5, 3, 0.2), (3, 5, 2, 6, 0.9), (2, 1, 4, 4, 0.05)]
    for N, D, H, T, alpha in sizes:
        x = rng.normal(size=(N, T, D) if sequence else (N, D))
        h = rng.normal(size=(N, H)) * 0.5
        W_e, W_h = rng.normal(size=(H, D)) * 0.6, rng.normal(size=(H, H)) * 0.6
        b = rng.normal(size=H) * 0.1
        shape = f"x of shape {x.shape}"
        yield x, h, W_e, W_h, b, alpha, f"for {shape}, H={H} and alpha={alpha}"


def _upstream_grad(forward, inputs, i, upstream, *extra):
    """d Σ(forward(inputs) ⊙ upstream) / d inputs[i], by central differences."""
    def weighted_sum(value):
        args = list(inputs)
        args[i] = value
        return float(np.sum(forward(*args, *extra) * upstream))

    return _numeric_grad(weighted_sum, np.array(inputs[i], dtype=np.float64))


_LEAKY_NAMES = ("dx", "dh_prev", "dW_e", "dW_h", "db")


@_checker
def check_leaky_rnn_step_forward(leaky_rnn_step_forward) -> None:
    """h = (1 − α) h_prev + α tanh(h_prev W_hᵀ + x W_eᵀ + b); returns (h, cache)."""
    __tracebackhide__ = True
    name = "leaky_rnn_step_forward"
    for x, h_prev, W_e, W_h, b, alpha, where in _leaky_cases(name, sequence=False):
        result = _call(name, leaky_rnn_step_forward, (x, h_prev, W_e, W_h, b, alpha), where)
        h, _ = _unpack(name, result, 2, "a pair (h, cache)", where)
        _compare(name, "h", h, _leaky_step_torch(x, h_prev, W_e, W_h, b, alpha), where,
                 "mix the old state and the vanilla step: (1 − α) h_prev + α tanh(a)")


@_checker
def check_leaky_rnn_step_backward(leaky_rnn_step_forward, leaky_rnn_step_backward) -> None:
    """(dx, dh_prev, dW_e, dW_h, db) of one leaky step, against central differences."""
    __tracebackhide__ = True
    name = "leaky_rnn_step_backward"
    rng = _rng(name + "/dh")
    for x, h_prev, W_e, W_h, b, alpha, where in _leaky_cases(name, sequence=False):
        result = _call("leaky_rnn_step_forward", leaky_rnn_step_forward,
                       (x, h_prev, W_e, W_h, b, alpha), where)
        _, cache = _unpack("leaky_rnn_step_forward", result, 2, "a pair (h, cache)", where)
        dh = rng.normal(size=h_prev.shape)
        grads = _unpack(name, _call(name, leaky_rnn_step_backward, (dh.copy(), cache), where), 5,
                        "a 5-tuple (dx, dh_prev, dW_e, dW_h, db)", where)
        inputs = [x, h_prev, W_e, W_h, b]
        for i, (what, got) in enumerate(zip(_LEAKY_NAMES, grads, strict=True)):
            hint = {"dh_prev": "h_prev reaches h twice: directly, (1 − α) dh, and through W_h: "
                               "(α dh ⊙ (1 − tanh(a)²)) W_h",
                    "dx": "da = α dh ⊙ (1 − tanh(a)²), then dx = da W_e"}.get(
                what, "with da = α dh ⊙ (1 − tanh(a)²): dW_e = daᵀ x, dW_h = daᵀ h_prev, "
                      "db = Σ_n da")
            want = _upstream_grad(_leaky_step_torch, inputs, i, dh, alpha)
            _compare(name, what, got, want, where, hint, **_GRAD_TOL)


@_checker
def check_leaky_rnn_forward(leaky_rnn_forward) -> None:
    """All hidden states hs (N, T, H), hs[:, t] = h^(t+1), and a cache."""
    __tracebackhide__ = True
    name = "leaky_rnn_forward"
    for x, h0, W_e, W_h, b, alpha, where in _leaky_cases(name, sequence=True):
        result = _call(name, leaky_rnn_forward, (x, h0, W_e, W_h, b, alpha), where)
        hs, _ = _unpack(name, result, 2, "a pair (hs, cache)", where)
        want = _leaky_sequence_torch(x, h0, W_e, W_h, b, alpha)
        got = _as_array(name, "hs", hs, where)
        hint = "hs[:, t] is the state after step t; each step starts from the previous state"
        if got.shape == want.shape and np.allclose(got[:, 0], want[:, 0]) and \
                not np.allclose(got, want):
            hint = "the first step is right; feed each new h into the next step"
        _compare(name, "hs", got, want, where, hint)


@_checker
def check_leaky_rnn_backward(leaky_rnn_forward, leaky_rnn_backward) -> None:
    """BPTT for the leaky RNN: (dx, dh0, dW_e, dW_h, db) given dhs, against central differences."""
    __tracebackhide__ = True
    name = "leaky_rnn_backward"
    rng = _rng(name + "/dhs")
    names = ("dx", "dh0", "dW_e", "dW_h", "db")
    for x, h0, W_e, W_h, b, alpha, where in _leaky_cases(name, sequence=True):
        result = _call("leaky_rnn_forward", leaky_rnn_forward, (x, h0, W_e, W_h, b, alpha), where)
        _, cache = _unpack("leaky_rnn_forward", result, 2, "a pair (hs, cache)", where)
        dhs = rng.normal(size=(x.shape[0], x.shape[1], h0.shape[1]))
        grads = _unpack(name, _call(name, leaky_rnn_backward, (dhs.copy(), cache), where), 5,
                        "a 5-tuple (dx, dh0, dW_e, dW_h, db)", where)
        inputs = [x, h0, W_e, W_h, b]
        for i, (what, got) in enumerate(zip(names, grads, strict=True)):
            hint = ("going backwards, the gradient at h^(t) is dhs[:, t] plus what step t+1 "
                    "sends back (its dh_prev); weight gradients add up over the steps")
            if what == "dh0":
                hint = "dh0 is what the first step sends back: its dh_prev"
            want = _upstream_grad(_leaky_sequence_torch, inputs, i, dhs, alpha)
            _compare(name, what, got, want, where, hint, **_GRAD_TOL)


# ---- ps3_training_and_decoding ---------------------------------------------------------------

def _masked_cases(tag: str):
    rng = _rng(tag)
    for N, T, V in [(1, 1, 3), (2, 5, 4), (3, 6, 7), (4, 3, 5)]:
        logits = rng.normal(size=(N, T, V)) * 2.0
        targets = rng.integers(0, V, size=(N, T))
        lengths = rng.integers(1, T + 1, size=N)
        lengths[0] = T  # one full row; the others padded after their length
        mask = np.arange(T)[None, :] < lengths[:, None]
        yield logits, targets, mask, f"for logits of shape {(N, T, V)} with row lengths {lengths.tolist()}"


def _torch_masked_ce(logits, targets, mask) -> float:
    torch = _torch()
    ignored = np.where(mask, targets, -100)
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(
        _t(logits).reshape(-1, V), torch.as_tensor(ignored.reshape(-1)), ignore_index=-100).item()


@_checker
def check_masked_cross_entropy(masked_cross_entropy) -> None:
    """Mean cross-entropy over the real (unmasked) tokens and dlogits, against torch's
    cross_entropy(ignore_index=...) and its central differences."""
    __tracebackhide__ = True
    name = "masked_cross_entropy"
    for logits, targets, mask, where in _masked_cases(name):
        before = logits.copy()
        result = _call(name, masked_cross_entropy, (logits, targets.copy(), mask.copy()), where)
        loss, dlogits = _unpack(name, result, 2, "a pair (loss, dlogits)", where)
        _unchanged(name, "logits", before, logits, where)
        _compare(name, "loss", loss, _torch_masked_ce(before, targets, mask), where,
                 "average −log p(target) over the real tokens only: divide by mask.sum(), not N·T")
        want = _numeric_grad(lambda v, t=targets, m=mask: _torch_masked_ce(v, t, m), before.copy())
        got = _as_array(name, "dlogits", dlogits, where)
        hint = "dlogits = (softmax − onehot) / number of real tokens, and 0 at padded positions"
        if got.shape == want.shape and np.all(np.isfinite(got)) and np.any(got[~mask] != 0):
            hint = "padded positions must get a zero gradient: multiply by the mask"
        _compare(name, "dlogits", got, want, where, hint, **_GRAD_TOL)


@_checker
def check_clip_each_norm(clip_each_norm) -> None:
    """Each gradient clipped on its own, as torch.nn.utils.clip_grad_norm_ does for one tensor."""
    __tracebackhide__ = True
    name = "clip_each_norm"
    torch = _torch()
    rng = _rng(name)
    for scales, max_norm in [({"w": 10.0}, 1.0), ({"W": 0.01, "b": 5.0}, 0.5),
                             ({"E": 3.0, "W_h": 0.2, "U": 40.0, "c": 0.0}, 2.0)]:
        grads = {k: rng.normal(size=(3, 4) if k != "c" and k != "b" else 4) * s
                 for k, s in scales.items()}
        where = f"for gradients {list(grads)} and max_norm={max_norm}"
        before = copy.deepcopy(grads)
        clipped = _grads_dict(name, _call(name, clip_each_norm, (grads, max_norm), where),
                              list(grads), where)
        _unchanged(name, "grads", before, grads, where)
        for k, g in before.items():
            p = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
            p.grad = _t(g).clone()
            torch.nn.utils.clip_grad_norm_([p], max_norm)
            norm = float(np.sqrt(np.sum(g * g)))
            hint = ("this gradient's norm is below max_norm: leave it as it is" if norm <= max_norm
                    else "scale by max_norm / (its own norm + 1e-6), not by the norm of all "
                         "gradients together")
            _compare(name, f"clipped['{k}']", clipped[k], p.grad.numpy(), where, hint)


@_checker
def check_top_p_filter(top_p_filter) -> None:
    """Nucleus filtering, checked by its definition: the kept tokens are the most probable
    ones, the fewest whose probability reaches p, renormalised; the rest get 0."""
    __tracebackhide__ = True
    name = "top_p_filter"
    torch = _torch()
    rng = _rng(name)
    for shape, p in [((6,), 0.5), ((10,), 0.9), ((3, 8), 0.8), ((4, 12), 0.95), ((2, 5), 0.01)]:
        where = f"for logits of shape {shape} and p={p}"
        logits = rng.normal(size=shape) * 2.0
        probs = _as_array(name, "the result", _call(name, top_p_filter, (logits.copy(), p), where),
                          where)
        if probs.shape != shape:
            raise _failure(name, f"the result has shape {probs.shape}, expected {shape} {where}.")
        full = torch.softmax(_t(logits), dim=-1).numpy()
        for row, (got, ref) in enumerate(zip(probs.reshape(-1, shape[-1]),
                                             full.reshape(-1, shape[-1]), strict=True)):
            at = where + (f", row {row}" if len(shape) > 1 else "")
            if not np.all(np.isfinite(got)) or np.any(got < 0) or abs(got.sum() - 1) > 1e-9:
                raise _failure(name, f"the result is not a probability distribution {at}.",
                               "renormalise the kept probabilities so that they sum to 1")
            kept = got > 0
            order = np.argsort(-ref)
            k = int(kept.sum())
            if not kept[order[:k]].all():
                raise _failure(name, f"keeps a token that is less probable than one it drops {at}.",
                               "sort by probability and keep a prefix")
            mass = np.cumsum(ref[order])
            needed = int(np.searchsorted(mass, p - 1e-12)) + 1  # the fewest tokens reaching p
            if k != needed:
                raise _failure(name, f"keeps {k} token(s) {at}, but the smallest set of most "
                                     f"probable tokens whose probability reaches p has {needed}.",
                               "keep a token while the probability of the tokens before it is "
                               "still below p")
            _compare(name, "the kept probabilities", got[kept], ref[kept] / ref[kept].sum(), at,
                     "kept tokens keep their relative probabilities (divide by their sum)")


def _tiny_lm(seed: int, scale: float, eos_bias: float, V: int = 5, H: int = 6):
    """A random RNN LM as a step function step(token, h) -> (logits (V,), h), and h0.
    Token 0 (<bos>) is never generated; `eos_bias` sets how readily it ends (token 1)."""
    from course_utils.nn.rnn_lm import init_rnn_lm, rnn_lm_step

    params = init_rnn_lm(V, 4, H, seed=seed)
    c = np.zeros(V)
    c[0], c[1] = -30.0, eos_bias
    params = {**params, "U": params["U"] * scale, "c": c}

    def step(token, h):
        logits, h_new = rnn_lm_step(params, np.array([int(token)]), np.asarray(h)[None])
        return logits[0], h_new[0]

    return step, np.zeros(H)


def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max()
    return shifted - np.log(np.exp(shifted).sum())


def _sequence_log_prob(step, state, bos_id, tokens) -> float:
    total, last = 0.0, bos_id
    for token in tokens:
        logits, state = step(last, state)
        total += _log_softmax(logits)[token]
        last = token
    return total


def _best_by_enumeration(step, state, bos_id, eos_id, max_len):
    """The most probable sequence ending in eos with at most max_len tokens, by trying all."""
    best = (-np.inf, None)
    frontier = [(0.0, [], bos_id, state)]
    for _ in range(max_len):
        next_frontier = []
        for score, tokens, last, st in frontier:
            logits, new_state = step(last, st)
            for token, lp in enumerate(_log_softmax(logits)):
                if token == eos_id:
                    best = max(best, (score + lp, tokens + [token]), key=lambda c: c[0])
                else:
                    next_frontier.append((score + lp, tokens + [token], token, new_state))
        frontier = next_frontier
    return best


def _greedy(step, state, bos_id, eos_id, max_len):
    tokens, last, total = [], bos_id, 0.0
    while len(tokens) < max_len:
        logits, state = step(last, state)
        lp = _log_softmax(logits)
        last = int(np.argmax(lp))
        tokens.append(last)
        total += lp[last]
        if last == eos_id:
            break
    return total, tokens


@_checker
def check_beam_search(beam_search) -> None:
    """Width 1 is greedy decoding; a beam wide enough to keep everything finds the best
    sequence found by trying them all; any width returns its sequence's true log-probability."""
    __tracebackhide__ = True
    name = "beam_search"
    bos_id, eos_id, V, max_len = 0, 1, 5, 4
    # models on which greedy decoding misses the best sequence (its first token differs, or it
    # never ends), so that only a real beam passes
    for seed, scale, eos_bias in [(19, 12.0, -1.0), (17, 12.0, -2.0), (24, 6.0, -2.0)]:
        step, h0 = _tiny_lm(seed, scale, eos_bias, V)
        for width in (1, 3, V ** max_len):
            where = f"with beam_width={width}, max_len={max_len} on a random LM (seed {seed})"
            result = _call(name, beam_search, (step, h0.copy(), bos_id, eos_id, width, max_len),
                           where)
            tokens, log_prob = _unpack(name, result, 2, "a pair (tokens, log_prob)", where)
            try:
                tokens = [int(t) for t in tokens]
            except (TypeError, ValueError):
                raise _failure(name, f"tokens should be a list of token ids {where}.") from None
            if not tokens or len(tokens) > max_len or not all(0 <= t < V for t in tokens):
                raise _failure(name, f"returned {len(tokens)} token(s) {where}; expected between "
                                     f"1 and max_len ids in 0..{V - 1}, without <bos>.")
            _compare(name, "log_prob", log_prob, _sequence_log_prob(step, h0, bos_id, tokens),
                     where, "log_prob is the sum of log softmax(logits)[token] over the tokens "
                            "returned (including <eos>)")
            if width == 1:
                reference = _greedy(step, h0, bos_id, eos_id, max_len)
                hint = "width 1 keeps only the best expansion at each step: greedy decoding"
            elif width == V ** max_len:
                reference = _best_by_enumeration(step, h0, bos_id, eos_id, max_len)
                hint = ("with a beam this wide nothing is pruned: return the finished "
                        "hypothesis (ending in <eos>) with the highest total log-probability")
            else:
                continue
            if tokens != reference[1]:
                raise _failure(name, f"returned a different sequence than expected {where}.", hint)


# ---- ps4_lstm_and_bidirectional --------------------------------------------------------------
#
# References are torch's own modules (GRUCell, GRU over packed sequences, LSTM) holding the
# student's weights, with the hidden-hidden biases at zero: the assignment's GRU has one bias b,
# in the input part, as the course's LSTM does. Gradients come from torch's autograd.

def _gru_cases(tag: str):
    rng = _rng(tag)
    for N, D, H in [(1, 2, 3), (4, 3, 5), (3, 5, 2), (2, 1, 4)]:
        x = rng.normal(size=(N, D))
        h_prev = rng.normal(size=(N, H)) * 0.5
        W_e, W_h = rng.normal(size=(3 * H, D)) * 0.6, rng.normal(size=(3 * H, H)) * 0.6
        b = rng.normal(size=3 * H) * 0.3
        yield x, h_prev, W_e, W_h, b, f"for x of shape {(N, D)} and H={H}"


def _torch_gru_cell(W_e, W_h, b):
    """torch.nn.GRUCell (float64) holding W_e, W_h, b, with bias_hh = 0."""
    torch = _torch()
    H, D = np.shape(W_h)[1], np.shape(W_e)[1]
    cell = torch.nn.GRUCell(D, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(_t(W_e))
        cell.weight_hh.copy_(_t(W_h))
        cell.bias_ih.copy_(_t(b))
        cell.bias_hh.zero_()
    return cell


def _gru_forward_hint(got, x, h_prev, W_e, W_h, b) -> str:
    """Which well-known variant of the GRU the answer computed, as a hint (no values)."""
    torch = _torch()
    H = h_prev.shape[1]
    a_x = (_t(x) @ _t(W_e).T + _t(b)).numpy()
    a_h = (_t(h_prev) @ _t(W_h).T).numpy()
    block = {"r": slice(0, H), "z": slice(H, 2 * H), "n": slice(2 * H, 3 * H)}

    def run(first, second, reset_inside=False, z_on_new=False):
        r = torch.sigmoid(_t(a_x[:, block[first]] + a_h[:, block[first]]))
        z = torch.sigmoid(_t(a_x[:, block[second]] + a_h[:, block[second]]))
        if reset_inside:
            hidden = (r * _t(h_prev)) @ _t(W_h[block["n"]]).T
        else:
            hidden = r * _t(a_h[:, block["n"]])
        n = torch.tanh(_t(a_x[:, block["n"]]) + hidden)
        keep = (1 - z) if z_on_new else z
        return ((1 - keep) * n + keep * _t(h_prev)).numpy()

    variants = [
        (run("r", "z", z_on_new=True), "torch's convention is h = (1 − z) ⊙ n + z ⊙ h_prev: "
                                       "z close to 1 keeps the old state"),
        (run("r", "z", reset_inside=True), "torch applies the reset gate after the matrix "
                                           "multiply: n = tanh(x W_nᵀ + b_n + r ⊙ (h_prev U_nᵀ))"),
        (run("z", "r"), "the blocks of W_e, W_h and b are in torch's order r, z, n"),
    ]
    got = np.asarray(got, dtype=np.float64)
    for value, hint in variants:
        if got.shape == value.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9):
            return hint
    return ("r and z are σ of their blocks, n = tanh(x W_nᵀ + b_n + r ⊙ (h_prev U_nᵀ)), "
            "then h = (1 − z) ⊙ n + z ⊙ h_prev")


@_checker
def check_gru_step_forward(gru_step_forward) -> None:
    """One GRU step against torch.nn.GRUCell (gate order r, z, n; bias_hh = 0)."""
    __tracebackhide__ = True
    name = "gru_step_forward"
    torch = _torch()
    for x, h_prev, W_e, W_h, b, where in _gru_cases(name):
        before = (x.copy(), h_prev.copy())
        result = _call(name, gru_step_forward, (x, h_prev, W_e.copy(), W_h.copy(), b.copy()), where)
        h, _ = _unpack(name, result, 2, "a pair (h, cache)", where)
        _unchanged(name, "x", before[0], x, where)
        _unchanged(name, "h_prev", before[1], h_prev, where)
        with torch.no_grad():
            want = _torch_gru_cell(W_e, W_h, b)(_t(x), _t(h_prev)).numpy()
        got = _as_array(name, "h", h, where)
        hint = _gru_forward_hint(got, x, h_prev, W_e, W_h, b) if got.shape == want.shape else ""
        _compare(name, "h", got, want, where, hint)


_GRU_HINTS = {
    "dx": "dx = da_x W_e, where da_x stacks the gradients at the pre-activations of r, z and n",
    "dh_prev": "h_prev reaches h directly (z ⊙ dh) and through W_h: dh_prev = z ⊙ dh + da_h W_h, "
               "where the n block of da_h is r ⊙ (gradient at n's pre-activation)",
    "dW_e": "dW_e = da_xᵀ x, with the r, z, n blocks of da_x stacked in that order",
    "dW_h": "dW_h = da_hᵀ h_prev; in the n block the reset gate multiplies: r ⊙ dan",
    "db": "db sums da_x over the batch: b is in the input part, outside the reset gate",
}


@_checker
def check_gru_step_backward(gru_step_forward, gru_step_backward) -> None:
    """(dx, dh_prev, dW_e, dW_h, db) of one GRU step, against torch's autograd of GRUCell."""
    __tracebackhide__ = True
    name = "gru_step_backward"
    rng = _rng(name + "/dh")
    names = ("dx", "dh_prev", "dW_e", "dW_h", "db")
    for x, h_prev, W_e, W_h, b, where in _gru_cases(name):
        result = _call("gru_step_forward", gru_step_forward,
                       (x.copy(), h_prev.copy(), W_e.copy(), W_h.copy(), b.copy()), where)
        _, cache = _unpack("gru_step_forward", result, 2, "a pair (h, cache)", where)
        dh = rng.normal(size=h_prev.shape)
        grads = _unpack(name, _call(name, gru_step_backward, (dh.copy(), cache), where), 5,
                        "a 5-tuple (dx, dh_prev, dW_e, dW_h, db)", where)
        cell = _torch_gru_cell(W_e, W_h, b)
        x_t, h_t = _t(x, grad=True), _t(h_prev, grad=True)
        (cell(x_t, h_t) * _t(dh)).sum().backward()
        want = dict(zip(names, (x_t.grad, h_t.grad, cell.weight_ih.grad, cell.weight_hh.grad,
                                cell.bias_ih.grad), strict=True))
        want = {k: v.numpy() for k, v in want.items()}
        right = {k: np.shape(g) == want[k].shape and np.allclose(
                    np.asarray(g, dtype=np.float64), want[k], rtol=1e-6, atol=1e-9)
                 for k, g in zip(names, grads, strict=True)}
        for what, got in zip(names, grads, strict=True):
            hint = _GRU_HINTS[what]
            if all(right[k] for k in names if k != what):
                hint = "every other gradient is right; " + hint
            _compare(name, what, got, want[what], where, hint)


def _direction_cases(tag: str):
    rng = _rng(tag)
    for N, T, D, H in [(1, 1, 2, 3), (3, 5, 2, 4), (4, 6, 3, 2), (2, 4, 1, 3), (3, 3, 2, 2)]:
        x = rng.normal(size=(N, T, D))
        lengths = rng.integers(1, T + 1, size=N)
        lengths[0] = T  # one full row; the others padded after their length
        if N == 3 and T == 3:
            lengths[:] = T  # and one batch without padding
        directions = []
        for _ in range(2):
            directions.append({"W_e": rng.normal(size=(3 * H, D)) * 0.6,
                               "W_h": rng.normal(size=(3 * H, H)) * 0.6,
                               "b": rng.normal(size=3 * H) * 0.3})
        x[~(np.arange(T)[None, :] < lengths[:, None])] = rng.normal(size=x.shape[2]) * 3.0
        yield x, directions[0], directions[1], lengths, \
            f"for x of shape {(N, T, D)}, H={H} and lengths {lengths.tolist()}"


@_checker
def check_bidirectional_gru(bidirectional_gru) -> None:
    """[→h ; ←h] of a padded batch, against torch.nn.GRU(bidirectional=True) over a packed
    sequence (pack_padded_sequence / pad_packed_sequence: zeros at the padding)."""
    __tracebackhide__ = True
    name = "bidirectional_gru"
    torch = _torch()
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    for x, fwd, bwd, lengths, where in _direction_cases(name):
        N, T, D = x.shape
        H = fwd["W_h"].shape[1]
        args = (x.copy(), copy.deepcopy(fwd), copy.deepcopy(bwd), lengths.copy())
        hs = _call(name, bidirectional_gru, args, where)
        _unchanged(name, "x", x, args[0], where)
        gru = torch.nn.GRU(D, H, batch_first=True, bidirectional=True).double()
        with torch.no_grad():
            for suffix, params in (("l0", fwd), ("l0_reverse", bwd)):
                getattr(gru, f"weight_ih_{suffix}").copy_(_t(params["W_e"]))
                getattr(gru, f"weight_hh_{suffix}").copy_(_t(params["W_h"]))
                getattr(gru, f"bias_ih_{suffix}").copy_(_t(params["b"]))
                getattr(gru, f"bias_hh_{suffix}").zero_()
            packed = pack_padded_sequence(_t(x), torch.as_tensor(lengths), batch_first=True,
                                          enforce_sorted=False)
            out, _ = pad_packed_sequence(gru(packed)[0], batch_first=True, total_length=T)
        want = out.numpy()
        got = _as_array(name, "hs", hs, where)
        hint = ("each direction starts from h = 0 and applies gru_step_forward step by step; "
                "hs = [forward states ; backward states]")
        if got.shape == want.shape and np.all(np.isfinite(got)):
            real = np.arange(T)[None, :] < lengths[:, None]

            def close(a, b):
                return np.allclose(a, b, rtol=1e-6, atol=1e-9)

            if close(got[real], want[real]):
                hint = "padded positions must hold 0 in both halves (as torch's pad_packed_sequence)"
            elif close(got[..., :H][real], want[..., H:][real]) and \
                    close(got[..., H:][real], want[..., :H][real]):
                hint = "hs[..., :H] is the forward direction and hs[..., H:] the backward one"
            elif close(got[..., :H][real], want[..., :H][real]):
                hint = ("the forward half is right; the backward direction must start at each "
                        "row's last real step, not at the padding: reverse each row within its "
                        "length, run, and reverse the states back")
        _compare(name, "hs", got, want, where, hint)


@_checker
def check_residual_stacked_lstm(residual_stacked_lstm) -> None:
    """h_1 = LSTM_1(x), h_l = h_(l−1) + LSTM_l(h_(l−1)), each layer a torch.nn.LSTM."""
    __tracebackhide__ = True
    name = "residual_stacked_lstm"
    torch = _torch()
    rng = _rng(name)
    for N, T, D, H, L in [(1, 1, 2, 3, 1), (2, 4, 3, 5, 2), (3, 5, 2, 4, 3), (2, 3, 4, 2, 4)]:
        where = f"for x of shape {(N, T, D)}, H={H} and {L} layer(s)"
        x = rng.normal(size=(N, T, D))
        layers = [{"W_e": rng.normal(size=(4 * H, D if l == 0 else H)) * 0.5,
                   "W_h": rng.normal(size=(4 * H, H)) * 0.5,
                   "b": rng.normal(size=4 * H) * 0.3} for l in range(L)]
        args = (x.copy(), copy.deepcopy(layers))
        hs = _call(name, residual_stacked_lstm, args, where)
        _unchanged(name, "x", x, args[0], where)
        for l, layer in enumerate(layers):
            _unchanged(name, f"layers[{l}]", layer, args[1][l], where)
        h = plain = _t(x)
        with torch.no_grad():
            for l, params in enumerate(layers):
                lstm = torch.nn.LSTM(params["W_e"].shape[1], H, batch_first=True).double()
                lstm.weight_ih_l0.copy_(_t(params["W_e"]))
                lstm.weight_hh_l0.copy_(_t(params["W_h"]))
                lstm.bias_ih_l0.copy_(_t(params["b"]))
                lstm.bias_hh_l0.zero_()
                out = lstm(h)[0]
                h = out if l == 0 else h + out
                plain = lstm(plain)[0]
        got = _as_array(name, "hs", hs, where)
        hint = ("h_1 = LSTM_1(x); for l ≥ 2, h_l = h_(l−1) + LSTM_l(h_(l−1)), and layer l+1 "
                "reads that sum; return the top layer's h_L")
        if L > 1 and got.shape == plain.shape and np.allclose(got, plain.numpy(), rtol=1e-6):
            hint = ("this is the plain stack: from layer 2 on, add each layer's input to its "
                    "output (the residual connection)")
        _compare(name, "hs", got, h.numpy(), where, hint)
