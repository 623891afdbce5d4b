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

from course_utils.nn.language_model import lm_logits
from course_utils.nn.layers import softmax
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class, without_reentry
from course_utils.widgets.hover import hidden_state_strip
from course_utils.widgets.text_strip import TextStrip

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
    logits, hs, _ = lm_logits(params, ids[None, :], cell="rnn")
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
    """The dashboard on a trained RNN LM (`params` from `init_lm("rnn", ...)`, `vocab` its Vocab).

    Controls: pick an example text (cu-hidden-pick), type a text (cu-hidden-text), the time step
    (cu-hidden-step), the unit to colour the text by (cu-hidden-unit). The text is a strip
    (cu-hidden-strip): pointing at a character shows h and the model's guesses there, clicking
    it sets the step.
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
    strip = TextStrip("cu-hidden-strip")
    label = readout("hidden")

    plot = PlotImage(figsize=(11.0, 4.0), ncols=2, gridspec_kw={"width_ratios": [3.2, 1]})
    ax_heat, ax_bars = plot.axes
    image = ax_heat.imshow(data["hidden"].T, aspect="auto", cmap=HEATMAP_CMAP, vmin=-1, vmax=1,
                           interpolation="nearest", origin="lower")
    plot.fig.colorbar(image, ax=ax_heat, fraction=0.03, pad=0.01, label="h (tanh: −1 … 1)")
    ax_heat.set_xlabel("time step t (0 = <bos>; the text below shows the token read at each step)")
    ax_heat.set_ylabel("hidden unit")
    ax_heat.set_title("h^(t): one column per step")
    ax_bars.set_xlim(0, 1)
    ax_bars.set_ylim(-0.6, top_k - 0.4)
    ax_bars.invert_yaxis()
    ax_bars.set_yticks([])
    ax_bars.set_xlabel("probability of the next token")
    ax_bars.grid(True, axis="x", alpha=0.3)
    ax_heat.xaxis.set_major_locator(MaxNLocator(integer=True))
    freeze_layout(plot.fig, plot.dpi)  # positions final now: a new text only changes the limits
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
    state = {"text": None}
    # The tokens themselves are in the strip under the plot (point at one to see its step).

    def set_text_axes(data) -> None:
        """Show a new text's states and its step axis."""
        tokens = data["tokens"]
        image.set_data(data["hidden"].T)
        image.set_extent((-0.5, len(tokens) - 0.5, -0.5, H - 0.5))
        ax_heat.set_xlim(-0.5, len(tokens) - 0.5)

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
        strip.show(hidden_state_strip(data, data["unit"], data["step"],
                                      separator="" if vocab.level == "char" else " "))
        label.value = _readout_html(data)
        if text != state["text"]:
            state["text"] = text
            set_text_axes(data)
            steps = ("steps", len(data["tokens"]))   # the static picture depends on the step axis only
            plot.image.value = blit.frame() if blit.use(steps) else blit.full(key=steps)
            return
        plot.image.value = blit.frame()

    def choose_example(change):
        text_box.value = change["new"]

    def choose_step(change):  # a click on the strip's character k: step k + 1
        step_slider.value = change["new"] + 1

    pick.observe(choose_example, names="value")
    strip.observe(choose_step, names="selected")
    update = without_reentry(redraw)
    for control in (text_box, step_slider, unit_slider):
        control.observe(update, names="value")
    update()
    return dashboard("hidden", [pick, text_box, widgets.HBox([step_slider, unit_slider]), plot.image,
                                strip, label],
                     title="Hidden-state explorer: h^(t) while the RNN reads, and what it expects next")
