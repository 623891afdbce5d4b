"""Layers every model in the course is made of, as forward/backward pairs (lessons 02-03).

Batches are rows: x has shape (N, n_in). Weights keep the lecture's shapes,
W ∈ R^{n_out × n_in}, so one layer computes  out = x Wᵀ + b  (torch.nn.Linear's convention).
"""

import numpy as np

__all__ = [
    "linear_forward", "linear_backward",
    "softmax", "log_softmax",
    "cross_entropy_forward", "cross_entropy_backward",
    "embedding_forward", "embedding_backward",
]


def linear_forward(x, W, b=None):
    """out = x Wᵀ + b.   x: (N, n_in), W: (n_out, n_in), b: (n_out,) -> out: (N, n_out)."""
    x, W = np.asarray(x), np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"linear_forward: W must be 2-D (n_out, n_in), got shape {W.shape}")
    if x.shape[-1] != W.shape[1]:
        raise ValueError(
            f"linear_forward: x has shape {x.shape} but W has shape {W.shape}; "
            f"x's last dimension must equal W's second (n_in)"
        )
    if b is not None and np.shape(b) != (W.shape[0],):
        raise ValueError(
            f"linear_forward: b has shape {np.shape(b)} but W has shape {W.shape}; "
            f"expected b of shape ({W.shape[0]},)"
        )
    out = x @ W.T
    if b is not None:
        out = out + b
    return out, (x, W, b is not None)


def linear_backward(dout, cache):
    """Gradients of linear_forward: returns (dx, dW, db); db is None when there was no b."""
    x, W, has_bias = cache
    if dout.shape != x.shape[:-1] + (W.shape[0],):
        raise ValueError(
            f"linear_backward: dout has shape {dout.shape}, expected {x.shape[:-1] + (W.shape[0],)}"
        )
    dx = dout @ W
    # Sum over every leading (batch/time) axis: dW = Σ dout_n x_nᵀ.
    dout_2d = dout.reshape(-1, W.shape[0])
    dW = dout_2d.T @ x.reshape(-1, W.shape[1])
    db = dout_2d.sum(axis=0) if has_bias else None
    return dx, dW, db


def softmax(z, axis=-1):
    """softmax(z)_k = e^{z_k} / Σ_j e^{z_j}, shifted by max(z) so that e^z never overflows."""
    z = np.asarray(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """log softmax(z), computed as z − logsumexp(z) for stability."""
    z = np.asarray(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _check_targets(logits, targets, fn):
    targets = np.asarray(targets)
    if logits.shape[:-1] != targets.shape:
        raise ValueError(
            f"{fn}: logits have shape {logits.shape} and targets {targets.shape}; "
            f"targets must have the logits' shape without the last (class) axis, "
            f"i.e. {logits.shape[:-1]}"
        )
    if not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(f"{fn}: targets must be integer class ids, got dtype {targets.dtype}")
    if targets.size and (targets.min() < 0 or targets.max() >= logits.shape[-1]):
        raise ValueError(
            f"{fn}: targets must lie in 0..{logits.shape[-1] - 1} (K={logits.shape[-1]} classes), "
            f"got values from {targets.min()} to {targets.max()}"
        )
    return targets


def cross_entropy_forward(logits, targets):
    """Mean negative log-likelihood of the targets under softmax(logits).

    logits: (..., K), targets: (...) integer ids. With a one-hot target y, the loss of one
    example is −Σ_k y_k log ŷ_k = −log ŷ_target. Returns (loss, cache).
    """
    logits = np.asarray(logits)
    targets = _check_targets(logits, targets, "cross_entropy_forward")
    log_probs = log_softmax(logits)
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    loss = -picked.mean()
    return loss, (log_probs, targets)


def cross_entropy_backward(dloss, cache):
    """d loss / d logits = (softmax(logits) − onehot(target)) / number of examples."""
    log_probs, targets = cache
    dlogits = np.exp(log_probs)
    np.put_along_axis(
        dlogits, targets[..., None],
        np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1.0, axis=-1,
    )
    return dlogits * (dloss / targets.size)


def embedding_forward(ids, E):
    """Look up rows of the embedding matrix.  ids: (...) ints, E: (V, d) -> out: (..., d)."""
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"embedding_forward: ids must be integers, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= E.shape[0]):
        raise ValueError(
            f"embedding_forward: ids must lie in 0..{E.shape[0] - 1} (E has shape {E.shape}), "
            f"got values from {ids.min()} to {ids.max()}"
        )
    return E[ids], (ids, E.shape)


def embedding_backward(dout, cache):
    """dE: each row receives the sum of the gradients at the positions that used it."""
    ids, shape = cache
    dE = np.zeros(shape, dtype=dout.dtype)
    np.add.at(dE, ids.reshape(-1), dout.reshape(-1, shape[1]))
    return dE
