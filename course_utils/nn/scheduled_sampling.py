"""Exposure bias and scheduled sampling for the recurrent language models (lesson 05).

With teacher forcing a language model always sees the *true* previous token while it trains,
but when it generates it sees its *own* previous prediction: inputs of a kind it never
trained on, so one mistake can lead to the next (exposure bias). Scheduled sampling (Bengio
et al. 2015) closes that gap during training: at each step, with probability p, the input is
replaced by the model's own prediction from the step before; the targets stay the true
tokens. The sampled inputs are treated as given data, so the backward pass is the ordinary
teacher-forced one on the mixed sequence.

Works with any cell of `language_model.CELLS`, named by `cell=`.
"""

import numpy as np

from course_utils.nn.language_model import lm_backward, lm_forward, lm_step
from course_utils.nn.layers import log_softmax
from course_utils.nn.sampling import sample

__all__ = [
    "scheduled_sampling_inputs",
    "scheduled_sampling_step",
    "linear_sampling_schedule",
    "free_running_gap",
]


def scheduled_sampling_inputs(params, inputs, sampling_prob, rng, *, cell, state=None, greedy=False):
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
        logits, state = lm_step(params, mixed[:, t], state, cell=cell)
        use_own = rng.random(N) < sampling_prob
        if use_own.any():
            mixed[use_own, t + 1] = sample(logits[use_own], 0.0 if greedy else 1.0, rng=rng)
    return mixed


def scheduled_sampling_step(params, inputs, targets, sampling_prob, rng, *, cell, state=None,
                            greedy=False):
    """Loss and gradients of one scheduled-sampling training step.

    Returns (loss, grads, state_last, mixed_inputs). With sampling_prob = 0 this is exactly
    teacher forcing (`lm_forward` + `lm_backward`). Clip and apply the gradients as usual
    (e.g. `optim.clip_grad_norm`, `optim.adam_step`).
    """
    mixed = scheduled_sampling_inputs(params, inputs, sampling_prob, rng, cell=cell, state=state,
                                      greedy=greedy)
    loss, cache, state_last = lm_forward(params, mixed, targets, cell=cell, state=state)
    return loss, lm_backward(cache), state_last, mixed


def linear_sampling_schedule(step, total_steps, max_prob, warmup_fraction=0.25):
    """p = 0 for the first `warmup_fraction` of training (the model first needs to predict
    something sensible), then rising linearly to `max_prob` at the last step."""
    if total_steps < 1:
        raise ValueError(f"linear_sampling_schedule: total_steps must be >= 1, got {total_steps}")
    start = warmup_fraction * total_steps
    if step < start:
        return 0.0
    return float(max_prob * min(1.0, (step - start + 1) / max(1.0, total_steps - start)))


def free_running_gap(params, ids, prefix_len, steps, num_windows, *, cell, seed=0):
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
        _, state = lm_step(params, windows[:, t], state, cell=cell)
    teacher_state, free_state = state, state
    free_input = windows[:, prefix_len - 1]
    out = {key: np.zeros(steps) for key in ("nll_teacher", "nll_free", "acc_teacher", "acc_free")}
    rows = np.arange(num_windows)
    for j in range(steps):
        position = prefix_len - 1 + j                 # the input position; its target is next
        truth = windows[:, position + 1]
        logits_t, teacher_state = lm_step(params, windows[:, position], teacher_state, cell=cell)
        logits_f, free_state = lm_step(params, free_input, free_state, cell=cell)
        for name, logits in (("teacher", logits_t), ("free", logits_f)):
            log_probs = log_softmax(logits)
            out[f"nll_{name}"][j] = -log_probs[rows, truth].mean()
            out[f"acc_{name}"][j] = (np.argmax(logits, axis=1) == truth).mean()
        free_input = np.argmax(logits_f, axis=1)
    return out
