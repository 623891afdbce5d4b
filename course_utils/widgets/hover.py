"""What pointing at a character shows, per dashboard: pure functions behind the text strips.

    hidden_state_strip(run, unit)                       lesson 04: h of the chosen unit, the
                                                        RNN LM's top next-token predictions
    gates_strip(trace, colour_by, probs, vocab_tokens)  lesson 06: f, i, g, o, c, h of the unit
                                                        and the LSTM LM's predictions
    connectivity_strip(chars, norms, target, ...)       lesson 06: each input's gradient
                                                        magnitude; the model's predictions
    cell_search_strip(text, window, reading, unit, ...) lesson 06: c, h and gates of the unit,
                                                        whether the pattern holds, predictions
    bidirectional_strip(reading, unit)                  lesson 07: both directions' h, c and
                                                        gates of the unit

Each returns a `strip_state` (course_utils.widgets.text_strip): plain lists of strings and
colours, one entry per position, that the strip paints and the tests read. The model runs
they need (`lstm_reading`, `lm_probabilities`) are here too; this module imports no view
module (the views import it).
"""

from __future__ import annotations

import numpy as np

from course_utils.nn import _fast
from course_utils.nn.language_model import lm_logits, output_matrix
from course_utils.nn.layers import softmax
from course_utils.nn.lstm import split_gates
from course_utils.widgets.text_strip import (
    DIVERGING,
    colour_legend,
    format_predictions,
    shown_token,
    strip_state,
    value_colours,
)

__all__ = ["lstm_reading", "lm_probabilities", "hidden_state_strip", "gates_strip", "connectivity_strip",
           "cell_search_strip", "bidirectional_reading", "bidirectional_strip", "strongest_forward_unit",
           "GATE_LABELS"]

GATE_LABELS = {"f": "forget f", "i": "input i", "g": "candidate g", "o": "output o",
               "c": "cell c", "h": "hidden h"}
NOT_AFTER = "#eeeeee"  # connectivity: characters after the predicted one (not read for it)


