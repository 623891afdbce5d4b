"""Gate explorer (lesson 06): what the learner's LSTM LM's gates do while it reads a text.

    lstm_gate_trace(params, vocab, text, unit)   pure: f, i, g, o, c, h at every step
    gates_view(params, vocab, texts)             the dashboard

The model reads `<bos>` and then the text, one character per step. Heatmaps show the forget,
input and output gates (0 = closed, 1 = open) of every unit at every step; the line plot
compares one unit's cell state c^(t), which only the gates change (c = i ⊙ g + f ⊙ c_prev),
with its hidden state h^(t) = o ⊙ tanh(c^(t)); the text is coloured by the chosen quantity.
"""

from __future__ import annotations

import html

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from course_utils.nn import _fast
from course_utils.nn.lstm import split_gates
from course_utils.plots import (
    ROW_AXIS_LABELS,
    ROW_MODES,
    SIMILAR_ROWS,
    cached_heatmap_rows,
    fixed_width_labels,
    heatmap_rows_html,
    nice_bound,
    printable_token,
)
from course_utils.widgets.common import PlotImage, dashboard, example_options, readout, with_class
from course_utils.widgets.hover import gates_strip, lm_probabilities
from course_utils.widgets.text_strip import TextStrip

__all__ = ["lstm_gate_trace", "gates_view", "GATE_NAMES", "MAX_TEXT"]

GATE_NAMES = {"f": "forget gate f", "i": "input gate i", "o": "output gate o",
              "g": "candidate g", "c": "cell state c", "h": "hidden state h"}
MAX_TEXT = 160  # characters shown; longer texts are cut
LINE_BOUND_MAX = 100  # the chosen unit's plot spans at most ±100


def lstm_gate_trace(params: dict, vocab, text: str, unit: int = 0) -> dict:
    """Run the LSTM LM over `<bos>` + text and collect every gate (no widgets).

    Returns a dict: "tokens" (T strings: "<bos>" then the characters, at most MAX_TEXT),
    "f", "i", "g", "o", "c", "h" (T, H) arrays (row t = the step that read tokens[t]),
    "unit", and "unit_values": {name: (T,) trace of that unit} for every quantity.
    """
    fn = "lstm_gate_trace"
    if not isinstance(text, str):
        raise TypeError(f"{fn}: text must be a str, got {type(text).__name__}")
    H = params["W_h"].shape[1]
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < H:
        raise ValueError(f"{fn}: unit must be an integer in 0..{H - 1} (H = {H} units), got {unit!r}")
    chars = list(text)[:MAX_TEXT]
    ids = np.array([vocab.bos_id] + [vocab.token_to_id(ch) for ch in chars], dtype=np.int64)
    hs, cs, (_, _, _, gates, *_) = _fast.lstm_forward(params["E"][ids[None, :]], None, None,
                                                      params["W_e"], params["W_h"], params["b"])
    gates = split_gates(gates[:, 0].astype(np.float64))               # each (T, H)
    trace = {"tokens": ["<bos>"] + chars, "unit": int(unit),
             "c": cs[0].astype(np.float64), "h": hs[0].astype(np.float64)}
    trace.update(gates)
    trace["unit_values"] = {name: trace[name][:, unit] for name in ("f", "i", "g", "o", "c", "h")}
    return trace


def _readout_html(trace, colour_by):
    unit, values = trace["unit"], trace["unit_values"]
    f_mean, i_mean, o_mean = (float(values[k][1:].mean()) for k in ("f", "i", "o"))
    c = values["c"]
    strongest = int(np.argmax(np.abs(c[1:]))) + 1
    return (f"unit {unit}: mean gates over the text f = {f_mean:.2f}, i = {i_mean:.2f}, o = {o_mean:.2f}; "
            f"cell state from {c.min():+.2f} to {c.max():+.2f} (|c| largest after "
            f"<code>{html.escape(printable_token(trace['tokens'][strongest]))}</code> at step {strongest}), "
            f"hidden state from {values['h'].min():+.2f} to {values['h'].max():+.2f}. "
            f"Text coloured by {GATE_NAMES[colour_by]}.")


