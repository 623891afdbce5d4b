"""The LSTM language model (lesson 06): lesson 04's RNN LM with the LSTM cell inside.

For a batch of token sequences (rows) and each step t:

    e^(t) = E[x^(t)]                                    embedding,               (N, D)
    h^(t), c^(t) = LSTM(e^(t), h^(t-1), c^(t-1))        gates i, f, g, o (lstm.py), (N, H)
    y^(t) = softmax(U h^(t) + c)                        next-token probabilities, (N, V)

and the loss is the average cross-entropy over all N·T predictions (teacher forcing).

Parameters live in a dict: "E" (V, D), "W_e" (4H, D), "W_h" (4H, H), "b" (4H,), "U" (V, H),
"c" (V,), the same keys as `init_rnn_lm`'s, with the LSTM's stacked gate matrices. With
weight tying there is no "U" (U = E, needs D = H). The recurrent state is a pair
`state = (h, c)`, both (N, H); `None` means zeros.
"""

import numpy as np

from course_utils.nn.layers import embedding_backward, embedding_forward, log_softmax
from course_utils.nn.lstm import init_lstm, lstm_backward, lstm_forward, lstm_step_forward
from course_utils.nn.rnn_lm import (
    check_ids,
    lm_grads,
    output_layer_backward,
    output_layer_forward,
    output_matrix,
)

__all__ = [
    "init_lstm_lm",
    "lstm_lm_forward",
    "lstm_lm_backward",
    "lstm_lm_logits",
    "lstm_lm_step",
    "lstm_lm_param_count",
    "lstm_lm_evaluate",
]


def init_lstm_lm(vocab_size, embed_dim, hidden_dim, tie_weights=False, seed=0, dtype=np.float64,
                 forget_bias=1.0):
    """Random parameters of an LSTM LM (seeded); see the module docstring for the keys.

    The LSTM weights come from `init_lstm` (forget-gate bias `forget_bias`); the output layer
    starts small so that the untrained model predicts an almost uniform distribution.
    """
    for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                        ("hidden_dim", hidden_dim)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"init_lstm_lm: {name} must be a positive integer, got {value!r}")
    if tie_weights and embed_dim != hidden_dim:
        raise ValueError(
            f"init_lstm_lm: weight tying reuses E (V, D) as U (V, H), so it needs "
            f"embed_dim == hidden_dim; got embed_dim={embed_dim}, hidden_dim={hidden_dim}"
        )
    rng = np.random.default_rng(seed)
    V, D, H = vocab_size, embed_dim, hidden_dim
    params = {"E": rng.standard_normal((V, D)) * (1.0 / np.sqrt(D) if tie_weights else 1.0)}
    params.update(init_lstm(D, H, forget_bias=forget_bias, seed=seed + 1))
    if not tie_weights:
        params["U"] = rng.standard_normal((V, H)) / np.sqrt(H) * 0.1
    params["c"] = np.zeros(V)
    return {k: v.astype(dtype) for k, v in params.items()}


def _initial_state(fn, params, N, state):
    H = params["W_h"].shape[1]
    if state is None:
        zeros = np.zeros((N, H), dtype=params["W_h"].dtype)
        return zeros, zeros.copy()
    if not (isinstance(state, (tuple, list)) and len(state) == 2):
        raise TypeError(f"{fn}: state must be None or a pair (h, c), got {type(state).__name__}")
    h0, c0 = (np.asarray(s) for s in state)
    for name, s in (("h", h0), ("c", c0)):
        if s.shape != (N, H):
            raise ValueError(f"{fn}: state's {name} has shape {s.shape}, expected ({N}, {H}) "
                             f"(N rows, H units)")
    return h0, c0


def lstm_lm_logits(params, inputs, state=None):
    """Logits (N, T, V), hidden states hs and cell states cs (N, T, H) for `inputs` (N, T)."""
    fn = "lstm_lm_logits"
    E = params["E"]
    inputs = check_ids(fn, "inputs", inputs, E.shape[0])
    h0, c0 = _initial_state(fn, params, inputs.shape[0], state)
    hs, cs, _ = lstm_forward(E[inputs], h0, c0, params["W_e"], params["W_h"], params["b"])
    N, T, H = hs.shape
    logits = (hs.reshape(N * T, H) @ output_matrix(params).T).reshape(N, T, -1) + params["c"]
    return logits, hs, cs


