"""Lessons 03-04 figures: the course's NumPy RNN LM against the min-char-rnn recipe at the same
wall-clock budget on the same Lee split, and the update latency of the lessons' dashboards.

    .venv/bin/python bench/figures_rnn_lm.py          (quick: 8 s budgets)
    .venv/bin/python bench/run.py --only rnn_lm        (full: 60 s budgets)
    .venv/bin/python bench/run.py --only rnn_lm,lstm --corpus FILE  (also on another text)

The baseline is Karpathy's min-char-rnn (2015) as published: NumPy, one sequence at a time
(batch 1), one-hot inputs, hidden size 100, 25 characters per truncated-BPTT chunk, Adagrad with
learning rate 0.1, every gradient entry clipped to ±5. The course model is lesson 04's RNN LM
(`course_utils.nn.language_model`, cell "rnn"): batches of 128 streams × 16 characters,
embeddings of 48, hidden size 192, float32, Adam with the learning rate decaying linearly over
the budget, gradients clipped to a global norm of 1. Both read the same id stream (`<bos>`
article `<eos>` ...) of the Lee training articles and are scored by the same function
(`lm_evaluate`) on the held-out articles: bits per character. Batching and vectorising are
the whole difference in speed.

Budgets are wall-clock time, what a learner waits. Each run uses one BLAS thread. With
`--corpus PATH` both models are also trained on that text, prepared as d2l prepares The Time
Machine (bench/corpora.py), and their held-out perplexity per character is reported beside
d2l's published figures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import text_file_stream  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from widget_latency import find_control, latency_figures  # noqa: E402

COURSE_RECIPE = dict(embed_dim=48, hidden_dim=192, batch_size=128, seq_len=16, lr=1e-2, max_norm=1.0)
MIN_CHAR_RNN = dict(hidden_dim=100, seq_len=25, lr=0.1, clip=5.0)
TARGET_BPC = 2.5


def _lee():
    from course_utils.data import Vocab, load_corpus
    from course_utils.lm import documents_to_ids

    corpus = load_corpus("lee")
    vocab = Vocab.build(corpus.train, level="char")
    train, valid = documents_to_ids(vocab, corpus.train_docs), documents_to_ids(vocab, corpus.valid_docs)
    return corpus, vocab, train, valid


def _clock(kind):
    return time.perf_counter if kind == "wall" else time.process_time


# ---- the baseline: min-char-rnn, as published --------------------------------------------------


def min_char_rnn_loss(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """Karpathy's lossFun: forward and backward over one chunk, one column vector per step."""
    V = Why.shape[0]
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((V, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys) / np.sum(np.exp(ys))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in (dWxh, dWhh, dWhy, dbh, dby):
        np.clip(dparam, -MIN_CHAR_RNN["clip"], MIN_CHAR_RNN["clip"], out=dparam)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def min_char_rnn_train(train, V, budget_s, clock="wall", seed=0):
    """Train for `budget_s` seconds; returns (params in the course LM's layout, characters read)."""
    r = MIN_CHAR_RNN
    H, seq = r["hidden_dim"], r["seq_len"]
    rng = np.random.default_rng(seed)
    Wxh, Whh, Why = (rng.standard_normal(shape) * 0.01 for shape in ((H, V), (H, H), (V, H)))
    bh, by = np.zeros((H, 1)), np.zeros((V, 1))
    weights = [Wxh, Whh, Why, bh, by]
    memory = [np.zeros_like(w) for w in weights]
    now = _clock(clock)
    start, p, chars = now(), 0, 0
    hprev = np.zeros((H, 1))
    data = [int(i) for i in train]
    while now() - start < budget_s:
        if p + seq + 1 >= len(data):
            hprev, p = np.zeros((H, 1)), 0  # a new pass over the data
        inputs, targets = data[p:p + seq], data[p + 1:p + seq + 1]
        _, *grads, hprev = min_char_rnn_loss(inputs, targets, hprev, *weights)
        for weight, grad, mem in zip(weights, grads, memory, strict=True):
            mem += grad * grad
            weight += -r["lr"] * grad / np.sqrt(mem + 1e-8)  # Adagrad
        p += seq
        chars += seq
    # The same model in the course LM's layout: a one-hot input times Wxh is row x of E = Wxhᵀ (W_e = I).
    params = {"E": Wxh.T.copy(), "W_e": np.eye(H), "W_h": Whh, "b": bh[:, 0], "U": Why, "c": by[:, 0]}
    return params, chars


# ---- the course's RNN LM ----------------------------------------------------------------------


def course_rnn_train(train, valid, V, budget_s, clock="wall", seed=0, checkpoint_s=None):
    """Lesson 04's recipe for `budget_s` seconds (of the given clock, not counting checkpoint
    evaluations). Returns (params, characters read, seconds until held-out bits/char first fell
    to TARGET_BPC at a checkpoint, or NaN)."""
    from course_utils.data import lm_batches_contiguous
    from course_utils.nn.language_model import init_lm, lm_backward, lm_evaluate, lm_forward
    from course_utils.nn.optim import adam_step, clip_grad_norm, init_adam

    r = COURSE_RECIPE
    params = init_lm("rnn", V, r["embed_dim"], r["hidden_dim"], seed=seed, dtype=np.float32)
    state = init_adam(params)
    now = _clock(clock)
    trained, chars, reached = 0.0, 0, float("nan")
    next_checkpoint = checkpoint_s
    while trained < budget_s:
        h = np.zeros((r["batch_size"], r["hidden_dim"]), np.float32)
        for inputs, targets in lm_batches_contiguous(train, r["batch_size"], r["seq_len"]):
            started = now()
            loss, cache, h = lm_forward(params, inputs, targets, cell="rnn", state=h)
            grads, _ = clip_grad_norm(lm_backward(cache), r["max_norm"])
            adam_step(params, grads, state, lr=r["lr"] * max(0.02, 1 - trained / budget_s))
            trained += now() - started
            chars += inputs.size
            if next_checkpoint is not None and trained >= next_checkpoint and np.isnan(reached):
                if lm_evaluate(params, valid, cell="rnn") / np.log(2) <= TARGET_BPC:
                    reached = trained
                next_checkpoint += checkpoint_s
            if trained >= budget_s:
                break
    return params, chars, reached


def lm_figures(quick, stream=None):
    """Both models for the same wall-clock budget on the Lee split (by default, as lesson 04
    streams it: `<bos>` article `<eos>` ...) or on a corpora stream; held-out bits/char."""
    from course_utils.nn.language_model import lm_evaluate

    budget = 8.0 if quick else 60.0
    if stream is None:
        corpus, vocab, train, valid = _lee()
        V, tag = len(vocab), f"{budget:g}s_wall"
    else:
        train, valid, V, name = stream
        corpus = vocab = None
        tag = f"{budget:g}s_wall,{name}"
    params, chars, reached = course_rnn_train(train, valid, V, budget, "wall", checkpoint_s=budget / 12)
    baseline, baseline_chars = min_char_rnn_train(train, V, budget, "wall")
    bpc = {"course": lm_evaluate(params, valid, cell="rnn") / np.log(2),
           "min_char_rnn": lm_evaluate(baseline, valid, cell="rnn") / np.log(2)}
    figures = [(f"rnn_lm_course_bpc[{tag}]", bpc["course"], "bits/char"),
               (f"rnn_lm_course_chars_per_s[{tag}]", chars / budget, "chars/s"),
               (f"rnn_lm_course_s_to_{TARGET_BPC}_bpc[{tag}]", reached, "s"),
               (f"rnn_lm_min_char_rnn_bpc[{tag}]", bpc["min_char_rnn"], "bits/char"),
               (f"rnn_lm_min_char_rnn_chars_per_s[{tag}]", baseline_chars / budget, "chars/s")]
    if stream is not None:
        figures += [(f"rnn_lm_{model}_perplexity[{tag}]", 2.0 ** value, "per char")
                    for model, value in bpc.items()]
    return figures, params, corpus, vocab


# ---- the dashboards ----------------------------------------------------------------------------


def widget_figures(params, corpus, vocab, quick):
    """Median and 90th percentile (ms) of one control change: compute + redraw + PNG."""
    from course_utils.widgets.hidden_state import hidden_state_view
    from course_utils.widgets.sampling import sampling_view
    from course_utils.widgets.window_lm import parameter_growth_view

    repeats = 10 if quick else 30
    growth = parameter_growth_view(2651, {1: 101.5, 2: 97.9, 3: 97.9, 5: 102.7},
                                   {n: 50_000 for n in range(1, 11)}, baseline=("n-gram", 152.0))
    examples = [corpus.valid_docs[0][:100], corpus.valid_docs[3][:100]]
    hidden = hidden_state_view(params, vocab, examples)
    sampling = sampling_view(params, vocab, prompt="Police ", temperature=0.8, max_len=200)
    texts = [corpus.valid_docs[k][:100] for k in range(1, 25)]

    def setter(view, css_class, values):
        control = find_control(view, css_class)
        return lambda i: setattr(control, "value", values[i % len(values)])

    cases = [
        ("growth_window", setter(growth, "cu-growth-n", list(range(1, 11)))),
        ("growth_hidden", setter(growth, "cu-growth-hidden", list(range(16, 512, 24)))),
        ("hidden_step", setter(hidden, "cu-hidden-step", list(range(0, 100, 3)))),
        ("hidden_unit", setter(hidden, "cu-hidden-unit", list(range(0, 192, 7)))),
        ("hidden_text", setter(hidden, "cu-hidden-text", texts)),
        ("sampling_temperature", setter(sampling, "cu-sampling-temperature",
                                        [round(0.1 + 0.05 * k, 2) for k in range(30)])),
        ("sampling_new", lambda i: find_control(sampling, "cu-sampling-new").click()),
    ]
    figures = []
    for name, change in cases:
        figures += latency_figures(name, change, min(repeats, 20) if name == "hidden_text" else repeats)
    return figures


def figures(quick: bool, corpus: str | None = None) -> list[tuple[str, float, str]]:
    with threadpool_limits(limits=1, user_api="blas"):  # as the lessons run: one BLAS thread
        results, params, lee, vocab = lm_figures(quick)
        results += widget_figures(params, lee, vocab, quick)
        if corpus:
            results += lm_figures(quick, text_file_stream(corpus))[0]
    return results


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True)]
