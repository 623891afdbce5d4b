"""ps1_perceptron_ffn: ELU, a sigmoid neuron with BCE, a multi-label network, momentum.

For each part: its seeded cases, `run_<part>` (the hidden test, in the student's kernel: runs
the answer and hands the results in) and `judge_<part>` (in the grader: the same cases, the
references, the verdict). Values come from torch's own functions (forward only); gradients
from central differences of those torch functions in float64, so no reference here is an
answer written out.
"""

from __future__ import annotations

import copy

import numpy as np

from ._core import (
    GRAD_TOL,
    PayloadError,
    after,
    as_array,
    attempt,
    close,
    compare,
    each_case,
    fix_forward_first,
    forward_and_backward,
    forward_then_backward,
    grads_dict,
    hand_in,
    numeric_grad,
    returned,
    rng,
    t,
    torch,
    unchanged,
)

# ---- 1 · ELU ------------------------------------------------------------------------------------

def elu_cases(tag: str) -> list:
    generator = rng(tag)
    cases = []
    for shape, alpha in [((1,), 1.0), ((6,), 0.5), ((3, 5), 2.0), ((2, 3, 4), 1.3), ((7, 2), 0.1)]:
        z = generator.normal(0.0, 2.0, size=shape)
        z[np.abs(z) < 1e-3] = 0.5  # keep away from the kink at 0
        cases.append((z, alpha, f"for z of shape {shape} with alpha={alpha}"))
    return cases


def elu_forward_cases() -> list:
    return elu_cases("elu_forward") + [
        (np.array([-800.0, -30.0, 30.0, 800.0]), 1.5, "for very large |z| (|z| up to 800)")]


def elu_backward_cases() -> list:
    douts = rng("elu_backward/dout")
    return [(z, alpha, douts.normal(size=z.shape), where)
            for z, alpha, where in elu_cases("elu_backward")]


def _torch_elu(z, alpha):
    return torch().nn.functional.elu(t(z), alpha=alpha).numpy()


def run_elu_forward(elu_forward) -> None:
    """ELU(z) = z for z > 0, α(eᶻ − 1) otherwise; returns (out, cache)."""
    hand_in("elu_forward", [attempt(elu_forward, z, alpha, watch=[0], cache=True)[0]
                            for z, alpha, _ in elu_forward_cases()])


def judge_elu_forward(payload) -> None:
    name, cases = "elu_forward", elu_forward_cases()
    for (z, alpha, where), record in each_case(payload, name, cases):
        out, _ = returned(name, record, where, 2, "a pair (out, cache)")
        unchanged(name, "z", z, after(record, 0), where)
        hint = ("ELU must not overflow: np.exp of a large positive z is inf; only compute "
                "α(eᶻ − 1) where z ≤ 0" if "large" in where else
                "out = z where z > 0 and α(eᶻ − 1) where z ≤ 0, element-wise")
        compare(name, "out", out, _torch_elu(z, alpha), where, hint)


def run_elu_backward(elu_forward, elu_backward) -> None:
    """dz = dout ⊙ ELU'(z), from the cache of the student's own elu_forward."""
    hand_in("elu_backward", [forward_then_backward(elu_forward, (z, alpha), elu_backward, dout)
                             for z, alpha, dout, _ in elu_backward_cases()])


def judge_elu_backward(payload) -> None:
    """Against central differences of torch's ELU (one per element: ELU is element-wise)."""
    name, cases, h = "elu_backward", elu_backward_cases(), 1e-6
    for (z, alpha, dout, where), record in each_case(payload, name, cases):
        out, backward = forward_and_backward("elu_forward", record, where, "a pair (out, cache)")
        got = as_array(name, "dz", returned(name, backward, where), where)
        slope = (_torch_elu(z + h, alpha) - _torch_elu(z - h, alpha)) / (2 * h)
        want = dout * slope
        hint = "dz = dout ⊙ ELU'(z): 1 where z > 0, α eᶻ (= out + α) where z ≤ 0"
        if got.shape == want.shape and not close(got, want, **GRAD_TOL):
            positive = z > 0
            if close(got[positive], want[positive], **GRAD_TOL):
                hint = "right where z > 0; where z ≤ 0 the derivative of α(eᶻ − 1) is α eᶻ"
            elif close(got[~positive], want[~positive], **GRAD_TOL):
                hint = "right where z ≤ 0; where z > 0 ELU is the identity, so dz = dout there"
            if close(got, slope, **GRAD_TOL):
                hint = "you return ELU'(z) alone: multiply it by the upstream gradient dout"
        hint = fix_forward_first("elu_forward", close(out, _torch_elu(z, alpha)), hint)
        compare(name, "dz", got, want, where, hint, **GRAD_TOL)


