"""Similarity scatter (lesson 00): human scores against the model's cosines, with Spearman's ρ.

    similarity_data(wv, pairs, word)   pure: the covered pairs, their ranks, ρ, coverage, and
                                       which pairs to label
    similarity_scatter(models, ...)    the dashboard, on the learner's trained vectors

Left: each covered word pair at (human score, cosine). Right: the same pairs at (rank of
the human score, rank of the cosine), both as a fraction of the number of pairs. Spearman's
ρ is Pearson's correlation of the right-hand picture: points on the diagonal are pairs the
model ranks exactly as people do. The colour is the rank difference, the `d` of the
textbook shortcut ρ = 1 - 6 Σ d² / (n (n² - 1)) (exact without ties).
"""

from __future__ import annotations

import numpy as np
from matplotlib.transforms import Affine2D

from course_utils.plots import Blitter, place_labels
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class
from course_utils.wordvec import WordVectors, average_ranks, evaluate_similarity

__all__ = ["similarity_data", "default_datasets", "similarity_scatter"]

DESCRIPTIONS = {
    "WordSim353": "353 pairs scored 0–10 for relatedness (coffee–cup scores high)",
    "SimLex-999": "999 pairs scored 0–10 for similarity proper (coffee–cup scores low)",
}


def similarity_data(wv: WordVectors, pairs, word: str | None = None, n_labels: int = 3) -> dict:
    """What the scatter shows for one model and one benchmark (no widgets).

    Returns a dict: "pairs" [(w1, w2)] covered; "human", "cosine" (n,); "rank_human",
    "rank_cosine" (n,) average ranks divided by n; "d" (n,) rank difference divided by n;
    "rho" Spearman's ρ (NaN below 2 pairs); "n_covered", "n_pairs", "coverage"; "labelled"
    indices of the pairs to name: those containing `word` (at most 8) if given, else the
    `n_labels` pairs whose ranks disagree most; "word" the cleaned word, "word_found".
    """
    if not isinstance(wv, WordVectors):
        raise TypeError(f"similarity_data: wv must be a WordVectors, got {type(wv).__name__}")
    result = evaluate_similarity(wv, pairs)
    n = result.n_covered
    human, cosine = result.human, result.cosine
    if n:
        rank_human, rank_cosine = average_ranks(human) / n, average_ranks(cosine) / n
    else:
        rank_human = rank_cosine = np.zeros(0)
    d = rank_human - rank_cosine
    word = word.strip().lower() if isinstance(word, str) and word.strip() else None
    if word:
        labelled = [i for i, (w1, w2, _, _) in enumerate(result.covered) if word in (w1, w2)][:8]
    else:  # the worst disagreements, each unordered pair once (WordSim353 lists a few twice)
        labelled, seen = [], set()
        for i in np.argsort(-np.abs(d), kind="stable"):
            key = frozenset(result.covered[i][:2])
            if key not in seen and len(labelled) < n_labels:
                seen.add(key)
                labelled.append(int(i))
    return {"pairs": [(w1, w2) for w1, w2, _, _ in result.covered], "human": human, "cosine": cosine,
            "rank_human": rank_human, "rank_cosine": rank_cosine, "d": d, "rho": result.rho,
            "n_covered": n, "n_pairs": result.n_pairs, "coverage": result.coverage,
            "labelled": labelled, "word": word, "word_found": bool(word) and bool(labelled),
            "missing": result.missing}


def default_datasets() -> dict:
    from course_utils.data import load_word_similarity

    return {"WordSim353": load_word_similarity("wordsim353"),
            "SimLex-999": load_word_similarity("simlex999")}


def _readout_html(data, dataset: str, model_name: str) -> str:
    rho = "undefined (fewer than 2 pairs)" if np.isnan(data["rho"]) else f"<b>{data['rho']:.3f}</b>"
    text = (f"{dataset}: {DESCRIPTIONS.get(dataset, str(data['n_pairs']) + ' pairs')}; {model_name}: "
            f"Spearman's ρ = {rho} on the {data['n_covered']} of {data['n_pairs']} pairs whose words "
            f"are both in the vocabulary (coverage {data['coverage']:.1%}).")
    if data["word"]:
        if data["word_found"]:
            shown = ", ".join(f"{'–'.join(data['pairs'][i])} (human {data['human'][i]:.2f}, "
                              f"cos {data['cosine'][i]:.2f})" for i in data["labelled"])
            text += f"<br>Pairs with '{data['word']}': {shown}"
        else:
            text += f"<br>No covered pair contains '{data['word']}'."
    elif data["labelled"]:
        worst = ", ".join("–".join(data["pairs"][i]) for i in data["labelled"])
        text += f"<br>Largest rank disagreements: {worst}. Type a word to label its pairs."
    return text


