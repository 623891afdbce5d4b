"""ps2_neural_lms: Bengio's window LM with direct connections, a leaky RNN step and BPTT.

For each part: its seeded cases, `run_<part>` (in the student's kernel) and `judge_<part>`
(in the grader). The references are the assignment's forward formulas written in torch (the
specification, not an answer: no NumPy function here has an answer's signature); gradients by
central differences of them.
"""

from __future__ import annotations

import numpy as np

from ._core import (
    GRAD_TOL,
    after,
    as_array,
    attempt,
    close,
    compare,
    each_case,
    fix_forward_first,
    forward_and_backward,
    forward_then_backward,
    grads_dict,
    hand_in,
    numeric_grad,
    returned,
    rng,
    t,
    torch,
    unchanged,
    upstream_grad,
)

# ---- 1 · the window LM with direct connections ------------------------------------------------

WINDOW_KEYS = ("E", "W", "b", "U", "G", "c")


def window_cases() -> list:
    generator = rng("window_lm_direct_loss_and_grads")
    cases = []
    for V, n, D, H, B in [(5, 1, 2, 3, 1), (7, 3, 2, 4, 6), (6, 2, 3, 2, 9), (8, 3, 2, 3, 5)]:
        params = {"E": generator.normal(size=(V, D)), "W": generator.normal(size=(H, n * D)) * 0.5,
                  "b": generator.normal(size=H) * 0.1, "U": generator.normal(size=(V, H)) * 0.5,
                  "G": generator.normal(size=(V, n * D)) * 0.5, "c": generator.normal(size=V) * 0.1}
        contexts = generator.integers(0, V, size=(B, n))
        contexts[0, :] = contexts[0, 0]  # one word several times in a context: rows of dE add up
        targets = generator.integers(0, V, size=B)
        cases.append((params, contexts, targets, f"for V={V}, n={n}, D={D}, H={H} and a batch of B={B}"))
    return cases


def run_window_lm_direct_loss_and_grads(window_lm_direct_loss_and_grads) -> None:
    """The loss and gradients of the window LM with direct connections G."""
    hand_in("window_lm_direct_loss_and_grads", [
        attempt(window_lm_direct_loss_and_grads, params, contexts, targets, watch=[0])[0]
        for params, contexts, targets, _ in window_cases()])


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

LEAKY_GRADS = ("dx", "dh_prev", "dW_e", "dW_h", "db")
SEQUENCE_GRADS = ("dx", "dh0", "dW_e", "dW_h", "db")


def leaky_cases(tag: str, sequence: bool) -> list:
    """(x, h, W_e, W_h, b, alpha, where) with an upstream gradient for h (or every state)."""
    generator, upstream = rng(tag), rng(tag + ("/dhs" if sequence else "/dh"))
    cases = []
    for N, D, H, T, alpha in [(1, 2, 3, 1, 0.5), (4, 3, 5, 3, 0.2), (3, 5, 2, 6, 0.9),
                              (2, 1, 4, 4, 0.05)]:
        x = generator.normal(size=(N, T, D) if sequence else (N, D))
        h = generator.normal(size=(N, H)) * 0.5
        W_e, W_h = generator.normal(size=(H, D)) * 0.6, generator.normal(size=(H, H)) * 0.6
        b = generator.normal(size=H) * 0.1
        cases.append((x, h, W_e, W_h, b, alpha, f"for x of shape {x.shape}, H={H} and alpha={alpha}"))
    return [(*case, upstream.normal(size=case[0].shape[:-1] + (case[1].shape[1],)))
            for case in cases]


def _leaky_step_torch(x, h_prev, W_e, W_h, b, alpha):
    a = t(h_prev) @ t(W_h).T + t(x) @ t(W_e).T + t(b)
    return ((1 - alpha) * t(h_prev) + alpha * torch().tanh(a)).numpy()


def _leaky_sequence_torch(x, h0, W_e, W_h, b, alpha):
    h, hs = h0, []
    for step in range(x.shape[1]):
        h = _leaky_step_torch(x[:, step], h, W_e, W_h, b, alpha)
        hs.append(h)
    return np.stack(hs, axis=1)


def run_leaky_rnn_step_forward(leaky_rnn_step_forward) -> None:
    """h = (1 − α) h_prev + α tanh(h_prev W_hᵀ + x W_eᵀ + b); returns (h, cache)."""
    hand_in("leaky_rnn_step_forward", [attempt(leaky_rnn_step_forward, *case[:6], cache=True)[0]
                                       for case in leaky_cases("leaky_rnn_step_forward", False)])


def judge_leaky_rnn_step_forward(payload) -> None:
    name, cases = "leaky_rnn_step_forward", leaky_cases("leaky_rnn_step_forward", False)
    for (*inputs, where, _), record in each_case(payload, name, cases):
        h, _ = returned(name, record, where, 2, "a pair (h, cache)")
        compare(name, "h", h, _leaky_step_torch(*inputs), where,
                "mix the old state and the vanilla step: (1 − α) h_prev + α tanh(a)")


def run_leaky_rnn_step_backward(leaky_rnn_step_forward, leaky_rnn_step_backward) -> None:
    """(dx, dh_prev, dW_e, dW_h, db) of one leaky step, from the student's own forward cache."""
    hand_in("leaky_rnn_step_backward", [
        forward_then_backward(leaky_rnn_step_forward, case[:6], leaky_rnn_step_backward, case[7])
        for case in leaky_cases("leaky_rnn_step_backward", False)])


_STEP_HINTS = {
    "dh_prev": "h_prev reaches h twice: directly, (1 − α) dh, and through W_h: "
               "(α dh ⊙ (1 − tanh(a)²)) W_h",
    "dx": "da = α dh ⊙ (1 − tanh(a)²), then dx = da W_e",
}
_STEP_HINT = "with da = α dh ⊙ (1 − tanh(a)²): dW_e = daᵀ x, dW_h = daᵀ h_prev, db = Σ_n da"
_BPTT_HINT = ("going backwards, the gradient at h^(t) is dhs[:, t] plus what step t+1 sends back "
              "(its dh_prev); weight gradients add up over the steps")


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


def run_leaky_rnn_forward(leaky_rnn_forward) -> None:
    """All hidden states hs (N, T, H), hs[:, t] = h^(t+1), and a cache."""
    hand_in("leaky_rnn_forward", [attempt(leaky_rnn_forward, *case[:6], cache=True)[0]
                                  for case in leaky_cases("leaky_rnn_forward", True)])


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


def run_leaky_rnn_backward(leaky_rnn_forward, leaky_rnn_backward) -> None:
    """BPTT: (dx, dh0, dW_e, dW_h, db) given dhs, from the student's own forward cache."""
    hand_in("leaky_rnn_backward", [
        forward_then_backward(leaky_rnn_forward, case[:6], leaky_rnn_backward, case[7])
        for case in leaky_cases("leaky_rnn_backward", True)])


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