def lstm_reading(params, x) -> dict:
    """Run one LSTM ({'W_e', 'W_h', 'b'}) over x (T, D) from a zero state: "f", "i", "g",
    "o" (the gates), "c" and "h", each (T, H), row t after reading x[t]."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"lstm_reading: x must be (T, D), got shape {x.shape}")
    hs, cs, (_, _, _, gates, *_) = _fast.lstm_forward(x[None], None, None, params["W_e"], params["W_h"],
                                                      params["b"])
    reading = split_gates(gates[:, 0].astype(np.float64))            # each (T, H)
    reading.update(h=hs[0].astype(np.float64), c=cs[0].astype(np.float64))
    return reading


def lm_probabilities(params, ids=None, hs=None, *, cell=None) -> np.ndarray:
    """Next-token probabilities (T, V) of a language model with `cell` ("rnn" or "lstm"): after
    reading ids[0..t] from a zero state, or from given hidden states hs (T, H) (then the cell
    does not matter): softmax(U h^(t) + c)."""
    if hs is not None:
        return softmax(np.asarray(hs, dtype=np.float64) @ output_matrix(params).T + params["c"])
    logits = lm_logits(params, np.asarray(ids, dtype=np.int64)[None], cell=cell)[0]
    return softmax(logits[0].astype(np.float64))


def _probability_of_next(tokens, probs, vocab_tokens):
    """p(tokens[t+1] | tokens[..t]) for t = 0..T−2, from probs (T, V); NaN for a token
    outside the vocabulary."""
    index = {token: i for i, token in enumerate(vocab_tokens)}
    return np.array([probs[t, index[token]] if token in index else np.nan
                     for t, token in enumerate(tokens[1:])])


def _next_row(tokens, probs_of_next, t):
    """["next in the text", "“x”, given 12.3%"] for position t of a text read left to right."""
    if t + 1 >= len(tokens):
        return ["next in the text", "— (the text ends here)"]
    return ["next in the text", f"“{shown_token(tokens[t + 1])}”, given {100 * probs_of_next[t]:.1f}%"]


def hidden_state_strip(run: dict, unit: int, step: int | None = None, top_k: int = 5,
                       separator: str = "") -> dict:
    """Lesson 04's strip: the text the RNN LM read (without <bos>), coloured by h^(t) of
    `unit`; each position t shows that h and the model's top_k guesses for token t+1.

    run: `hidden_state.read_text(...)` plus "vocab_tokens" (tokens[0] is "<bos>"; hidden
    (T+1, H); probs (T+1, V)). step: the chosen step, framed (strip position step − 1).
    """
    tokens, hidden, probs = run["tokens"], run["hidden"], run["probs"]
    H = hidden.shape[1]
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < H:
        raise ValueError(f"hidden_state_strip: unit must be an integer in 0..{H - 1}, got {unit!r}")
    ids = run["ids"]
    p_next = probs[np.arange(len(ids) - 1), ids[1:]]          # p(token t+1 | tokens ..t), (T,)
    steps = range(1, len(tokens))
    h = hidden[1:, unit]
    return strip_state(
        tokens[1:], h,
        titles=[f"step {t}: read “{shown_token(tokens[t])}”" for t in steps],
        rows=[[[f"h of unit {unit}", f"{hidden[t, unit]:+.3f}"], _next_row(tokens, p_next, t)]
              for t in steps],
        predictions=format_predictions(probs[1:], run["vocab_tokens"], top_k),
        predictions_label="the model expects next",
        legend=colour_legend(f"colour: h of unit {unit}", DIVERGING, -1.0, 1.0, "-1", "+1"),
        selected=-1 if not step else int(step) - 1, separator=separator)


def gates_strip(trace: dict, colour_by: str, probs, vocab_tokens, top_k: int = 5) -> dict:
    """Lesson 06's gate strip: the text coloured by one quantity of the chosen unit (c on
    the unit's own ±max|c| range, h on ±1, a gate on 0 … 1); each position shows f, i, g,
    o, c and h of that unit and the LSTM LM's top_k guesses for the next character.

    trace: `gates.lstm_gate_trace(...)` (tokens[0] = "<bos>", each quantity (T+1, H));
    probs (T+1, V): `lm_probabilities(params, hs=trace["h"])`.
    """
    if colour_by not in GATE_LABELS or colour_by == "g":
        raise ValueError(f"gates_strip: colour_by must be one of c, h, f, i, o; got {colour_by!r}")
    tokens, unit = trace["tokens"], trace["unit"]
    values = trace["unit_values"]
    p_next = _probability_of_next(tokens, probs, vocab_tokens)
    if colour_by == "c":  # unbounded: this unit's largest |c| over the text gets the strongest colour
        high = max(1e-6, float(np.abs(values["c"][1:]).max()))
        low, cmap, ends = -high, DIVERGING, (f"{-high:+.2f}", f"{high:+.2f}")
    elif colour_by == "h":
        low, high, cmap, ends = -1.0, 1.0, DIVERGING, ("-1", "+1")
    else:
        low, high, cmap, ends = 0.0, 1.0, "viridis", ("0 closed", "1 open")
    steps = range(1, len(tokens))
    return strip_state(
        tokens[1:], values[colour_by][1:], cmap=cmap, low=low, high=high,
        titles=[f"step {t}: read “{shown_token(tokens[t])}”" for t in steps],
        rows=[[[GATE_LABELS[k], f"{values[k][t]:+.3f}" if k in "gch" else f"{values[k][t]:.3f}"]
               for k in ("f", "i", "g", "o", "c", "h")] + [_next_row(tokens, p_next, t)]
              for t in steps],
        predictions=format_predictions(probs[1:], vocab_tokens, top_k),
        predictions_label="the model expects next",
        legend=colour_legend(f"colour: {GATE_LABELS[colour_by]} of unit {unit}", cmap, low, high, *ends))


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def connectivity_strip(name: str, chars, norms, target: int, colour_values, probs, vocab_tokens,
                       decades: int, top_k: int = 3) -> dict:
    """Lesson 06's connectivity strip for one model: the text, each character read before the
    prediction coloured by its gradient magnitude (magma, over `decades` powers of ten below
    the largest), the predicted character chars[target+1] selected, later ones grey. Each
    character k also shows the model's top_k guesses for it, made after reading chars[..k−1]
    (the prediction that clicking k would look at).

    norms (target+1,) from `input_gradient_norms`; colour_values (target+1,) their colours'
    positions in [−1, 1]; probs (T, V) the model's next-character probabilities after
    reading chars[0..t] (`lm_probabilities`).
    """
    T = len(chars)
    if not 0 <= target <= T - 2 or len(norms) != target + 1 or len(colour_values) != target + 1:
        raise ValueError(f"connectivity_strip: target must lie in 0..{T - 2} with target + 1 norms and "
                         f"colour values; got target={target!r}, {len(norms)} norms, "
                         f"{len(colour_values)} colour values")
    largest = max(float(np.max(norms)), 1e-300)
    colours = value_colours(colour_values, "magma", -1.0, 1.0) + ["#ffffff"] + [NOT_AFTER] * (T - target - 2)
    p_true = _probability_of_next(chars, probs, vocab_tokens)[target]
    titles, rows = [], []
    for t, ch in enumerate(chars):
        if t <= target:
            titles.append(f"{name}, position {t}: “{shown_token(ch)}”, read before the prediction")
            rows.append([["gradient ‖∂ log p / ∂e‖", f"{norms[t]:.2e}"],
                         ["relative to the largest", f"{norms[t] / largest:.3g}"]])
        elif t == target + 1:
            titles.append(f"{name}, position {t}: “{shown_token(ch)}”, the character being predicted")
            rows.append([[f"p(“{shown_token(ch)}”) after position {target}", f"{100 * p_true:.1f}%"]])
        else:
            titles.append(f"{name}, position {t}: “{shown_token(ch)}”, after the predicted character")
            rows.append([["for this prediction", "not read yet"]])
    return strip_state(
        list(chars), np.zeros(T), colours=colours, titles=titles, rows=rows,
        predictions=[[]] + format_predictions(probs[:-1], vocab_tokens, top_k),
        predictions_label=f"{name}'s guesses for this character",
        legend=colour_legend(f"{name}: gradient magnitude", "magma", -1.0, 1.0,
                             f"≤ 10{_superscript(-decades)} of the largest", "the largest",
                             note="grey: after the predicted character"),
        selected=target + 1)


def cell_search_strip(text: str, window: slice, reading: dict, unit: int, which: str, target, kind: str,
                      predictions) -> dict:
    """Lesson 06's cell-search strip: the characters text[window] coloured by the unit's
    `which` state ("c" or "h", on ± its largest |value| over the whole text), where a binary
    pattern holds underlined; each one shows c, h and the gates of the unit, the pattern's
    value there, and the LSTM LM's top_k guesses for the next character.

    reading: `lstm_reading` over the whole text ((T, H) per quantity); target (T,) from
    `cell_search.pattern_target`; kind "binary" or "position"; predictions: the guesses after
    every character of the text, `format_predictions(lm_probabilities(...), vocab_tokens, k)`
    (formatted once per text: a new unit or pattern then costs only its own values).
    """
    if which not in ("c", "h"):
        raise ValueError(f"cell_search_strip: which must be 'c' or 'h', got {which!r}")
    values = reading[which][:, unit]
    high = max(1e-6, float(np.abs(values).max()))
    positions = range(len(text))[window]
    binary = kind == "binary"
    shown = target[window].tolist()
    pattern = ([["pattern", "holds" if x > 0.5 else "does not hold"] for x in shown] if binary
               else [["position", f"{int(x)}"] for x in shown])
    # one column of text per quantity (formatting Python floats: a few ms for 500 characters)
    columns = [[[GATE_LABELS[k], f"{x:+.3f}" if k in "ch" else f"{x:.3f}"]
                for x in reading[k][window, unit].tolist()] for k in ("c", "h", "f", "i", "o")]

    return strip_state(
        list(text[window]), values[window], low=-high, high=high,
        titles=[f"character {t}: “{shown_token(text[t])}”" for t in positions],
        rows=[[first, *rest] for first, *rest in zip(pattern, *columns, strict=True)],
        predictions=predictions[window],
        predictions_label="the model expects next",
        marked=(target[window] > 0.5) if binary else None,
        legend=colour_legend(f"colour: {GATE_LABELS[which]} of unit {unit}", DIVERGING, -high, high,
                             note="underlined: where the pattern holds" if binary else ""))


def strongest_forward_unit(head: dict, hidden_dim: int) -> int:
    """The forward unit whose state the sentence classifier weighs most: the largest spread
    of its weights across classes. The head reads standardised features, so a weight is how
    far one standard deviation of that unit moves a class's score."""
    W = np.asarray(head["W"], dtype=np.float64)                          # (K, 2H)
    spread = W.max(axis=0) - W.min(axis=0)                               # (2H,)
    return int(np.argmax(spread[:hidden_dim]))


