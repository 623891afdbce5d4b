"""Lessons 05-06 figures: NumPy LSTM vs torch.nn.LSTM (speed, agreement), the long-range task,
the LSTM LM on the Lee corpus per wall-clock budget, and the dashboards' update latency.

    .venv/bin/python bench/figures_lstm.py            (quick: 8 s budgets, fewer repeats)
    .venv/bin/python bench/run.py --only lstm          (full: 60 s LM budgets)

Throughput is a training step (forward, backward including the gradient of the input, and a
plain SGD update) in float32, measured side by side in one process: every round runs each
implementation once, in turn, and a ratio is the median over rounds of (torch time / NumPy
time). On a shared machine single timings are noisy; the paired rounds keep the ratio fair.
The ablation variants show what each step of the fast kernel (`course_utils.nn._fast`) bought,
starting from the reference blocks of `course_utils.nn.lstm`: the lecture's step functions in a
plain loop.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import lee_stream, text_file_stream  # noqa: E402

from course_utils.nn import _fast  # noqa: E402
from course_utils.nn.activations import sigmoid  # noqa: E402
from course_utils.nn.lstm import init_lstm, lstm_backward, lstm_forward  # noqa: E402

THROUGHPUT_SIZES = [(64, 256, 64), (32, 128, 32)]  # batch N, hidden H, sequence T (input D = H)


def set_threads(n):
    """Use n threads in NumPy's BLAS and in torch (n=None: the libraries' defaults)."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n or DEFAULT_THREADS["torch"])
    threadpool_limits(limits=n or DEFAULT_THREADS["blas"], user_api="blas")