# ---- 2 · a sigmoid neuron with binary cross-entropy ---------------------------------------------

def neuron_cases() -> list:
    generator = rng("neuron_loss_and_grads")
    cases = []
    for N, D in [(1, 3), (5, 2), (20, 7), (8, 4)]:
        X = generator.normal(size=(N, D))
        w = generator.normal(size=D)
        b = float(generator.normal())
        y = generator.integers(0, 2, size=N).astype(np.float64)
        cases.append((w, b, X, y, f"for X of shape {(N, D)}"))
    # saturated logits: |z| up to about 60, where a naive log(1 − σ(z)) gives log(0)
    X = generator.normal(size=(12, 3)) * 20.0
    y = (generator.random(12) < 0.5).astype(np.float64)
    cases.append((np.array([1.0, -0.8, 0.6]), 0.5, X, y,
                  "when the logits are large (|z| up to about 60)"))
    return cases


def _torch_bce(logits, targets, reduction="mean") -> float:
    return torch().nn.functional.binary_cross_entropy_with_logits(
        t(logits), t(targets), reduction=reduction).item()


def run_neuron_loss_and_grads(neuron_loss_and_grads) -> None:
    """Mean binary cross-entropy of a sigmoid neuron, and (dw, db)."""
    hand_in("neuron_loss_and_grads", [attempt(neuron_loss_and_grads, w, b, X, y, watch=[0])[0]
                                      for w, b, X, y, _ in neuron_cases()])


def judge_neuron_loss_and_grads(payload) -> None:
    """The loss against torch, (dw, db) against central differences of it."""
    name, cases = "neuron_loss_and_grads", neuron_cases()
    for (w, b, X, y, where), record in each_case(payload, name, cases):
        loss, dw, db = returned(name, record, where, 3, "a triple (loss, dw, db)")
        unchanged(name, "w", w, after(record, 0), where)
        stable = ("keep it finite for large |z|: log σ(z) = −log(1 + e^(−z)) is "
                  "-np.logaddexp(0, -z), and log(1 − σ(z)) = -np.logaddexp(0, z)")
        large = "large" in where
        compare(name, "loss", loss, _torch_bce(X @ w + b, y), where,
                stable if large else "L = −mean(y log a + (1 − y) log(1 − a)) with a = σ(Xw + b)")
        want_dw = numeric_grad(lambda v, X=X, b=b, y=y: _torch_bce(X @ v + b, y), w)
        want_db = numeric_grad(lambda v, X=X, w=w, y=y: _torch_bce(X @ w + v[0], y),
                               np.array([b]))[0]
        compare(name, "dw", dw, want_dw, where,
                stable if large else "dL/dz = (a − y) / N for each example; dw = Xᵀ dL/dz",
                **GRAD_TOL)
        compare(name, "db", db, want_db, where, "db = Σ_n dL/dz_n (a sum, not a mean)", **GRAD_TOL)


# ---- 3 · a network with several yes/no outputs ----------------------------------------------------

MULTILABEL_KEYS = ("W", "b", "U", "c")


def multilabel_cases() -> list:
    generator = rng("multilabel_loss_and_grads")
    cases = []
    for N, D, H, K in [(1, 2, 3, 2), (6, 4, 5, 3), (16, 3, 8, 5), (9, 7, 2, 4)]:
        params = {"W": generator.normal(size=(H, D)), "b": generator.normal(size=H) * 0.1,
                  "U": generator.normal(size=(K, H)), "c": generator.normal(size=K) * 0.1}
        X = generator.normal(size=(N, D))
        Y = (generator.random((N, K)) < 0.4).astype(np.float64)
        cases.append((params, X, Y, f"for N={N}, n0={D}, n1={H}, K={K}"))
    return cases


def run_multilabel_loss_and_grads(multilabel_loss_and_grads) -> None:
    """tanh hidden layer, sigmoid outputs: (loss, grads)."""
    hand_in("multilabel_loss_and_grads", [
        attempt(multilabel_loss_and_grads, params, X, Y, watch=[0])[0]
        for params, X, Y, _ in multilabel_cases()])


