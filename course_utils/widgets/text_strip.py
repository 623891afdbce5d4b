"""The text strip: a text as a row of coloured characters, each one's values shown on hover.

    strip_state(tokens, values, ...)     pure: everything the strip draws, as plain lists
    TextStrip()                          the widget (anywidget); `.show(state)` draws a state

In LSTMVis and Distill's "Memorization in RNNs" the text is the interface: pointing at a
character shows what the model holds there. A static image cannot do that, so this one piece
of a dashboard is a small anywidget: an ES module (`text_strip.js`, no build step) that paints
what the kernel computed and reports back a single number, `selected`, the position a person
clicked. Everything it shows is computed here, in Python, by `strip_state` (and, per
dashboard, by `course_utils.widgets.hover`), so it is tested without a browser.

What the strip shows:

- every position of the text in a monospaced font of fixed size (15 px), its background the
  colour of its value on a colour-blind-safe map (RdBu_r: blue negative, white 0, red
  positive), long texts wrapped, and past 12 lines scrolled;
- under it a panel with the details of the position under the pointer (or the keyboard
  cursor): a title, labelled values (`rows`), and the model's top predictions;
- the selected position framed; `marked` positions underlined in orange.

It renders wherever anywidget does: JupyterLab 4 and Notebook 7 (ipywidgets 8), VS Code,
and Colab and the classic Notebook 6 / JupyterLab 3 (ipywidgets 7.7).
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import numpy as np
import traitlets

__all__ = ["TextStrip", "strip_state", "value_colours", "colour_legend", "shown_token",
           "format_predictions", "DIVERGING"]

DIVERGING = "RdBu_r"  # ColorBrewer's RdBu: colour-blind safe; white at 0
HERE = Path(__file__).parent
HINT = "Point at a character to see its values; click it (or use ← → and Enter) to select it."


SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥", "": "∅"}


def shown_token(token: str) -> str:
    """A token as the details name it: space ␣, newline ⏎, tab ⇥ (the strip itself shows
    spaces as spaces: their colour is what matters there)."""
    return SHOWN.get(token, token)


def value_colours(values, cmap: str = DIVERGING, low: float = -1.0, high: float = 1.0) -> list[str]:
    """"#rrggbb" per value: `low` maps to the first colour of the map, `high` to the last
    (values outside are clipped), so a diverging map centred on 0 has low = −high."""
    from matplotlib import colormaps

    values = np.asarray(values, dtype=np.float64)
    if not high > low:
        raise ValueError(f"value_colours: high must be larger than low, got low={low}, high={high}")
    rgb = colormaps[cmap](np.clip((values - low) / (high - low), 0.0, 1.0))[..., :3]   # (T, 3)
    codes = np.round(rgb * 255).astype(int) @ np.array([1 << 16, 1 << 8, 1])
    return [f"#{code:06x}" for code in codes]


def colour_legend(label: str, cmap: str = DIVERGING, low: float = -1.0, high: float = 1.0,
                  low_text: str | None = None, high_text: str | None = None, note: str = "") -> dict:
    """The legend over the strip: a label, the two ends and nine colours along the map."""
    return {"label": label, "low": low_text if low_text is not None else f"{low:+.3g}",
            "high": high_text if high_text is not None else f"{high:+.3g}",
            "colours": value_colours(np.linspace(low, high, 9), cmap, low, high), "note": note}


def format_predictions(probs, vocab_tokens, top_k: int = 5) -> list[list[list[str]]]:
    """Per row of `probs` (T, V): the top_k tokens and their probabilities as text,
    [[token, "31.2%"], ...], most probable first (ties in vocabulary order)."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(vocab_tokens):
        raise ValueError(f"format_predictions: probs must be (T, V) with V = {len(vocab_tokens)} "
                         f"tokens, got shape {probs.shape}")
    top_k = max(1, min(int(top_k), probs.shape[1]))
    order = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]              # (T, k)
    top = np.take_along_axis(probs, order, axis=1)
    names = [shown_token(token) for token in vocab_tokens]
    return [[[names[i], f"{100 * p:.1f}%"] for i, p in zip(ids, ps, strict=True)]
            for ids, ps in zip(order.tolist(), top.tolist(), strict=True)]


def strip_state(tokens, values, *, titles, rows, predictions=None, predictions_label: str = "",
                cmap: str = DIVERGING, low: float = -1.0, high: float = 1.0, legend: dict | None = None,
                marked=None, selected: int = -1, separator: str = "", colours=None) -> dict:
    """Everything the strip draws for a text of T positions, as trait values.

    tokens (T strings), values (T,) the numbers that colour them (mapped with cmap from low to
    high, or pass `colours` directly), titles (T strings) and rows (T lists of [label, value]
    strings) the details of each position, predictions (T lists of [token, probability]),
    marked (T booleans, underlined), selected (a position or −1), separator ("" for
    characters, " " between words).
    """
    T = len(tokens)
    lengths = {"values": len(values), "titles": len(titles), "rows": len(rows)}
    if predictions is not None:
        lengths["predictions"] = len(predictions)
    if marked is not None:
        lengths["marked"] = len(marked)
    if colours is not None:
        lengths["colours"] = len(colours)
    wrong = {name: n for name, n in lengths.items() if n != T}
    if wrong:
        raise ValueError(f"strip_state: {T} tokens, so every per-position list needs {T} entries; "
                         f"got {wrong}")
    if not isinstance(selected, (int, np.integer)) or not -1 <= selected < max(T, 1):
        raise ValueError(f"strip_state: selected must be a position in 0..{T - 1} or -1, got {selected!r}")
    return {
        "tokens": [str(t) for t in tokens],
        "colours": list(colours) if colours is not None else value_colours(values, cmap, low, high),
        "titles": list(titles),
        "rows": [list(row) for row in rows],           # each [[label, value], ...], strings
        "predictions": [list(p) for p in predictions] if predictions is not None else [[] for _ in range(T)],
        "predictions_label": predictions_label,
        "marked": [bool(m) for m in marked] if marked is not None else [False] * T,
        "selected": int(selected),
        "separator": separator,
        "legend": legend if legend is not None else colour_legend("value", cmap, low, high),
    }


class TextStrip(anywidget.AnyWidget):
    """The strip as a widget. Draw with `strip.show(strip_state(...))`; observe `selected`
    (`strip.observe(fn, names="selected")`) to act on a click."""

    _esm = (HERE / "text_strip.js").read_text(encoding="utf8")
    _css = (HERE / "text_strip.css").read_text(encoding="utf8")

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    colours = traitlets.List(traitlets.Unicode()).tag(sync=True)
    marked = traitlets.List(traitlets.Bool()).tag(sync=True)
    titles = traitlets.List(traitlets.Unicode()).tag(sync=True)
    rows = traitlets.List().tag(sync=True)           # per position: [[label, value], ...]
    predictions = traitlets.List().tag(sync=True)    # per position: [[token, probability], ...]
    predictions_label = traitlets.Unicode("").tag(sync=True)
    legend = traitlets.Dict().tag(sync=True)
    separator = traitlets.Unicode("").tag(sync=True)
    hint = traitlets.Unicode(HINT).tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)      # the clicked position, −1 for none

    def __init__(self, css_class: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("cu-strip")
        if css_class:
            self.add_class(css_class)

    def show(self, state: dict) -> None:
        """Draw a `strip_state`: every trait at once, in one message to the browser (traits
        whose value did not change are not sent again)."""
        with self.hold_sync():
            for name, value in state.items():
                setattr(self, name, value)
