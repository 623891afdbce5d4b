"""Checks for lesson 02's exercises: softmax, the cross-entropy and its gradient, the 2-layer
network's forward and backward passes, the SGD step and Adam.

Each compares the learner's function with torch (float64) on seeded random shapes: the
functions of torch.nn.functional, torch autograd, torch.optim.SGD and torch.optim.Adam. The
hints name the equation of the lesson, never the code. Mistakes are recognised from torch's
answers (a missing bias, a sum for a mean, a forgotten derivative) and named.
"""

from __future__ import annotations

import numpy as np

from course_utils.exercises._core import (
    Wrong,
    call,
    cases_rng,
    exercise,
    expect_close,
    needs_own_forward,
    torch_float64,
    unpack,
)
from course_utils.nn import ffn as _course_ffn
from course_utils.nn.activations import ACTIVATIONS
from course_utils.nn.optim import init_adam

__all__ = ["check_softmax", "check_cross_entropy_forward", "check_cross_entropy_backward",
           "check_ffn_forward", "check_ffn_backward", "check_sgd_step", "check_adam_step"]

# (N, K): one row, a typical batch, more classes than rows
CLASS_SHAPES = ((1, 3), (4, 2), (6, 5))
# (N, n0, n1, n2): inputs, hidden units and classes all different, so that a transposed
# matrix shows up as a wrong shape
NET_SHAPES = ((1, 2, 3, 4), (5, 3, 4, 2), (4, 2, 6, 3))
ACTIVATION_NAMES = ("sigmoid", "tanh", "relu")


def _torch_activation(name):
    import torch

    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "identity": lambda a: a}[name]


def _unchanged(what: str, before: np.ndarray, after, function: str) -> None:
    if not np.array_equal(before, np.asarray(after)):
        raise Wrong(f"{function} changed its input {what}: compute on a copy, or with new arrays, "
                    f"so that the caller's {what} stays as it was")


# --------------------------------------------------------------------------------------
# Softmax
# --------------------------------------------------------------------------------------

SOFTMAX_HINT = "softmax(z)_k = e^{z_k} / Σ_j e^{z_j}, along each row (one row per example)"
OVERFLOW_HINT = ("e^z overflows for logits near 1000: subtract each row's largest logit first, "
                 "which changes nothing since softmax(z) = softmax(z − c)")


@exercise("softmax", success="matches torch.softmax on 3 random shapes and on logits near 1000")
def check_softmax(softmax):
    import torch

    rng = cases_rng("lesson02.softmax")
    for N, K in CLASS_SHAPES:
        z = rng.standard_normal((N, K)) * 3
        before = z.copy()
        got = call("softmax", softmax, z)
        _unchanged("z", before, z, "softmax")
        want = torch.softmax(torch_float64(z), dim=1).numpy()
        mistakes = {"the sum runs down the columns (over the batch) instead of along each row":
                    torch.softmax(torch_float64(z), dim=0).numpy(),
                    "each row is divided by the sum over the whole batch, not by its own sum":
                    np.exp(z) / np.exp(z).sum()}
        expect_close("softmax(z)", got, want, where=f"for {N} rows of {K} logits", hint=SOFTMAX_HINT,
                     mistakes=mistakes)
    z = 1000.0 + rng.standard_normal((3, 4))
    got = call("softmax", softmax, z)
    expect_close("softmax(z)", got, torch.softmax(torch_float64(z), dim=1).numpy(),
                 where="for logits near 1000", hint=OVERFLOW_HINT)


# --------------------------------------------------------------------------------------
# Cross-entropy: the loss, and its gradient with respect to the logits
# --------------------------------------------------------------------------------------

def _class_case(rng, N, K):
    return rng.standard_normal((N, K)) * 2, rng.integers(0, K, size=N)


CE_HINT = ("L = (1/N) Σ_n −log ŷ_{n, y_n}, and log ŷ_k = z_k − log Σ_j e^{z_j} "
           "(shift by the row's largest logit first)")


@exercise("cross_entropy_forward",
          success="loss and cache match torch's cross_entropy and log_softmax on 3 random shapes "
                  "and on logits 800 apart")
