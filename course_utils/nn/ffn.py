"""A 2-layer feed-forward network, as in lesson 02 (and the lecture's slide).

    h = g(W x + b)        W ∈ R^{n1×n0}, b ∈ R^{n1}     (g: sigmoid in the lecture)
    z = U h               U ∈ R^{n2×n1}
    ŷ = softmax(z)        L = −log ŷ_target             (cross-entropy with a one-hot target)

Batches are rows: x has shape (N, n0), so the code reads  h = g(x Wᵀ + b),  z = h Uᵀ.
Parameters travel in a dict {"W", "b", "U"}, always the first argument; gradients come back in
a dict with the same keys. A gradient step is `course_utils.nn.optim.sgd_step`.
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.activations import activation_backward, activation_forward
from course_utils.nn.layers import (
    cross_entropy_backward,
    cross_entropy_forward,
    linear_backward,
    linear_forward,
    softmax,
)

__all__ = ["PARAM_NAMES", "init_ffn", "ffn_forward", "ffn_backward", "ffn_loss", "ffn_probabilities",
           "ffn_predict"]

PARAM_NAMES = ("W", "b", "U")


def init_ffn(n_in, n_hidden, n_out, seed=0):
    """Random weights scaled by 1/√fan_in (so W x has unit-order entries), zero bias."""
    for name, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        _validate.positive_int("init_ffn", name, value)
    rng = np.random.default_rng(seed)
    return {
        "W": rng.standard_normal((n_hidden, n_in)) / np.sqrt(n_in),  # (n1, n0)
        "b": np.zeros(n_hidden),  # (n1,)
        "U": rng.standard_normal((n_out, n_hidden)) / np.sqrt(n_hidden),  # (n2, n1)
    }


def _check_params(params, fn):
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"{fn}: params is missing {missing}; expected the keys {list(PARAM_NAMES)}")
    W, b, U = (np.asarray(params[k]) for k in PARAM_NAMES)
    if W.ndim != 2 or U.ndim != 2:
        raise ValueError(f"{fn}: W and U must be 2-D, got W of shape {W.shape} and U of shape {U.shape}")
    if U.shape[1] != W.shape[0]:
        raise ValueError(
            f"{fn}: U has shape {U.shape} but W has shape {W.shape}; U's second dimension must "
            f"equal W's first (the hidden size n1 = {W.shape[0]})"
        )
    if b.shape != (W.shape[0],):
        raise ValueError(f"{fn}: b has shape {b.shape} but W has shape {W.shape}; expected b of shape "
                         f"({W.shape[0]},)")
    return W, b, U


def ffn_forward(params, x, activation="sigmoid"):
    """Logits z of the 2-layer network.   x: (N, n0) -> z: (N, n2), cache."""
    W, b, U = _check_params(params, "ffn_forward")
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != W.shape[1]:
        raise ValueError(
            f"ffn_forward: x has shape {x.shape} but W has shape {W.shape}; expected x of shape "
            f"(N, {W.shape[1]})"
        )
    a, linear1_cache = linear_forward(x, W, b)  # (N, n1) pre-activation
    h, activation_cache = activation_forward(a, activation)  # (N, n1) hidden layer
    z, linear2_cache = linear_forward(h, U)  # (N, n2) logits
    return z, (linear1_cache, activation_cache, linear2_cache)


def ffn_backward(dz, cache):
    """Chain rule through ffn_forward, one local derivative at a time.  dz: (N, n2) -> grads."""
    linear1_cache, activation_cache, linear2_cache = cache
    dh, dU, _ = linear_backward(dz, linear2_cache)  # dh: (N, n1), dU: (n2, n1)
    da = activation_backward(dh, activation_cache)  # (N, n1)
    _, dW, db = linear_backward(da, linear1_cache)  # dW: (n1, n0), db: (n1,)
    return {"W": dW, "b": db, "U": dU}


def ffn_loss(params, x, targets, activation="sigmoid"):
    """Mean cross-entropy of integer targets (N,) and its gradients: (loss, grads)."""
    z, cache = ffn_forward(params, x, activation)
    loss, ce_cache = cross_entropy_forward(z, targets)
    dz = cross_entropy_backward(1.0, ce_cache)  # (ŷ − onehot) / N
    return float(loss), ffn_backward(dz, cache)


def ffn_probabilities(params, x, activation="sigmoid"):
    """ŷ = softmax(z), one row of class probabilities per input.  x: (N, n0) -> (N, n2)."""
    z, _ = ffn_forward(params, x, activation)
    return softmax(z)


def ffn_predict(params, x, activation="sigmoid"):
    """The most probable class of each input.  x: (N, n0) -> (N,) ints."""
    z, _ = ffn_forward(params, x, activation)
    return np.argmax(z, axis=1)
