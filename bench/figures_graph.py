"""The live graphs of lessons 04 and 06 (course_utils.widgets.graph): how long one update takes.

    .venv/bin/python bench/figures_graph.py

Each view is built on an LM of the lessons' sizes (the RNN of lesson 04: embedding 32, hidden
192; the LSTM of lesson 06: embedding 32, hidden 128) over a 40-character text, then each
control is moved through distinct values: the step shown (the cheap update: new texts and
widths on a kept picture) and the scored step k (a new trace: the forward pass and BPTT again).

    widget_graph_rnn_end_median_ms, widget_graph_rnn_loss_median_ms
    widget_graph_lstm_step_median_ms, widget_graph_lstm_loss_median_ms   (and _p90_ms, _cpu_ms)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from widget_latency import find_control, latency_figures  # noqa: E402

TEXT = "The Prime Minister said on Monday that he"


def figures(quick: bool) -> list[tuple[str, float, str]]:
    from course_utils.data import Vocab, load_corpus
    from course_utils.nn.language_model import init_lm
    from course_utils.widgets.graph import lstm_graph_view, rnn_graph_view

    vocab = Vocab.build(load_corpus("lee").train, level="char")
    repeats = 12 if quick else 30
    results = []
    views = [("rnn", rnn_graph_view, 192, {"end": "cu-graph-rnn-end", "loss": "cu-graph-rnn-loss-step"}),
             ("lstm", lstm_graph_view, 128,
              {"step": "cu-graph-lstm-step", "loss": "cu-graph-lstm-loss-step"})]
    for cell, view, hidden, controls in views:
        params = init_lm(cell, len(vocab), 32, hidden, seed=0)
        box = view(params, vocab, TEXT)
        for what, css_class in controls.items():
            slider = find_control(box, css_class)
            span = slider.max - slider.min + 1
            # distinct values in a fixed order (a stride coprime with the span visits each once)
            stride = next(s for s in (7, 11, 13, 17) if span % s)

            def move(i, s=slider, n=span, k=stride):
                s.value = s.min + (k * i) % n

            results += latency_figures(f"graph_{cell}_{what}", move, repeats)
    return results


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True)]
