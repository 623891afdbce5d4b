"""Read a whole sequence, answer once at the end: an RNN or LSTM classifier (lessons 05-06).

    e^(t) = E[x^(t)]                                  embedding,            (N, D)
    h^(t) = RNN or LSTM step (rnn.py / lstm.py)       the recurrence,       (N, H)
    y     = softmax(U h^(T) + c)                      one answer per row,   (N, C)

Only the last hidden state is read, so whatever the answer needs from early in the sequence
has to survive every step in between, and its gradient has to travel back just as far: the
setting of the long-range task (`course_utils.data.first_symbol_task`).

Parameters: "E" (V, D), "W_e", "W_h", "b" (the cell's), "U" (C, H), "c" (C,). The cell is
told by W_h's shape: (H, H) for the plain RNN (tanh), (4H, H) for the LSTM.
"""

import numpy as np

from course_utils.nn.layers import (
    cross_entropy_backward,
    cross_entropy_forward,
    embedding_backward,
    embedding_forward,
)
from course_utils.nn.lstm import init_lstm, lstm_backward, lstm_forward
from course_utils.nn.optim import adam_step, clip_grad_norm, init_adam
from course_utils.nn.rnn import rnn_backward, rnn_forward

__all__ = [
    "CELLS",
    "init_sequence_classifier",
    "cell_of",
    "sequence_classifier_forward",
    "sequence_classifier_backward",
    "sequence_classifier_predict",
    "train_sequence_classifier",
]

CELLS = ("rnn", "lstm")


def init_sequence_classifier(cell, vocab_size, embed_dim, hidden_dim, num_classes, seed=0,
                             forget_bias=1.0, dtype=np.float64):
    """Random parameters (seeded). The RNN's W_h is N(0, 1/H), as lesson 04's RNN LM; the
    LSTM's comes from `init_lstm` (orthogonal gate blocks, forget-gate bias `forget_bias`)."""
    if cell not in CELLS:
        raise ValueError(f"init_sequence_classifier: cell must be one of {CELLS}, got {cell!r}")
    for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                        ("hidden_dim", hidden_dim), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"init_sequence_classifier: {name} must be a positive integer, got {value!r}")
    rng = np.random.default_rng(seed)
    V, D, H, C = vocab_size, embed_dim, hidden_dim, num_classes
    params = {"E": rng.standard_normal((V, D)) * 0.5}
    if cell == "lstm":
        params.update(init_lstm(D, H, forget_bias=forget_bias, seed=seed + 1))
    else:
        params["W_e"] = rng.standard_normal((H, D)) / np.sqrt(D)
        params["W_h"] = rng.standard_normal((H, H)) / np.sqrt(H)
        params["b"] = np.zeros(H)
    params["U"] = rng.standard_normal((C, H)) * 0.1 / np.sqrt(H)
    params["c"] = np.zeros(C)
    return {k: v.astype(dtype) for k, v in params.items()}


def cell_of(params):
    """'lstm' when W_h is (4H, H), 'rnn' when it is (H, H)."""
    rows, cols = np.shape(params["W_h"])
    if rows == cols:
        return "rnn"
    if rows == 4 * cols:
        return "lstm"
    raise ValueError(f"cell_of: W_h has shape {(rows, cols)}; expected (H, H) or (4H, H)")


def _hidden_states(params, inputs):
    inputs = np.asarray(inputs)
    if inputs.ndim != 2 or not np.issubdtype(inputs.dtype, np.integer):
        raise ValueError(f"sequence classifier: inputs must be (N, T) integer ids, got shape "
                         f"{inputs.shape} and dtype {inputs.dtype}")
    x, embed_cache = embedding_forward(inputs, params["E"])                  # (N, T, D)
    if cell_of(params) == "lstm":
        hs, _, cell_cache = lstm_forward(x, None, None, params["W_e"], params["W_h"], params["b"])
    else:
        h0 = np.zeros((inputs.shape[0], params["W_h"].shape[0]), dtype=params["W_h"].dtype)
        hs, cell_cache = rnn_forward(x, h0, params["W_e"], params["W_h"], params["b"])
    return hs, (embed_cache, cell_cache)


def sequence_classifier_forward(params, inputs, targets):
    """Mean cross-entropy of `targets` (N,) from the last hidden state. Returns (loss, cache)."""
    hs, caches = _hidden_states(params, inputs)
    logits = hs[:, -1] @ params["U"].T + params["c"]                         # (N, C)
    loss, ce_cache = cross_entropy_forward(logits, targets)
    return loss, (caches, ce_cache, hs, logits, cell_of(params), params["U"])


def sequence_classifier_backward(cache):
    """Gradients of the mean cross-entropy: a dict with the parameters' keys."""
    (embed_cache, cell_cache), ce_cache, hs, _, cell, U = cache
    dlogits = cross_entropy_backward(1.0, ce_cache)                          # (N, C)
    grads = {"U": dlogits.T @ hs[:, -1], "c": dlogits.sum(axis=0)}
    dhs = np.zeros_like(hs)
    dhs[:, -1] = dlogits @ U                                                 # only h^(T) is read
    if cell == "lstm":
        dx, _, _, grads["W_e"], grads["W_h"], grads["b"] = lstm_backward(dhs, cell_cache)
    else:
        dx, _, grads["W_e"], grads["W_h"], grads["b"] = rnn_backward(dhs, cell_cache)
    grads["E"] = embedding_backward(dx, embed_cache)
    return grads


def sequence_classifier_predict(params, inputs, batch_size=1000):
    """Predicted class ids (N,), computed in batches."""
    inputs = np.asarray(inputs)
    out = []
    for start in range(0, len(inputs), batch_size):
        hs, _ = _hidden_states(params, inputs[start:start + batch_size])
        out.append(np.argmax(hs[:, -1] @ params["U"].T + params["c"], axis=1))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def train_sequence_classifier(params, inputs, targets, steps, batch_size=64, lr=1e-2, max_norm=1.0):
    """Adam with gradient clipping by global norm, on consecutive minibatches of the given
    examples (cycling through them). Changes params in place; returns the loss per step."""
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    if len(inputs) != len(targets):
        raise ValueError(f"train_sequence_classifier: {len(inputs)} inputs but {len(targets)} targets")
    if len(inputs) < batch_size:
        raise ValueError(f"train_sequence_classifier: batch_size={batch_size} is larger than the "
                         f"{len(inputs)} examples")
    state = init_adam(params)
    batches_per_pass = len(inputs) // batch_size
    losses = []
    for step in range(steps):
        rows = slice((step % batches_per_pass) * batch_size, (step % batches_per_pass + 1) * batch_size)
        loss, cache = sequence_classifier_forward(params, inputs[rows], targets[rows])
        grads, _ = clip_grad_norm(sequence_classifier_backward(cache), max_norm)
        adam_step(params, grads, state, lr=lr)
        losses.append(float(loss))
    return np.array(losses)
