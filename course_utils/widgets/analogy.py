"""Analogy explorer (lesson 00): type a, b, c; see the top answers to a : b :: c : ? and why.

    analogy_data(wv, a, b, c, k, expected)   pure: the k best words by 3CosAdd with their
                                             scores, each one's cosines with a, b and c, and
                                             the rank of the expected answer
    analogy_explorer(models, ...)            the dashboard, on the learner's trained vectors

3CosAdd answers with the word w (not a, b or c) whose vector has the largest cosine with
v_b - v_a + v_c. With unit vectors that score is, up to one factor shared by all w,
cos(w, b) - cos(w, a) + cos(w, c) (Levy & Goldberg 2014), so the right panel shows the three
terms for each answer: often the winner is simply a word close to c, whatever a and b say.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch

from course_utils.plots import Blitter
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class
from course_utils.wordvec import WordVectors, cosine_similarities, solve_analogy

__all__ = ["analogy_data", "default_examples", "analogy_explorer"]

ROLES = ("a", "b", "c")
ANSWER_COLOUR, EXPECTED_COLOUR = "#5ec962", "#fde725"     # viridis green, viridis yellow
TERM_COLOURS = ("#21918c", "#440154", "#90d743")           # b, a, c (viridis)
TERM_LABELS = ("cos(w, b)", "cos(w, a), subtracted", "cos(w, c)")


def _clean(word) -> str:
    if not isinstance(word, str):
        raise TypeError(f"analogy_data: words must be str, got {type(word).__name__}: {word!r}")
    return word.strip().lower()


def analogy_data(wv: WordVectors, a: str, b: str, c: str, k: int = 5,
                 expected: str | None = None) -> dict:
    """What the explorer shows for a : b :: c : ? (no widgets).

    Returns a dict: "a", "b", "c" (cleaned: stripped, lower-case); "missing" [(role, word)]
    for the words outside the vocabulary (then nothing else is computed); "answers"
    [(word, score)] best first, score = cos(v_b - v_a + v_c, v_w); "terms" {word: (cos(w, a),
    cos(w, b), cos(w, c))} for the answers and the expected word; "expected",
    "expected_rank" (1 = the top answer; None when there is no expected word or it is not in
    the vocabulary), "expected_score"; "candidates" how many words competed.
    """
    if not isinstance(wv, WordVectors):
        raise TypeError(f"analogy_data: wv must be a WordVectors, got {type(wv).__name__}")
    words = dict(zip(ROLES, (_clean(a), _clean(b), _clean(c)), strict=True))
    out = {**words, "missing": [(role, w) for role, w in words.items() if w not in wv],
           "answers": [], "terms": {}, "expected": _clean(expected) if expected else None,
           "expected_rank": None, "expected_score": None,
           "candidates": len(wv) - len(set(words.values()))}
    if out["missing"]:
        return out
    out["answers"] = solve_analogy(wv, words["a"], words["b"], words["c"], k=k)
    ids = [wv.index[words[role]] for role in ROLES]
    shown = [w for w, _ in out["answers"]]
    expected = out["expected"]
    if expected in wv.index and expected not in words.values():
        target = wv.unit[ids[1]] - wv.unit[ids[0]] + wv.unit[ids[2]]
        scores = cosine_similarities(wv, target) if np.any(target) else np.zeros(len(wv))
        scores[ids] = -np.inf
        own = scores[wv.index[expected]]
        out["expected_rank"] = int(np.sum(scores > own)) + 1
        out["expected_score"] = float(own)
        if expected not in shown:
            shown.append(expected)
    if shown:
        rows = wv.unit[[wv.index[w] for w in shown]]            # (n, d)
        terms = rows @ wv.unit[ids].T                           # (n, 3): cos with a, b, c
        out["terms"] = {w: tuple(float(t) for t in row) for w, row in zip(shown, terms, strict=True)}
    return out


def _rectangles(y, widths, height: float) -> np.ndarray:
    """(n, 4, 2) corners of horizontal bars from x = 0 to x = width, centred on y."""
    y, widths = np.asarray(y, dtype=float), np.asarray(widths, dtype=float)
    low, high = y - height / 2, y + height / 2
    zeros = np.zeros_like(widths)
    return np.stack([np.column_stack([zeros, low]), np.column_stack([widths, low]),
                     np.column_stack([widths, high]), np.column_stack([zeros, high])], axis=1)


def default_examples(wv: WordVectors, questions=None, per_category: int = 1) -> list[tuple]:
    """Google analogy questions that `wv` covers: the first `per_category` of each category."""
    if questions is None:
        from course_utils.data import load_analogies

        questions = load_analogies()
    examples = []
    for rows in questions.values():
        covered = [tuple(q) for q in rows if all(w in wv for w in q)]
        examples.extend(covered[:per_category])
    return examples


def _readout_html(data, model_name: str, size: int) -> str:
    question = f"{data['a']} : {data['b']} :: {data['c']} : ?"
    if data["missing"]:
        unknown = ", ".join(f"{role} = '{word}'" for role, word in data["missing"])
        return (f"<b>{question}</b><br>Not in the vocabulary of {model_name} ({size:,} words): "
                f"{unknown}. Try another word (or pick an example).")
    if not data["answers"]:
        return f"<b>{question}</b><br>No candidate words left."
    word, cos = data["answers"][0]
    text = (f"<b>{question}</b> &rarr; <b>{word}</b> (score {cos:.3f}), best of "
            f"{data['candidates']:,} candidate words in {model_name}")
    text += "<br>Top answers: " + ", ".join(f"{w} {s:.3f}" for w, s in data["answers"])
    if data["expected"]:
        if data["expected_rank"] is None:
            text += f"<br>Expected answer '{data['expected']}' is not in the vocabulary."
        else:
            verdict = "correct" if data["expected_rank"] == 1 else "not the top answer"
            text += (f"<br>Expected answer '{data['expected']}': rank {data['expected_rank']:,}, "
                     f"score {data['expected_score']:.3f} ({verdict}).")
    return text


def analogy_explorer(models, a: str | None = None, b: str | None = None, c: str | None = None,
                     examples=None, k: int = 5):
    """The dashboard on the learner's vectors: `models` is a WordVectors or {name: WordVectors}.

    Controls: the words a, b, c (text boxes cu-analogy-a/-b/-c: the answers update on Enter
    or when the box loses focus), the model (cu-analogy-model), and an example menu
    (cu-analogy-example) of Google questions the first model covers, which fills in a, b, c.
    """
    import ipywidgets as widgets

    if isinstance(models, WordVectors):
        models = {models.name: models}
    models = dict(models)
    if not models or not all(isinstance(m, WordVectors) for m in models.values()):
        raise TypeError("analogy_explorer: models must be a WordVectors or a non-empty "
                        "{name: WordVectors} dict")
    first = next(iter(models.values()))
    examples = [tuple(q) for q in (default_examples(first) if examples is None else examples)]
    start = examples[0][:3] if examples else ("man", "king", "woman")
    picked = 0 if examples and (a, b, c) == (None, None, None) else -1
    a, b, c = (word if word is not None else default for word, default in zip((a, b, c), start, strict=True))

    boxes = {role: with_class(widgets.Text(value=word, description=role, continuous_update=False,
                                           layout=widgets.Layout(width="190px")), f"cu-analogy-{role}")
             for role, word in zip(ROLES, (a, b, c), strict=True)}
    model = with_class(widgets.Dropdown(options=list(models), description="model"), "cu-analogy-model")
    labels = ["(type your own)"] + [f"{q[0]} : {q[1]} :: {q[2]} : {q[3]}" for q in examples]
    options = list(zip(labels, range(-1, len(examples)), strict=True))
    example = with_class(widgets.Dropdown(options=options, value=picked, description="example",
                                          layout=widgets.Layout(width="430px")), "cu-analogy-example")
    label = readout("analogy")

    plot = PlotImage(3.7, ncols=2, sharey=True)
    score_ax, terms_ax = plot.axes
    rows = np.append(np.arange(k, 0, -1), -0.3).astype(float)     # k answers, then the expected word
    # Bars as one PolyCollection per panel: one draw call instead of one per rectangle.
    score_bars = PolyCollection(_rectangles(rows, np.zeros(k + 1), 0.7), facecolors=ANSWER_COLOUR,
                                edgecolors="black", linewidths=0.5)
    score_ax.add_collection(score_bars)
    score_ax.set(xlim=(-0.1, 1.2), ylim=(-1.0, k + 0.6), yticks=[],
                 xlabel=r"score = cos($v_b - v_a + v_c$, $v_w$)",
                 title=f"Top {k} answers w (a, b, c excluded)")
    score_ax.axvline(0, color="black", linewidth=0.8)
    score_ax.axhline(0.35, color="grey", linewidth=0.8, linestyle=":")
    captions = [score_ax.text(0.01, y, "", va="center", ha="left", fontsize="medium") for y in rows]

    term_rows = np.concatenate([rows + offset for offset in (0.24, 0.0, -0.24)])   # b, a, c blocks
    term_bars = PolyCollection(_rectangles(term_rows, np.zeros(3 * (k + 1)), 0.22),
                               facecolors=np.repeat(TERM_COLOURS, k + 1), edgecolors="black",
                               linewidths=0.4)
    terms_ax.add_collection(term_bars)
    terms_ax.set(xlim=(-0.5, 1.0), xlabel="cosine",
                 title="Why: score ∝ cos(w, b) − cos(w, a) + cos(w, c)")
    terms_ax.axvline(0, color="black", linewidth=0.8)
    terms_ax.axhline(0.35, color="grey", linewidth=0.8, linestyle=":")
    swatches = [Patch(facecolor=colour, edgecolor="black", linewidth=0.4) for colour in TERM_COLOURS]
    plot.fig.legend(handles=swatches, labels=TERM_LABELS, loc="outside lower right", ncols=3,
                    fontsize="small", frameon=False)
    message = score_ax.text(0.55, k / 2, "", ha="center", va="center", fontsize="medium")

    blit = Blitter(plot.fig, dpi=plot.dpi)
    blit.add(score_bars, term_bars, *captions, message)
    state = {"busy": False}

    def update(_=None):
        if state["busy"]:
            return
        wv = models[model.value]
        chosen = examples[example.value] if example.value >= 0 else None
        typed = tuple(_clean(boxes[r].value) for r in ROLES)
        if chosen and tuple(chosen[:3]) != typed:   # typed over the example: the menu follows
            state["busy"] = True
            example.value = -1
            state["busy"] = False
            chosen = None
        expected = chosen[3] if chosen else None
        data = analogy_data(wv, *typed, k=k, expected=expected)
        scores = np.zeros(k + 1)
        terms = np.zeros((3, k + 1))                  # rows: cos(w, b), cos(w, a), cos(w, c)
        colours = [ANSWER_COLOUR] * (k + 1)
        texts = [""] * (k + 1)
        for i, (word, score) in enumerate(data["answers"]):
            scores[i], texts[i] = score, word   # the numbers go to the readout: text is slow to draw
            terms[:, i] = [data["terms"][word][j] for j in (1, 0, 2)]
            if word == data["expected"]:
                colours[i] = EXPECTED_COLOUR
        rank = data["expected_rank"]
        if rank is not None and rank > k:
            word = data["expected"]
            scores[k], colours[k] = data["expected_score"], EXPECTED_COLOUR
            texts[k] = f"{word} (rank {rank:,})"
            terms[:, k] = [data["terms"][word][j] for j in (1, 0, 2)]
        score_bars.set_verts(_rectangles(rows, scores, 0.7))
        score_bars.set_facecolor(colours)
        term_bars.set_verts(_rectangles(term_rows, terms.ravel(), 0.22))
        for caption, text in zip(captions, texts, strict=True):
            caption.set_text(text)
        unknown = [f"'{word}'" for _, word in data["missing"]]
        message.set_text(f"{', '.join(unknown)}\nnot in the vocabulary" if unknown else "")
        plot.image.value = blit.show()
        label.value = _readout_html(data, model.value, len(wv))   # after the image: painted first

    def pick_example(change):
        if state["busy"]:
            return
        if change["new"] >= 0:   # fill in a, b, c, then draw once
            state["busy"] = True
            for role, word in zip(ROLES, examples[change["new"]][:3], strict=True):
                boxes[role].value = word
            state["busy"] = False
        update()

    example.observe(pick_example, names="value")
    for control in (*boxes.values(), model):
        control.observe(update, names="value")
    update()
    controls = widgets.VBox([widgets.HBox(list(boxes.values())), widgets.HBox([model, example])])
    return dashboard("analogy", [controls, plot.image, label],
                     title="Analogy explorer: a is to b as c is to ?")
