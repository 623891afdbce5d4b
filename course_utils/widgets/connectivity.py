"""Connectivity explorer (lesson 06), in the spirit of Distill's "Memorization in RNNs".

    input_gradient_norms(params, ids, target, cell)   pure: ‖∂ log p(x^(target+1)) / ∂ e^(t)‖ for
                                                      every earlier input t, for an RNN or LSTM LM
    connectivity_view(models, vocab, texts)      the dashboard: the RNN and the LSTM side by side

How much does each earlier character matter to the prediction made at a target position? We
differentiate the log-probability the model gives the true next character with respect to the
embedding vector of every earlier input: a large gradient means a small change of that input
would change the prediction. The plain RNN's gradients fade within a few characters; the
LSTM's additive cell path keeps some of them alive much further back.
"""

from __future__ import annotations

import html

import numpy as np
from matplotlib.ticker import NullFormatter

from course_utils.nn.language_model import CELLS, cell_backward, cell_forward
from course_utils.nn.layers import log_softmax
from course_utils.plots import freeze_layout, printable_token
from course_utils.widgets.common import (
    PlotImage,
    dashboard,
    example_options,
    readout,
    with_class,
    without_reentry,
)
from course_utils.widgets.hover import connectivity_strip, lm_probabilities
from course_utils.widgets.text_strip import TextStrip, strip_state

__all__ = ["input_gradient_norms", "connectivity_view", "DECADES", "MAX_TEXT"]

DECADES = 3       # the text colours span this many powers of ten below the largest gradient
MAX_TEXT = 200    # characters used; longer texts are cut
LOWEST_DECADE = 99  # the gradient axis starts at 1e-99 at the lowest
X_LIMITS = (10, 20, 30, 50, 75, 100, 150, MAX_TEXT)   # the position axis ends at the first past the target