def judge_multilabel_loss_and_grads(payload) -> None:
    """BCE summed over labels and averaged over examples (torch); gradients by central
    differences of it."""
    name, cases = "multilabel_loss_and_grads", multilabel_cases()
    for (params, X, Y, where), record in each_case(payload, name, cases):
        loss, grads = returned(name, record, where, 2, "a pair (loss, grads)")
        unchanged(name, "params", params, after(record, 0), where)
        grads = grads_dict(name, grads, MULTILABEL_KEYS, where)

        def reference_loss(p, X=X, Y=Y):
            hidden = torch().tanh(t(X) @ t(p["W"]).T + t(p["b"])).numpy()
            return _torch_bce(hidden @ p["U"].T + p["c"], Y, reduction="sum") / len(X)

        compare(name, "loss", loss, reference_loss(params), where,
                "sum the binary cross-entropy over the K labels, then average over the N examples")
        want = {k: numeric_grad(lambda v, k=k, p=params: reference_loss({**p, k: v}), params[k])
                for k in MULTILABEL_KEYS}
        right = {k: close(grads[k], want[k], **GRAD_TOL) for k in MULTILABEL_KEYS}
        for k in ("U", "c", "W", "b"):
            hint = {"U": "dZ = (σ(Z) − Y) / N, and dU = dZᵀ H",
                    "c": "dc sums dZ over the examples",
                    "W": "back through tanh: dA = (dZ U) ⊙ (1 − H²), then dW = dAᵀ X",
                    "b": "db sums dA over the examples"}[k]
            if k in ("W", "b") and right["U"] and right["c"]:
                hint = "the output layer is right; " + hint
            compare(name, f"grads['{k}']", grads[k], want[k], where, hint, **GRAD_TOL)


# ---- 4 · gradient descent with momentum ------------------------------------------------------------

def momentum_cases() -> list:
    """(shapes, lr, momentum, start, the gradients of three steps)."""
    generator = rng("sgd_momentum_step")
    cases = []
    for shapes, lr, momentum in [({"w": (3,)}, 0.1, 0.9),
                                 ({"W": (4, 3), "b": (4,)}, 0.05, 0.5),
                                 ({"E": (6, 2), "U": (2, 6), "c": (6,)}, 0.3, 0.0)]:
        start = {k: generator.normal(size=s) for k, s in shapes.items()}
        steps = [{k: generator.normal(size=s) for k, s in shapes.items()} for _ in range(3)]
        cases.append((shapes, lr, momentum, start, steps))
    return cases


def run_sgd_momentum_step(sgd_momentum_step) -> None:
    """Three steps in a row, each from the parameters and velocity the previous one returned."""
    records = []
    for shapes, lr, momentum, start, steps in momentum_cases():
        params, velocity, done = start, {k: np.zeros(s) for k, s in shapes.items()}, []
        for grads in steps:
            record, result = attempt(sgd_momentum_step, params, grads, velocity, lr, momentum,
                                     watch=[0, 1, 2])
            done.append(record)
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                break  # the grader stops at this step
            params, velocity = result
        records.append({"steps": done})
    hand_in("sgd_momentum_step", records)


def judge_sgd_momentum_step(payload) -> None:
    """v ← μ v + g, θ ← θ − lr v (torch.optim.SGD's rule), against its closed form
    v_t = Σ_s μ^(t−s) g_s and θ_t = θ_0 − lr Σ_s v_s."""
    name, cases = "sgd_momentum_step", momentum_cases()
    for (shapes, lr, momentum, start, steps), record in each_case(payload, name, cases):
        params, velocity = copy.deepcopy(start), {k: np.zeros(s) for k, s in shapes.items()}
        done = record.get("steps") if isinstance(record.get("steps"), list) else []
        for step, grads in enumerate(steps, start=1):
            where = f"at step {step} with lr={lr}, momentum={momentum} and parameters {list(shapes)}"
            if step > len(done) or not isinstance(done[step - 1], dict):
                raise PayloadError(f"no result of {name} {where}")
            new_params, new_velocity = returned(name, done[step - 1], where, 2,
                                                "a pair (params, velocity)")
            for i, (what, before) in enumerate(zip(("params", "grads", "velocity"),
                                                   (params, grads, velocity), strict=True)):
                unchanged(name, what, before, after(done[step - 1], i), where)
            new_params = grads_dict(name, new_params, shapes, where)
            new_velocity = grads_dict(name, new_velocity, shapes, where)
            for k in shapes:
                # v_t = Σ_{s ≤ t} μ^(t−s) g_s ;  θ_t = θ_0 − lr Σ_{r ≤ t} v_r
                v = [sum(momentum ** (r - s) * steps[s][k] for s in range(r + 1))
                     for r in range(step)]
                compare(name, f"velocity['{k}']", new_velocity[k], v[-1], where,
                        "v ← μ·v + g (the previous velocity times momentum, plus the gradient)")
                compare(name, f"params['{k}']", new_params[k], start[k] - lr * sum(v), where,
                        "θ ← θ − lr·v, using the new velocity")
            params, velocity = new_params, new_velocity


JUDGES = {
    "elu_forward": judge_elu_forward,
    "elu_backward": judge_elu_backward,
    "neuron_loss_and_grads": judge_neuron_loss_and_grads,
    "multilabel_loss_and_grads": judge_multilabel_loss_and_grads,
    "sgd_momentum_step": judge_sgd_momentum_step,
}