def _default_threads():
    import torch
    from threadpoolctl import threadpool_info

    blas = [library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"]
    return {"torch": torch.get_num_threads(), "blas": max(blas, default=1)}


DEFAULT_THREADS = _default_threads()


# ---- the ablation: four NumPy implementations of the same training step ----------------------


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
    if variant == "step_functions":  # the reference blocks: the lecture's step in a plain loop
        _, _, cache = lstm_forward(x, None, None, p["W_e"], p["W_h"], p["b"])
        _, _, _, dW_e, dW_h, db = lstm_backward(dY, None, cache)
    elif variant == "input_projection":  # the reference backward, on the same step caches
        hs, caches = _projected_forward(x, p)
        _, _, _, dW_e, dW_h, db = lstm_backward(dY, None, tuple(caches))
    elif variant == "weight_grads_after_loop":
        hs, caches = _projected_forward(x, p)
        _, dW_e, dW_h, db = _after_loop_backward(dY, caches, p)
    else:  # "course_utils": the fast kernel (preallocated buffers, in place, one tanh for all gates)
        _, _, cache = _fast.lstm_forward(x, None, None, p["W_e"], p["W_h"], p["b"])
        _, _, _, dW_e, dW_h, db = _fast.lstm_backward(dY, None, cache)
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
    """Both libraries with their default threads (2 on the course machine), then both with one
    thread: on a machine shared with other work, threads that wait for a core distort timings.
    Quick: one thread only."""
    figures = []
    for threads in ((1,) if quick else (None, 1)):
        set_threads(threads)
        suffix = "" if threads is None else f",threads{threads}"
        for N, H, T in THROUGHPUT_SIZES:
            tag = f"b{N}_h{H}_t{T}{suffix}"
            # The slow baselines only in the full run: seconds per round at the big size.
            variants = VARIANTS if not quick else ["step_functions", "course_utils"]
            result = throughput(N, H, T, rounds=5 if quick else 15, variants=variants)
            figures.append((f"lstm_numpy_vs_torch_ratio[{tag}]", result["course_utils"]["ratio"], "×"))
            for name in variants[:-1]:
                figures.append((f"lstm_variant_vs_torch_ratio[{tag},{name}]", result[name]["ratio"], "×"))
            for name, r in result.items():
                figures.append((f"lstm_train_step_ms[{tag},{name}]", r["ms"], "ms"))
    set_threads(None)
    return figures


# ---- agreement with torch.nn.LSTM in float64 -------------------------------------------------


def agreement_figures():
    """Max abs differences of the fast kernel's outputs and gradients vs torch.nn.LSTM with
    copied weights."""
    import torch

    from course_utils.gradcheck import rel_error, torch_recurrent

    N, T, D, H = 8, 16, 32, 64
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    p = init_lstm(D, H, seed=1)
    p["b"] += 0.3 * rng.standard_normal(4 * H)
    dhs = rng.standard_normal((N, T, H))
    hs, cs, cache = _fast.lstm_forward(x, h0, c0, p["W_e"], p["W_h"], p["b"])
    grads = dict(zip(["x", "h0", "c0", "W_e", "W_h", "b"], _fast.lstm_backward(dhs, None, cache),
                     strict=True))
    lstm = torch_recurrent("lstm", p)
    xt = torch.tensor(x, requires_grad=True)
    h0t, c0t = torch.tensor(h0[None], requires_grad=True), torch.tensor(c0[None], requires_grad=True)
    out, (_, c_n) = lstm(xt, (h0t, c0t))
    (out * torch.tensor(dhs)).sum().backward()
    reference = {"x": xt.grad, "h0": h0t.grad[0], "c0": c0t.grad[0], "W_e": lstm.weight_ih_l0.grad,
                 "W_h": lstm.weight_hh_l0.grad, "b": lstm.bias_ih_l0.grad}
    grad_abs = max(float(np.max(np.abs(grads[k] - v.numpy()))) for k, v in reference.items())
    grad_rel = max(rel_error(grads[k], v.numpy()) for k, v in reference.items())
    out_abs = max(float(np.max(np.abs(hs - out.detach().numpy()))),
                  float(np.max(np.abs(cs[:, -1] - c_n[0].detach().numpy()))))
    return [("lstm_forward_max_abs_diff_vs_torch_float64", out_abs, ""),
            ("lstm_grad_max_abs_diff_vs_torch_float64", grad_abs, ""),
            ("lstm_grad_max_rel_error_vs_torch_float64", grad_rel, "")]


# ---- the long-range task -----------------------------------------------------------------------


def long_range_figures(quick):
    """Lesson 06's protocol: one model per cell trained on distances 1-40 mixed, same budget;
    held-out accuracy on the longest distances (33-40). Chance is 1/4."""
    from course_utils.data import recall_task
    from course_utils.nn.sequence_classifier import (
        init_sequence_classifier,
        sequence_classifier_predict,
        train_sequence_classifier,
    )

    steps, batch = 300, 32
    inputs, targets, _ = recall_task(steps * batch, (1, 40), seed=0)
    test_inputs, test_targets, test_distances = recall_task(2000 if quick else 4000, (1, 40), seed=1)
    figures = []
    for cell in ("rnn", "lstm"):
        params = init_sequence_classifier(cell, 6, 8, 24, 4, seed=0)
        train_sequence_classifier(params, inputs, targets, steps, cell=cell, batch_size=batch, lr=1e-2)
        correct = sequence_classifier_predict(params, test_inputs, cell=cell) == test_targets
        for low, high in ((1, 4), (33, 40)):
            chosen = (test_distances >= low) & (test_distances <= high)
            accuracy = float(correct[chosen].mean())
            figures.append((f"recall_accuracy[{cell},distance{low}-{high}]", accuracy, ""))
    return figures


# ---- the LSTM language model on the Lee corpus per wall-clock budget ----------------------------

# The course's recipe: Adam with the learning rate decaying linearly over the budget (to 2 %).
LM_RECIPE = dict(embed_dim=64, hidden_dim=128, batch_size=64, seq_len=32, lr=2e-2, max_norm=1.0, decay=True)


def _lr(recipe, elapsed, budget):
    return recipe["lr"] * max(0.02, 1 - elapsed / budget) if recipe["decay"] else recipe["lr"]


def _clock(kind):
    return time.perf_counter if kind == "wall" else time.process_time


def lm_numpy_bpc(budget_s, clock="wall", seed=0, recipe=LM_RECIPE, stream=None):
    """Train the NumPy LSTM LM (float32, Adam, clipping, truncated BPTT on contiguous batches)
    for `budget_s` seconds; held-out bits per character on the Lee validation split."""
    from course_utils.data import lm_batches_contiguous
    from course_utils.nn import optim
    from course_utils.nn.language_model import init_lm, lm_backward, lm_evaluate, lm_forward

    r = recipe
    train, valid, V, _ = stream or lee_stream()
    params = init_lm("lstm", V, r["embed_dim"], r["hidden_dim"], seed=seed, dtype=np.float32)
    adam = optim.init_adam(params)
    now = _clock(clock)
    start, steps = now(), 0
    while now() - start < budget_s:
        state = None
        for inputs, targets in lm_batches_contiguous(train, r["batch_size"], r["seq_len"]):
            _, cache, state = lm_forward(params, inputs, targets, cell="lstm", state=state)
            grads, _ = optim.clip_grad_norm(lm_backward(cache), r["max_norm"])
            optim.adam_step(params, grads, adam, lr=_lr(r, now() - start, budget_s))
            steps += 1
            if now() - start >= budget_s:
                break
    return lm_evaluate(params, valid, cell="lstm", batch_size=16, seq_len=256) / np.log(2), steps


def lm_torch_bpc(budget_s, clock="wall", seed=0, recipe=LM_RECIPE, stream=None):
    """A recipe with torch.nn.Embedding / LSTM / Linear, torch's default initialisation."""
    import torch

    from course_utils.data import lm_batches_contiguous

    r = recipe
    train, valid, V, _ = stream or lee_stream()
    torch.manual_seed(seed)
    embed = torch.nn.Embedding(V, r["embed_dim"])
    lstm = torch.nn.LSTM(r["embed_dim"], r["hidden_dim"], batch_first=True)
    head = torch.nn.Linear(r["hidden_dim"], V)
    params = [*embed.parameters(), *lstm.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=r["lr"])
    now = _clock(clock)
    start, steps = now(), 0
    while now() - start < budget_s:
        state = None
        for inputs, targets in lm_batches_contiguous(train, r["batch_size"], r["seq_len"]):
            out, state = lstm(embed(torch.from_numpy(inputs)), state)
            state = tuple(s.detach() for s in state)
            loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, V),
                                                     torch.from_numpy(targets).reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, r["max_norm"])
            for group in opt.param_groups:
                group["lr"] = _lr(r, now() - start, budget_s)
            opt.step()
            steps += 1
            if now() - start >= budget_s:
                break
    # Held out: the same protocol as lm_evaluate (16 streams, chunks of 256, state carried).
    with torch.no_grad():
        inputs_all, targets_all = valid[:-1], valid[1:]
        stream = len(inputs_all) // 16
        x = torch.from_numpy(inputs_all[:16 * stream].reshape(16, stream))
        y = torch.from_numpy(targets_all[:16 * stream].reshape(16, stream))
        total, count, state = 0.0, 0, None
        for s in range(0, stream, 256):
            out, state = lstm(embed(x[:, s:s + 256]), state)
            logp = torch.log_softmax(head(out), dim=-1)
            total -= float(logp.gather(-1, y[:, s:s + 256, None]).sum())
            count += y[:, s:s + 256].numel()
        tail_x, tail_y = inputs_all[16 * stream:], targets_all[16 * stream:]
        if len(tail_x):
            last = (state[0][:, -1:].contiguous(), state[1][:, -1:].contiguous())
            out, _ = lstm(embed(torch.from_numpy(tail_x)[None]), last)
            logp = torch.log_softmax(head(out), dim=-1)
            total -= float(logp.gather(-1, torch.from_numpy(tail_y)[None, :, None]).sum())
            count += len(tail_y)
    return total / count / np.log(2), steps


