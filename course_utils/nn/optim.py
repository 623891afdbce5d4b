"""Parameter updates on dicts of arrays, and gradient clipping (lessons 02-06).

Parameters and gradients are dicts with the same keys (as `init_lm` and `lm_backward`
return them). Updates change the parameter arrays in place, so a model dict keeps its
identity while it trains, and return the dict, so `params = sgd_step(params, grads, lr)`
reads as the rule θ ← θ − η ∂L/∂θ. Copy a dict first to keep the weights it had. Optimisers
with memory keep it in a plain dict made by `init_adagrad` / `init_adam`.

    state = init_adam(params)
    for inputs, targets in batches:
        loss, cache, h = lm_forward(params, inputs, targets, cell="rnn", state=h)
        grads, norm = clip_grad_norm(lm_backward(cache), max_norm=1.0)
        adam_step(params, grads, state, lr=3e-3)
"""

import numpy as np

__all__ = [
    "sgd_step",
    "init_adagrad", "adagrad_step",
    "init_adam", "adam_step",
    "clip_grad_norm", "clip_grad_value", "global_norm",
]


def _check_same_keys(fn, params, grads):
    if set(params) != set(grads):
        raise ValueError(
            f"{fn}: params and grads must have the same keys; params has {sorted(params)}, "
            f"grads has {sorted(grads)}"
        )
    for name in params:
        if np.shape(grads[name]) != np.shape(params[name]):
            raise ValueError(
                f"{fn}: grads[{name!r}] has shape {np.shape(grads[name])} but "
                f"params[{name!r}] has shape {np.shape(params[name])}"
            )


def _check_lr(fn, lr):
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"{fn}: lr must be a positive number, got {lr!r}")


def sgd_step(params, grads, lr):
    """θ ← θ − lr · ∂L/∂θ for every parameter, in place. Returns params."""
    _check_same_keys("sgd_step", params, grads)
    _check_lr("sgd_step", lr)
    for name, grad in grads.items():
        params[name] -= lr * grad
    return params


def init_adagrad(params):
    """Adagrad's memory: the running sum of squared gradients, one array per parameter."""
    return {"sum_sq": {name: np.zeros_like(value) for name, value in params.items()}}


def adagrad_step(params, grads, state, lr=0.1, eps=1e-8):
    """θ ← θ − lr · g / √(Σ g² + eps), in place (min-char-rnn's optimiser). Returns params."""
    _check_same_keys("adagrad_step", params, grads)
    _check_lr("adagrad_step", lr)
    for name, grad in grads.items():
        sum_sq = state["sum_sq"][name]
        sum_sq += grad * grad
        params[name] -= lr * grad / np.sqrt(sum_sq + eps)
    return params


def init_adam(params):
    """Adam's memory: step count, first and second moment estimates (zeros)."""
    return {
        "t": 0,
        "m": {name: np.zeros_like(value) for name, value in params.items()},
        "v": {name: np.zeros_like(value) for name, value in params.items()},
    }


def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update (Kingma & Ba 2015), in place; torch.optim.Adam's defaults. Returns params.

    m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
    θ ← θ − lr · m̂ / (√v̂ + eps)  with the bias corrections m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
    """
    _check_same_keys("adam_step", params, grads)
    _check_lr("adam_step", lr)
    state["t"] += 1
    t = state["t"]
    correction1 = 1.0 - beta1 ** t
    correction2 = 1.0 - beta2 ** t
    for name, grad in grads.items():
        m, v = state["m"][name], state["v"][name]
        m *= beta1
        m += (1.0 - beta1) * grad
        v *= beta2
        v += (1.0 - beta2) * grad * grad
        params[name] -= (lr / correction1) * m / (np.sqrt(v / correction2) + eps)
    return params


def global_norm(grads):
    """‖g‖ over all gradients together: √(Σ over every entry of every array of g²)."""
    return float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values())))


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together so their global norm is at most `max_norm`.

    Returns (clipped grads, total norm before clipping). The direction of the update is
    kept; only its length shrinks. Same rule as torch.nn.utils.clip_grad_norm_:
    factor = max_norm / (norm + 1e-6), applied only when that factor is below 1.
    The input dict is not changed.
    """
    if not np.isfinite(max_norm) or max_norm <= 0:
        raise ValueError(f"clip_grad_norm: max_norm must be a positive number, got {max_norm!r}")
    total = global_norm(grads)
    factor = max_norm / (total + 1e-6)
    if factor >= 1.0:
        return dict(grads), total
    return {name: g * np.asarray(factor, dtype=g.dtype) for name, g in grads.items()}, total


def clip_grad_value(grads, clip):
    """Clip every gradient entry to [−clip, clip] (min-char-rnn's ±5). Returns a new dict."""
    if not np.isfinite(clip) or clip <= 0:
        raise ValueError(f"clip_grad_value: clip must be a positive number, got {clip!r}")
    return {name: np.clip(g, -clip, clip) for name, g in grads.items()}