def check_cross_entropy_forward(cross_entropy_forward):
    import torch
    import torch.nn.functional as F

    rng = cases_rng("lesson02.cross_entropy_forward")
    cases = [_class_case(rng, N, K) for N, K in CLASS_SHAPES]
    cases.append((np.array([[0.0, 800.0, 1.0], [5.0, -795.0, 2.0]]), np.array([0, 1])))
    for number, (z, targets) in enumerate(cases):
        N, K = z.shape
        where = (f"for {N} rows of {K} logits" if number < len(CLASS_SHAPES)
                 else "for logits 800 apart (the target's probability underflows to 0)")
        before = z.copy()
        loss, cache = unpack("cross_entropy_forward", call("cross_entropy_forward", cross_entropy_forward,
                                                          z, targets), ("loss", "cache"))
        _unchanged("z", before, z, "cross_entropy_forward")
        z_t, t_t = torch_float64(z), torch.tensor(targets)
        want = F.cross_entropy(z_t, t_t).item()
        probs = torch.softmax(z_t, dim=1)
        picked = probs[torch.arange(N), t_t]
        mistakes = {"the minus sign is missing": -want,
                    "the log is missing (the mean of ŷ_t instead of −log ŷ_t)": -picked.mean().item()}
        if N > 1:
            mistakes["the loss is summed over the batch instead of averaged"] = want * N
        expect_close("loss", loss, want, where=where, hint=CE_HINT, mistakes=mistakes)
        if not isinstance(cache, tuple) or len(cache) != 2:
            raise Wrong("the cache must be the pair (log_probs, targets): log ŷ of every class, "
                        "(N, K), and the target ids, (N,), which is what cross_entropy_backward reads")
        log_probs = torch.log_softmax(z_t, dim=1).numpy()
        expect_close("cache[0] (log_probs)", cache[0], log_probs, where=where,
                     hint="the cache holds log ŷ = log softmax(z) for every class, (N, K)",
                     mistakes={"the cache holds ŷ instead of log ŷ": probs.numpy()})
        expect_close("cache[1] (targets)", cache[1], targets, where=where,
                     hint="the cache's second item is the targets, as given")


CE_BACKWARD_HINT = ("∂L/∂z = dloss · (ŷ − y) / N: the prediction minus the one-hot target, "
                    "divided by N because the loss is a mean, times the upstream dloss")


@exercise("cross_entropy_backward", success="∂L/∂z matches torch autograd on 3 random shapes")
def check_cross_entropy_backward(cross_entropy_backward):
    import torch
    import torch.nn.functional as F

    rng = cases_rng("lesson02.cross_entropy_backward")
    for (N, K), dloss in zip(CLASS_SHAPES, (1.0, 0.5, 2.0), strict=True):
        z, targets = _class_case(rng, N, K)
        z_t = torch_float64(z, grad=True)
        loss = F.cross_entropy(z_t, torch.tensor(targets))
        (loss * dloss).backward()
        want = z_t.grad.numpy()
        log_probs = torch.log_softmax(z_t.detach(), dim=1).numpy()
        cache = (log_probs.copy(), targets.copy())
        dz = call("cross_entropy_backward", cross_entropy_backward, dloss, cache)
        _unchanged("cache's log_probs", log_probs, cache[0], "cross_entropy_backward")
        probs = np.exp(log_probs)
        mistakes = {"the one-hot target is not subtracted (ŷ alone)": probs * dloss / N,
                    "the sign is flipped (y − ŷ)": -want}
        if N > 1:
            mistakes["it is not divided by N (the loss is the mean over the batch)"] = want * N
        if dloss != 1.0:
            mistakes["the upstream gradient dloss is not multiplied in"] = want / dloss
        expect_close("dz", dz, want, where=f"for {N} rows of {K} classes with dloss = {dloss}",
                     hint=CE_BACKWARD_HINT, mistakes=mistakes)


# --------------------------------------------------------------------------------------
# The 2-layer network: forward
# --------------------------------------------------------------------------------------

def _net_case(rng, N, n0, n1, n2):
    params = {"W": rng.standard_normal((n1, n0)), "b": rng.standard_normal(n1),
              "U": rng.standard_normal((n2, n1))}
    return params, rng.standard_normal((N, n0))