def gates_view(params: dict, vocab, texts=None, unit: int = 0, rows: str = "clustered"):
    """The dashboard on a trained LSTM LM (`params` from `init_lm("lstm", ...)`, `vocab` its char Vocab).

    Controls: example text (cu-gates-pick), typed text (cu-gates-text), unit (cu-gates-unit),
    what colours the text (cu-gates-colour), which units the heatmaps show (cu-gates-rows: see
    plots.heatmap_rows; "similar" ranks the units by how closely their cell state follows the
    chosen unit's). The text is a strip (cu-gates-strip): pointing at a character shows the
    unit's gates, c and h there and the model's guesses.
    """
    import ipywidgets as widgets

    from course_utils.plots import Blitter, freeze_layout, pin_axis_labels

    texts = list(texts or ["The Prime Minister said on Monday that the government would act."])
    H = params["W_h"].shape[1]
    k = min(SIMILAR_ROWS, H)
    pick = with_class(widgets.Dropdown(options=example_options(texts), value=texts[0], description="example",
                                       layout=widgets.Layout(width="95%")), "cu-gates-pick")
    text_box = with_class(widgets.Text(value=texts[0], description="text", continuous_update=False,
                                       layout=widgets.Layout(width="95%")), "cu-gates-text")
    unit_slider = with_class(widgets.IntSlider(value=unit, min=0, max=H - 1, description="unit",
                                               continuous_update=True), "cu-gates-unit")
    colour = with_class(widgets.Dropdown(options=[(GATE_NAMES[q], q) for q in ("c", "h", "f", "i", "o")],
                                         value="c", description="colour by"), "cu-gates-colour")
    choices = [(text.format(k=k), mode) for mode, text in ROW_MODES.items()]
    rows_menu = with_class(widgets.Dropdown(options=choices, value=rows, description="rows",
                                            layout=widgets.Layout(width="360px")), "cu-gates-rows")
    strip = TextStrip("cu-gates-strip")
    label = readout("gates")

    plot = PlotImage(6.6, nrows=2, ncols=2)
    heat_axes = {"f": plot.axes[0], "i": plot.axes[1], "o": plot.axes[2]}
    ax_line = plot.axes[3]
    images = {}
    for name, ax in heat_axes.items():
        images[name] = ax.imshow(np.zeros((k, 2)), aspect="auto", cmap="viridis", vmin=0, vmax=1,
                                 interpolation="nearest", origin="upper")
        ax.set_title(f"{GATE_NAMES[name]} (0 closed … 1 open)", fontsize=10)
        ax.set_ylabel(ROW_AXIS_LABELS[rows].format(H=H), fontsize=9)
        ax.set_xlabel("step t (the text below: point at a character)", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # steps: the strip shows the text
        ax.set_yticks([0], [str(H)])                      # room for the chosen unit's number
        ax.tick_params(axis="both", labelsize=8, length=0)
    plot.fig.colorbar(images["f"], ax=list(heat_axes.values()), fraction=0.02, pad=0.01, label="gate value")
    ax_line.set_title("the chosen unit: cell state vs hidden state", fontsize=10)
    ax_line.set_xlabel("step t (character read)")
    ax_line.set_ylabel("value")
    ax_line.axhline(0, color="#999", linewidth=0.8)
    ax_line.grid(True, alpha=0.3)
    fixed_width_labels(ax_line.yaxis)                      # the limits change: labels keep their width
    c_line, = ax_line.plot([], [], color="#440154", linewidth=2, label="cell state c")
    h_line, = ax_line.plot([], [], color="#21918c", linewidth=1.5, label="hidden state h")
    f_line, = ax_line.plot([], [], color="#e08214", linewidth=1.0, linestyle=":", label="forget gate f")
    # Under the axes: inside, the legend would cover the lines somewhere.
    ax_line.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=9, ncols=3, frameon=False)
    freeze_layout(plot.fig, plot.dpi)
    for ax in heat_axes.values():
        pin_axis_labels(ax)   # the unit number drawn beside a row must not move the axis title
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    blit.add(*images.values(), c_line, h_line, f_line)
    outlines = []   # the chosen unit's row in each heatmap: black with a white core, and its number
    unit_labels = []
    for ax in heat_axes.values():
        ax.set_yticks([])
        for edge, width in (("black", 2.5), ("white", 0.8)):
            outlines.append(blit.add(ax.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor=edge,
                                                             linewidth=width))))
        unit_labels.append(blit.add(ax.text(-0.01, 0, "", transform=blended_transform_factory(
            ax.transAxes, ax.transData), ha="right", va="center", fontsize=9, fontweight="bold")))
    runs, orders = {}, {}   # text -> the trace; (text, rows) -> the heatmaps' units
    state = {"text": None}
    probabilities = {}   # text -> the LSTM LM's next-character probabilities (T+1, V)

    def trace_of(text, unit):
        if text not in runs:
            if len(runs) > 16:
                runs.clear()
                orders.clear()
            runs[text] = lstm_gate_trace(params, vocab, text, 0)
        run = runs[text]
        values = {name: run[name][:, unit] for name in ("f", "i", "g", "o", "c", "h")}
        return dict(run, unit=int(unit), unit_values=values)

    def show_text_axes(trace):
        """One column per step of a new text (the strip under the plot shows its characters)."""
        T = len(trace["tokens"])
        for ax in heat_axes.values():
            ax.set_xlim(-0.5, T - 0.5)
        ax_line.set_xlim(-0.5, T - 0.5)

    def show_rows(trace, order):
        """The heatmaps show the units `order`, top to bottom; the chosen one is framed and
        numbered (the readout lists the others: numbers on every row would make each new unit
        a slow full redraw)."""
        T = len(trace["tokens"])
        for name, ax in heat_axes.items():
            images[name].set_data(trace[name][:, order].T)
            images[name].set_extent((-0.5, T - 0.5, len(order) - 0.5, -0.5))
            ax.set_ylim(len(order) - 0.5, -0.5)
            ax.set_ylabel(ROW_AXIS_LABELS[rows_menu.value].format(H=H), fontsize=9)
        where = int(np.flatnonzero(order == trace["unit"])[0])
        for outline in outlines:
            outline.set_bounds(-0.5, where - 0.5, T, 1)
        for unit_label in unit_labels:
            unit_label.set(y=where, text=str(trace["unit"]))

    def update(_=None):
        text = text_box.value
        trace = trace_of(text, unit_slider.value)
        values = trace["unit_values"]
        steps = np.arange(len(trace["tokens"]))
        c_line.set_data(steps, values["c"])
        h_line.set_data(steps, values["h"])
        f_line.set_data(steps, values["f"])
        shown = colour.value
        if text not in probabilities:   # the guesses depend on the text only
            probabilities.clear()
            probabilities[text] = lm_probabilities(params, hs=trace["h"])
        if text != state["text"]:
            show_text_axes(trace)
            state["text"] = text
        order = cached_heatmap_rows(orders, text, trace["c"], trace["unit"], rows_menu.value, k)
        show_rows(trace, order)
        bound = nice_bound(1.1 * max(1.0, float(np.abs(values["c"]).max())))  # this unit's range
        ax_line.set_ylim(-min(bound, LINE_BOUND_MAX), min(bound, LINE_BOUND_MAX))
        plot.image.value = blit.show(key=rows_menu.value)   # what the y labels say; Blitter reads the limits
        # the texts after the image: the page paints that first
        strip.show(gates_strip(trace, shown, probabilities[text], vocab.tokens))
        label.value = _readout_html(trace, shown) + heatmap_rows_html(order, rows_menu.value, "cell state")

    def choose_example(change):
        text_box.value = change["new"]

    pick.observe(choose_example, names="value")
    for control in (text_box, unit_slider, colour, rows_menu):
        control.observe(update, names="value")
    update()
    return dashboard("gates", [pick, text_box, widgets.HBox([unit_slider, colour, rows_menu]), plot.image,
                               strip, label],
                     title="Gate explorer: your LSTM's forget, input and output gates while it reads")
