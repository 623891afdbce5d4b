"""Bengio's fixed-window neural language model (lesson 03), built from lesson 02's blocks.

For each example, the previous n tokens w_{t-n}, ..., w_{t-1} predict w_t:

    x = [E[w_{t-n}]; ...; E[w_{t-1}]]     concatenated embeddings,   (B, n·D)
    h = tanh(W x + b)                      hidden layer,              (B, H)
    y = softmax(U h + c)                   next-token probabilities,  (B, V)

Parameters: "E" (V, D), "W" (H, n·D), "b" (H,), "U" (V, H), "c" (V,). The embedding table
is shared by all n positions, but W has a block of columns per position, so W grows with
the window: the limitation that motivates the RNN (lesson 04).
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.activations import activation_backward, activation_forward
from course_utils.nn.layers import (
    cross_entropy_backward,
    cross_entropy_forward,
    embedding_backward,
    embedding_forward,
    linear_backward,
    linear_forward,
    log_softmax,
)
from course_utils.nn.optim import adam_step, init_adam

__all__ = [
    "init_window_lm",
    "window_lm_forward",
    "window_lm_backward",
    "window_lm_logits",
    "window_lm_evaluate",
    "window_lm_param_count",
    "train_window_lm",
]


def init_window_lm(vocab_size, n, embed_dim, hidden_dim, seed=0, dtype=np.float64):
    """Random parameters (seeded): N(0, 1/fan_in) weights, zero biases, a small output layer.

    Embeddings start small, N(0, 0.1²): what training writes into them is then not drowned by
    the random start, so words used alike end up near each other after a few epochs.
    """
    for name, value in (("vocab_size", vocab_size), ("n", n), ("embed_dim", embed_dim),
                        ("hidden_dim", hidden_dim)):
        _validate.positive_int("init_window_lm", name, value)
    rng = np.random.default_rng(seed)
    V, D, H = vocab_size, embed_dim, hidden_dim
    params = {
        "E": rng.standard_normal((V, D)) * 0.1,
        "W": rng.standard_normal((H, n * D)) / np.sqrt(n * D),
        "b": np.zeros(H),
        "U": rng.standard_normal((V, H)) / np.sqrt(H) * 0.1,
        "c": np.zeros(V),
    }
    return {k: v.astype(dtype) for k, v in params.items()}


def _check_contexts(fn, params, contexts):
    contexts = np.asarray(contexts)
    V, D = params["E"].shape
    n = params["W"].shape[1] // D
    if contexts.ndim != 2 or contexts.shape[1] != n:
        raise ValueError(
            f"{fn}: contexts must have shape (B, n) = (B, {n}) for this model "
            f"(W has shape {params['W'].shape}, D={D}), got shape {contexts.shape}"
        )
    return contexts


def _hidden(params, contexts):
    x, embed_cache = embedding_forward(contexts, params["E"])        # (B, n, D)
    B = x.shape[0]
    a, hidden_cache = linear_forward(x.reshape(B, -1), params["W"], params["b"])  # (B, H)
    h, act_cache = activation_forward(a, "tanh")
    return h, (embed_cache, hidden_cache, act_cache, x.shape)


def window_lm_logits(params, contexts):
    """Logits (B, V) of the next token for each row of `contexts` (B, n)."""
    contexts = _check_contexts("window_lm_logits", params, contexts)
    h, _ = _hidden(params, contexts)
    return h @ params["U"].T + params["c"]


def window_lm_forward(params, contexts, targets):
    """Mean cross-entropy of `targets` (B,) given `contexts` (B, n). Returns (loss, cache)."""
    fn = "window_lm_forward"
    contexts = _check_contexts(fn, params, contexts)
    targets = np.asarray(targets)
    if targets.shape != contexts.shape[:1]:
        raise ValueError(
            f"{fn}: contexts have shape {contexts.shape} and targets {targets.shape}; "
            f"expected targets of shape ({contexts.shape[0]},)"
        )
    h, hidden_caches = _hidden(params, contexts)
    logits, output_cache = linear_forward(h, params["U"], params["c"])  # (B, V)
    loss, ce_cache = cross_entropy_forward(logits, targets)
    return loss, (hidden_caches, output_cache, ce_cache)


def window_lm_backward(cache):
    """Gradients of the mean cross-entropy, a dict with the parameters' keys."""
    (embed_cache, hidden_cache, act_cache, x_shape), output_cache, ce_cache = cache
    dlogits = cross_entropy_backward(1.0, ce_cache)
    dh, dU, dc = linear_backward(dlogits.astype(output_cache[0].dtype, copy=False), output_cache)
    da = activation_backward(dh, act_cache)
    dx, dW, db = linear_backward(da, hidden_cache)
    dE = embedding_backward(dx.reshape(x_shape), embed_cache)
    return {"E": dE, "W": dW, "b": db, "U": dU, "c": dc}


def window_lm_evaluate(params, contexts, targets, batch_size=2048):
    """Mean negative log-likelihood (nats) of `targets` given `contexts`, in batches."""
    contexts = _check_contexts("window_lm_evaluate", params, contexts)
    targets = np.asarray(targets)
    total = 0.0
    for start in range(0, len(targets), batch_size):
        logits = window_lm_logits(params, contexts[start:start + batch_size])
        picked = np.take_along_axis(log_softmax(logits), targets[start:start + batch_size, None], axis=1)
        total -= float(picked.sum(dtype=np.float64))
    return total / len(targets)


def window_lm_param_count(vocab_size, n, embed_dim, hidden_dim):
    """E (V·D) + W (H·n·D) + b (H) + U (V·H) + c (V): only W depends on the window n."""
    V, D, H = vocab_size, embed_dim, hidden_dim
    return V * D + H * n * D + H + V * H + V


def train_window_lm(contexts, targets, vocab_size, embed_dim, hidden_dim, epochs=1, batch_size=256,
                    lr=3e-3, seed=0, dtype=np.float32):
    """Train a window LM with Adam on shuffled minibatches (seeded). Returns (params, losses).

    The window n is read from `contexts` (B, n). `losses` holds the training loss of every
    minibatch. Lesson 03 writes this loop out by hand; this function repeats it for the
    small models of the parameter-growth dashboard.
    """
    contexts, targets = np.asarray(contexts), np.asarray(targets)
    if contexts.ndim != 2 or targets.shape != contexts.shape[:1]:
        raise ValueError(f"train_window_lm: contexts must be (B, n) and targets (B,), got "
                         f"{contexts.shape} and {targets.shape}")
    params = init_window_lm(vocab_size, contexts.shape[1], embed_dim, hidden_dim, seed=seed, dtype=dtype)
    state = init_adam(params)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(targets))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            loss, cache = window_lm_forward(params, contexts[batch], targets[batch])
            adam_step(params, window_lm_backward(cache), state, lr=lr)
            losses.append(float(loss))
    return params, np.array(losses)