def bidirectional_reading(encoder: dict, tokens) -> dict:
    """Both directions of the encoder over `tokens` (the steps of `bidirectional_states`):
    {"tokens", "level", "forward": lstm_reading, "backward": lstm_reading}, row t of the
    backward one after reading steps T−1 down to t."""
    vocab = encoder["vocab"]
    ids = np.array(vocab.encode(list(tokens) if vocab.level == "word" else "".join(tokens)))
    x = np.asarray(encoder["E"], dtype=np.float64)[ids]                   # (T, D)
    backward = lstm_reading(encoder["bwd"], x[::-1])
    return {"tokens": list(tokens), "level": vocab.level, "forward": lstm_reading(encoder["fwd"], x),
            "backward": {k: v[::-1] for k, v in backward.items()}}


def bidirectional_strip(reading: dict, unit: int, selected: int = -1) -> dict:
    """Lesson 07's strip: the sentence coloured by →h^(t) of `unit`; each step shows h, c
    and the gates f, i, o of that unit in both directions (→ has read steps 0..t, ← steps
    T−1 down to t). reading: `bidirectional_reading(encoder, data["tokens"])`, computed once
    per sentence (a new unit then costs only the formatting)."""
    tokens, forward, backward = reading["tokens"], reading["forward"], reading["backward"]
    H = forward["h"].shape[1]
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < H:
        raise ValueError(f"bidirectional_strip: unit must be an integer in 0..{H - 1}, got {unit!r}")

    def rows(t):
        out = []
        for arrow, run in (("→", forward), ("←", backward)):
            out += [[f"{arrow}h", f"{run['h'][t, unit]:+.3f}"], [f"{arrow}c", f"{run['c'][t, unit]:+.3f}"],
                    [f"{arrow}f · i · o", " · ".join(f"{run[g][t, unit]:.2f}" for g in "fio")]]
        return out

    T = len(tokens)
    return strip_state(
        tokens, forward["h"][:, unit],
        titles=[f"step {t}: “{shown_token(tok)}” (→ has read {t + 1} steps, ← has read {T - t})"
                for t, tok in enumerate(tokens)],
        rows=[rows(t) for t in range(T)],
        legend=colour_legend(f"colour: →h of unit {unit}", DIVERGING, -1.0, 1.0, "-1", "+1"),
        selected=selected, separator=" " if reading["level"] == "word" else "")
