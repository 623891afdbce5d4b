"""Figures of lessons 01-02: widget update latency, NumPy-vs-torch gradients, FFN training.

    .venv/bin/python bench/figures_lessons_01_02.py

Widget figures time the whole update path that a control change triggers (the compute
function, the artists' update and the PNG handed to the image widget), called
programmatically on a headless view: median and 90th percentile of wall time, and the median
CPU time of the process (which a machine shared with other work inflates less).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from course_utils.data import make_toy_2d  # noqa: E402
from course_utils.gradcheck import compare_with_torch  # noqa: E402
from course_utils.nn.ffn import ffn_loss, ffn_predict, init_ffn  # noqa: E402
from course_utils.nn.optim import sgd_step  # noqa: E402

from widget_latency import find_control as find  # noqa: E402
from widget_latency import latency_figures  # noqa: E402


def widget_figures(name, action, repeats):
    return latency_figures(name, action, repeats)


def activation_figures(repeats):
    from course_utils.widgets.activation import activation_explorer

    box = activation_explorer()
    z, function = find(box, "cu-activation-z"), find(box, "cu-activation-function")
    values = [-4.0, -1.5, 0.3, 0.87, 2.0, 5.0]
    names = ["sigmoid", "tanh", "relu"]
    return (widget_figures("activation_z", lambda i: setattr(z, "value", values[i % 6]), repeats)
            + widget_figures("activation_function",
                             lambda i: setattr(function, "value", names[i % 3]), repeats))


def perceptron_figures(repeats):
    from course_utils.widgets.perceptron import perceptron_explorer

    box = perceptron_explorer(w=(1.063, 0.434), b=-1.18)
    w1, dataset = find(box, "cu-perceptron-w1"), find(box, "cu-perceptron-dataset")
    values = [-2.0, -0.5, 0.4, 1.063, 2.5]
    names = ["AND", "OR", "NAND", "XOR"]
    return (widget_figures("perceptron_w", lambda i: setattr(w1, "value", values[i % 5]), repeats)
            + widget_figures("perceptron_dataset",
                             lambda i: setattr(dataset, "value", names[i % 4]), repeats))


def training_figures(repeats):
    from course_utils.widgets.training import train_steps, training_explorer

    x, y = make_toy_2d("circles", n=200, seed=0)
    params, losses = train_steps(init_ffn(2, 8, 2, seed=0), x, y, 1500, lr=1.0)
    box = training_explorer(params, x, y, losses=losses)
    step, run = find(box, "cu-training-step"), find(box, "cu-training-run")
    play, dataset = find(box, "cu-training-play"), find(box, "cu-training-dataset")
    find(box, "cu-training-steps").value = 100
    figures = widget_figures("training_step", lambda i: step.click(), repeats)
    figures += widget_figures("training_run100", lambda i: run.click(), repeats)
    figures += widget_figures("training_play", lambda i: setattr(play, "value", play.value + 1), repeats)
    names = ["xor", "circles", "spirals", "gauss"]
    figures += widget_figures("training_dataset", lambda i: setattr(dataset, "value", names[i % 4]),
                              max(8, repeats // 3))
    return figures


def gradient_agreement():
    """Worst relative error between NumPy and torch autograd gradients of the FFN (float64)."""
    import torch

    rng = np.random.default_rng(0)
    torch_g = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
    worst = 0.0
    for n, n0, n1, n2 in [(1, 1, 1, 2), (16, 2, 8, 2), (64, 10, 32, 5)]:
        for activation, g in torch_g.items():
            x, targets = rng.standard_normal((n, n0)), rng.integers(0, n2, n)
            params = init_ffn(n0, n1, n2, seed=int(rng.integers(1000)))
            params["b"] = rng.standard_normal(n1)
            _, grads = ffn_loss(params, x, targets, activation)

            def loss(t, x=x, targets=targets, g=g):
                z = g(torch.tensor(x) @ t["W"].T + t["b"]) @ t["U"].T
                return torch.nn.functional.cross_entropy(z, torch.tensor(targets))

            worst = max(worst, compare_with_torch(loss, params, grads).worst[1])
    return worst


def training_quality():
    """Lesson 02's run: 8 sigmoid units, η = 1, 1500 full-batch steps on the circles."""
    x, y = make_toy_2d("circles", n=200, seed=0)
    x_test, y_test = make_toy_2d("circles", n=200, seed=1)
    params = init_ffn(2, 8, 2, seed=0)
    start = time.perf_counter()
    for _ in range(1500):
        loss, grads = ffn_loss(params, x, y)
        params = sgd_step(params, grads, 1.0)
    step_ms = (time.perf_counter() - start) / 1500 * 1000
    return [("ffn_circles_test_accuracy", float(np.mean(ffn_predict(params, x_test) == y_test)), "fraction"),
            ("ffn_circles_final_loss", loss, "nats"),
            ("ffn_numpy_train_step_ms", step_ms, "ms")]


def figures(quick: bool) -> list[tuple[str, float, str]]:
    repeats = 10 if quick else 30
    results = activation_figures(repeats) + perceptron_figures(repeats) + training_figures(repeats)
    results.append(("ffn_numpy_vs_torch_grad_rel_error", gradient_agreement(), "max rel. error"))
    results += training_quality()
    return results


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True)]