def lm_figures(quick, stream=None):
    """The NumPy LSTM LM and torch.nn.LSTM (torch's default initialisation) with the same
    recipe, one thread each, for the same wall-clock budget (what a learner waits): held-out
    bits per character and the number of updates each managed. `stream` is a corpora stream
    (the Lee split by default); a text other than Lee also gets perplexity per character."""
    budget = 8.0 if quick else 60.0
    stream = stream or lee_stream()
    name = stream[3]
    tag = f"{budget:g}s_wall" + ("" if name == "lee" else f",{name}")
    set_threads(1)
    figures = []
    for model, fn in (("numpy", lm_numpy_bpc), ("torch", lm_torch_bpc)):
        bpc, steps = fn(budget, "wall", recipe=LM_RECIPE, stream=stream)
        figures.append((f"lstm_lm_{model}_bpc[{tag}]", bpc, "bits/char"))
        if name != "lee":
            figures.append((f"lstm_lm_{model}_perplexity[{tag}]", 2.0 ** bpc, "per char"))
        figures.append((f"lstm_lm_{model}_steps[{tag}]", steps, "updates"))
    set_threads(None)
    return figures


# ---- the dashboards --------------------------------------------------------------------------------


def widget_figures(quick):
    """Median and 90th percentile of one control change (compute + redraw), wall clock, and the
    median in process CPU time (what the update costs when the machine is not shared)."""
    from threadpoolctl import threadpool_limits

    from course_utils.data import Vocab, load_corpus
    from course_utils.nn.language_model import init_lm
    from course_utils.widgets.cell_search import cell_search_view
    from course_utils.widgets.connectivity import connectivity_view
    from course_utils.widgets.gates import gates_view
    from course_utils.widgets.gradient_flow import gradient_flow_view

    from widget_latency import find_control, latency_figures

    threadpool_limits(limits=1, user_api="blas")  # as the notebooks do
    corpus = load_corpus("lee")
    vocab = Vocab.build(corpus.train, level="char")
    valid = np.array(vocab.encode(corpus.valid))
    V = len(vocab)
    rnn = init_lm("rnn", V, 32, 64, seed=0)          # lesson 05's sizes
    rnn_big = init_lm("rnn", V, 32, 128, seed=0)     # lesson 06's
    lstm = init_lm("lstm", V, 32, 128, seed=0)
    texts = [corpus.valid_docs[0][:150], corpus.valid_docs[3][:150]]
    radii = np.round(np.linspace(0.5, 2.0, 151), 2)  # 0.01 apart: every update a new computation

    def setter(view, css_class, values):
        widget = find_control(view, css_class)
        return lambda i: setattr(widget, "value", values[i % len(values)])

    cases = [
        ("gradflow", gradient_flow_view(rnn, valid), "cu-gradflow-radius", list(radii)),
        ("gates", gates_view(lstm, vocab, texts), "cu-gates-unit", list(range(0, 128, 5))),
        ("connect", connectivity_view({"RNN": ("rnn", rnn_big), "LSTM": ("lstm", lstm)}, vocab, texts),
         "cu-connect-target",
         list(range(20, 148, 7))),
        ("cells", cell_search_view(lstm, vocab, "\n".join(corpus.valid_docs[:2])), "cu-cells-rank",
         list(range(1, 11))),
        ("cells_pattern", cell_search_view(lstm, vocab, "\n".join(corpus.valid_docs[:2])), "cu-cells-pattern",
         ["inside quotes", "position in the word", "inside a number", "position in the line"]),
    ]
    repeats = 10 if quick else 28
    figures = []
    for name, view, css_class, values in cases:
        figures += latency_figures(name, setter(view, css_class, values), repeats)
    return figures


def figures(quick: bool, corpus: str | None = None) -> list[tuple[str, float, str]]:
    results = [*agreement_figures(), *widget_figures(quick), *throughput_figures(quick),
               *long_range_figures(quick), *lm_figures(quick)]
    if corpus:
        results += lm_figures(quick, text_file_stream(corpus))
    return results


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True)]
