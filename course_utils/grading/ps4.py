"""ps4_lstm_and_bidirectional: a GRU step forward and backward, a bidirectional GRU over a
padded batch, a deep LSTM with residual connections.

The student's kernel runs this module: each part's seeded cases and `run_<part>`, which runs
the answer and hands its results in. The grader's half, `judge_<part>` with the references, is
in judges/ps4.py. References are torch's own modules (GRUCell, GRU over packed sequences, LSTM)
holding the student's weights, with the hidden-hidden biases at zero: the assignment's GRU has
one bias b, in the input part, as the course's LSTM does. Gradients come from torch's autograd."""

from __future__ import annotations

import numpy as np

from ._core import (
    attempt,
    forward_then_backward,
    hand_in,
    rng,
)

# ---- 1 + 2 · the GRU step, forward and backward -----------------------------------------------

GRU_GRADS = ("dx", "dh_prev", "dW_e", "dW_h", "db")


def gru_cases(tag: str) -> list:
    """(x, h_prev, W_e, W_h, b, where, dh): dh is the upstream gradient of the backward test."""
    generator, upstream = rng(tag), rng(tag + "/dh")
    cases = []
    for N, D, H in [(1, 2, 3), (4, 3, 5), (3, 5, 2), (2, 1, 4)]:
        x = generator.normal(size=(N, D))
        h_prev = generator.normal(size=(N, H)) * 0.5
        W_e, W_h = generator.normal(size=(3 * H, D)) * 0.6, generator.normal(size=(3 * H, H)) * 0.6
        b = generator.normal(size=3 * H) * 0.3
        cases.append((x, h_prev, W_e, W_h, b, f"for x of shape {(N, D)} and H={H}"))
    return [(*case, upstream.normal(size=case[1].shape)) for case in cases]


def run_gru_step_forward(gru_step_forward) -> None:
    """One GRU step (gate order r, z, n); returns (h, cache)."""
    hand_in("gru_step_forward", [
        attempt(gru_step_forward, x, h_prev, W_e, W_h, b, watch=[0, 1], cache=True)[0]
        for x, h_prev, W_e, W_h, b, _, _ in gru_cases("gru_step_forward")])


_GRU_HINTS = {
    "dx": "dx = da_x W_e, where da_x stacks the gradients at the pre-activations of r, z and n",
    "dh_prev": "h_prev reaches h directly (z ⊙ dh) and through W_h: dh_prev = z ⊙ dh + da_h W_h, "
               "where the n block of da_h is r ⊙ (gradient at n's pre-activation)",
    "dW_e": "dW_e = da_xᵀ x, with the r, z, n blocks of da_x stacked in that order",
    "dW_h": "dW_h = da_hᵀ h_prev; in the n block the reset gate multiplies: r ⊙ dan",
    "db": "db sums da_x over the batch: b is in the input part, outside the reset gate",
}


def run_gru_step_backward(gru_step_forward, gru_step_backward) -> None:
    """(dx, dh_prev, dW_e, dW_h, db) of one GRU step, from the student's own forward cache."""
    hand_in("gru_step_backward", [
        forward_then_backward(gru_step_forward, case[:5], gru_step_backward, case[6])
        for case in gru_cases("gru_step_backward")])


def direction_cases() -> list:
    generator = rng("bidirectional_gru")
    cases = []
    for N, T, D, H in [(1, 1, 2, 3), (3, 5, 2, 4), (4, 6, 3, 2), (2, 4, 1, 3), (3, 3, 2, 2)]:
        x = generator.normal(size=(N, T, D))
        lengths = generator.integers(1, T + 1, size=N)
        lengths[0] = T  # one full row; the others padded after their length
        if N == 3 and T == 3:
            lengths[:] = T  # and one batch without padding
        directions = [{"W_e": generator.normal(size=(3 * H, D)) * 0.6,
                       "W_h": generator.normal(size=(3 * H, H)) * 0.6,
                       "b": generator.normal(size=3 * H) * 0.3} for _ in range(2)]
        x[~(np.arange(T)[None, :] < lengths[:, None])] = generator.normal(size=D) * 3.0
        cases.append((x, directions[0], directions[1], lengths,
                      f"for x of shape {(N, T, D)}, H={H} and lengths {lengths.tolist()}"))
    return cases


def run_bidirectional_gru(bidirectional_gru) -> None:
    """[→h ; ←h] (N, T, 2H) of each padded batch."""
    hand_in("bidirectional_gru", [attempt(bidirectional_gru, x, fwd, bwd, lengths, watch=[0])[0]
                                  for x, fwd, bwd, lengths, _ in direction_cases()])


def residual_cases() -> list:
    generator = rng("residual_stacked_lstm")
    cases = []
    for N, T, D, H, L in [(1, 1, 2, 3, 1), (2, 4, 3, 5, 2), (3, 5, 2, 4, 3), (2, 3, 4, 2, 4)]:
        x = generator.normal(size=(N, T, D))
        layers = [{"W_e": generator.normal(size=(4 * H, D if l == 0 else H)) * 0.5,
                   "W_h": generator.normal(size=(4 * H, H)) * 0.5,
                   "b": generator.normal(size=4 * H) * 0.3} for l in range(L)]
        cases.append((x, layers, f"for x of shape {(N, T, D)}, H={H} and {L} layer(s)"))
    return cases


def run_residual_stacked_lstm(residual_stacked_lstm) -> None:
    """The top layer's states (N, T, H) of each residual stack."""
    hand_in("residual_stacked_lstm", [attempt(residual_stacked_lstm, x, layers, watch=[0, 1])[0]
                                      for x, layers, _ in residual_cases()])


