"""Hidden-state explorer (lesson 04): what the learner's RNN LM holds in h^(t) while it reads.

    hidden_state_trace(params, vocab, text, step, unit)   pure: h^(t) for every step, one unit's
                                                          trace, top-k next-token probabilities
    hidden_state_view(params, vocab, texts)               the dashboard

The model reads `<bos>` and then the text, one token per step; column t of the heatmap is
h^(t) after reading token t, and the bars show softmax(U h^(t) + c), its guess for token t+1.
"""

from __future__ import annotations

import html

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from course_utils.nn.language_model import lm_logits
from course_utils.nn.layers import softmax
from course_utils.plots import (
    ROW_AXIS_LABELS,
    ROW_MODES,
    SIMILAR_ROWS,
    cached_heatmap_rows,
    heatmap_rows,
    heatmap_rows_html,
    nice_bound,
)
from course_utils.widgets.common import (
    PlotImage,
    dashboard,
    example_options,
    readout,
    with_class,
    without_reentry,
)
from course_utils.widgets.hover import hidden_state_strip
from course_utils.widgets.text_strip import TextStrip

__all__ = ["read_text", "hidden_state_trace", "hidden_state_view", "display_token"]

HEATMAP_CMAP = "RdBu_r"  # signed activations in [-1, 1]: blue negative, white 0, red positive
MAX_TEXT = 200  # tokens shown; longer texts are cut (the heatmap would be unreadable)


def display_token(token: str) -> str:
    """A token as it can be printed on an axis: space ␣, newline ⏎, tab ⇥."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥", "": "∅"}.get(token, token)


def _tokens_of(vocab, text: str, tokenize=None) -> list[str]:
    if tokenize is not None:
        return list(tokenize(text))
    return list(text) if vocab.level == "char" else text.split()


def read_text(params: dict, vocab, text: str, tokenize=None) -> dict:
    """Run the RNN LM over `<bos>` + text once: "tokens" (T+1 strings, "<bos>" first), "ids" (T+1,),
    "hidden" (T+1, H) with row t = h^(t), "probs" (T+1, V) each step's next-token distribution."""
    if not isinstance(text, str):
        raise TypeError(f"hidden_state_trace: text must be a str, got {type(text).__name__}")
    tokens = ["<bos>"] + _tokens_of(vocab, text, tokenize)[:MAX_TEXT]
    ids = np.array([vocab.bos_id] + [vocab.token_to_id(t) for t in tokens[1:]], dtype=np.int64)
    logits, hs, _ = lm_logits(params, ids[None, :], cell="rnn")
    return {"tokens": tokens, "ids": ids, "hidden": hs[0].astype(np.float64),
            "probs": softmax(logits[0].astype(np.float64))}


def _select(run: dict, step, unit, top_k, rows="similar") -> dict:
    fn = "hidden_state_trace"
    tokens, ids, hidden, probs = run["tokens"], run["ids"], run["hidden"], run["probs"]
    H = hidden.shape[1]
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < H:
        raise ValueError(f"{fn}: unit must be an integer in 0..{H - 1} (H = {H} units), got {unit!r}")
    last = len(tokens) - 1
    step = last if step is None else step
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 0 <= step <= last:
        raise ValueError(f"{fn}: step must be an integer in 0..{last} (the text has {last} tokens "
                         f"after <bos>), got {step!r}")
    top_k = max(1, min(int(top_k), probs.shape[1]))
    order = np.argsort(-probs[step], kind="stable")[:top_k]
    has_next = step < last
    if rows is not None:   # the view passes None and keeps its own rows per text
        run = dict(run, rows=heatmap_rows(hidden, unit, rows))
    return dict(run, **{
        "unit": int(unit),
        "unit_values": hidden[:, unit],
        "step": int(step),
        "top_ids": order,
        "top_tokens": [run["vocab_tokens"][i] for i in order],
        "top_probs": probs[step, order],
        "next_token": tokens[step + 1] if has_next else None,
        "next_prob": float(probs[step, ids[step + 1]]) if has_next else None,
    })


def hidden_state_trace(params: dict, vocab, text: str, step: int | None = None, unit: int = 0,
                       top_k: int = 8, tokenize=None, rows: str = "similar") -> dict:
    """Run the RNN LM over `<bos>` + text and collect what the dashboard shows (no widgets).

    Returns what `read_text` returns, plus: "rows" the units the heatmap shows, top to bottom
    (see heatmap_rows), "unit" and "unit_values" (T+1,) = hidden[:, unit],
    "step" (default: the last), "top_tokens"/"top_ids"/"top_probs" (top_k,) the most probable
    next tokens after step t, and "next_token"/"next_prob" the token that actually comes at
    t+1 and its probability (None after the last step).
    """
    run = dict(read_text(params, vocab, text, tokenize), vocab_tokens=vocab.tokens)
    return _select(run, step, unit, top_k, rows)


