"""Exposure bias and scheduled sampling for the RNN and LSTM language models (lesson 05).

With teacher forcing a language model always sees the *true* previous token while it trains,
but when it generates it sees its *own* previous prediction: inputs of a kind it never
trained on, so one mistake can lead to the next (exposure bias). Scheduled sampling (Bengio
et al. 2015) closes that gap during training: at each step, with probability p, the input is
replaced by the model's own prediction from the step before; the targets stay the true
tokens. The sampled inputs are treated as given data, so the backward pass is the ordinary
teacher-forced one on the mixed sequence.

Works with either model: an LSTM LM is recognised by its stacked W_h (4H, H).
"""

import numpy as np

from course_utils.nn.layers import log_softmax, softmax
from course_utils.nn.lstm_lm import lstm_lm_backward, lstm_lm_forward, lstm_lm_step
from course_utils.nn.rnn_lm import rnn_lm_backward, rnn_lm_forward, rnn_lm_step

__all__ = [
    "is_lstm_lm",
    "lm_step",
    "scheduled_sampling_inputs",
    "scheduled_sampling_step",
    "linear_sampling_schedule",
    "free_running_gap",
]


def is_lstm_lm(params):
    """True for an LSTM LM's parameters (W_h is (4H, H)), False for an RNN LM's ((H, H))."""
    rows, cols = np.shape(params["W_h"])
    return rows == 4 * cols and rows != cols


def lm_step(params, token_ids, state):
    """One step of either LM: (logits (N, V), new state). `state` None means zeros."""
    if is_lstm_lm(params):
        return lstm_lm_step(params, token_ids, state)
    if state is None:
        state = np.zeros((len(np.asarray(token_ids).reshape(-1)), params["W_h"].shape[0]),
                         dtype=params["W_h"].dtype)
    return rnn_lm_step(params, token_ids, state)


def _predict(logits, rng, greedy):
    if greedy:
        return np.argmax(logits, axis=1)
    probs = softmax(logits.astype(np.float64))
    # One uniform number per row against the cumulative distribution: a vectorised sample.
    u = rng.random((len(probs), 1))
    return np.minimum((probs.cumsum(axis=1) < u).sum(axis=1), probs.shape[1] - 1)


def scheduled_sampling_inputs(params, inputs, sampling_prob, rng, state=None, greedy=False):
    """The inputs (N, T) with each position t ≥ 1 replaced, with probability `sampling_prob`,
    by the model's own prediction made at step t − 1 (a sample from its softmax, or its
    argmax with `greedy`). The model runs step by step on the mixed sequence, so a replaced
    token influences what it predicts next, as when it generates."""
    if not 0.0 <= sampling_prob <= 1.0:
        raise ValueError(f"scheduled_sampling_inputs: sampling_prob must be in [0, 1], got {sampling_prob!r}")
    inputs = np.asarray(inputs)
    if inputs.ndim != 2:
        raise ValueError(
            f"scheduled_sampling_inputs: inputs must be (N, T) token ids, got shape {inputs.shape}")
    mixed = inputs.copy()
    if sampling_prob == 0.0:
        return mixed
    N, T = inputs.shape
    for t in range(T - 1):
        logits, state = lm_step(params, mixed[:, t], state)
        use_own = rng.random(N) < sampling_prob
        if use_own.any():
            mixed[use_own, t + 1] = _predict(logits[use_own], rng, greedy)
    return mixed


def scheduled_sampling_step(params, inputs, targets, sampling_prob, rng, state=None, greedy=False):
    """Loss and gradients of one scheduled-sampling training step.

    Returns (loss, grads, state_last, mixed_inputs). With sampling_prob = 0 this is exactly
    teacher forcing (`rnn_lm_forward`/`lstm_lm_forward` + backward). Clip and apply the
    gradients as usual (e.g. `optim.clip_grad_norm`, `optim.adam_step`).
    """
    mixed = scheduled_sampling_inputs(params, inputs, sampling_prob, rng, state, greedy)
    if is_lstm_lm(params):
        loss, cache, state_last = lstm_lm_forward(params, mixed, targets, state)
        grads = lstm_lm_backward(cache)
    else:
        loss, cache, state_last = rnn_lm_forward(params, mixed, targets, state)
        grads = rnn_lm_backward(cache)
    return loss, grads, state_last, mixed


def linear_sampling_schedule(step, total_steps, max_prob, warmup_fraction=0.25):
    """p = 0 for the first `warmup_fraction` of training (the model first needs to predict
    something sensible), then rising linearly to `max_prob` at the last step."""
    if total_steps < 1:
        raise ValueError(f"linear_sampling_schedule: total_steps must be >= 1, got {total_steps}")
    start = warmup_fraction * total_steps
    if step < start:
        return 0.0
    return float(max_prob * min(1.0, (step - start + 1) / max(1.0, total_steps - start)))


def free_running_gap(params, ids, prefix_len, steps, num_windows, seed=0):
    """How a model predicts the true continuation when fed the truth vs its own guesses.

    From `num_windows` random positions of `ids`, the model reads `prefix_len` true tokens,
    then predicts the next `steps` tokens twice: (a) teacher-forced, fed the true previous
    token each time; (b) free-running, fed its own previous greedy prediction. Both are
    scored against the true tokens. Returns a dict of arrays (steps,): "nll_teacher",
    "nll_free" (nats), "acc_teacher", "acc_free" (argmax = true token).
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < prefix_len + steps + 1:
        raise ValueError(f"free_running_gap: ids must be 1-D with at least prefix_len + steps + 1 = "
                         f"{prefix_len + steps + 1} tokens, got shape {ids.shape}")
    if prefix_len < 1 or steps < 1:
        raise ValueError(f"free_running_gap: prefix_len and steps must be >= 1, got {prefix_len}, {steps}")
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - prefix_len - steps, size=num_windows)
    windows = ids[starts[:, None] + np.arange(prefix_len + steps)[None, :]]   # (W, P + k)
    state = None
    for t in range(prefix_len - 1):
        _, state = lm_step(params, windows[:, t], state)
    teacher_state, free_state = state, state
    free_input = windows[:, prefix_len - 1]
    out = {key: np.zeros(steps) for key in ("nll_teacher", "nll_free", "acc_teacher", "acc_free")}
    rows = np.arange(num_windows)
    for j in range(steps):
        position = prefix_len - 1 + j                 # the input position; its target is next
        truth = windows[:, position + 1]
        logits_t, teacher_state = lm_step(params, windows[:, position], teacher_state)
        logits_f, free_state = lm_step(params, free_input, free_state)
        for name, logits in (("teacher", logits_t), ("free", logits_f)):
            log_probs = log_softmax(logits)
            out[f"nll_{name}"][j] = -log_probs[rows, truth].mean()
            out[f"acc_{name}"][j] = (np.argmax(logits, axis=1) == truth).mean()
        free_input = np.argmax(logits_f, axis=1)
    return out