def _call_with_hint(ffn_forward, *args):
    """The learner's forward pass; a matrix product of the wrong shapes gets the equation as a hint."""
    try:
        return call("ffn_forward", ffn_forward, *args)
    except Wrong as wrong:
        if "matmul" in str(wrong) or "shapes" in str(wrong):
            raise Wrong(f"{wrong}. Hint: {FORWARD_HINT}") from None
        raise


def _torch_logits(params, x, activation):
    W, b, U, x_t = torch_float64(params["W"], params["b"], params["U"], x)
    return (_torch_activation(activation)(x_t @ W.T + b) @ U.T).numpy()


FORWARD_HINT = ("a = W x + b, h = φ(a), z = U h, with the batch as rows (x Wᵀ + b, then h Uᵀ); φ is "
                "the first function of lesson 01's pair ACTIVATIONS[activation]")


@exercise("ffn_forward", success="the logits match torch on 3 random shapes with sigmoid, tanh and ReLU")
def check_ffn_forward(ffn_forward):
    from course_utils.nn.layers import softmax

    rng = cases_rng("lesson02.ffn_forward")
    for N, n0, n1, n2 in NET_SHAPES:
        params, x = _net_case(rng, N, n0, n1, n2)
        before = {name: value.copy() for name, value in params.items()}
        for activation in ACTIVATION_NAMES:
            where = f"with φ = {activation} for a batch of {N} (n0 = {n0}, n1 = {n1}, n2 = {n2})"
            z, _ = unpack("ffn_forward", _call_with_hint(ffn_forward, params, x, activation), ("z", "cache"))
            want = _torch_logits(params, x, activation)
            no_b = dict(params, b=np.zeros(n1))
            mistakes = {"b is not added": _torch_logits(no_b, x, activation),
                        "the activation φ is missing (z = U(Wx + b))": _torch_logits(params, x, "identity"),
                        "softmax is applied: ffn_forward returns the logits z, the softmax comes "
                        "with the loss": softmax(want)}
            if activation != "sigmoid":
                mistakes[f"the activation argument is ignored (sigmoid used for {activation})"] = \
                    _torch_logits(params, x, "sigmoid")
            expect_close("z", z, want, where=where, hint=FORWARD_HINT, mistakes=mistakes)
        for name, value in before.items():
            _unchanged(f"params[{name!r}]", value, params[name], "ffn_forward")
    params, x = _net_case(rng, 3, 2, 3, 2)
    z, _ = unpack("ffn_forward", call("ffn_forward", ffn_forward, params, x), ("z", "cache"))
    expect_close("z", z, _torch_logits(params, x, "sigmoid"),
                 where="when no activation is given (the default must be the sigmoid)", hint=FORWARD_HINT)


# --------------------------------------------------------------------------------------
# The 2-layer network: backward
# --------------------------------------------------------------------------------------

BACKWARD_HINTS = {
    "U": "∂L/∂U = Σ_n dz_n h_nᵀ: the upstream gradient times the hidden layer, summed over the rows",
    "b": "∂L/∂b = Σ_n δ_n, with δ_n = (Uᵀ dz_n) ⊙ φ′(a_n) the gradient at the pre-activation",
    "W": "∂L/∂W = Σ_n δ_n x_nᵀ, with δ_n = (Uᵀ dz_n) ⊙ φ′(a_n) the gradient at the pre-activation",
}


def _torch_grads(params, x, activation, dz):
    """∂(Σ z ⊙ dz)/∂W, b, U from autograd, and the intermediate a, h, δ = ∂/∂a."""
    W, b, U = torch_float64(params["W"], params["b"], params["U"], grad=True)
    a = torch_float64(x) @ W.T + b
    a.retain_grad()
    h = _torch_activation(activation)(a)
    z = h @ U.T
    z.backward(torch_float64(dz))
    grads = {"W": W.grad.numpy(), "b": b.grad.numpy(), "U": U.grad.numpy()}
    return grads, a.detach().numpy(), h.detach().numpy(), a.grad.numpy()


@exercise("ffn_backward",
          success="∂L/∂W, ∂L/∂b and ∂L/∂U match torch autograd on 3 random shapes with sigmoid, tanh "
                  "and ReLU")
