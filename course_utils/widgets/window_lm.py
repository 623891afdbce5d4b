"""Parameter growth (lesson 03): how the window size N costs parameters, and what it buys.

    parameter_growth(V, N, D, H)                 pure: counts for N = 1..n_max and at N
    parameter_growth_view(V, perplexities, ...)  the dashboard, with the learner's trained models

For a vocabulary of V words, embeddings of size D and a hidden layer of H units:

- an n-gram table over N previous words has V^N contexts × V next words: V^(N+1) entries;
- the window LM has V·D + H·N·D + H + V·H + V parameters: only W (H × N·D) grows with N;
- an RNN LM has V·D + H·D + H·H + H + V·H + V, the same for every N: it reads any history.
"""

from __future__ import annotations

import numpy as np

from course_utils.lm import ngram_table_size
from course_utils.nn import _validate
from course_utils.nn.language_model import lm_param_count
from course_utils.nn.window_lm import window_lm_param_count
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class

__all__ = ["parameter_growth", "parameter_growth_view"]

MODEL_COLOURS = {"ngram": "#440154", "observed": "#8c6bb1", "window": "#21918c", "rnn": "#e08214"}


def parameter_growth(vocab_size: int, n: int, embed_dim: int, hidden_dim: int, n_max: int = 10,
                     observed_ngrams: dict | None = None) -> dict:
    """Parameter counts of the three models for every window N = 1..n_max, and at `n`.

    Returns a dict: "ns" (n_max,), "ngram_table", "window_lm", "rnn_lm" (n_max,) float counts
    (the table sizes overflow int64 quickly, so floats), "window_context" (H·N·D, the window
    LM's W) and "rnn_context" (H·D + H·H, the RNN's W_e and W_h): the weights that read the
    context, the only part in which the two neural LMs differ; "observed" (n_max,) the number of
    distinct (N+1)-grams seen in training where `observed_ngrams` gives it (NaN elsewhere),
    and "at_n": the exact integer counts at N = n, plus "w_share", the share of the window LM's
    parameters that sit in W.
    """
    fn = "parameter_growth"
    for name, value in (("vocab_size", vocab_size), ("n", n), ("embed_dim", embed_dim),
                        ("hidden_dim", hidden_dim), ("n_max", n_max)):
        _validate.positive_int(fn, name, value)
    if n > n_max:
        raise ValueError(f"{fn}: n={n} is larger than n_max={n_max}")
    V, D, H = vocab_size, embed_dim, hidden_dim
    ns = np.arange(1, n_max + 1)
    observed_ngrams = observed_ngrams or {}
    window = window_lm_param_count(V, n, D, H)
    at_n = {
        "n": n,
        "ngram_table": ngram_table_size(V, n),
        "window_lm": window,
        "w_params": H * n * D,
        "rnn_lm": lm_param_count("rnn", V, D, H),
        "observed": observed_ngrams.get(n),
    }
    return {
        "ns": ns,
        "window_context": (H * ns * D).astype(np.float64),
        "rnn_context": np.full(n_max, float(H * D + H * H)),
        "ngram_table": np.array([float(ngram_table_size(V, k)) for k in ns]),
        "window_lm": np.array([float(window_lm_param_count(V, k, D, H)) for k in ns]),
        "rnn_lm": np.full(n_max, float(lm_param_count("rnn", V, D, H))),
        "observed": np.array([float(observed_ngrams.get(k, np.nan)) for k in ns]),
        "at_n": at_n,
        "w_share": at_n["w_params"] / window,
    }


def _readout_html(data: dict, perplexities: dict) -> str:
    at = data["at_n"]
    n = at["n"]
    observed = (f" (only {at['observed']:,} different {n + 1}-grams occur in training)"
                if at["observed"] is not None else "")
    ppl = perplexities.get(n)
    ppl_text = (f"held-out perplexity of the trained window LM with N = {n}: <b>{ppl:.1f}</b>"
                if ppl is not None else f"no trained window LM with N = {n}")
    return (f"<b>N = {n}</b> &nbsp;·&nbsp; n-gram table: {at['ngram_table']:.3g} entries{observed}"
            f" &nbsp;·&nbsp; window LM: {at['window_lm']:,} parameters, {at['w_params']:,} of them "
            f"in W ({100 * data['w_share']:.0f}%) &nbsp;·&nbsp; RNN LM: {at['rnn_lm']:,} for any N"
            f"<br>{ppl_text}")


