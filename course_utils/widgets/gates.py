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

from course_utils.nn import _fast
from course_utils.nn.lstm import split_gates
from course_utils.plots import nice_bound, printable_token
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class
from course_utils.widgets.hover import gates_strip, lm_probabilities
from course_utils.widgets.text_strip import TextStrip

__all__ = ["lstm_gate_trace", "gates_view", "GATE_NAMES", "MAX_TEXT"]

GATE_NAMES = {"f": "forget gate f", "i": "input gate i", "o": "output gate o",
              "g": "candidate g", "c": "cell state c", "h": "hidden state h"}
MAX_TEXT = 160  # characters shown; longer texts are cut


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


def gates_view(params: dict, vocab, texts=None, unit: int = 0):
    """The dashboard on a trained LSTM LM (`params` from `init_lm("lstm", ...)`, `vocab` its char Vocab).

    Controls: example text (cu-gates-pick), typed text (cu-gates-text), unit (cu-gates-unit),
    what colours the text (cu-gates-colour). The text is a strip (cu-gates-strip): pointing at
    a character shows the unit's gates, c and h there and the model's guesses.
    """
    import ipywidgets as widgets
    from matplotlib.ticker import MaxNLocator

    from course_utils.plots import Blitter

    texts = list(texts or ["The Prime Minister said on Monday that the government would act."])
    H = params["W_h"].shape[1]
    pick = with_class(widgets.Dropdown(options=texts, value=texts[0], description="example",
                                       layout=widgets.Layout(width="60%")), "cu-gates-pick")
    text_box = with_class(widgets.Text(value=texts[0], description="text", continuous_update=False,
                                       layout=widgets.Layout(width="95%")), "cu-gates-text")
    unit_slider = with_class(widgets.IntSlider(value=unit, min=0, max=H - 1, description="unit",
                                               continuous_update=True), "cu-gates-unit")
    colour = with_class(widgets.Dropdown(options=[(GATE_NAMES[k], k) for k in ("c", "h", "f", "i", "o")],
                                         value="c", description="colour by"), "cu-gates-colour")
    strip = TextStrip("cu-gates-strip")
    label = readout("gates")

    plot = PlotImage(figsize=(11.0, 6.2), nrows=2, ncols=2)
    heat_axes = {"f": plot.axes[0], "i": plot.axes[1], "o": plot.axes[2]}
    ax_line = plot.axes[3]
    images = {}
    for name, ax in heat_axes.items():
        images[name] = ax.imshow(np.zeros((H, 2)), aspect="auto", cmap="viridis", vmin=0, vmax=1,
                                 interpolation="nearest", origin="lower")
        ax.set_title(f"{GATE_NAMES[name]} (0 closed … 1 open)", fontsize=10)
        ax.set_ylabel("unit")
        ax.set_xlabel("step t (the text below: point at a character)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    plot.fig.colorbar(images["f"], ax=list(heat_axes.values()), fraction=0.02, pad=0.01, label="gate value")
    ax_line.set_title("the chosen unit: cell state vs hidden state", fontsize=10)
    ax_line.set_xlabel("step t")
    ax_line.set_ylabel("value")
    ax_line.axhline(0, color="#999", linewidth=0.8)
    ax_line.grid(True, alpha=0.3)
    blit = Blitter(plot.fig, dpi=plot.dpi)
    unit_lines = [blit.add(ax.axhline(unit, color="#f00", linewidth=1.0, linestyle="--"))
                  for ax in heat_axes.values()]
    c_line, = ax_line.plot([], [], color="#440154", linewidth=2, label="cell state c")
    h_line, = ax_line.plot([], [], color="#21918c", linewidth=1.5, label="hidden state h")
    f_line, = ax_line.plot([], [], color="#e08214", linewidth=1.0, linestyle=":", label="forget gate f")
    ax_line.legend(loc="upper left", fontsize=8, ncols=3)
    blit.add(c_line, h_line, f_line)
    state = {"text": None, "kept": set()}
    probabilities = {}   # text -> the LSTM LM's next-character probabilities (T+1, V)

    def show_text_axes(trace):
        T = len(trace["tokens"])
        for name, ax in heat_axes.items():
            images[name].set_data(trace[name].T)
            images[name].set_extent((-0.5, T - 0.5, -0.5, H - 0.5))
            ax.set_xlim(-0.5, T - 0.5)
        ax_line.set_xlim(-0.5, T - 0.5)

    def update(_=None):
        trace = lstm_gate_trace(params, vocab, text_box.value, unit_slider.value)
        values = trace["unit_values"]
        steps = np.arange(len(trace["tokens"]))
        for line in unit_lines:
            line.set_ydata([trace["unit"], trace["unit"]])
        c_line.set_data(steps, values["c"])
        h_line.set_data(steps, values["h"])
        f_line.set_data(steps, values["f"])
        shown = colour.value
        if text_box.value not in probabilities:   # the guesses depend on the text only
            probabilities.clear()
            probabilities[text_box.value] = lm_probabilities(params, hs=trace["h"])
        strip.show(gates_strip(trace, shown, probabilities[text_box.value], vocab.tokens))
        label.value = _readout_html(trace, shown)
        bound = nice_bound(1.1 * max(1.0, float(np.abs(values["c"]).max())))  # this unit's range
        if text_box.value != state["text"]:
            show_text_axes(trace)
            state["text"] = text_box.value
            state["kept"] = set()
        key = (text_box.value, bound)
        if key in state["kept"] and blit.use(key):   # only the unit's lines moved
            plot.image.value = blit.frame()
            return
        ax_line.set_ylim(-bound, bound)
        state["kept"].add(key)
        plot.image.value = blit.full(key=key)

    def choose_example(change):
        text_box.value = change["new"]

    pick.observe(choose_example, names="value")
    for control in (text_box, unit_slider, colour):
        control.observe(update, names="value")
    update()
    return dashboard("gates", [pick, text_box, widgets.HBox([unit_slider, colour]), plot.image, strip,
                               label],
                     title="Gate explorer: your LSTM's forget, input and output gates while it reads")