def check_ffn_backward(ffn_backward, ffn_forward):
    """`ffn_forward` is the learner's forward pass: ffn_backward reads its cache."""
    rng = cases_rng("lesson02.ffn_backward")
    if ffn_forward is _course_ffn.ffn_forward:
        params, x = _net_case(rng, 2, 2, 3, 2)
        _, cache = ffn_forward(params, x)
        needs_own_forward(lambda: ffn_backward(np.ones((2, 2)), cache), "ffn_forward", "ffn_backward")
    for N, n0, n1, n2 in NET_SHAPES:
        params, x = _net_case(rng, N, n0, n1, n2)
        dz = rng.standard_normal((N, n2))
        for activation in ACTIVATION_NAMES:
            where = f"with φ = {activation} for a batch of {N} (n0 = {n0}, n1 = {n1}, n2 = {n2})"
            _, cache = unpack("ffn_forward", call("ffn_forward", ffn_forward, params, x, activation),
                              ("z", "cache"))
            grads = call("ffn_backward", ffn_backward, dz.copy(), cache)
            if not isinstance(grads, dict) or set(grads) != {"W", "b", "U"}:
                got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
                raise Wrong(f"ffn_backward must return a dict with the keys 'W', 'b', 'U' (the gradient of "
                            f"each parameter, in its shape), got {got}")
            want, a, h, delta = _torch_grads(params, x, activation, dz)
            _, phi_prime = ACTIVATIONS[activation]
            no_prime = dz @ params["U"]  # δ if φ′ were left out
            at_h = no_prime * phi_prime(h)  # δ if φ′ were evaluated at h = φ(a) instead of at a
            mistakes = {
                "U": {"the pre-activation a is used where the hidden layer h = φ(a) belongs":
                      dz.T @ a},
                "b": {"φ′(a) is left out": no_prime.sum(axis=0),
                      "φ′ is evaluated at h = φ(a) instead of at a": at_h.sum(axis=0)},
                "W": {"φ′(a) is left out": no_prime.T @ x,
                      "φ′ is evaluated at h = φ(a) instead of at a": at_h.T @ x},
            }
            if N > 1:
                mistakes["b"]["∂L/∂b is averaged over the rows instead of summed"] = delta.mean(axis=0)
            for name in ("U", "b", "W"):  # in the order the backward pass meets them
                expect_close(f"∂L/∂{name}", grads[name], want[name], where=where, hint=BACKWARD_HINTS[name],
                             mistakes=mistakes[name])


# --------------------------------------------------------------------------------------
# Updates: SGD and Adam
# --------------------------------------------------------------------------------------

def _update_case(rng, scale=1.0):
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(3), "U": rng.standard_normal((2, 3))}
    return params, [{k: rng.standard_normal(v.shape) * scale for k, v in params.items()} for _ in range(5)]


def _torch_trajectory(params, grads_per_step, make_optimizer):
    """The parameters after each step of a torch optimizer fed the given gradients."""
    tensors = {k: torch_float64(v, grad=True) for k, v in params.items()}
    optimizer = make_optimizer(list(tensors.values()))
    trajectory = []
    for grads in grads_per_step:
        for name, tensor in tensors.items():
            tensor.grad = torch_float64(grads[name])
        optimizer.step()
        trajectory.append({k: t.detach().numpy().copy() for k, t in tensors.items()})
    return trajectory


def _returned(result, params, function):
    if result is None:
        raise Wrong(f"{function} returned None: return params (the updated dict), so that "
                    f"`params = {function}(...)` works")
    if result is not params:
        changed = any(not np.array_equal(np.asarray(result[k]), params[k]) for k in params) \
            if isinstance(result, dict) and set(result) == set(params) else True
        if changed:
            raise Wrong(f"{function} returned a new dict and left params as it was: update params itself "
                        f"(in place), as the lesson's training loops expect, and return it")


SGD_HINT = "θ ← θ − η ∂L/∂θ for every parameter θ in params: a step against the gradient"


