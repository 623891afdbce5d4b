"""The RNN language model, with optional weight tying (lesson 04).

For a batch of token sequences (rows) and each step t:

    e^(t) = E[x^(t)]                               embedding,          (N, D)
    h^(t) = tanh(W_h h^(t-1) + W_e e^(t) + b)      the recurrence,     (N, H)
    y^(t) = softmax(U h^(t) + c)                   next-token probabilities, (N, V)

and the loss is the average cross-entropy over all N·T predictions (teacher forcing: the
input at step t is the true token x^(t), whatever the model predicted before).

Parameters live in a dict: "E" (V, D), "W_e" (H, D), "W_h" (H, H), "b" (H,), "U" (V, H),
"c" (V,). With weight tying (Press & Wolf 2017) there is no "U": the output layer reuses the
embedding matrix, U = E, which needs D = H and saves V·H parameters. Gradients come back in
a dict with the same keys as the parameters.
"""

import numpy as np

from course_utils.nn.layers import (
    cross_entropy_backward,
    cross_entropy_forward,
    embedding_backward,
    embedding_forward,
    log_softmax,
)
from course_utils.nn.rnn import rnn_backward, rnn_forward, rnn_step_forward
from course_utils.nn.sampling import generate

__all__ = [
    "init_rnn_lm",
    "rnn_lm_forward",
    "rnn_lm_backward",
    "rnn_lm_logits",
    "rnn_lm_step",
    "rnn_lm_generate",
    "rnn_lm_param_count",
    "rnn_lm_evaluate",
    "output_matrix",
    "output_layer_forward",
    "output_layer_backward",
]


def init_rnn_lm(vocab_size, embed_dim, hidden_dim, tie_weights=False, seed=0, dtype=np.float64):
    """Random parameters of an RNN LM (seeded); see the module docstring for the keys.

    W_e and W_h are drawn from N(0, 1/fan_in), which keeps tanh's inputs near unit size at the
    start; the embeddings from N(0, 1), or N(0, 1/D) when tied (E is then the output layer
    too); U from N(0, 0.01/H); biases are 0. So the untrained model predicts an almost uniform
    distribution (loss ≈ log V).
    """
    for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                        ("hidden_dim", hidden_dim)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"init_rnn_lm: {name} must be a positive integer, got {value!r}")
    if tie_weights and embed_dim != hidden_dim:
        raise ValueError(
            f"init_rnn_lm: weight tying reuses E (V, D) as U (V, H), so it needs "
            f"embed_dim == hidden_dim; got embed_dim={embed_dim}, hidden_dim={hidden_dim}"
        )
    rng = np.random.default_rng(seed)
    V, D, H = vocab_size, embed_dim, hidden_dim
    params = {
        "E": rng.standard_normal((V, D)) * (1.0 / np.sqrt(D) if tie_weights else 1.0),
        "W_e": rng.standard_normal((H, D)) / np.sqrt(D),
        "W_h": rng.standard_normal((H, H)) / np.sqrt(H),
        "b": np.zeros(H),
    }
    if not tie_weights:
        params["U"] = rng.standard_normal((V, H)) / np.sqrt(H) * 0.1
    params["c"] = np.zeros(V)
    return {k: v.astype(dtype) for k, v in params.items()}


def output_matrix(params):
    """U, or E when the weights are tied (no "U" in params)."""
    return params["U"] if "U" in params else params["E"]


def output_layer_forward(hs, params, targets):
    """The top both language models share: logits = hs Uᵀ + c for hidden states hs (N, T, H),
    and their mean cross-entropy against `targets` (N, T). Returns (loss, cache)."""
    U = output_matrix(params)
    N, T, H = hs.shape
    logits = (hs.reshape(N * T, H) @ U.T).reshape(N, T, -1) + params["c"]          # (N, T, V)
    loss, ce_cache = cross_entropy_forward(logits, targets)
    return loss, (ce_cache, hs, U)


def output_layer_backward(cache):
    """Gradients of the mean cross-entropy: (dhs (N, T, H), dU (V, H), dc (V,))."""
    ce_cache, hs, U = cache
    N, T, H = hs.shape
    dlogits = cross_entropy_backward(1.0, ce_cache).astype(hs.dtype, copy=False)  # (N, T, V)
    dlogits_2d = dlogits.reshape(N * T, -1)
    dU = dlogits_2d.T @ hs.reshape(N * T, H)       # (V, H)
    dc = dlogits_2d.sum(axis=0)                    # (V,)
    dhs = (dlogits_2d @ U).reshape(N, T, H)        # (N, T, H)
    return dhs, dU, dc


def lm_grads(dE, dW_e, dW_h, db, dU, dc, tied):
    """The gradient dict of a language model, keyed like its parameters."""
    grads = {"E": dE, "W_e": dW_e, "W_h": dW_h, "b": db}
    if tied:
        grads["E"] = dE + dU  # E is used twice: as the input table and as the output layer
    else:
        grads["U"] = dU
    grads["c"] = dc
    return grads


def check_ids(fn, name, ids, V):
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"{fn}: {name} must have shape (N, T) of token ids, got shape {ids.shape}")
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{fn}: {name} must hold integer token ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(
            f"{fn}: {name} must lie in 0..{V - 1} (vocabulary of {V}), "
            f"got values from {ids.min()} to {ids.max()}"
        )
    return ids


def _initial_state(fn, params, N, h0):
    H = params["W_h"].shape[0]
    if h0 is None:
        return np.zeros((N, H), dtype=params["W_h"].dtype)
    h0 = np.asarray(h0)
    if h0.shape != (N, H):
        raise ValueError(f"{fn}: h0 has shape {h0.shape}, expected ({N}, {H}) (N rows, H units)")
    return h0