def similarity_scatter(models, datasets=None, dataset: str | None = None, word: str = ""):
    """The dashboard on the learner's vectors: `models` is a WordVectors or {name: WordVectors}.

    `datasets` maps a name to [(w1, w2, human score)] (default: WordSim353 and SimLex-999).
    Controls: the benchmark (toggle buttons cu-similarity-dataset), the model
    (cu-similarity-model), a word whose pairs get labelled (text box cu-similarity-word,
    applied on Enter or when the box loses focus).
    """
    import ipywidgets as widgets

    if isinstance(models, WordVectors):
        models = {models.name: models}
    models = dict(models)
    if not models or not all(isinstance(m, WordVectors) for m in models.values()):
        raise TypeError("similarity_scatter: models must be a WordVectors or a non-empty "
                        "{name: WordVectors} dict")
    datasets = dict(default_datasets() if datasets is None else datasets)
    if not datasets:
        raise ValueError("similarity_scatter: datasets is empty; expected {name: [(w1, w2, score)]}")
    dataset = dataset or next(iter(datasets))
    if dataset not in datasets:
        raise ValueError(f"similarity_scatter: dataset={dataset!r} is not one of {list(datasets)}")

    choose = with_class(widgets.ToggleButtons(options=list(datasets), value=dataset, description="data"),
                        "cu-similarity-dataset")
    model = with_class(widgets.Dropdown(options=list(models), description="model"), "cu-similarity-model")
    word_box = with_class(widgets.Text(value=word, description="word", placeholder="e.g. stock",
                                       continuous_update=False, layout=widgets.Layout(width="220px")),
                          "cu-similarity-word")
    label = readout("similarity")

    plot = PlotImage(3.9, ncols=2)
    score_ax, rank_ax = plot.axes
    top = max(max(s for _, _, s in pairs) for pairs in datasets.values() if pairs)
    score_ax.set(xlim=(-0.3, top + 0.3), ylim=(-0.6, 1.45), xlabel="human score",
                 ylabel="cosine similarity", title="Human score vs the model's cosine")
    score_ax.set_yticks(np.arange(-0.5, 1.01, 0.25))
    score_ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")  # no cosine is above 1
    rank_ax.set(xlim=(0, 1.03), ylim=(0, 1.03), xlabel="rank of the human score / n",
                ylabel="rank of the cosine / n", title="The same pairs ranked: ρ is their correlation")
    rank_ax.plot([0, 1], [0, 1], color="grey", linewidth=1, linestyle="--")
    rank_ax.text(0.97, 1.0, "same rank", rotation=45, ha="right", va="top", fontsize="small", color="grey")
    # coolwarm's middle is grey, so pairs ranked alike stay visible on white (RdBu's is white)
    style = {"cmap": "coolwarm_r", "vmin": -1, "vmax": 1, "s": 20, "edgecolors": "none"}
    dots = [ax.scatter(np.zeros(0), np.zeros(0), c=np.zeros(0), **style) for ax in (score_ax, rank_ax)]
    colorbar = plot.fig.colorbar(dots[1], ax=rank_ax)
    colorbar.set_label("rank difference d / n (human − cosine);\nred: the model ranks the pair higher")
    rho_text = score_ax.text(0.02, 0.97, "", transform=score_ax.transAxes, va="top", fontsize="medium",
                             bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "grey"})
    names = [score_ax.text(0, 0, "", fontsize="small", va="center", zorder=5)   # (text is slow: made once)
             for _ in range(8)]
    circles = [ax.scatter(np.zeros(0), np.zeros(0), s=80, facecolors="none", edgecolors="black",
                          linewidths=1.2, zorder=4) for ax in (score_ax, rank_ax)]

    blit = Blitter(plot.fig, dpi=plot.dpi)
    blit.add(*dots, rho_text, *names, *circles)

    def update(_=None):
        data = similarity_data(models[model.value], datasets[choose.value], word_box.value)
        places = (np.column_stack([data["human"], data["cosine"]]),
                  np.column_stack([data["rank_human"], data["rank_cosine"]]))
        for dot, circle, xy in zip(dots, circles, places, strict=True):
            dot.set_offsets(xy if len(xy) else np.empty((0, 2)))
            dot.set_array(data["d"])
            circle.set_offsets(xy[data["labelled"]] if data["labelled"] else np.empty((0, 2)))
        lowest = float(data["cosine"].min()) if data["n_covered"] else 0.0
        score_ax.set_ylim(min(-0.6, np.floor(10 * lowest - 0.5) / 10), 1.45)   # every cosine shown
        pairs = ["–".join(data["pairs"][i]) for i in data["labelled"]]
        spots = place_labels(score_ax, places[0][data["labelled"]], pairs, font_px=names[0].get_fontsize()
                             * plot.dpi / 72) if pairs else []
        for slot, text in enumerate(names):
            if slot < len(pairs):
                dx, dy, ha, va = spots[slot]
                text.set(text=pairs[slot], position=places[0][data["labelled"][slot]], ha=ha, va=va,
                         transform=score_ax.transData + Affine2D().translate(dx, dy))
            else:
                text.set_text("")
        rho = "ρ undefined" if np.isnan(data["rho"]) else f"ρ = {data['rho']:.3f}"
        rho_text.set_text(f"{rho}, n = {data['n_covered']}")   # short: text is the slow part to draw
        plot.image.value = blit.show()
        label.value = _readout_html(data, choose.value, model.value)   # after the image: painted first

    for control in (choose, model, word_box):
        control.observe(update, names="value")
    update()
    controls = widgets.VBox([choose, widgets.HBox([model, word_box])])
    return dashboard("similarity", [controls, plot.image, label],
                     title="Word similarity: do the model's cosines rank pairs as people do?")
