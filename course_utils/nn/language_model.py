"""One recurrent language model, any cell in `CELLS` (lessons 04-06), with optional weight tying.

For a batch of token sequences (rows) and each step t:

    e^(t) = E[x^(t)]                             embedding,                      (N, D)
    h^(t) = cell(e^(t), state^(t-1))             the recurrence,                 (N, H)
    y^(t) = softmax(U h^(t) + c)                 next-token probabilities,       (N, V)

and the loss is the average cross-entropy over all N·T predictions (teacher forcing: the
input at step t is the true token x^(t), whatever the model predicted before). The cell is
lesson 04's RNN (state h^(t)) or lesson 06's LSTM (state (h^(t), c^(t))), named by `cell=`
in every call: the cell is never guessed from the shapes.

Parameters live in a dict: "E" (V, D), the cell's "W_e", "W_h", "b" (rnn: (H, D), (H, H), (H,);
lstm: (4H, D), (4H, H), (4H,)), "U" (V, H), "c" (V,). With weight tying (Press & Wolf 2017)
there is no "U": the output layer reuses the embedding matrix, U = E, which needs D = H and
saves V·H parameters. Gradients come back in a dict with the same keys as the parameters.

A recurrent state is h (N, H) for the RNN and the pair (h, c) for the LSTM; None means zeros.
"""

import numpy as np

from course_utils.nn import _fast, _validate
from course_utils.nn.layers import (
    cross_entropy_backward,
    cross_entropy_forward,
    embedding_backward,
    embedding_forward,
    log_softmax,
)
from course_utils.nn.lstm import (
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_param_count,
    lstm_step_backward,
    lstm_step_forward,
)
from course_utils.nn.rnn import (
    init_rnn,
    rnn_backward,
    rnn_forward,
    rnn_param_count,
    rnn_step_backward,
    rnn_step_forward,
)
from course_utils.nn.sampling import generate

__all__ = [
    "CELLS",
    "init_lm", "init_cell",
    "cell_forward", "cell_backward",
    "lm_logits", "lm_forward", "lm_backward", "lm_step", "lm_generate", "lm_evaluate",
    "lm_param_count",
    "output_matrix", "output_layer_forward", "output_layer_backward",
]

# A cell's functions, with cs231n's argument order and the recurrent state spelled out part by
# part ("state": ("h",) or ("h", "c")):
#     step_forward(x, *state, W_e, W_h, b) -> (*new state, cache)
#     forward(x, *state0, W_e, W_h, b) -> (one (N, T, H) sequence per state part, cache)
#     backward(one upstream gradient per sequence, cache) -> (dx, *dstate0, dW_e, dW_h, db)
# "forward"/"backward" are the readable blocks, "fast_*" the kernels the models train with.
# "gru" is not here: assignment ps4 asks the students to write the GRU, and course_utils must
# never contain an assignment's solution (tests/test_grading_checkers.py tries every
# course_utils function against every hidden test).
CELLS = {
    "rnn": {"init": init_rnn, "state": ("h",),
            "step_forward": rnn_step_forward, "step_backward": rnn_step_backward,
            "forward": rnn_forward, "backward": rnn_backward,
            "fast_forward": _fast.rnn_forward, "fast_backward": _fast.rnn_backward,
            "param_count": rnn_param_count},
    "lstm": {"init": init_lstm, "state": ("h", "c"),
             "step_forward": lstm_step_forward, "step_backward": lstm_step_backward,
             "forward": lstm_forward, "backward": lstm_backward,
             "fast_forward": _fast.lstm_forward, "fast_backward": _fast.lstm_backward,
             "param_count": lstm_param_count},
}


# --------------------------------------------------------------------------------------
# The cell, used the same way whichever it is
# --------------------------------------------------------------------------------------


def init_cell(cell, input_dim, hidden_dim, rng, seed, forget_bias=None):
    """The cell's weights {'W_e', 'W_h', 'b'} inside a model whose other weights come from `rng`.

    The RNN's continue `rng`; the LSTM's come from their own generator seeded `seed + 1`, with
    the forget-gate bias `forget_bias` (1 when None). That is how lessons 04-06 first drew
    them, and the numbers the lessons print depend on it.
    """
    _validate.one_of("init_cell", "cell", cell, CELLS)
    if cell == "rnn":
        if forget_bias is not None:
            raise ValueError(f"init_cell: forget_bias belongs to the LSTM's forget gate; the rnn cell "
                             f"has none, got forget_bias={forget_bias!r}")
        return init_rnn(input_dim, hidden_dim, seed=rng)
    return init_lstm(input_dim, hidden_dim, forget_bias=1.0 if forget_bias is None else forget_bias,
                     seed=seed + 1)


def cell_forward(cell, x, state, weights, **options):
    """Run the cell's fast kernel over x (N, T, D) from `state` (a tuple: (h0,) or (h0, c0)).

    Returns (hs (N, T, H), the state after the last step (a tuple, views), cache). `options`
    go to the kernel (the RNN's `activation`).
    """
    *sequences, cache = CELLS[cell]["fast_forward"](x, *state, weights["W_e"], weights["W_h"],
                                                    weights["b"], **options)
    return sequences[0], tuple(s[:, -1] for s in sequences), cache