def rnn_lm_logits(params, inputs, h0=None):
    """Logits (N, T, V) and hidden states (N, T, H) for token ids `inputs` (N, T)."""
    fn = "rnn_lm_logits"
    E = params["E"]
    inputs = check_ids(fn, "inputs", inputs, E.shape[0])
    h0 = _initial_state(fn, params, inputs.shape[0], h0)
    hs, _ = rnn_forward(E[inputs], h0, params["W_e"], params["W_h"], params["b"])
    return hs @ output_matrix(params).T + params["c"], hs


def rnn_lm_forward(params, inputs, targets, h0=None):
    """Mean cross-entropy of `targets` (N, T) given `inputs` (N, T), teacher-forced.

    Returns (loss, cache, h_last): h_last (N, H) is the hidden state after the last step,
    to carry into the next batch for truncated BPTT (its gradient is not followed back).
    """
    fn = "rnn_lm_forward"
    E = params["E"]
    V = E.shape[0]
    inputs = check_ids(fn, "inputs", inputs, V)
    targets = check_ids(fn, "targets", targets, V)
    if targets.shape != inputs.shape:
        raise ValueError(
            f"{fn}: inputs have shape {inputs.shape} but targets {targets.shape}; they must match"
        )
    h0 = _initial_state(fn, params, inputs.shape[0], h0)
    x, embed_cache = embedding_forward(inputs, E)                                 # (N, T, D)
    hs, rnn_cache = rnn_forward(x, h0, params["W_e"], params["W_h"], params["b"])  # (N, T, H)
    loss, output_cache = output_layer_forward(hs, params, targets)
    cache = (embed_cache, rnn_cache, output_cache, "U" not in params)
    return loss, cache, hs[:, -1].copy()


def rnn_lm_backward(cache):
    """Gradients of the mean cross-entropy: a dict with the same keys as the parameters."""
    embed_cache, rnn_cache, output_cache, tied = cache
    dhs, dU, dc = output_layer_backward(output_cache)
    dx, _, dW_e, dW_h, db = rnn_backward(dhs, rnn_cache)
    return lm_grads(embedding_backward(dx, embed_cache), dW_e, dW_h, db, dU, dc, tied)


def rnn_lm_step(params, token_ids, h_prev):
    """One step for generation: token ids (N,) and h_prev (N, H) -> (logits (N, V), h (N, H))."""
    token_ids = np.asarray(token_ids).reshape(-1)
    h, _ = rnn_step_forward(params["E"][token_ids], h_prev, params["W_e"], params["W_h"],
                            params["b"])
    return h @ output_matrix(params).T + params["c"], h


def rnn_lm_generate(params, start_ids, eos_id, max_len=200, temperature=1.0, seed=0):
    """Sample new token ids after `start_ids` (<bos> first), until `eos_id` or `max_len`.

    temperature = 0 is greedy decoding. See `course_utils.nn.sampling.generate`.
    """
    def step(token_id, h):
        logits, h = rnn_lm_step(params, [token_id], h)
        return logits[0], h

    h0 = np.zeros((1, params["W_h"].shape[0]), dtype=params["W_h"].dtype)
    return generate(step, h0, start_ids, eos_id, max_len=max_len, temperature=temperature, seed=seed)


def rnn_lm_param_count(vocab_size, embed_dim, hidden_dim, tie_weights=False):
    """E (V·D) + W_e (H·D) + W_h (H·H) + b (H) + U (V·H, unless tied) + c (V)."""
    V, D, H = vocab_size, embed_dim, hidden_dim
    count = V * D + H * D + H * H + H + V
    return count if tie_weights else count + V * H


def rnn_lm_evaluate(params, ids, batch_size=16, seq_len=256):
    """Mean negative log-likelihood (nats per token) of predicting ids[1:] from ids[:-1].

    The text is cut into `batch_size` contiguous streams read in chunks of `seq_len`, the
    hidden state carried from chunk to chunk, so every prediction except each stream's first
    sees its full history. Every token from the second to the last is scored once (a few at
    the end of the streams are scored in one extra short chunk).
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"rnn_lm_evaluate: ids must be a 1-D sequence of >= 2 ids, got shape {ids.shape}")
    inputs_all, targets_all = ids[:-1], ids[1:]
    batch_size = max(1, min(batch_size, len(inputs_all)))
    stream_len = len(inputs_all) // batch_size
    H = params["W_h"].shape[0]
    total, count = 0.0, 0
    h = np.zeros((batch_size, H), dtype=params["W_h"].dtype)
    inputs = inputs_all[: batch_size * stream_len].reshape(batch_size, stream_len)
    targets = targets_all[: batch_size * stream_len].reshape(batch_size, stream_len)
    for start in range(0, stream_len, seq_len):
        logits, hs = rnn_lm_logits(params, inputs[:, start:start + seq_len], h)
        h = hs[:, -1]
        log_probs = log_softmax(logits)
        picked = np.take_along_axis(log_probs, targets[:, start:start + seq_len, None], axis=-1)
        total -= float(picked.sum(dtype=np.float64))
        count += picked.size
    rest = batch_size * stream_len
    if rest < len(inputs_all):  # the tail that did not fill a stream: continue the last one
        logits, _ = rnn_lm_logits(params, inputs_all[None, rest:], h[-1:])
        picked = np.take_along_axis(log_softmax(logits), targets_all[None, rest:, None], axis=-1)
        total -= float(picked.sum(dtype=np.float64))
        count += picked.size
    return total / count
