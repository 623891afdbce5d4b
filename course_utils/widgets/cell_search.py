"""Cell search (lesson 06), in the spirit of LSTMVis: which units track a pattern in the text?

    lstm_states(params, vocab, text)           pure: the LSTM LM's cell and hidden states, (T, H)
    pattern_target(text, pattern, regex)       pure: where the pattern holds (0/1), or a position
    cell_search(states, text, pattern, ...)    pure: every unit scored, the best ones first
    cell_search_view(params, vocab, text)      the dashboard

A binary pattern (inside quotes, inside parentheses, inside a number, a regular expression
you type) scores each unit by how differently it behaves inside and outside:
    score = (mean inside − mean outside) / standard deviation over the whole text,
so ±1 means the unit's average shifts by one standard deviation. A position (in the line,
in the word) scores each unit by its correlation with that position. Units are ranked by the
size of their score; the text is coloured by the chosen one.
"""

from __future__ import annotations

import html
import re

import numpy as np

from course_utils.nn import _fast
from course_utils.plots import fixed_width_labels, freeze_layout, nice_bound, nice_limits
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class
from course_utils.widgets.hover import cell_search_strip, lm_probabilities, lstm_reading
from course_utils.widgets.text_strip import TextStrip, format_predictions, strip_state

__all__ = ["PATTERNS", "lstm_states", "pattern_target", "cell_search", "cell_search_view"]

# name -> kind ("binary" or "position")
PATTERNS = {
    "inside quotes": "binary",
    "inside parentheses": "binary",
    "inside a number": "binary",
    "position in the line": "position",
    "position in the word": "position",
    "regular expression": "binary",
}
SHOWN_CHARS = 500  # characters of text shown coloured
BAR_BOUND_MAX = 50  # the score axis spans at most ±50


def lstm_states(params, vocab, text):
    """Cell states c and hidden states h (T, H) of the LSTM LM reading `text` from a zero state."""
    if not isinstance(text, str) or not text:
        raise ValueError("lstm_states: text must be a non-empty str")
    ids = np.array([vocab.token_to_id(ch) for ch in text], dtype=np.int64)
    hs, cs, _ = _fast.lstm_forward(params["E"][ids[None, :]], None, None, params["W_e"], params["W_h"],
                                   params["b"])
    return {"c": cs[0].astype(np.float64), "h": hs[0].astype(np.float64)}


def pattern_target(text, pattern, regex=None):
    """Per character: 1.0 where a binary pattern holds (else 0.0), or a position (0, 1, 2, ...).

    Quotes are straight double quotes, paired in order; parentheses may nest; a number is a
    run of digits with inner commas or points; the line position counts from each newline, the
    word position from each space or newline. `regex` (for "regular expression") marks every
    character inside a match.
    """
    if pattern not in PATTERNS:
        raise ValueError(f"pattern_target: pattern must be one of {list(PATTERNS)}, got {pattern!r}")
    chars = np.array(list(text))
    if pattern == "inside quotes":
        quotes = (chars == '"').astype(int)
        # count quotes line by line (an unpaired quote must not flip the rest of the text)
        line = np.cumsum(chars == "\n")
        before_line = np.concatenate([[0], np.cumsum(quotes)])[np.searchsorted(line, line, side="left")]
        parity = (np.cumsum(quotes) - before_line) % 2      # 1 after an opening quote
        return ((parity == 1) & (quotes == 0)).astype(np.float64)
    if pattern == "inside parentheses":
        depth = np.cumsum((chars == "(").astype(int) - (chars == ")").astype(int))
        return ((depth > 0) & (chars != "(")).astype(np.float64)
    if pattern in ("position in the line", "position in the word"):
        breaks = (chars == "\n") if pattern == "position in the line" else np.isin(chars, [" ", "\n"])
        index = np.arange(len(chars))
        last_break = np.maximum.accumulate(np.where(breaks, index, -1))
        return (index - last_break - 1).clip(min=0).astype(np.float64)
    expression = r"\d[\d,.]*\d|\d" if pattern == "inside a number" else regex
    if not expression:
        raise ValueError("pattern_target: 'regular expression' needs a non-empty regex")
    try:
        compiled = re.compile(expression)
    except re.error as error:
        raise ValueError(f"pattern_target: regex {expression!r} is not valid: {error}") from None
    mask = np.zeros(len(chars))
    for match in compiled.finditer(text):
        mask[match.start():match.end()] = 1.0
    return mask