def cell_backward(cell, dhs, cache):
    """Gradients of `cell_forward` given dhs (N, T, H): (dx, dW_e, dW_h, db).

    Only the hidden states receive a gradient from above; the LSTM's cell states get None.
    """
    no_gradient = [None] * (len(CELLS[cell]["state"]) - 1)
    dx, *_, dW_e, dW_h, db = CELLS[cell]["fast_backward"](dhs, *no_gradient, cache)
    return dx, dW_e, dW_h, db


def _state(fn, cell, state, N, params):
    """A public state (h, or (h, c); None for zeros) as the tuple the cell functions take."""
    names = CELLS[cell]["state"]
    H = params["W_h"].shape[1]
    if state is None:
        return tuple(np.zeros((N, H), dtype=params["W_h"].dtype) for _ in names)
    if len(names) > 1 and not (isinstance(state, (tuple, list)) and len(state) == len(names)):
        raise TypeError(f"{fn}: state must be None or a pair (h, c) for the {cell} cell, "
                        f"got {type(state).__name__}")
    parts = tuple(np.asarray(s) for s in (state if len(names) > 1 else (state,)))
    for name, part in zip(names, parts, strict=True):
        if part.shape != (N, H):
            raise ValueError(f"{fn}: state's {name} has shape {part.shape}, expected ({N}, {H}) "
                             f"(N rows, H units)")
    return parts


def _public(state):
    """The tuple of state parts as the caller sees it: h alone, or (h, c)."""
    return state[0] if len(state) == 1 else tuple(state)


# --------------------------------------------------------------------------------------
# Parameters and the output layer
# --------------------------------------------------------------------------------------


def init_lm(cell, vocab_size, embed_dim, hidden_dim, tie_weights=False, seed=0, dtype=np.float64,
            forget_bias=None):
    """Random parameters of a language model with `cell` (seeded); see the module docstring.

    E ~ N(0, 1), or N(0, 1/D) when tied (E is then the output layer too); the cell's weights
    from `init_cell` (rnn: N(0, 1/fan_in); lstm: `init_lstm`, forget-gate bias `forget_bias`);
    U ~ N(0, 0.01/H); biases 0. So the untrained model predicts an almost uniform distribution
    (loss ≈ log V).
    """
    fn = "init_lm"
    _validate.one_of(fn, "cell", cell, CELLS)
    V = _validate.positive_int(fn, "vocab_size", vocab_size)
    D = _validate.positive_int(fn, "embed_dim", embed_dim)
    H = _validate.positive_int(fn, "hidden_dim", hidden_dim)
    if tie_weights and D != H:
        raise ValueError(f"{fn}: weight tying reuses E (V, D) as U (V, H), so it needs "
                         f"embed_dim == hidden_dim; got embed_dim={D}, hidden_dim={H}")
    rng = np.random.default_rng(seed)
    params = {"E": rng.standard_normal((V, D)) * (1.0 / np.sqrt(D) if tie_weights else 1.0)}
    params.update(init_cell(cell, D, H, rng, seed, forget_bias))
    if not tie_weights:
        params["U"] = rng.standard_normal((V, H)) / np.sqrt(H) * 0.1
    params["c"] = np.zeros(V)
    return {k: v.astype(dtype) for k, v in params.items()}


def lm_param_count(cell, vocab_size, embed_dim, hidden_dim, tie_weights=False):
    """E (V·D) + the cell's weights + U (V·H, unless tied) + c (V)."""
    _validate.one_of("lm_param_count", "cell", cell, CELLS)
    V, D, H = vocab_size, embed_dim, hidden_dim
    count = V * D + CELLS[cell]["param_count"](D, H) + V
    return count if tie_weights else count + V * H


def output_matrix(params):
    """U, or E when the weights are tied (no "U" in params)."""
    return params["U"] if "U" in params else params["E"]


def output_layer_forward(hs, params, targets):
    """logits = hs Uᵀ + c for hidden states hs (N, T, H), and their mean cross-entropy against
    `targets` (N, T). Returns (loss, cache)."""
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


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------


def _logits(params, inputs, cell, state):
    hs, state_last, _ = cell_forward(cell, params["E"][inputs], state, params)       # (N, T, H)
    N, T, H = hs.shape
    logits = (hs.reshape(N * T, H) @ output_matrix(params).T).reshape(N, T, -1) + params["c"]
    return logits, hs, state_last


def lm_logits(params, inputs, *, cell, state=None):
    """(logits (N, T, V), hidden states hs (N, T, H), the state after the last step) for the
    token ids `inputs` (N, T), starting from `state`."""
    fn = "lm_logits"
    _validate.one_of(fn, "cell", cell, CELLS)
    inputs = _validate.token_ids(fn, "inputs", inputs, params["E"].shape[0])
    logits, hs, state_last = _logits(params, inputs, cell, _state(fn, cell, state, len(inputs), params))
    return logits, hs, _public(state_last)


