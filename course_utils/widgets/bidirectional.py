"""Bidirectional explorer (lesson 07): pick or type a sentence, see both directions' states.

    bidirectional_states(encoder, head, text)            pure: the forward and backward hidden
                                                         states (time × unit), the sentence
                                                         vector and the classifier's probability
    bidirectional_explorer(encoder, head, sentences, …)  the dashboard, on the learner's model

`encoder` is the bidirectional LSTM the learner trained, as a dict:

    {"vocab": a course_utils.data.Vocab (level "char" or "word"), "E": (V, D) embeddings,
     "fwd": {"W_e", "W_h", "b"}, "bwd": {"W_e", "W_h", "b"}}

and `head` the classifier trained on its sentence vectors [→h^(T) ; ←h^(1)] (from
`course_utils.nn.encoders.train_softmax_classifier`). The top heatmap is →h^(t), which has
read the sentence up to step t; the bottom one ←h^(t), which has read it from the end back
to step t. The two framed columns are what the classifier reads: the forward state at the
last step and the backward state at the first.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from course_utils.data import tokenize_words
from course_utils.nn.encoders import classifier_probabilities, lstm_sentence_vectors
from course_utils.plots import Blitter, clustered_units
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class
from course_utils.widgets.hover import bidirectional_reading, bidirectional_strip, strongest_forward_unit
from course_utils.widgets.text_strip import TextStrip

__all__ = ["bidirectional_states", "bidirectional_explorer", "classifier_rows", "MAX_STEPS"]

MAX_STEPS = 300        # longer texts are cut (the heatmap would be unreadable anyway)
MAX_LABELS = 16        # word labels under the time axis at most (each costs 1-2 ms to draw)
LABEL_GAP_PX = 15      # rotated 9-point labels closer than this overlap
CLASSIFIER_ROWS = 12   # units per direction in the default view (a readable row each)
STATE_CMAP = "RdBu_r"  # h ∈ (−1, 1): diverging, white at 0


def _check_encoder(fn, encoder):
    keys = ("vocab", "E", "fwd", "bwd")
    if not isinstance(encoder, dict) or any(k not in encoder for k in keys):
        got = sorted(encoder) if isinstance(encoder, dict) else type(encoder).__name__
        raise TypeError(f"{fn}: encoder must be a dict with keys {list(keys)}, got {got}")


def _steps(vocab, text):
    """Tokens of `text` for this vocabulary: characters, or words for a word-level one."""
    return list(text) if vocab.level == "char" else tokenize_words(text)


def _word_labels(tokens, level):
    """(positions, labels) for the time axis: each word at its first step."""
    if level != "char":
        return list(range(len(tokens))), list(tokens)
    positions, labels, start = [], [], None
    for t, ch in enumerate(tokens + [" "]):
        if ch.isspace():
            if start is not None:
                positions.append(start)
                labels.append("".join(tokens[start:t]))
                start = None
        elif start is None:
            start = t
    return positions, labels


def bidirectional_states(encoder, head, text: str, positive_class: int = 1) -> dict:
    """What the explorer draws for `text` (no widgets).

    Returns a dict: "tokens" (the steps, characters or words; at most MAX_STEPS),
    "truncated" (bool), "forward" and "backward" (T, H) the two directions' states,
    "vector" (2H,) the sentence vector [→h^(T) ; ←h^(1)], "probability" p(positive_class |
    sentence), "unknown" the steps outside the vocabulary, "tick_positions"/"tick_labels"
    the words along the time axis.
    """
    fn = "bidirectional_states"
    _check_encoder(fn, encoder)
    if not isinstance(text, str):
        raise TypeError(f"{fn}: text must be a str, got {type(text).__name__}")
    vocab = encoder["vocab"]
    tokens = _steps(vocab, text.strip())
    if not tokens:
        raise ValueError(f"{fn}: text has nothing to read (got {text!r})")
    truncated = len(tokens) > MAX_STEPS
    tokens = tokens[:MAX_STEPS]
    ids = np.array(vocab.encode(tokens if vocab.level == "word" else "".join(tokens)))
    x = np.asarray(encoder["E"])[ids][None]                       # (1, T, D)
    vector, hs = lstm_sentence_vectors(x, np.array([len(ids)]), encoder["fwd"], encoder["bwd"])
    H = hs.shape[2] // 2
    probabilities = classifier_probabilities(head, vector)[0]
    if not 0 <= positive_class < len(probabilities):
        raise ValueError(f"{fn}: positive_class must be a class of the head (0..{len(probabilities) - 1}), "
                         f"got {positive_class}")
    positions, labels = _word_labels(tokens, vocab.level)
    return {
        "tokens": tokens, "truncated": truncated,
        "forward": hs[0, :, :H], "backward": hs[0, :, H:], "vector": vector[0],
        "probability": float(probabilities[positive_class]),
        "unknown": int(np.sum(ids == vocab.unk_id)),
        "tick_positions": positions, "tick_labels": labels,
    }


def classifier_rows(head, H: int, k: int = CLASSIFIER_ROWS, positive_class: int = 1) -> dict:
    """The k units of each direction that the classifier weighs most: {"fwd": ids, "bwd": ids}.

    The head reads the standardised sentence vector [→h^(T) ; ←h^(1)] (2H numbers); a unit's
    weight is how much one standard deviation of it moves the logit of `positive_class` against
    the mean of the others. Units are ranked by the size of that weight and listed from the
    most positive to the most negative (evidence for the class at the top, against it below)."""
    W = np.asarray(head["W"], dtype=np.float64)          # (C, 2H)
    if W.ndim != 2 or W.shape[1] != 2 * H:
        raise ValueError(f"classifier_rows: head['W'] must be (classes, 2H = {2 * H}), got {W.shape}")
    others = np.delete(W, positive_class, axis=0).mean(axis=0)
    weight = W[positive_class] - others                  # (2H,)
    rows = {}
    for name, part in (("fwd", weight[:H]), ("bwd", weight[H:])):
        strongest = np.argsort(-np.abs(part), kind="stable")[:k]
        rows[name] = strongest[np.argsort(-part[strongest], kind="stable")]
    return rows


def _short(text, width=70):
    return text if len(text) <= width else text[: width - 1] + "…"


def bidirectional_explorer(encoder, head, sentences, labels=None,
                           class_names=("negative", "positive"), index: int = 0, rows: str = "classifier"):
    """The dashboard: choose one of `sentences` (or type one) and see both directions.

    labels (optional, one class id per sentence) are shown as the true class. Controls:
    sentence (cu-bidirectional-sentence, a dropdown), text (cu-bidirectional-text, a text
    box: type and press Enter), which units the heatmaps show (cu-bidirectional-rows: the
    ones the classifier weighs most, see classifier_rows; or all of them), the unit the text
    strip shows (cu-bidirectional-unit; at first the forward unit the classifier weighs most).
    The strip (cu-bidirectional-strip) shows both directions' h, c and gates of that unit at
    the character pointed at.
    """
    import ipywidgets as widgets

    fn = "bidirectional_explorer"
    _check_encoder(fn, encoder)
    sentences = list(sentences)
    if not sentences or not all(isinstance(s, str) for s in sentences):
        raise TypeError(f"{fn}: sentences must be a non-empty list of str")
    if labels is not None and len(labels) != len(sentences):
        raise ValueError(f"{fn}: {len(sentences)} sentences but {len(labels)} labels")
    if not 0 <= index < len(sentences):
        raise ValueError(f"{fn}: index must lie in 0..{len(sentences) - 1}, got {index}")
    truth = {}
    if labels is not None:
        truth = {s: int(y) for s, y in zip(sentences, labels, strict=True)}

    def option(i):
        tag = f"{class_names[truth[sentences[i]]][:3]} · " if labels is not None else ""
        return (f"{i:3d} {tag}{_short(sentences[i])}", i)

    choose = with_class(widgets.Dropdown(options=[option(i) for i in range(len(sentences))],
                                         value=index, description="sentence",
                                         layout=widgets.Layout(width="95%")),
                        "cu-bidirectional-sentence")
    text = with_class(widgets.Text(value=sentences[index], description="or type",
                                   continuous_update=False, layout=widgets.Layout(width="95%")),
                      "cu-bidirectional-text")
    H = np.shape(encoder["fwd"]["W_h"])[1]
    k = min(CLASSIFIER_ROWS, H)
    choices = [(f"the {k} units the classifier weighs most", "classifier"),
               ("all units, alike together", "clustered"), ("all units, by number", "index")]
    rows_menu = with_class(widgets.Dropdown(options=choices, value=rows, description="rows",
                                            layout=widgets.Layout(width="380px")), "cu-bidirectional-rows")
    weighed = classifier_rows(head, H, k)
    label = readout("bidirectional")
    unit = with_class(widgets.IntSlider(value=strongest_forward_unit(head, H), min=0, max=H - 1,
                                        description="unit", continuous_update=True),
                      "cu-bidirectional-unit")
    strip = TextStrip("cu-bidirectional-strip")
    on_show = {}   # both directions' states and gates for the text on show, for the unit slider

    def show_strip(_=None):   # a new unit keeps the selected step; a new text starts with none
        strip.show(bidirectional_strip(on_show["reading"], unit.value, strip.selected))

    plot = PlotImage(5.4, nrows=2)
    plot.fig.set_layout_engine("none")                # fixed positions: the word labels change
    ax_f, ax_b = plot.axes
    ax_f.set_position([0.09, 0.63, 0.79, 0.29])       # [left, bottom, width, height], figure units
    ax_b.set_position([0.09, 0.245, 0.79, 0.29])
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    images, frames, separators = [], [], []
    titles = (r"forward $\overrightarrow{h}\,^{(t)}$: has read the text up to $t$",
              r"backward $\overleftarrow{h}\,^{(t)}$: has read the text from the end back to $t$")
    for ax, name in zip((ax_f, ax_b), titles, strict=True):
        image = ax.imshow(np.zeros((H, 2)), aspect="auto", cmap=STATE_CMAP, vmin=-1, vmax=1,
                          interpolation="nearest")
        frame = ax.add_patch(Rectangle((-0.5, -0.5), 1, H, fill=False, edgecolor="#e08214",
                                       linewidth=2.0, zorder=4))
        lines = ax.add_collection(LineCollection([], colors="k", linewidths=0.8, zorder=3))
        ax.set_title(name, fontsize=10, loc="left")
        ax.tick_params(axis="y", labelsize=8, length=0)
        ax.set_xticks([])                             # time is labelled by the words below
        images.append(image)
        frames.append(frame)
        separators.append(lines)
    ax_b.set_xlabel("time →  (words at their first step; lines mark word starts; framed: what the "
                    "classifier reads)", labelpad=62)
    colorbar_ax = plot.fig.add_axes([0.90, 0.245, 0.015, 0.675])
    plot.fig.colorbar(images[0], cax=colorbar_ax, label="state value")
    # A pool of word labels under the bottom panel: x in data units, y in axes units.
    label_transform = blended_transform_factory(ax_b.transData, ax_b.transAxes)
    word_texts = [ax_b.text(0, -0.04, "", rotation=60, ha="right", va="top", fontsize=9,
                            transform=label_transform, clip_on=False, visible=False)
                  for _ in range(MAX_LABELS)]
    blit.add(*images, *frames, *separators, *word_texts)
    axes_width_px = ax_b.get_position().width * plot.fig.get_figwidth() * plot.dpi

    def rows_of(direction, states):
        if rows_menu.value == "classifier":
            return weighed[direction]
        return clustered_units(states) if rows_menu.value == "clustered" else np.arange(H)

    def update(_=None):
        data = bidirectional_states(encoder, head, text.value)
        T = len(data["tokens"])
        starts = data["tick_positions"]
        # Time runs from 0 to 1 across the axes (step t covers t/T ... (t+1)/T) whatever the
        # sentence's length: the axes and their kept picture stay the same from one sentence to
        # the next, and only the heatmaps, lines, frames and words are drawn anew.
        for ax, image, lines, frame, direction in ((ax_f, images[0], separators[0], frames[0], "forward"),
                                                   (ax_b, images[1], separators[1], frames[1], "backward")):
            order = rows_of("fwd" if direction == "forward" else "bwd", data[direction])
            n = len(order)
            image.set_data(data[direction][:, order].T)     # (rows, T): units down, time across
            image.set_extent((0, 1, n - 0.5, -0.5))
            ax.set_xlim(0, 1)
            ax.set_ylim(n - 0.5, -0.5)
            lines.set_segments([[(t / T, -0.5), (t / T, n - 0.5)] for t in starts if t > 0])
            framed = T - 1 if direction == "forward" else 0   # →h at the last step, ←h at the first
            frame.set_bounds(framed / T, -0.5, 1 / T, n)
            if rows_menu.value == "classifier":       # the same units for every sentence: numbered
                ax.set_yticks(np.arange(n), [str(u) for u in order])
                ax.set_ylabel("unit (weight for\npositive at top)", fontsize=9)
            else:
                ax.set_yticks([])
                ax.set_ylabel(f"all {H} units", fontsize=9)
        # Label at most MAX_LABELS words, longest first (punctuation goes unlabelled: its line is
        # enough), none closer than LABEL_GAP_PX to another label.
        min_gap = T * LABEL_GAP_PX / axes_width_px    # in steps
        chosen = []
        words = [(at, w) for at, w in zip(starts, data["tick_labels"], strict=True)
                 if any(ch.isalnum() for ch in w)]
        for position, word in sorted(words, key=lambda item: (-len(item[1]), item[0])):
            if len(chosen) < MAX_LABELS and all(abs(position - at) >= min_gap for at, _ in chosen):
                chosen.append((position, word))
        shown = len(chosen)
        for text_artist, (position, word) in zip(word_texts[:shown], chosen, strict=True):
            text_artist.set(x=(position + 0.5) / T, text=word[:12], visible=True)
        for unused in word_texts[shown:]:
            unused.set_visible(False)
        p = data["probability"]
        predicted = class_names[int(p >= 0.5)]
        known = truth.get(text.value.strip())
        parts = [f"<b>p({class_names[1]}) = {p:.3f}</b> &rarr; predicted <b>{predicted}</b>"]
        if known is not None:
            verdict = "✓" if class_names[known] == predicted else "✗"
            parts.append(f"true label: {class_names[known]} {verdict}")
        parts.append(f"{T} steps")
        if data["unknown"]:
            parts.append(f"{data['unknown']} outside the vocabulary (read as &lt;unk&gt;)")
        if data["truncated"]:
            parts.append(f"cut to the first {MAX_STEPS} steps")
        plot.image.value = blit.show(key=rows_menu.value)   # the static parts were drawn once per mode
        label.value = " &nbsp;·&nbsp; ".join(parts)         # after the image: painted first
        if on_show.get("text") != text.value:              # a new text: its states, nothing selected
            on_show.update(text=text.value, reading=bidirectional_reading(encoder, data["tokens"]))
            strip.selected = -1
            show_strip()

    def choose_sentence(change):
        text.value = sentences[change["new"]]         # the text box's observer redraws

    choose.observe(choose_sentence, names="value")
    text.observe(update, names="value")
    rows_menu.observe(update, names="value")
    unit.observe(show_strip, names="value")
    update()
    return dashboard("bidirectional", [choose, text, rows_menu, plot.image, unit, strip, label],
                     title="Bidirectional explorer: both directions' hidden states and the classifier")
