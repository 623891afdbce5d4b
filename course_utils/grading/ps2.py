"""ps2_neural_lms: Bengio's window LM with direct connections, a leaky RNN step and BPTT.

The student's kernel runs this module: each part's seeded cases and `run_<part>`, which runs
the answer and hands its results in. The grader's half, `judge_<part>` with the references, is
in judges/ps2.py. The references are the assignment's forward formulas written in torch (the
specification, not an answer: no NumPy function here has an answer's signature); gradients by
central differences of them."""

from __future__ import annotations

from ._core import (
    attempt,
    forward_then_backward,
    hand_in,
    rng,
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


def run_leaky_rnn_step_forward(leaky_rnn_step_forward) -> None:
    """h = (1 − α) h_prev + α tanh(h_prev W_hᵀ + x W_eᵀ + b); returns (h, cache)."""
    hand_in("leaky_rnn_step_forward", [attempt(leaky_rnn_step_forward, *case[:6], cache=True)[0]
                                       for case in leaky_cases("leaky_rnn_step_forward", False)])


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


def run_leaky_rnn_forward(leaky_rnn_forward) -> None:
    """All hidden states hs (N, T, H), hs[:, t] = h^(t+1), and a cache."""
    hand_in("leaky_rnn_forward", [attempt(leaky_rnn_forward, *case[:6], cache=True)[0]
                                  for case in leaky_cases("leaky_rnn_forward", True)])


def run_leaky_rnn_backward(leaky_rnn_forward, leaky_rnn_backward) -> None:
    """BPTT: (dx, dh0, dW_e, dW_h, db) given dhs, from the student's own forward cache."""
    hand_in("leaky_rnn_backward", [
        forward_then_backward(leaky_rnn_forward, case[:6], leaky_rnn_backward, case[7])
        for case in leaky_cases("leaky_rnn_backward", True)])


