"""ps1_perceptron_ffn: ELU, a sigmoid neuron with BCE, a multi-label network, momentum.

The student's kernel runs this module: each part's seeded cases and `run_<part>`, which runs
the answer and hands its results in. The grader's half, `judge_<part>` with the references, is
in judges/ps1.py. Values come from torch's own functions (forward only); gradients from central
differences of those torch functions in float64, so no reference here is an answer written out."""

from __future__ import annotations

import numpy as np

from ._core import (
    attempt,
    forward_then_backward,
    hand_in,
    rng,
)

# ---- 1 · ELU ------------------------------------------------------------------------------------

def elu_cases(tag: str) -> list:
    generator = rng(tag)
    cases = []
    for shape, alpha in [((1,), 1.0), ((6,), 0.5), ((3, 5), 2.0), ((2, 3, 4), 1.3), ((7, 2), 0.1)]:
        z = generator.normal(0.0, 2.0, size=shape)
        z[np.abs(z) < 1e-3] = 0.5  # keep away from the kink at 0
        cases.append((z, alpha, f"for z of shape {shape} with alpha={alpha}"))
    return cases


def elu_forward_cases() -> list:
    return elu_cases("elu_forward") + [
        (np.array([-800.0, -30.0, 30.0, 800.0]), 1.5, "for very large |z| (|z| up to 800)")]


def elu_backward_cases() -> list:
    douts = rng("elu_backward/dout")
    return [(z, alpha, douts.normal(size=z.shape), where)
            for z, alpha, where in elu_cases("elu_backward")]


def run_elu_forward(elu_forward) -> None:
    """ELU(z) = z for z > 0, α(eᶻ − 1) otherwise; returns (out, cache)."""
    hand_in("elu_forward", [attempt(elu_forward, z, alpha, watch=[0], cache=True)[0]
                            for z, alpha, _ in elu_forward_cases()])


def run_elu_backward(elu_forward, elu_backward) -> None:
    """dz = dout ⊙ ELU'(z), from the cache of the student's own elu_forward."""
    hand_in("elu_backward", [forward_then_backward(elu_forward, (z, alpha), elu_backward, dout)
                             for z, alpha, dout, _ in elu_backward_cases()])


def neuron_cases() -> list:
    generator = rng("neuron_loss_and_grads")
    cases = []
    for N, D in [(1, 3), (5, 2), (20, 7), (8, 4)]:
        X = generator.normal(size=(N, D))
        w = generator.normal(size=D)
        b = float(generator.normal())
        y = generator.integers(0, 2, size=N).astype(np.float64)
        cases.append((w, b, X, y, f"for X of shape {(N, D)}"))
    # saturated logits: |z| up to about 60, where a naive log(1 − σ(z)) gives log(0)
    X = generator.normal(size=(12, 3)) * 20.0
    y = (generator.random(12) < 0.5).astype(np.float64)
    cases.append((np.array([1.0, -0.8, 0.6]), 0.5, X, y,
                  "when the logits are large (|z| up to about 60)"))
    return cases


def run_neuron_loss_and_grads(neuron_loss_and_grads) -> None:
    """Mean binary cross-entropy of a sigmoid neuron, and (dw, db)."""
    hand_in("neuron_loss_and_grads", [attempt(neuron_loss_and_grads, w, b, X, y, watch=[0])[0]
                                      for w, b, X, y, _ in neuron_cases()])


MULTILABEL_KEYS = ("W", "b", "U", "c")


def multilabel_cases() -> list:
    generator = rng("multilabel_loss_and_grads")
    cases = []
    for N, D, H, K in [(1, 2, 3, 2), (6, 4, 5, 3), (16, 3, 8, 5), (9, 7, 2, 4)]:
        params = {"W": generator.normal(size=(H, D)), "b": generator.normal(size=H) * 0.1,
                  "U": generator.normal(size=(K, H)), "c": generator.normal(size=K) * 0.1}
        X = generator.normal(size=(N, D))
        Y = (generator.random((N, K)) < 0.4).astype(np.float64)
        cases.append((params, X, Y, f"for N={N}, n0={D}, n1={H}, K={K}"))
    return cases


def run_multilabel_loss_and_grads(multilabel_loss_and_grads) -> None:
    """tanh hidden layer, sigmoid outputs: (loss, grads)."""
    hand_in("multilabel_loss_and_grads", [
        attempt(multilabel_loss_and_grads, params, X, Y, watch=[0])[0]
        for params, X, Y, _ in multilabel_cases()])


def momentum_cases() -> list:
    """(shapes, lr, momentum, start, the gradients of three steps)."""
    generator = rng("sgd_momentum_step")
    cases = []
    for shapes, lr, momentum in [({"w": (3,)}, 0.1, 0.9),
                                 ({"W": (4, 3), "b": (4,)}, 0.05, 0.5),
                                 ({"E": (6, 2), "U": (2, 6), "c": (6,)}, 0.3, 0.0)]:
        start = {k: generator.normal(size=s) for k, s in shapes.items()}
        steps = [{k: generator.normal(size=s) for k, s in shapes.items()} for _ in range(3)]
        cases.append((shapes, lr, momentum, start, steps))
    return cases


def run_sgd_momentum_step(sgd_momentum_step) -> None:
    """Three steps in a row, each from the parameters and velocity the previous one returned."""
    records = []
    for shapes, lr, momentum, start, steps in momentum_cases():
        params, velocity, done = start, {k: np.zeros(s) for k, s in shapes.items()}, []
        for grads in steps:
            record, result = attempt(sgd_momentum_step, params, grads, velocity, lr, momentum,
                                     watch=[0, 1, 2])
            done.append(record)
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                break  # the grader stops at this step
            params, velocity = result
        records.append({"steps": done})
    hand_in("sgd_momentum_step", records)