def input_gradient_norms(params, ids, target, *, cell):
    """Gradient magnitudes of one prediction with respect to every input before it.

    `params`: a language model (`init_lm`) with `cell` "rnn" or "lstm"; `ids`: (T,) token ids;
    `target`: the position whose prediction we look at (0 ≤ target ≤ T − 2): the model has
    read ids[0..target] and predicts ids[target + 1].
    Returns (norms (target + 1,), log_probs (V,)): norms[t] = ‖∂ log p(ids[target+1]) / ∂ e^(t)‖₂,
    with e^(t) the embedding of ids[t]; log_probs the model's prediction at the target.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"input_gradient_norms: ids must be 1-D token ids, got shape {ids.shape}")
    is_int = isinstance(target, (int, np.integer)) and not isinstance(target, bool)
    if not is_int or not 0 <= target <= len(ids) - 2:
        raise ValueError(f"input_gradient_norms: target must be an integer in 0..{len(ids) - 2} "
                         f"(a prediction whose true next token is in ids), got {target!r}")
    E = params["E"]
    U = params["U"] if "U" in params else E
    x = E[ids[None, :target + 1]].astype(np.float64)                     # (1, T', D)
    zeros = tuple(np.zeros((1, params["W_h"].shape[1])) for _ in CELLS[cell]["state"])
    hs, _, cache = cell_forward(cell, x, zeros, params)
    log_probs = log_softmax(hs[0, -1] @ U.T + params["c"])                 # (V,)
    dlogits = -np.exp(log_probs)                                            # d log p_y / d z = 1[y] − p
    dlogits[ids[target + 1]] += 1.0
    dhs = np.zeros_like(hs)
    dhs[0, -1] = dlogits @ U
    dx = cell_backward(cell, dhs, cache)[0]
    return np.linalg.norm(dx[0], axis=1), log_probs


def _colour_values(norms):
    """log10 of the norms relative to the largest, mapped from [−DECADES, 0] to [−1, 1]."""
    relative = np.log10(np.maximum(norms / max(norms.max(), 1e-300), 10.0 ** -DECADES))
    return 1 + 2 * relative / DECADES


def _reach(norms, share=0.9):
    """How many characters back hold `share` of the total gradient magnitude."""
    from_target = norms[::-1].cumsum() / max(norms.sum(), 1e-300)
    return int(np.searchsorted(from_target, share) + 1)


def connectivity_view(models: dict, vocab, texts=None, target: int | None = None):
    """The dashboard for trained char-level LMs, by label: (cell, params) pairs, e.g.
    {"RNN": ("rnn", rnn_params), "LSTM": ("lstm", lstm_params)}.

    Controls: example text (cu-connect-pick), typed text (cu-connect-text), the target position
    (cu-connect-target). One text strip per model (cu-connect-strip): pointing at a character
    shows its gradient and the model's guesses; clicking it makes it the predicted character.
    """
    import ipywidgets as widgets

    from course_utils.plots import Blitter

    texts = list(texts or ["The Prime Minister said on Monday that the government would act."])
    names = list(models)
    colours = ["#e08214", "#3b528b", "#5ec962", "#440154"]
    pick = with_class(widgets.Dropdown(options=example_options(texts), value=texts[0], description="example",
                                       layout=widgets.Layout(width="95%")), "cu-connect-pick")
    text_box = with_class(widgets.Text(value=texts[0], description="text", continuous_update=False,
                                       layout=widgets.Layout(width="95%")), "cu-connect-text")

    def ids_of(text):
        return np.array([vocab.token_to_id(ch) for ch in list(text)[:MAX_TEXT]], dtype=np.int64)

    last = max(0, len(ids_of(texts[0])) - 2)
    target_slider = with_class(widgets.IntSlider(value=last if target is None else min(target, last),
                                                 min=0, max=last, description="target t",
                                                 continuous_update=True,
                                                 layout=widgets.Layout(width="70%")), "cu-connect-target")
    strips = {name: TextStrip("cu-connect-strip") for name in names}
    probabilities = {}   # (model, text) -> next-character probabilities after each position (T, V)
    label = readout("connect")

    plot = PlotImage(3.4)
    ax = plot.ax
    ax.set_yscale("log")
    ax.set_xlabel("input position t (character read)")
    ax.set_ylabel(r"$\|\partial \log p(x^{(target+1)}) / \partial e^{(t)}\|$")
    ax.set_title("How much each earlier character matters to the prediction at the target")
    ax.grid(True, which="major", alpha=0.3)
    ax.yaxis.set_minor_formatter(NullFormatter())   # whole decades only
    lines = {name: ax.plot([], [], color=colours[k % len(colours)], linewidth=1.8, marker="o",
                           markersize=2.5, label=name)[0] for k, name in enumerate(names)}
    plot.fig.legend(handles=list(lines.values()), loc="outside lower center", ncols=len(lines), fontsize=9,
                    frameon=False)   # inside, it would cover a curve somewhere
    target_line = ax.axvline(0, color="#222", linewidth=1.0, linestyle="--")
    note = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", color="#b2182b")
    ax.set_ylim(10.0 ** -LOWEST_DECADE, 10.0)   # laid out once with the widest labels it will show
    ax.set_xlim(-0.5, MAX_TEXT)
    freeze_layout(plot.fig, plot.dpi)
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    blit.add(*lines.values(), target_line, note)
    state = {"text": None}

    def redraw():
        text = text_box.value
        ids = ids_of(text)
        if len(ids) < 2:   # no prediction to look at: empty axes with a note
            for line in lines.values():
                line.set_data([], [])
            target_line.set_visible(False)
            note.set_text("type at least two characters")
            ax.set_xlim(-0.5, X_LIMITS[0])
            ax.set_ylim(1e-3, 10.0 ** 1.2)
            plot.image.value = blit.show()
            label.value = "Type at least two characters."
            for strip in strips.values():
                strip.show(strip_state([], [], titles=[], rows=[], legend={}))
            return
        note.set_text("")
        target_line.set_visible(True)
        if text != state["text"]:
            target_slider.max = len(ids) - 2
        t = min(target_slider.value, len(ids) - 2)
        chars = list(text)[: t + 2]
        parts = [f"target: after reading <code>{html.escape(''.join(chars[max(0, t - 20): t + 1]))}</code>"
                 f" the true next character is <code>{html.escape(printable_token(chars[t + 1]))}</code>"]
        all_norms, shown_text = [], {}
        for name in names:
            cell, params = models[name]
            norms, log_probs = input_gradient_norms(params, ids, t, cell=cell)
            all_norms.append(norms)
            lines[name].set_data(np.arange(t + 1), np.maximum(norms, 1e-30))
            top = np.argsort(-log_probs, kind="stable")[:3]
            guesses = ", ".join(f"{html.escape(printable_token(vocab.tokens[i]))} "
                                f"{100 * np.exp(log_probs[i]):.0f}%" for i in top)
            p_true = 100 * np.exp(log_probs[ids[t + 1]])
            parts.append(f"<b>{name}</b>: p(true) = {p_true:.1f}% (top: {guesses}); 90% of the gradient "
                         f"magnitude within the last {_reach(norms)} characters")
            if (name, text) not in probabilities:
                if len(probabilities) > 4 * len(names):
                    probabilities.clear()
                probabilities[name, text] = lm_probabilities(params, ids, cell=cell)
            shown_text[name] = connectivity_strip(name, list(text)[:MAX_TEXT], norms, t,
                                                  _colour_values(norms), probabilities[name, text],
                                                  vocab.tokens, DECADES)
        target_line.set_xdata([t, t])
        every_norm = np.concatenate(all_norms)
        positive = every_norm[every_norm > 0]
        low = np.floor(np.log10(positive.min())) if positive.size else -10.0
        high = np.ceil(np.log10(positive.max())) if positive.size else 0.0
        # Up to the target, in steps of X_LIMITS: few kept pictures, no empty right half.
        right = next(limit for limit in X_LIMITS if limit >= t + 1.5)
        ax.set_xlim(-0.5, min(right, len(ids) - 1.5))
        ax.set_ylim(10.0 ** max(low, high - 12, -LOWEST_DECADE), 10.0 ** (high + 0.2))
        state["text"] = text
        plot.image.value = blit.show()
        label.value = "<br>".join(parts)   # after the image: the page paints that first
        for name in names:
            strips[name].show(shown_text[name])

    def choose_example(change):
        text_box.value = change["new"]

    def choose_predicted(change):  # a click on character k: the prediction of k, from k − 1
        target_slider.value = min(max(0, change["new"] - 1), target_slider.max)

    pick.observe(choose_example, names="value")
    for strip in strips.values():
        strip.observe(choose_predicted, names="selected")
    update = without_reentry(redraw)
    for control in (text_box, target_slider):
        control.observe(update, names="value")
    update()
    return dashboard("connect", [pick, text_box, target_slider, plot.image, *strips.values(), label],
                     title="Connectivity: the gradient of one prediction with respect to every earlier input")