def _readout_html(data: dict) -> str:
    step, tokens = data["step"], data["tokens"]
    read = "".join(tokens[1:step + 1]) if step else ""
    guess = ", ".join(f"{html.escape(display_token(t))} {100 * p:.0f}%"
                      for t, p in zip(data["top_tokens"][:5], data["top_probs"][:5], strict=True))
    actual = ""
    if data["next_token"] is not None:
        shown = html.escape(display_token(data["next_token"]))
        actual = (f" &nbsp;·&nbsp; the text continues with <b>{shown}"
                  f"</b>, given {100 * data['next_prob']:.1f}%")
    value = data["unit_values"][step]
    return (f"step {step} (after <code>{html.escape(display_token(tokens[step]))}</code>; read "
            f"{len(read)} tokens): the model expects {guess}{actual}"
            f"<br>unit {data['unit']} at this step: h = {value:+.3f}; over the text it ranges "
            f"{data['unit_values'].min():+.2f} … {data['unit_values'].max():+.2f}")


def hidden_state_view(params: dict, vocab, texts=None, unit: int = 0, top_k: int = 8, tokenize=None,
                      rows: str = "similar"):
    """The dashboard on a trained RNN LM (`params` from `init_lm("rnn", ...)`, `vocab` its Vocab).

    Controls: pick an example text (cu-hidden-pick), type a text (cu-hidden-text), the time step
    (cu-hidden-step), the unit to colour the text by (cu-hidden-unit), which units the heatmap
    shows (cu-hidden-rows, see heatmap_rows). The text is a strip (cu-hidden-strip): pointing
    at a character shows h and the model's guesses there, clicking it sets the step.
    """
    import ipywidgets as widgets

    from course_utils.plots import Blitter, freeze_layout, pin_axis_labels

    texts = list(texts or ["The Prime Minister said on Monday that the government would act."])
    H = params["W_h"].shape[0]
    k = min(SIMILAR_ROWS, H)
    pick = with_class(widgets.Dropdown(options=example_options(texts), value=texts[0], description="example",
                                       layout=widgets.Layout(width="95%")), "cu-hidden-pick")
    text_box = with_class(widgets.Text(value=texts[0], description="text", continuous_update=False,
                                       layout=widgets.Layout(width="95%")), "cu-hidden-text")
    runs: dict = {}   # text -> read_text(...): the RNN runs once per text, not per slider move
    orders: dict = {}  # (text, rows) -> the heatmap's units, for the orders that ignore the unit

    def trace(text, step, unit):
        if text not in runs:
            if len(runs) > 32:
                runs.clear()
                orders.clear()
            runs[text] = dict(read_text(params, vocab, text, tokenize), vocab_tokens=vocab.tokens)
        return _select(runs[text], step, unit, top_k, rows=None)

    data = trace(text_box.value, None, unit)
    last = len(data["tokens"]) - 1
    step_slider = with_class(widgets.IntSlider(value=min(last, 10), min=0, max=last, description="step t",
                                               continuous_update=True), "cu-hidden-step")
    unit_slider = with_class(widgets.IntSlider(value=unit, min=0, max=H - 1, description="unit",
                                               continuous_update=True), "cu-hidden-unit")
    choices = [(text.format(k=k), mode) for mode, text in ROW_MODES.items()]
    rows_menu = with_class(widgets.Dropdown(options=choices, value=rows, description="rows",
                                            layout=widgets.Layout(width="360px")), "cu-hidden-rows")
    strip = TextStrip("cu-hidden-strip")
    label = readout("hidden")

    plot = PlotImage(4.3, ncols=2, gridspec_kw={"width_ratios": [3.2, 1]})
    ax_heat, ax_bars = plot.axes
    image = ax_heat.imshow(np.zeros((k, 2)), aspect="auto", cmap=HEATMAP_CMAP, vmin=-1, vmax=1,
                           interpolation="nearest", origin="upper")
    plot.fig.colorbar(image, ax=ax_heat, fraction=0.03, pad=0.01, label="h (tanh: −1 … 1)")
    ax_heat.set_xlabel("time step t (0 = <bos>; the text below shows the token read at each step)")
    ax_heat.set_title(r"$h^{(t)}$: one column per step $t$, one row per unit")
    # Lay out with the widest unit labels and axis title: later texts fit in the room reserved now.
    ax_heat.set_yticks([0], [str(H)])
    ax_heat.set_ylabel(ROW_AXIS_LABELS["similar"])
    ax_heat.tick_params(axis="both", labelsize=8, length=0)
    ax_heat.xaxis.set_major_locator(MaxNLocator(integer=True))   # steps: the strip shows the tokens
    ax_bars.set_xlim(0, 1)
    ax_bars.set_ylim(-0.6, top_k - 0.4)
    ax_bars.invert_yaxis()
    ax_bars.set_yticks([])
    ax_bars.set_xlabel("probability of the next token")
    ax_bars.grid(True, axis="x", alpha=0.3)
    ax_bars.set_title("next token after step t")
    freeze_layout(plot.fig, plot.dpi)  # positions final now: a new text only changes the limits
    ax_heat.set_yticks([])   # the chosen unit's number is drawn by its row (unit_label)
    pin_axis_labels(ax_heat)   # the axis titles stay where the widest labels put them
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    blit.add(image)  # the heatmap changes with the text: drawn on every frame, like the outlines
    # The chosen unit's row and the chosen step's column, outlined (black with a white core, to
    # stand out on both ends of the colour map).
    outlines = []
    for colour, width in (("black", 3.0), ("white", 1.0)):
        row = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor=colour, linewidth=width)
        column = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor=colour, linewidth=width)
        ax_heat.add_patch(row)
        ax_heat.add_patch(column)
        outlines.append((row, column))
        blit.add(row, column)
    unit_label = blit.add(ax_heat.text(-0.01, 0, "", transform=blended_transform_factory(
        ax_heat.transAxes, ax_heat.transData), ha="right", va="center", fontsize=9, fontweight="bold"))
    bars = ax_bars.barh(np.arange(top_k), np.zeros(top_k), color="#21918c")
    blit.add(*bars)
    # Only the token is written next to its bar (few glyphs keep a frame fast); the readout
    # below the plot gives the percentages.
    bar_labels = [blit.add(ax_bars.text(0.02, i, "", va="center", fontsize=10, family="monospace"))
                  for i in range(top_k)]
    state = {"text": None}

    def set_rows(data, order):
        """The heatmap shows the units `order`, top to bottom; the chosen unit is outlined and
        numbered (the readout lists the others: numbers on every row would make each new unit
        a slow full redraw)."""
        image.set_data(data["hidden"][:, order].T)
        image.set_extent((-0.5, len(data["tokens"]) - 0.5, len(order) - 0.5, -0.5))
        ax_heat.set_ylim(len(order) - 0.5, -0.5)
        ax_heat.set_ylabel(ROW_AXIS_LABELS[rows_menu.value].format(H=H))
        where = int(np.flatnonzero(order == data["unit"])[0])
        unit_label.set(y=where, text=str(data["unit"]))
        for row, column in outlines:
            row.set_bounds(-0.5, where - 0.5, len(data["tokens"]), 1)
            column.set_bounds(data["step"] - 0.5, -0.5, 1, len(order))

    def redraw():
        text = text_box.value
        new_text = text != state["text"]
        if new_text:
            step_slider.max = len(trace(text, None, unit_slider.value)["tokens"]) - 1  # may clamp the step
        data = trace(text, step_slider.value, unit_slider.value)
        order = cached_heatmap_rows(orders, text, data["hidden"], data["unit"], rows_menu.value, k)
        if new_text:
            state["text"] = text
            ax_heat.set_xlim(-0.5, len(data["tokens"]) - 0.5)
        set_rows(data, order)
        for bar, text_artist, token, p in zip(bars, bar_labels, data["top_tokens"], data["top_probs"],
                                              strict=False):
            bar.set_width(p)
            bar.set_color("#e08214" if token == data["next_token"] else "#21918c")
            text_artist.set_text(display_token(token))
        ax_bars.set_xlim(0, min(1.0, nice_bound(1.15 * data["top_probs"][0])))   # 0.1, 0.2, 0.5 or 1
        # The static picture: the step axis (the x limits, which Blitter reads) and the y label.
        plot.image.value = blit.show(key=rows_menu.value)
        # the texts after the image: the page paints the image first
        strip.show(hidden_state_strip(data, data["unit"], data["step"],
                                      separator="" if vocab.level == "char" else " "))
        label.value = _readout_html(data) + heatmap_rows_html(order, rows_menu.value)

    def choose_example(change):
        text_box.value = change["new"]

    def choose_step(change):  # a click on the strip's character k: step k + 1
        step_slider.value = change["new"] + 1

    pick.observe(choose_example, names="value")
    strip.observe(choose_step, names="selected")
    update = without_reentry(redraw)
    for control in (text_box, step_slider, unit_slider, rows_menu):
        control.observe(update, names="value")
    update()
    return dashboard("hidden", [pick, text_box, widgets.HBox([step_slider, unit_slider, rows_menu]),
                                plot.image, strip, label],
                     title="Hidden-state explorer: <i>h</i><sup>(<i>t</i>)</sup> while the RNN reads, "
                           "and what it expects next")