def lm_forward(params, inputs, targets, *, cell, state=None):
    """Mean cross-entropy of `targets` (N, T) given `inputs` (N, T), teacher-forced.

    Returns (loss, cache, state_last): state_last is the state after the last step (h, or
    (h, c)), to carry into the next batch for truncated BPTT (its gradient is not followed back).
    """
    fn = "lm_forward"
    _validate.one_of(fn, "cell", cell, CELLS)
    V = params["E"].shape[0]
    inputs = _validate.token_ids(fn, "inputs", inputs, V)
    targets = _validate.token_ids(fn, "targets", targets, V)
    if targets.shape != inputs.shape:
        raise ValueError(f"{fn}: inputs have shape {inputs.shape} but targets {targets.shape}; "
                         f"they must match")
    state = _state(fn, cell, state, len(inputs), params)
    x, embed_cache = embedding_forward(inputs, params["E"])                   # (N, T, D)
    hs, state_last, cell_cache = cell_forward(cell, x, state, params)         # (N, T, H)
    loss, output_cache = output_layer_forward(hs, params, targets)
    cache = (cell, embed_cache, cell_cache, output_cache, "U" not in params)
    return loss, cache, _public(tuple(part.copy() for part in state_last))


def lm_backward(cache):
    """Gradients of the mean cross-entropy: a dict with the same keys as the parameters."""
    cell, embed_cache, cell_cache, output_cache, tied = cache
    dhs, dU, dc = output_layer_backward(output_cache)
    dx, dW_e, dW_h, db = cell_backward(cell, dhs, cell_cache)
    grads = {"E": embedding_backward(dx, embed_cache), "W_e": dW_e, "W_h": dW_h, "b": db}
    if tied:
        grads["E"] = grads["E"] + dU  # E is used twice: as the input table and as the output layer
    else:
        grads["U"] = dU
    grads["c"] = dc
    return grads


def lm_step(params, token_ids, state, *, cell):
    """One step, for generation: token ids (N,) and the state before -> (logits (N, V), state)."""
    fn = "lm_step"
    _validate.one_of(fn, "cell", cell, CELLS)
    token_ids = np.asarray(token_ids).reshape(-1)
    state = _state(fn, cell, state, len(token_ids), params)
    *state, _ = CELLS[cell]["step_forward"](params["E"][token_ids], *state, params["W_e"],
                                            params["W_h"], params["b"])
    return state[0] @ output_matrix(params).T + params["c"], _public(state)


def lm_generate(params, start_ids, eos_id, *, cell, max_len=200, temperature=1.0, top_k=None,
                top_p=None, seed=0):
    """Sample new token ids after `start_ids` (<bos> first), until `eos_id` or `max_len`.

    temperature = 0 is greedy decoding; top_k / top_p restrict each draw to the most probable
    tokens. See `course_utils.nn.sampling.generate`.
    """
    _validate.one_of("lm_generate", "cell", cell, CELLS)

    def step(token_id, state):
        logits, state = lm_step(params, [token_id], state, cell=cell)
        return logits[0], state

    return generate(step, None, start_ids, eos_id, max_len=max_len, temperature=temperature,
                    top_k=top_k, top_p=top_p, seed=seed)


def lm_evaluate(params, ids, *, cell, batch_size=16, seq_len=256):
    """Mean negative log-likelihood (nats per token) of predicting ids[1:] from ids[:-1].

    The text is cut into `batch_size` contiguous streams read in chunks of `seq_len`, the
    state carried from chunk to chunk, so every prediction except each stream's first sees
    its full history. Every token from the second to the last is scored once: the few that
    do not fill the streams at the end continue the last stream, in one extra short chunk.
    """
    fn = "lm_evaluate"
    _validate.one_of(fn, "cell", cell, CELLS)
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"{fn}: ids must be a 1-D sequence of >= 2 ids, got shape {ids.shape}")
    inputs_all, targets_all = ids[:-1], ids[1:]
    batch_size = max(1, min(batch_size, len(inputs_all)))
    stream_len = len(inputs_all) // batch_size
    used = batch_size * stream_len
    inputs = inputs_all[:used].reshape(batch_size, stream_len)
    targets = targets_all[:used].reshape(batch_size, stream_len)
    chunks = [(inputs[:, s:s + seq_len], targets[:, s:s + seq_len], None)
              for s in range(0, stream_len, seq_len)]
    if used < len(inputs_all):
        chunks.append((inputs_all[None, used:], targets_all[None, used:], "last stream"))
    total, count = 0.0, 0
    state = _state(fn, cell, None, batch_size, params)
    for chunk_inputs, chunk_targets, continues in chunks:
        if continues:
            state = tuple(part[-1:] for part in state)
        logits, _, state = _logits(params, chunk_inputs, cell, state)
        picked = np.take_along_axis(log_softmax(logits), chunk_targets[..., None], axis=-1)
        total -= float(picked.sum(dtype=np.float64))
        count += picked.size
    return total / count