def cell_search(states, text, pattern, regex=None, top=10):
    """Score every unit of `states` (T, H) against the pattern over `text` (T characters).

    Returns a dict: "target" (T,), "kind", "scores" (H,), "order" (unit ids, largest |score|
    first), "top" (the first `top` of them), "inside" (count of characters where a binary
    pattern holds; None for positions). Raises ValueError when a binary pattern never or
    always holds in the text (nothing to compare).
    """
    states = np.asarray(states, dtype=np.float64)
    if states.ndim != 2 or states.shape[0] != len(text):
        raise ValueError(f"cell_search: states must be (T, H) with T = len(text) = {len(text)}, "
                         f"got shape {states.shape}")
    target = pattern_target(text, pattern, regex)
    kind = PATTERNS[pattern]
    spread = states.std(axis=0) + 1e-9
    if kind == "binary":
        inside = target > 0.5
        if inside.all() or not inside.any():
            raise ValueError(f"cell_search: the pattern {pattern!r} holds at {int(inside.sum())} of "
                             f"{len(text)} characters; it must hold at some and not at others")
        scores = (states[inside].mean(axis=0) - states[~inside].mean(axis=0)) / spread
        count = int(inside.sum())
    else:
        centred = target - target.mean()
        scores = (centred @ (states - states.mean(axis=0))) / (len(text) * spread * (centred.std() + 1e-9))
        count = None
    order = np.argsort(-np.abs(scores), kind="stable")
    return {"target": target, "kind": kind, "scores": scores, "order": order,
            "top": order[:top], "inside": count}


def _visible_mask(mask, width_px: float) -> np.ndarray:
    """A boolean mask over the text, pooled to about one value per pixel of the axes (the largest
    in each pixel) and widened by one pixel: a pattern that holds at 4 of 2000 characters still
    shows as a few orange lines, where sampling every fourth character would miss it."""
    bins = max(1, int(width_px))
    edges = np.linspace(0, len(mask), bins + 1).astype(int)[:-1]
    pooled = np.maximum.reduceat(mask.astype(float), edges)
    return np.maximum(pooled, np.maximum(np.roll(pooled, 1), np.roll(pooled, -1)))


def _no_contrast_html(pattern, regex, text) -> str:
    """Why `cell_search` has nothing to score for this pattern, in words for the learner."""
    try:
        inside = int((pattern_target(text, pattern, regex) > 0.5).sum())
    except ValueError:   # an empty or invalid regular expression
        try:
            re.compile(regex or "")
        except re.error as problem:
            return (f"The regular expression <code>{html.escape(regex)}</code> is not valid "
                    f"({html.escape(str(problem))}). Fix it in the regular expression box.")
        return "Type a regular expression in its box (for example <code>[A-Z][a-z]+</code>)."
    what = (f"matches <code>{html.escape(regex)}</code>" if pattern == "regular expression"
            else f"is {pattern}")
    which = "No" if inside == 0 else "Every"
    return (f"{which} character of this text {what}, so there is nothing to compare a unit's value "
            "inside and outside the pattern with. Choose another pattern.")


