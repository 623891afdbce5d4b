"""ps2: the grader's half of the hidden tests (see course_utils/grading/judges/__init__.py)."""

from __future__ import annotations

import numpy as np

from .._core import (
    GRAD_TOL,
    after,
    as_array,
    close,
    compare,
    each_case,
    fix_forward_first,
    forward_and_backward,
    grads_dict,
    numeric_grad,
    returned,
    t,
    torch,
    unchanged,
    upstream_grad,
)
from ..ps2 import (
    _BPTT_HINT,
    _STEP_HINT,
    _STEP_HINTS,
    LEAKY_GRADS,
    SEQUENCE_GRADS,
    WINDOW_KEYS,
    leaky_cases,
    window_cases,
)


def judge_window_lm_direct_loss_and_grads(payload) -> None:
    """The loss against torch, every gradient against central differences of it."""
    name, cases = "window_lm_direct_loss_and_grads", window_cases()
    for (params, contexts, targets, where), record in each_case(payload, name, cases):
        loss, grads = returned(name, record, where, 2, "a pair (loss, grads)")
        unchanged(name, "params", params, after(record, 0), where)
        grads = grads_dict(name, grads, WINDOW_KEYS, where)

        def reference_loss(p, contexts=contexts, targets=targets):
            x = t(p["E"])[torch().as_tensor(contexts)].reshape(len(contexts), -1)  # (B, n·D)
            hidden = torch().tanh(x @ t(p["W"]).T + t(p["b"]))
            logits = hidden @ t(p["U"]).T + x @ t(p["G"]).T + t(p["c"])
            return torch().nn.functional.cross_entropy(logits, torch().as_tensor(targets)).item()

        compare(name, "loss", loss, reference_loss(params), where,
                "logits = U h + G x + c, then the mean cross-entropy over the batch")
        want = {k: numeric_grad(lambda v, k=k, p=params: reference_loss({**p, k: v}), params[k])
                for k in WINDOW_KEYS}
        right = {k: close(grads[k], want[k], **GRAD_TOL) for k in WINDOW_KEYS}
        hints = {"c": "dc sums dlogits = (softmax − onehot) / B over the batch",
                 "U": "dU = dlogitsᵀ h",
                 "G": "the direct path: dG = dlogitsᵀ x, with x the concatenated embeddings",
                 "W": "back through tanh: da = (dlogits U) ⊙ (1 − h²), dW = daᵀ x",
                 "b": "db sums da over the batch",
                 "E": "dx gets two contributions, dlogits G and da W; reshape it to (B, n, D) "
                      "and add each row into dE at its word (np.add.at: a word can repeat)"}
        for k in ("c", "U", "G", "W", "b", "E"):
            hint = hints[k]
            if k == "E" and all(right[j] for j in ("c", "U", "G", "W", "b")):
                hint = "every other gradient is right; " + hint
            compare(name, f"grads['{k}']", grads[k], want[k], where, hint, **GRAD_TOL)


# ---- 2 + 3 · the leaky RNN, one step and over a sequence ----------------------------------------

def _leaky_step_torch(x, h_prev, W_e, W_h, b, alpha):
    a = t(h_prev) @ t(W_h).T + t(x) @ t(W_e).T + t(b)
    return ((1 - alpha) * t(h_prev) + alpha * torch().tanh(a)).numpy()


def _leaky_sequence_torch(x, h0, W_e, W_h, b, alpha):
    h, hs = h0, []
    for step in range(x.shape[1]):
        h = _leaky_step_torch(x[:, step], h, W_e, W_h, b, alpha)
        hs.append(h)
    return np.stack(hs, axis=1)


def judge_leaky_rnn_step_forward(payload) -> None:
    name, cases = "leaky_rnn_step_forward", leaky_cases("leaky_rnn_step_forward", False)
    for (*inputs, where, _), record in each_case(payload, name, cases):
        h, _ = returned(name, record, where, 2, "a pair (h, cache)")
        compare(name, "h", h, _leaky_step_torch(*inputs), where,
                "mix the old state and the vanilla step: (1 − α) h_prev + α tanh(a)")


def _judge_gradients(payload, name: str, forward: str, sequence: bool, hints: dict,
                     default_hint: str) -> None:
    """The five gradients, from the student's own forward cache, against central differences
    of the torch step (or sequence); the forward's output tells whether to fix it first."""
    reference = _leaky_sequence_torch if sequence else _leaky_step_torch
    names = SEQUENCE_GRADS if sequence else LEAKY_GRADS
    for (*inputs, alpha, where, upstream), record in each_case(
            payload, name, leaky_cases(name, sequence)):
        out, backward = forward_and_backward(forward, record, where,
                                             f"a pair ({'hs' if sequence else 'h'}, cache)")
        grads = returned(name, backward, where, 5, f"a 5-tuple ({', '.join(names)})")
        forward_right = close(out, reference(*inputs, alpha))
        for i, (what, got) in enumerate(zip(names, grads, strict=True)):
            want = upstream_grad(reference, inputs, i, upstream, alpha)
            hint = fix_forward_first(forward, forward_right, hints.get(what, default_hint))
            compare(name, what, got, want, where, hint, **GRAD_TOL)


def judge_leaky_rnn_step_backward(payload) -> None:
    _judge_gradients(payload, "leaky_rnn_step_backward", "leaky_rnn_step_forward", False,
                     _STEP_HINTS, _STEP_HINT)


def judge_leaky_rnn_forward(payload) -> None:
    name, cases = "leaky_rnn_forward", leaky_cases("leaky_rnn_forward", True)
    for (*inputs, where, _), record in each_case(payload, name, cases):
        hs, _ = returned(name, record, where, 2, "a pair (hs, cache)")
        want = _leaky_sequence_torch(*inputs)
        got = as_array(name, "hs", hs, where)
        hint = "hs[:, t] is the state after step t; each step starts from the previous state"
        if got.shape == want.shape and close(got[:, 0], want[:, 0]) and not close(got, want):
            hint = "the first step is right; feed each new h into the next step"
        compare(name, "hs", got, want, where, hint)


def judge_leaky_rnn_backward(payload) -> None:
    _judge_gradients(payload, "leaky_rnn_backward", "leaky_rnn_forward", True,
                     {"dh0": "dh0 is what the first step sends back: its dh_prev"}, _BPTT_HINT)


JUDGES = {
    "window_lm_direct_loss_and_grads": judge_window_lm_direct_loss_and_grads,
    "leaky_rnn_step_forward": judge_leaky_rnn_step_forward,
    "leaky_rnn_step_backward": judge_leaky_rnn_step_backward,
    "leaky_rnn_forward": judge_leaky_rnn_forward,
    "leaky_rnn_backward": judge_leaky_rnn_backward,
}
