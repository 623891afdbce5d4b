"""Lessons 05-06 figures: NumPy LSTM vs torch.nn.LSTM (speed, agreement), the long-range task,
the LSTM LM on the Lee corpus per wall-clock budget, and the dashboards' update latency.

    .venv/bin/python bench/figures_lstm.py            (quick: shorter budgets, fewer repeats)
    .venv/bin/python bench/run.py --only lstm          (full: 60 s LM budgets)

Throughput is a training step (forward, backward including the gradient of the input, and a
plain SGD update) in float32, measured side by side in one process: every round runs each
implementation once, in turn, and a ratio is the median over rounds of (torch time / NumPy
time). On a shared machine single timings are noisy; the paired rounds keep the ratio fair.
The ablation variants show what each step of `lstm_forward/backward` bought, starting from
the lecture's step functions composed in a plain loop.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_utils.nn.activations import sigmoid  # noqa: E402
from course_utils.nn.lstm import (  # noqa: E402
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

THROUGHPUT_SIZES = [(64, 256, 64), (32, 128, 32)]  # batch N, hidden H, sequence T (input D = H)


# ---- the ablation: four NumPy implementations of the same training step ----------------------


def _steps_forward(x, p):
    """Variant 0: the lecture's step function in a plain loop."""
    N, T, _ = x.shape
    H = p["W_h"].shape[1]
    h = c = np.zeros((N, H), x.dtype)
    caches, hs = [], []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[:, t], h, c, p["W_e"], p["W_h"], p["b"])
        caches.append(cache)
        hs.append(h)
    return np.stack(hs, axis=1), caches


def _steps_backward(dhs, caches, p):
    N, T, H = dhs.shape
    dx = np.empty((N, T, p["W_e"].shape[1]), dhs.dtype)
    dW_e, dW_h, db = np.zeros_like(p["W_e"]), np.zeros_like(p["W_h"]), np.zeros_like(p["b"])
    dh = dc = np.zeros((N, H), dhs.dtype)
    for t in reversed(range(T)):
        dx[:, t], dh, dc, dWe_t, dWh_t, db_t = lstm_step_backward(dhs[:, t] + dh, dc, caches[t])
        dW_e += dWe_t
        dW_h += dWh_t
        db += db_t
    return dx, dW_e, dW_h, db


def _projected_forward(x, p):
    """Variant 1: x W_eᵀ + b for all steps in one multiply before the loop."""
    N, T, D = x.shape
    H = p["W_h"].shape[1]
    proj = (x.reshape(N * T, D) @ p["W_e"].T + p["b"]).reshape(N, T, 4 * H)
    h = c = np.zeros((N, H), x.dtype)
    caches, hs = [], []
    for t in range(T):
        a = proj[:, t] + h @ p["W_h"].T
        i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
        g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
        c_prev, h_prev = c, h
        c = i * g + f * c_prev
        tanh_c = np.tanh(c)
        h = o * tanh_c
        caches.append((x[:, t], h_prev, c_prev, p["W_e"], p["W_h"], i, f, g, o, tanh_c))
        hs.append(h)
    return np.stack(hs, axis=1), caches


def _gate_grads(dh, dc, cache):
    """da (N, 4H) of one step and dc_prev, without any weight gradient."""
    _, _, c_prev, _, _, i, f, g, o, tanh_c = cache
    do = dh * tanh_c
    dc = dc + dh * o * (1 - tanh_c**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g**2), do * o * (1 - o)], axis=1)
    return da, dc * f


def _after_loop_backward(dhs, caches, p):
    """Variant 2: the loop only carries dh and dc; weight gradients in one multiply after it."""
    N, T, H = dhs.shape
    das = np.empty((N, T, 4 * H), dhs.dtype)
    dh = dc = np.zeros((N, H), dhs.dtype)
    for t in reversed(range(T)):
        das[:, t], dc = _gate_grads(dhs[:, t] + dh, dc, caches[t])
        dh = das[:, t] @ p["W_h"]
    xs = np.stack([cache[0] for cache in caches], axis=1)
    h_prevs = np.stack([cache[1] for cache in caches], axis=1)
    da_2d = das.reshape(N * T, 4 * H)
    dW_e = da_2d.T @ xs.reshape(N * T, -1)
    dW_h = da_2d.T @ h_prevs.reshape(N * T, H)
    return das @ p["W_e"], dW_e, dW_h, da_2d.sum(axis=0)


def _train_step(variant, x, dY, p, lr=1e-3):
    if variant == "step_functions":
        hs, caches = _steps_forward(x, p)
        _, dW_e, dW_h, db = _steps_backward(dY, caches, p)
    elif variant == "input_projection":
        hs, caches = _projected_forward(x, p)
        _, dW_e, dW_h, db = _steps_backward(dY, caches, p)
    elif variant == "weight_grads_after_loop":
        hs, caches = _projected_forward(x, p)
        _, dW_e, dW_h, db = _after_loop_backward(dY, caches, p)
    else:  # "course_utils": preallocated buffers, in place, one tanh for all gates
        hs, _, cache = lstm_forward(x, None, None, p["W_e"], p["W_h"], p["b"])
        _, _, _, dW_e, dW_h, db = lstm_backward(dY, cache)
    p["W_e"] -= lr * dW_e
    p["W_h"] -= lr * dW_h
    p["b"] -= lr * db


VARIANTS = ["step_functions", "input_projection", "weight_grads_after_loop", "course_utils"]


def throughput(N, H, T, rounds, variants=VARIANTS):
    """Median ms per training step for each variant and torch, and median paired ratios."""
    import torch

    D = H
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    dY = rng.standard_normal((N, T, H)).astype(np.float32)
    params = {v: init_lstm(D, H, dtype=np.float32) for v in variants}
    lstm = torch.nn.LSTM(D, H, batch_first=True)
    opt = torch.optim.SGD(lstm.parameters(), lr=1e-3)
    xt = torch.from_numpy(x).requires_grad_(True)  # the input's gradient too, like the NumPy code
    dYt = torch.from_numpy(dY)

    def torch_step():
        opt.zero_grad()
        xt.grad = None
        out, _ = lstm(xt)
        (out * dYt).sum().backward()
        opt.step()

    runs = {v: (lambda v=v: _train_step(v, x, dY, params[v])) for v in variants}
    runs["torch"] = torch_step
    for fn in runs.values():  # warm-up
        fn()
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    torch_times = np.array(times["torch"])
    result = {}
    for name in runs:
        result[name] = {"ms": 1000 * float(np.median(times[name])),
                        "ratio": float(np.median(torch_times / np.array(times[name])))}
    return result


def throughput_figures(quick):
    figures = []
    for N, H, T in THROUGHPUT_SIZES:
        tag = f"b{N}_h{H}_t{T}"
        # The slow baselines only in the full run: they take seconds per round at the big size.
        variants = VARIANTS if not quick else ["step_functions", "course_utils"]
        result = throughput(N, H, T, rounds=5 if quick else 15, variants=variants)
        figures.append((f"lstm_numpy_vs_torch_ratio[{tag}]", result["course_utils"]["ratio"], "×"))
        for name in variants[:-1]:
            figures.append((f"lstm_variant_vs_torch_ratio[{tag},{name}]", result[name]["ratio"], "×"))
        for name, r in result.items():
            figures.append((f"lstm_train_step_ms[{tag},{name}]", r["ms"], "ms"))
    return figures


def figures(quick: bool) -> list[tuple[str, float, str]]:
    return throughput_figures(quick)


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True)]