def cell_search_view(params, vocab, text, pattern="inside quotes", regex=r"[A-Z][a-z]+"):
    """The dashboard on a trained LSTM LM and a long text (a few thousand characters).

    Controls: pattern (cu-cells-pattern), regular expression (cu-cells-regex: typing one
    chooses the "regular expression" pattern), cell or hidden state (cu-cells-state), which
    of the top units to show (cu-cells-rank). The text is a strip (cu-cells-strip): pointing at
    a character shows the unit's c, h and gates there, the pattern, and the model's guesses.
    """
    import ipywidgets as widgets

    from course_utils.plots import Blitter

    all_states = lstm_states(params, vocab, text)
    # What pointing at a character shows: every gate of every unit, and the model's guesses.
    reading = lstm_reading(params, params["E"][[vocab.token_to_id(ch) for ch in text]])
    guesses = format_predictions(lm_probabilities(params, hs=reading["h"]), vocab.tokens, top_k=3)
    pattern_box = with_class(widgets.Dropdown(options=list(PATTERNS), value=pattern, description="pattern"),
                             "cu-cells-pattern")
    regex_box = with_class(widgets.Text(value=regex, description="regular expression",
                                        continuous_update=False, placeholder="e.g. [A-Z][a-z]+"),
                           "cu-cells-regex")
    which = with_class(widgets.Dropdown(options=[("cell state c", "c"), ("hidden state h", "h")], value="c",
                                        description="state"), "cu-cells-state")
    top = 10
    rank = with_class(widgets.IntSlider(value=1, min=1, max=top, description="rank", continuous_update=True),
                      "cu-cells-rank")
    text_view = TextStrip("cu-cells-strip")
    label = readout("cells")

    plot = PlotImage(3.6, ncols=2, gridspec_kw={"width_ratios": [1.3, 2.2]})
    ax_bars, ax_trace = plot.axes
    ax_bars.set_xlabel("rank (unit id above each bar)")
    ax_bars.set_ylabel("score")
    ax_bars.axhline(0, color="#999", linewidth=0.8)
    ax_bars.set_xlim(0.4, top + 0.6)
    ax_bars.set_xticks(np.arange(1, top + 1))
    ax_trace.set_xlabel("character position in the text")
    ax_trace.set_ylabel("unit value")
    ax_trace.grid(True, alpha=0.3)
    bars = ax_bars.bar(np.arange(1, top + 1), np.zeros(top), color="#21918c")
    bar_labels = [ax_bars.text(k + 1, 0, "", ha="center", va="bottom", fontsize=8) for k in range(top)]
    trace_line, = ax_trace.plot([], [], color="#3b528b", linewidth=0.8, label="the chosen unit")
    # where the pattern holds: a one-row image behind the trace (far cheaper than polygons)
    strip = ax_trace.imshow(np.zeros((1, 2)), aspect="auto", cmap="Oranges", vmin=0, vmax=2.5,
                            interpolation="nearest", zorder=0, extent=(0, 1, 0, 1))
    ax_trace.set_title("the chosen unit over the whole text (orange: where the pattern holds)",
                       fontsize=10)   # a legend would cover the line, which fills the panel
    bars_title = ax_bars.text(0.5, 1.02, "", transform=ax_bars.transAxes, ha="center", va="bottom",
                              fontsize=10)
    note = ax_trace.text(0.5, 0.5, "", transform=ax_trace.transAxes, ha="center", va="center",
                         color="#b2182b", bbox={"facecolor": "white", "edgecolor": "#b2182b"})
    for ax in plot.axes:   # labels of one width, whatever the limits: the layout below holds
        fixed_width_labels(ax.yaxis)
    freeze_layout(plot.fig, plot.dpi)
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    blit.add(strip, *bars, *bar_labels, trace_line, bars_title, note)
    state = {"result": None, "key": None}

    def search():
        key = (pattern_box.value, regex_box.value if pattern_box.value == "regular expression" else None,
               which.value)
        if key != state["key"]:
            state["key"] = None   # a failed search leaves no result behind
            state["result"] = cell_search(all_states[which.value], text, pattern_box.value, regex_box.value,
                                          top=top)
            state["key"] = key

    def show_nothing(message):
        """A pattern with nothing to compare: empty panels with a note, and the reason."""
        for artist in (strip, *bars, *bar_labels, trace_line):
            artist.set_visible(False)
        note.set_text("nothing to compare for this pattern:\nsee the message below")
        ax_bars.set_ylim(-1, 1)    # the same empty axes, whatever was shown before
        ax_trace.set_ylim(-1, 1)
        bars_title.set_text(f"top units for: {pattern_box.value}")
        plot.image.value = blit.show()
        label.value = f"<b>{message}</b>"
        text_view.show(strip_state([], [], titles=[], rows=[], legend={}))   # no unit: no colours

    def update(_=None):
        try:
            search()
        except ValueError:   # the pattern holds nowhere or everywhere, or a broken regex
            show_nothing(_no_contrast_html(pattern_box.value, regex_box.value, text))
            return
        result = state["result"]
        states = all_states[which.value]
        unit = int(result["top"][rank.value - 1])
        values = states[:, unit]
        note.set_text("")
        for artist in (*bars, *bar_labels, trace_line):
            artist.set_visible(True)
        for k, (bar, text_artist) in enumerate(zip(bars, bar_labels, strict=True)):
            score = result["scores"][result["top"][k]]
            bar.set_height(score)
            bar.set_color("#e08214" if k == rank.value - 1 else "#21918c")
            text_artist.set_position((k + 1, score if score >= 0 else 0))
            text_artist.set_text(f"u{result['top'][k]}")
        trace_line.set_data(np.arange(len(text)), values)
        target = result["target"]
        mask = target > 0.5 if result["kind"] == "binary" else np.zeros(len(text), bool)
        first = int(np.argmax(mask)) if mask.any() else 0
        start = max(0, min(first - 60, len(text) - SHOWN_CHARS))
        window = slice(start, start + SHOWN_CHARS)
        shown_text = cell_search_strip(text, window, reading, unit, which.value, target, result["kind"],
                                       guesses)
        score = result["scores"][unit]
        what = ("mean inside − mean outside, in standard deviations" if result["kind"] == "binary"
                else "correlation with the position")
        count = (f"; the pattern holds at {result['inside']} of {len(text)} characters"
                 if result["inside"] is not None else "")
        strip.set_data(_visible_mask(mask, ax_trace.get_window_extent().width)[None, :])
        strip.set_visible(result["kind"] == "binary")
        bars_title.set_text(f"top units for: {pattern_box.value}")
        readout_html = (f"rank {rank.value}: unit {unit} of the {'cell' if which.value == 'c' else 'hidden'} "
                        f"state, score {score:+.2f} ({what}){count}. Text shown from character {start}; "
                        f"background = the unit's value (red +, blue −), orange underline = the pattern.")
        low, high = nice_limits(values.min(), values.max())   # the chosen unit's range
        strip.set_extent((0, len(text), low, high))
        ax_trace.set_xlim(0, len(text))
        ax_trace.set_ylim(low, high)
        # every score and its label inside the axes: 1, 2, 5, 10 ... (few kept pictures)
        scores = np.abs(result["scores"][result["top"]])
        ax_bars.set_ylim(*(np.array([-1, 1]) * min(BAR_BOUND_MAX, nice_bound(1.25 * max(1.0, scores.max())))))
        plot.image.value = blit.show()
        label.value = readout_html   # the texts after the image: the page paints that first
        text_view.show(shown_text)

    def typed_regex(_=None):
        if pattern_box.value != "regular expression":
            pattern_box.value = "regular expression"   # its observer redraws
        else:
            update()

    for control in (pattern_box, which, rank):
        control.observe(update, names="value")
    regex_box.observe(typed_regex, names="value")
    update()
    return dashboard("cells", [widgets.HBox([pattern_box, regex_box]), widgets.HBox([which, rank]),
                               plot.image, text_view, label],
                     title="Cell search: the units of your LSTM that track a pattern")
