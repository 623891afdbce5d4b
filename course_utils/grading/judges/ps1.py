"""ps1: the grader's half of the hidden tests (see course_utils/grading/judges/__init__.py)."""

from __future__ import annotations

import copy

import numpy as np

from .._core import (
    GRAD_TOL,
    PayloadError,
    after,
    as_array,
    close,
    compare,
    each_case,
    fix_forward_first,
    forward_and_backward,
    grads_dict,
    numeric_grad,
    returned,
    t,
    torch,
    unchanged,
)
from ..ps1 import (
    MULTILABEL_KEYS,
    elu_backward_cases,
    elu_forward_cases,
    momentum_cases,
    multilabel_cases,
    neuron_cases,
)


def _torch_elu(z, alpha):
    return torch().nn.functional.elu(t(z), alpha=alpha).numpy()


def judge_elu_forward(payload) -> None:
    name, cases = "elu_forward", elu_forward_cases()
    for (z, alpha, where), record in each_case(payload, name, cases):
        out, _ = returned(name, record, where, 2, "a pair (out, cache)")
        unchanged(name, "z", z, after(record, 0), where)
        hint = ("ELU must not overflow: np.exp of a large positive z is inf; only compute "
                "α(eᶻ − 1) where z ≤ 0" if "large" in where else
                "out = z where z > 0 and α(eᶻ − 1) where z ≤ 0, element-wise")
        compare(name, "out", out, _torch_elu(z, alpha), where, hint)


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

def _torch_bce(logits, targets, reduction="mean") -> float:
    return torch().nn.functional.binary_cross_entropy_with_logits(
        t(logits), t(targets), reduction=reduction).item()


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