def parameter_growth_view(vocab_size: int, perplexities: dict | None = None,
                          observed_ngrams: dict | None = None, n: int = 3, embed_dim: int = 32,
                          hidden_dim: int = 64, n_max: int = 10, baseline: tuple | None = None):
    """The dashboard. `perplexities` maps a window N to the held-out perplexity of a window LM
    the learner trained with that N; `observed_ngrams` maps N to the number of distinct
    (N+1)-grams in the training text; `baseline` = (label, perplexity) draws a reference line.

    Controls: N (cu-growth-n), embedding size D (cu-growth-embed), hidden size H (cu-growth-hidden).
    Every control moves only artists drawn over a kept picture of the axes (fast redraws).
    """
    import ipywidgets as widgets

    from course_utils.plots import Blitter

    perplexities = dict(perplexities or {})
    n_slider = with_class(widgets.IntSlider(value=n, min=1, max=n_max, description="window N",
                                            continuous_update=True), "cu-growth-n")
    d_slider = with_class(widgets.IntSlider(value=embed_dim, min=4, max=256, step=4,
                                            description="embed D", continuous_update=True),
                          "cu-growth-embed")
    h_slider = with_class(widgets.IntSlider(value=hidden_dim, min=8, max=512, step=8,
                                            description="hidden H", continuous_update=True),
                          "cu-growth-hidden")
    label = readout("growth")
    plot = PlotImage(3.5, ncols=3)
    ax_table, ax_params, ax_ppl = plot.axes

    data = parameter_growth(vocab_size, n, embed_dim, hidden_dim, n_max, observed_ngrams)
    ns = data["ns"]
    # Left: the count-based model. Its table explodes; the text can fill only a sliver of it.
    ax_table.semilogy(ns, data["ngram_table"], "-", color=MODEL_COLOURS["ngram"], linewidth=2,
                      label="table entries, V^(N+1)")
    if np.isfinite(data["observed"]).any():
        ax_table.semilogy(ns, data["observed"], "-o", color=MODEL_COLOURS["observed"], markersize=4,
                          label="different n-grams in training")
    ax_table.set_title(f"n-gram model (V = {vocab_size:,})", fontsize=11)
    ax_table.set_ylabel("entries (log scale)")
    ax_table.legend(fontsize="small", loc="upper left")
    # Middle: the neural models differ only in the weights that read the context.
    (window_line,) = ax_params.semilogy(ns, data["window_context"], "-o", color=MODEL_COLOURS["window"],
                                        markersize=4, linewidth=2, label="window LM: W, H × N·D")
    (rnn_line,) = ax_params.semilogy(ns, data["rnn_context"], "--", color=MODEL_COLOURS["rnn"],
                                     linewidth=2, label="RNN LM: W_e and W_h, H·D + H²")
    ax_params.set_ylim(1e1, 1e9)  # fixed: D and H move only the curves (at most 1.3e6); room for the legend
    ax_params.set_title("Neural LMs: the context weights", fontsize=11)
    ax_params.set_ylabel("parameters (log scale)")
    ax_params.legend(fontsize="small", loc="upper left")
    # Right: what the window buys, on the learner's trained models.
    trained = sorted(perplexities)
    ax_ppl.plot(trained, [perplexities[k] for k in trained], "-o", color=MODEL_COLOURS["window"],
                label="window LM (trained above)")
    if baseline is not None:
        ax_ppl.axhline(baseline[1], color=MODEL_COLOURS["ngram"], linestyle=":",
                       label=f"{baseline[0]}: {baseline[1]:.0f}")
    ax_ppl.set_title("Perplexity on held-out text", fontsize=11)
    ax_ppl.set_ylabel("perplexity (lower is better)")
    ax_ppl.legend(fontsize="small", loc="upper right")
    for ax in plot.axes:
        ax.set_xlim(0.5, n_max + 0.5)
        ax.set_xlabel("window N (previous words)")
        ax.grid(True, alpha=0.3)
    if trained:
        values = [perplexities[k] for k in trained] + ([baseline[1]] if baseline else [])
        ax_ppl.set_ylim(0.9 * min(values), 1.1 * max(values))

    blit = Blitter(plot.fig, dpi=plot.dpi)
    n_markers = [blit.add(ax.axvline(n, color="#b2182b", linewidth=1.5, alpha=0.8)) for ax in plot.axes]
    (ppl_marker,) = ax_ppl.plot([], [], "o", markersize=12, markerfacecolor="none",
                                markeredgecolor="#b2182b", markeredgewidth=2)
    blit.add(ppl_marker, window_line, rnn_line)

    def update(_=None):
        data = parameter_growth(vocab_size, n_slider.value, d_slider.value, h_slider.value, n_max,
                                observed_ngrams)
        for marker in n_markers:
            marker.set_xdata([n_slider.value, n_slider.value])
        ppl = perplexities.get(n_slider.value)
        ppl_marker.set_data([n_slider.value] if ppl is not None else [],
                            [ppl] if ppl is not None else [])
        window_line.set_ydata(data["window_context"])
        rnn_line.set_ydata(data["rnn_context"])
        plot.image.value = blit.show()
        label.value = _readout_html(data, perplexities)   # after the image: the page paints that first

    for control in (n_slider, d_slider, h_slider):
        control.observe(update, names="value")
    update()
    return dashboard("growth", [widgets.HBox([n_slider, d_slider, h_slider]), plot.image, label],
                     title="Window size N: parameters of an n-gram table, a window LM and an RNN LM")
