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

from course_utils.nn.layers import softmax
from course_utils.nn.rnn_lm import rnn_lm_logits
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class, without_reentry

__all__ = ["read_text", "hidden_state_trace", "hidden_state_view", "display_token", "coloured_text_html"]

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
    logits, hs = rnn_lm_logits(params, ids[None, :])
    return {"tokens": tokens, "ids": ids, "hidden": hs[0].astype(np.float64),
            "probs": softmax(logits[0].astype(np.float64))}


def _select(run: dict, step, unit, top_k) -> dict:
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
                       top_k: int = 8, tokenize=None) -> dict:
    """Run the RNN LM over `<bos>` + text and collect what the dashboard shows (no widgets).

    Returns what `read_text` returns, plus: "unit" and "unit_values" (T+1,) = hidden[:, unit],
    "step" (default: the last), "top_tokens"/"top_ids"/"top_probs" (top_k,) the most probable
    next tokens after step t, and "next_token"/"next_prob" the token that actually comes at
    t+1 and its probability (None after the last step).
    """
    run = dict(read_text(params, vocab, text, tokenize), vocab_tokens=vocab.tokens)
    return _select(run, step, unit, top_k)


def coloured_text_html(tokens, values, cmap=HEATMAP_CMAP, vmax: float = 1.0, highlight=None,
                       joiner: str = "") -> str:
    """Tokens as HTML spans whose background is the value's colour (diverging map, 0 = white)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    values = np.asarray(values, dtype=np.float64)
    if len(tokens) != len(values):
        raise ValueError(f"coloured_text_html: {len(tokens)} tokens but {len(values)} values")
    colours = colormaps[cmap](0.5 + 0.5 * np.clip(values / vmax, -1, 1))  # (T, 4), one call
    luminance = colours[:, :3] @ np.array([0.2126, 0.7152, 0.0722])
    spans = []
    for index, token in enumerate(tokens):
        text = html.escape(token if token != "\n" else "⏎")
        border = "outline:2px solid #222;" if index == highlight else ""
        spans.append(f'<span title="{values[index]:+.2f}" style="background:{to_hex(colours[index])};'
                     f'color:{"#000" if luminance[index] > 0.5 else "#fff"};{border}'
                     f'white-space:pre;font-family:monospace">{text}</span>')
    return joiner.join(spans)


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


def hidden_state_view(params: dict, vocab, texts=None, unit: int = 0, top_k: int = 8, tokenize=None):
    """The dashboard on a trained RNN LM (`params` from `init_rnn_lm`, `vocab` its Vocab).

    Controls: pick an example text (cu-hidden-pick), type a text (cu-hidden-text), the time step
    (cu-hidden-step), the unit to colour the text by (cu-hidden-unit). The coloured text is an
    HTML widget with class cu-hidden-coloured.
    """
    import ipywidgets as widgets

    from course_utils.plots import Blitter, freeze_layout

    texts = list(texts or ["The Prime Minister said on Monday that the government would act."])
    H = params["W_h"].shape[0]
    pick = with_class(widgets.Dropdown(options=texts, value=texts[0], description="example",
                                       layout=widgets.Layout(width="60%")), "cu-hidden-pick")
    text_box = with_class(widgets.Text(value=texts[0], description="text", continuous_update=False,
                                       layout=widgets.Layout(width="95%")), "cu-hidden-text")
    runs: dict = {}  # text -> read_text(...): the RNN runs once per text, not per slider move

    def trace(text, step, unit):
        if text not in runs:
            if len(runs) > 32:
                runs.clear()
            runs[text] = dict(read_text(params, vocab, text, tokenize), vocab_tokens=vocab.tokens)
        return _select(runs[text], step, unit, top_k)

    data = trace(text_box.value, None, unit)
    last = len(data["tokens"]) - 1
    step_slider = with_class(widgets.IntSlider(value=min(last, 10), min=0, max=last, description="step t",
                                               continuous_update=True), "cu-hidden-step")
    unit_slider = with_class(widgets.IntSlider(value=unit, min=0, max=H - 1, description="unit",
                                               continuous_update=True), "cu-hidden-unit")
    coloured = widgets.HTML()
    coloured.add_class("cu-hidden-coloured")
    label = readout("hidden")

    plot = PlotImage(figsize=(11.0, 4.0), ncols=2, gridspec_kw={"width_ratios": [3.2, 1]})
    ax_heat, ax_bars = plot.axes
    image = ax_heat.imshow(data["hidden"].T, aspect="auto", cmap=HEATMAP_CMAP, vmin=-1, vmax=1,
                           interpolation="nearest", origin="lower")
    plot.fig.colorbar(image, ax=ax_heat, fraction=0.03, pad=0.01, label="h (tanh: −1 … 1)")
    ax_heat.set_xlabel("time step t: the token just read (^ = <bos>)")
    ax_heat.set_ylabel("hidden unit")
    ax_heat.set_title("h^(t): one column per step")
    ax_bars.set_xlim(0, 1)
    ax_bars.set_ylim(-0.6, top_k - 0.4)
    ax_bars.invert_yaxis()
    ax_bars.set_yticks([])
    ax_bars.set_xlabel("probability of the next token")
    ax_bars.grid(True, axis="x", alpha=0.3)
    freeze_layout(plot.fig, plot.dpi)  # positions final now: set_text_axes measures the axes
    ax_heat.xaxis.set_label_coords(0.5, -0.1)  # below the row of characters (or tick labels)
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    blit.add(image)  # the heatmap changes with the text: drawn on every frame, like the outlines
    # The chosen unit's row and the chosen step's column, outlined (black with a white core, to
    # stand out on both ends of the colour map).
    outlines = []
    for colour, width in (("black", 3.0), ("white", 1.0)):
        row = Rectangle((-0.5, unit - 0.5), len(data["tokens"]), 1, fill=False, edgecolor=colour,
                        linewidth=width)
        column = Rectangle((step_slider.value - 0.5, -0.5), 1, H, fill=False, edgecolor=colour,
                           linewidth=width)
        ax_heat.add_patch(row)
        ax_heat.add_patch(column)
        outlines.append((row, column))
        blit.add(row, column)
    bars = ax_bars.barh(np.arange(top_k), np.zeros(top_k), color="#21918c")
    blit.add(*bars)
    # Only the token is written next to its bar (few glyphs keep a frame fast); the readout
    # below the plot gives the percentages.
    bar_labels = [blit.add(ax_bars.text(0.02, i, "", va="center", fontsize=10, family="monospace"))
                  for i in range(top_k)]
    ax_bars.set_title("next token after step t")
    state = {"text": None, "ticks": True}

    # Characters under the heatmap: one monospaced Text whose font size makes one character as
    # wide as one column (a hundred tick labels would make each new text cost ~0.3 s to draw).
    # Words, and texts too long for a readable size, get ordinary tick labels instead. The
    # heatmap and this row are drawn on every frame: a new text then costs what a step costs.
    char_row = ax_heat.text(0, -0.012, "", transform=ax_heat.transAxes, ha="left", va="top",
                            family="DejaVu Sans Mono")
    blit.add(char_row)
    MONO_ADVANCE = 0.602  # DejaVu Sans Mono: every glyph advances 0.602 em

    def set_text_axes(data) -> bool:
        """Show a new text's states; returns True when the static picture must be redrawn."""
        tokens = data["tokens"]
        image.set_data(data["hidden"].T)
        image.set_extent((-0.5, len(tokens) - 0.5, -0.5, H - 0.5))
        ax_heat.set_xlim(-0.5, len(tokens) - 0.5)
        shown = [display_token(t) if t != "<bos>" else "^" for t in tokens]
        column_px = ax_heat.get_window_extent().width / len(tokens)
        size = column_px / (MONO_ADVANCE * plot.dpi / 72)
        if vocab.level == "char" and 4.5 <= size and len(tokens) > 12:
            char_row.set_text("".join(shown))
            char_row.set_fontsize(size)
            char_row.set_visible(True)
            if state["ticks"]:  # leaving tick labels behind: the static picture changes
                ax_heat.set_xticks([])
                state["ticks"] = False
                return True
            return False
        char_row.set_visible(False)
        every = max(1, int(np.ceil(len(tokens) / 60)))
        ax_heat.set_xticks(np.arange(0, len(tokens), every))
        ax_heat.set_xticklabels(shown[::every], fontsize=7, family="monospace", rotation=0)
        ax_heat.tick_params(axis="x", length=0)
        state["ticks"] = True
        return True

    def redraw():
        text = text_box.value
        if text != state["text"]:
            last = len(trace(text, None, unit_slider.value)["tokens"]) - 1
            step_slider.max = last  # may clamp the value
        data = trace(text, step_slider.value, unit_slider.value)
        for row, column in outlines:
            row.set_bounds(-0.5, data["unit"] - 0.5, len(data["tokens"]), 1)
            column.set_x(data["step"] - 0.5)
        for bar, text_artist, token, p in zip(bars, bar_labels, data["top_tokens"], data["top_probs"],
                                              strict=False):
            bar.set_width(p)
            bar.set_color("#e08214" if token == data["next_token"] else "#21918c")
            text_artist.set_text(display_token(token))
        coloured.value = ("<div style='line-height:1.8'>" + coloured_text_html(
            data["tokens"][1:], data["unit_values"][1:], highlight=data["step"] - 1,
            joiner="" if vocab.level == "char" else " ") + "</div>")
        label.value = _readout_html(data)
        if text != state["text"]:
            state["text"] = text
            set_text_axes(data)
        plot.image.value = blit.show(key=text)   # the tick labels show this text

    def choose_example(change):
        text_box.value = change["new"]

    pick.observe(choose_example, names="value")
    update = without_reentry(redraw)
    for control in (text_box, step_slider, unit_slider):
        control.observe(update, names="value")
    update()
    return dashboard("hidden", [pick, text_box, widgets.HBox([step_slider, unit_slider]), plot.image,
                                coloured, label],
                     title="Hidden-state explorer: h^(t) while the RNN reads, and what it expects next")
