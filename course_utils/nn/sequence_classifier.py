"""Read a whole sequence, answer once at the end: an RNN or LSTM classifier (lessons 05-06).

    e^(t) = E[x^(t)]                                  embedding,            (N, D)
    h^(t) = RNN or LSTM step (rnn.py / lstm.py)       the recurrence,       (N, H)
    y     = softmax(U h^(T) + c)                      one answer per row,   (N, C)

Only the last hidden state is read, so whatever the answer needs from early in the sequence
has to survive every step in between, and its gradient has to travel back just as far: the
setting of the long-range task (`course_utils.data.recall_task`).

Parameters: "E" (V, D), "W_e", "W_h", "b" (the cell's), "U" (C, H), "c" (C,). The cell,
"rnn" (tanh) or "lstm", is named by `cell=` in every call (`language_model.CELLS`).
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.language_model import CELLS, cell_backward, cell_forward, init_cell
from course_utils.nn.layers import (
    cross_entropy_backward,
    cross_entropy_forward,
    embedding_backward,
    embedding_forward,
)
from course_utils.nn.optim import adam_step, clip_grad_norm, init_adam

__all__ = [
    "init_sequence_classifier",
    "sequence_classifier_forward",
    "sequence_classifier_backward",
    "sequence_classifier_predict",
    "train_sequence_classifier",
]


def init_sequence_classifier(cell, vocab_size, embed_dim, hidden_dim, num_classes, seed=0,
                             forget_bias=None, dtype=np.float64):
    """Random parameters (seeded). The cell's weights come from `language_model.init_cell`: the
    RNN's W_h is N(0, 1/H), as lesson 04's RNN LM; the LSTM's comes from `init_lstm`
    (orthogonal gate blocks, forget-gate bias `forget_bias`, 1 when None)."""
    fn = "init_sequence_classifier"
    _validate.one_of(fn, "cell", cell, CELLS)
    V = _validate.positive_int(fn, "vocab_size", vocab_size)
    D = _validate.positive_int(fn, "embed_dim", embed_dim)
    H = _validate.positive_int(fn, "hidden_dim", hidden_dim)
    C = _validate.positive_int(fn, "num_classes", num_classes)
    rng = np.random.default_rng(seed)
    params = {"E": rng.standard_normal((V, D)) * 0.5}
    params.update(init_cell(cell, D, H, rng, seed, forget_bias))
    params["U"] = rng.standard_normal((C, H)) * 0.1 / np.sqrt(H)
    params["c"] = np.zeros(C)
    return {k: v.astype(dtype) for k, v in params.items()}


def _hidden_states(params, inputs, cell):
    inputs = np.asarray(inputs)
    if inputs.ndim != 2 or not np.issubdtype(inputs.dtype, np.integer):
        raise ValueError(f"sequence classifier: inputs must be (N, T) integer ids, got shape "
                         f"{inputs.shape} and dtype {inputs.dtype}")
    x, embed_cache = embedding_forward(inputs, params["E"])                  # (N, T, D)
    H = params["W_h"].shape[1]
    zeros = tuple(np.zeros((len(inputs), H), x.dtype) for _ in CELLS[cell]["state"])
    hs, _, cell_cache = cell_forward(cell, x, zeros, params)                 # (N, T, H)
    return hs, (embed_cache, cell_cache)


def sequence_classifier_forward(params, inputs, targets, *, cell):
    """Mean cross-entropy of `targets` (N,) from the last hidden state. Returns (loss, cache)."""
    _validate.one_of("sequence_classifier_forward", "cell", cell, CELLS)
    hs, caches = _hidden_states(params, inputs, cell)
    logits = hs[:, -1] @ params["U"].T + params["c"]                         # (N, C)
    loss, ce_cache = cross_entropy_forward(logits, targets)
    return loss, (cell, caches, ce_cache, hs, params["U"])


def sequence_classifier_backward(cache):
    """Gradients of the mean cross-entropy: a dict with the parameters' keys."""
    cell, (embed_cache, cell_cache), ce_cache, hs, U = cache
    dlogits = cross_entropy_backward(1.0, ce_cache)                          # (N, C)
    grads = {"U": dlogits.T @ hs[:, -1], "c": dlogits.sum(axis=0)}
    dhs = np.zeros_like(hs)
    dhs[:, -1] = dlogits @ U                                                 # only h^(T) is read
    dx, grads["W_e"], grads["W_h"], grads["b"] = cell_backward(cell, dhs, cell_cache)
    grads["E"] = embedding_backward(dx, embed_cache)
    return grads


def sequence_classifier_predict(params, inputs, *, cell, batch_size=1000):
    """Predicted class ids (N,), computed in batches."""
    _validate.one_of("sequence_classifier_predict", "cell", cell, CELLS)
    inputs = np.asarray(inputs)
    out = []
    for start in range(0, len(inputs), batch_size):
        hs, _ = _hidden_states(params, inputs[start:start + batch_size], cell)
        out.append(np.argmax(hs[:, -1] @ params["U"].T + params["c"], axis=1))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def train_sequence_classifier(params, inputs, targets, steps, *, cell, batch_size=64, lr=1e-2,
                              max_norm=1.0):
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
        loss, cache = sequence_classifier_forward(params, inputs[rows], targets[rows], cell=cell)
        grads, _ = clip_grad_norm(sequence_classifier_backward(cache), max_norm)
        adam_step(params, grads, state, lr=lr)
        losses.append(float(loss))
    return np.array(losses)