def lstm_lm_forward(params, inputs, targets, state=None):
    """Mean cross-entropy of `targets` (N, T) given `inputs` (N, T), teacher-forced.

    Returns (loss, cache, state_last): state_last = (h, c) after the last step, to carry into
    the next batch for truncated BPTT (its gradient is not followed back).
    """
    fn = "lstm_lm_forward"
    E = params["E"]
    V = E.shape[0]
    inputs = check_ids(fn, "inputs", inputs, V)
    targets = check_ids(fn, "targets", targets, V)
    if targets.shape != inputs.shape:
        raise ValueError(
            f"{fn}: inputs have shape {inputs.shape} but targets {targets.shape}; they must match"
        )
    h0, c0 = _initial_state(fn, params, inputs.shape[0], state)
    x, embed_cache = embedding_forward(inputs, E)                                    # (N, T, D)
    hs, cs, lstm_cache = lstm_forward(x, h0, c0, params["W_e"], params["W_h"], params["b"])
    loss, output_cache = output_layer_forward(hs, params, targets)                   # lesson 04's top
    cache = (embed_cache, lstm_cache, output_cache, "U" not in params)
    return loss, cache, (hs[:, -1].copy(), cs[:, -1].copy())


def lstm_lm_backward(cache):
    """Gradients of the mean cross-entropy: a dict with the same keys as the parameters."""
    embed_cache, lstm_cache, output_cache, tied = cache
    dhs, dU, dc = output_layer_backward(output_cache)
    dx, _, _, dW_e, dW_h, db = lstm_backward(dhs, lstm_cache)
    return lm_grads(embedding_backward(dx, embed_cache), dW_e, dW_h, db, dU, dc, tied)


def lstm_lm_step(params, token_ids, state):
    """One step for generation: token ids (N,) and state (h, c) -> (logits (N, V), (h, c))."""
    token_ids = np.asarray(token_ids).reshape(-1)
    h_prev, c_prev = _initial_state("lstm_lm_step", params, len(token_ids), state)
    h, c, _ = lstm_step_forward(params["E"][token_ids], h_prev, c_prev, params["W_e"],
                                params["W_h"], params["b"])
    return h @ output_matrix(params).T + params["c"], (h, c)


def lstm_lm_param_count(vocab_size, embed_dim, hidden_dim, tie_weights=False):
    """E (V·D) + W_e (4H·D) + W_h (4H·H) + b (4H) + U (V·H, unless tied) + c (V)."""
    V, D, H = vocab_size, embed_dim, hidden_dim
    count = V * D + 4 * (H * D + H * H + H) + V
    return count if tie_weights else count + V * H


def lstm_lm_evaluate(params, ids, batch_size=16, seq_len=256):
    """Mean negative log-likelihood (nats per token) of predicting ids[1:] from ids[:-1].

    Same protocol as `rnn_lm_evaluate`: `batch_size` contiguous streams read in chunks of
    `seq_len` with the state carried along, so every token from the second to the last is
    scored once, each with its full history except at the start of a stream.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(
            f"lstm_lm_evaluate: ids must be a 1-D sequence of >= 2 ids, got shape {ids.shape}")
    inputs_all, targets_all = ids[:-1], ids[1:]
    batch_size = max(1, min(batch_size, len(inputs_all)))
    stream_len = len(inputs_all) // batch_size
    total, count = 0.0, 0
    state = None
    inputs = inputs_all[: batch_size * stream_len].reshape(batch_size, stream_len)
    targets = targets_all[: batch_size * stream_len].reshape(batch_size, stream_len)
    for start in range(0, stream_len, seq_len):
        logits, hs, cs = lstm_lm_logits(params, inputs[:, start:start + seq_len], state)
        state = (hs[:, -1], cs[:, -1])
        picked = np.take_along_axis(log_softmax(logits), targets[:, start:start + seq_len, None],
                                    axis=-1)
        total -= float(picked.sum(dtype=np.float64))
        count += picked.size
    rest = batch_size * stream_len
    if rest < len(inputs_all):  # the tail that did not fill a stream: continue the last one
        last = (state[0][-1:], state[1][-1:]) if state is not None else None
        logits, _, _ = lstm_lm_logits(params, inputs_all[None, rest:], last)
        picked = np.take_along_axis(log_softmax(logits), targets_all[None, rest:, None], axis=-1)
        total -= float(picked.sum(dtype=np.float64))
        count += picked.size
    return total / count