@exercise("sgd_step", success="matches torch.optim.SGD over 2 steps, with η = 0.1 and η = 2")
def check_sgd_step(sgd_step):
    import torch

    rng = cases_rng("lesson02.sgd_step")
    for lr in (0.1, 2.0):
        params, grads_per_step = _update_case(rng)
        grads_per_step = grads_per_step[:2]
        want = _torch_trajectory(params, grads_per_step, lambda p, lr=lr: torch.optim.SGD(p, lr=lr))
        start = {k: v.copy() for k, v in params.items()}
        for step, grads in enumerate(grads_per_step, start=1):
            before = {k: v.copy() for k, v in grads.items()}
            result = call("sgd_step", sgd_step, params, grads, lr)
            _returned(result, params, "sgd_step")
            for name in grads:
                _unchanged(f"grads[{name!r}]", before[name], grads[name], "sgd_step")
            previous = start if step == 1 else want[step - 2]
            for name in params:
                mistakes = {"the step goes up the gradient (+ instead of −)":
                            previous[name] + lr * grads[name]}
                if lr != 1.0:
                    mistakes["the learning rate η is not used"] = previous[name] - grads[name]
                expect_close(f"params[{name!r}]", params[name], want[step - 1][name],
                             where=f"after step {step} with η = {lr}", hint=SGD_HINT, mistakes=mistakes)


ADAM_HINT = ("t ← t + 1; m ← β₁ m + (1 − β₁) g; v ← β₂ v + (1 − β₂) g²; "
             "m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ); θ ← θ − η m̂ / (√v̂ + ε)")


@exercise("adam_step", success="matches torch.optim.Adam over 5 steps, with its defaults and with "
                               "η = 0.01, β₁ = 0.8, β₂ = 0.99, ε = 10⁻³ on small gradients")
def check_adam_step(adam_step):
    import torch

    rng = cases_rng("lesson02.adam_step")
    settings = [({}, 1.0), ({"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3}, 1e-3)]
    for keywords, scale in settings:
        lr, beta1 = keywords.get("lr", 1e-3), keywords.get("beta1", 0.9)
        beta2, eps = keywords.get("beta2", 0.999), keywords.get("eps", 1e-8)
        described = ("with the default arguments" if not keywords else
                     f"with η = {lr}, β₁ = {beta1}, β₂ = {beta2}, ε = {eps}")
        params, grads_per_step = _update_case(rng, scale)
        want = _torch_trajectory(params, grads_per_step, lambda p, lr=lr, b1=beta1, b2=beta2, eps=eps:
                                 torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps))
        start = {k: v.copy() for k, v in params.items()}
        state = init_adam(params)
        for step, grads in enumerate(grads_per_step, start=1):
            result = call("adam_step", lambda p, g, s, kw=keywords: adam_step(p, g, s, **kw),
                          params, grads, state)
            _returned(result, params, "adam_step")
            where = f"after step {step} {described}"
            if step == 1:
                _check_adam_state(state, grads)
            for name in params:
                mistakes = {}
                if step == 1:  # m = (1 − β₁) g and v = (1 − β₂) g² after one step
                    g = grads[name]
                    m, v = (1 - beta1) * g, (1 - beta2) * g * g
                    mistakes = {"the bias corrections are missing (m and v used as they are)":
                                start[name] - lr * m / (np.sqrt(v) + eps),
                                "the bias correction of m is missing":
                                start[name] - lr * m / (np.abs(g) + eps),
                                "the bias correction of v is missing":
                                start[name] - lr * g / (np.sqrt(v) + eps),
                                "ε is added inside the square root":
                                start[name] - lr * g / np.sqrt(g * g + eps),
                                "the square root of v̂ is missing": start[name] - lr * g / (g * g + eps)}
                expect_close(f"params[{name!r}]", params[name], want[step - 1][name], where=where,
                             hint=ADAM_HINT, mistakes=mistakes)


def _check_adam_state(state, grads):
    if not isinstance(state, dict) or not {"t", "m", "v"} <= set(state):
        raise Wrong("state must stay the dict init_adam made, with 't', 'm' and 'v'")
    if state["t"] != 1:
        raise Wrong(f"state['t'] is {state['t']!r} after the first step, expected 1: t counts the steps "
                    f"taken, and the bias corrections 1 − β^t need it")
    for moment, meaning in (("m", "first moment (the running mean of g)"),
                            ("v", "second moment (the running mean of g²)")):
        if any(not np.any(np.asarray(state[moment][name])) for name in grads if np.any(grads[name])):
            raise Wrong(f"state['{moment}'] is still zero after a step: the {meaning} must be kept in "
                        f"state['{moment}'] (update its arrays), because the next step starts from it")
