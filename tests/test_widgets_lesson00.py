"""Lesson 00 dashboards: the compute functions, and the views built headless and driven."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from course_utils import wordvec as W
from course_utils.widgets.analogy import analogy_data, analogy_explorer, default_examples
from course_utils.widgets.similarity import similarity_data, similarity_scatter
from course_utils.wordvec import WordVectors


def royal(name="tiny", seed=None):
    words = ["man", "woman", "king", "queen", "apple", "prince", "boy", "girl"]
    vectors = np.array([
        [1.0, 0.0, 0.0, 0.0],
        [1.0, 1.0, 0.0, 0.0],
        [1.0, 0.0, 2.0, 0.0],
        [1.0, 1.0, 2.0, 0.1],
        [0.0, -1.0, 0.1, 1.0],
        [1.0, 0.1, 1.9, 0.3],
        [0.9, 0.0, 0.1, 0.4],
        [0.9, 0.9, 0.1, 0.4],
    ])
    if seed is not None:
        vectors = vectors + 0.3 * np.random.default_rng(seed).standard_normal(vectors.shape)
    return WordVectors(words, vectors, name=name)


QUESTIONS = {"family": [("man", "woman", "king", "queen"), ("man", "woman", "boy", "girl"),
                        ("man", "woman", "uncle", "aunt")]}
PAIRS = [("king", "queen", 8.6), ("man", "woman", 8.3), ("boy", "girl", 7.9), ("king", "apple", 0.5),
         ("apple", "girl", 1.2), ("prince", "king", 9.0), ("tiger", "cat", 7.35), ("man", "boy", 7.0)]


def classes(widget):
    return set(widget._dom_classes)


def find(box, css_class):
    stack = [box]
    while stack:
        widget = stack.pop()
        if css_class in classes(widget):
            return widget
        stack.extend(getattr(widget, "children", ()))
    raise AssertionError(f"no widget with class {css_class}")


# ---- analogy explorer ----------------------------------------------------------------------

def test_analogy_data_answers_terms_and_expected_rank():
    wv = royal()
    data = analogy_data(wv, " Man", "woman ", "KING", k=3, expected="queen")
    assert (data["a"], data["b"], data["c"]) == ("man", "woman", "king")
    assert data["missing"] == [] and data["answers"] == W.solve_analogy(wv, "man", "woman", "king", k=3)
    assert data["answers"][0][0] == "queen" and data["expected_rank"] == 1
    assert data["expected_score"] == pytest.approx(data["answers"][0][1])
    cos_a, cos_b, cos_c = data["terms"]["queen"]
    unit = wv.unit
    assert cos_b == pytest.approx(unit[wv.index["queen"]] @ unit[wv.index["woman"]])
    assert cos_a == pytest.approx(unit[wv.index["queen"]] @ unit[wv.index["man"]])
    # 3CosAdd: the score orders words exactly as cos(w, b) - cos(w, a) + cos(w, c) does
    combined = {w: t[1] - t[0] + t[2] for w, t in data["terms"].items()}
    assert sorted(combined, key=combined.get, reverse=True) == [w for w, _ in data["answers"]]
    assert data["candidates"] == len(wv) - 3


def test_analogy_data_ranks_an_expected_word_outside_the_top_k():
    wv = royal()
    data = analogy_data(wv, "man", "woman", "king", k=1, expected="apple")
    assert [w for w, _ in data["answers"]] == ["queen"]
    full = W.solve_analogy(wv, "man", "woman", "king", k=len(wv))
    assert data["expected_rank"] == [w for w, _ in full].index("apple") + 1 > 1
    assert set(data["terms"]) == {"queen", "apple"}
    assert analogy_data(wv, "man", "woman", "king", expected="pear")["expected_rank"] is None


def test_analogy_data_reports_missing_words():
    data = analogy_data(royal(), "man", "aunt", "uncle")
    assert data["missing"] == [("b", "aunt"), ("c", "uncle")]
    assert data["answers"] == [] and data["terms"] == {}
    with pytest.raises(TypeError, match="wv must be a WordVectors"):
        analogy_data({"man": 1}, "a", "b", "c")
    with pytest.raises(TypeError, match="words must be str"):
        analogy_data(royal(), "man", 3, "king")


def test_default_examples_are_covered_questions():
    assert default_examples(royal(), QUESTIONS, per_category=5) == QUESTIONS["family"][:2]


def test_analogy_explorer_view_reacts_to_typing_model_and_example():
    models = {"tiny": royal(), "noisy": royal("noisy", seed=1)}
    box = analogy_explorer(models, examples=QUESTIONS["family"][:2])
    assert {"cu-dashboard", "cu-analogy"} <= classes(box)
    image, label = find(box, "cu-plot"), find(box, "cu-readout")
    a, b, c = (find(box, f"cu-analogy-{r}") for r in "abc")
    model, example = find(box, "cu-analogy-model"), find(box, "cu-analogy-example")
    assert not a.continuous_update and example.value == 0
    assert (a.value, b.value, c.value) == ("man", "woman", "king")
    assert "&rarr; <b>queen</b>" in label.value and "rank 1, score" in label.value
    assert "(correct)" in label.value and "Top answers: queen 0." in label.value
    assert image.value[:4] == b"\x89PNG"

    before = (image.value, label.value)
    c.value = "boy"                                   # typing a new c (Enter)
    assert "man : woman :: boy : ?" in label.value and "&rarr; <b>girl</b>" in label.value
    assert "Expected" not in label.value              # no longer the chosen example's question
    assert image.value != before[0] and label.value != before[1]

    before = image.value
    model.value = "noisy"
    assert "in noisy" in label.value and image.value != before

    example.value = 1
    assert (a.value, b.value, c.value) == ("man", "woman", "boy")
    assert "Expected answer 'girl'" in label.value

    before = image.value
    b.value = "aunt"
    assert "Not in the vocabulary of noisy (8 words): b = 'aunt'" in label.value
    assert image.value != before


def test_analogy_explorer_rejects_bad_models():
    with pytest.raises(TypeError, match="models must be a WordVectors"):
        analogy_explorer({"x": np.zeros((2, 2))})


# ---- similarity scatter --------------------------------------------------------------------

def test_similarity_data_ranks_rho_and_coverage():
    wv = royal()
    data = similarity_data(wv, PAIRS)
    assert (data["n_covered"], data["n_pairs"]) == (7, 8) and data["coverage"] == pytest.approx(7 / 8)
    assert data["rho"] == pytest.approx(spearmanr(data["human"], data["cosine"]).statistic)
    # ρ is Pearson's correlation of the ranks
    assert data["rho"] == pytest.approx(np.corrcoef(data["rank_human"], data["rank_cosine"])[0, 1])
    assert data["rank_human"].max() == 1.0 and np.all(data["rank_human"] > 0)
    np.testing.assert_allclose(data["d"], data["rank_human"] - data["rank_cosine"])
    worst = int(np.argmax(np.abs(data["d"])))
    assert data["labelled"][0] == worst and len(data["labelled"]) == 3
    assert data["missing"] == [("tiger", "cat", 7.35)]


def test_similarity_data_labels_a_word_and_dedupes_reversed_pairs():
    wv = royal()
    data = similarity_data(wv, PAIRS, word=" King ")
    assert data["word"] == "king" and data["word_found"]
    assert [data["pairs"][i] for i in data["labelled"]] == [("king", "queen"), ("king", "apple"),
                                                            ("prince", "king")]
    assert not similarity_data(wv, PAIRS, word="tiger")["word_found"]
    twice = similarity_data(wv, PAIRS + [("queen", "king", 8.6)], n_labels=8)
    labelled = [frozenset(twice["pairs"][i]) for i in twice["labelled"]]
    assert len(labelled) == len(set(labelled)) == 7
    empty = similarity_data(wv, [("tiger", "cat", 7.35)])
    assert empty["n_covered"] == 0 and np.isnan(empty["rho"]) and empty["labelled"] == []


def test_similarity_scatter_view_reacts_to_dataset_model_and_word():
    other = [("man", "girl", 3.0), ("boy", "woman", 2.5), ("king", "prince", 8.0), ("apple", "queen", 0.3),
             ("woman", "girl", 7.0)]
    datasets = {"small": PAIRS, "other": other}
    box = similarity_scatter({"tiny": royal(), "noisy": royal("noisy", seed=2)}, datasets=datasets)
    assert {"cu-dashboard", "cu-similarity"} <= classes(box)
    image, label = find(box, "cu-plot"), find(box, "cu-readout")
    dataset, model, word = (find(box, f"cu-similarity-{n}") for n in ("dataset", "model", "word"))
    rho = similarity_data(royal(), PAIRS)["rho"]
    assert f"ρ = <b>{rho:.3f}</b> on the 7 of 8 pairs" in label.value and "coverage 87.5%" in label.value

    for control, value, expect in [(dataset, "other", "other: 5 pairs"), (model, "noisy", "noisy:"),
                                   (word, "queen", "Pairs with 'queen': apple–queen")]:
        before = (image.value, label.value)
        control.value = value
        assert expect in label.value, label.value
        assert image.value != before[0] and label.value != before[1]
    word.value = "zebra"
    assert "No covered pair contains 'zebra'" in label.value


def test_similarity_scatter_defaults_to_the_shipped_benchmarks():
    from course_utils.data import load_word_similarity

    words = sorted({w for w1, w2, _ in load_word_similarity("wordsim353")[:60] for w in (w1, w2)})
    wv = WordVectors(words, np.random.default_rng(0).standard_normal((len(words), 6)), name="random")
    box = similarity_scatter(wv)
    dataset = find(box, "cu-similarity-dataset")
    assert list(dataset.options) == ["WordSim353", "SimLex-999"]
    assert "WordSim353: 353 pairs scored 0–10 for relatedness" in find(box, "cu-readout").value
    dataset.value = "SimLex-999"
    assert "SimLex-999: 999 pairs" in find(box, "cu-readout").value
    with pytest.raises(ValueError, match="dataset='nope' is not one of"):
        similarity_scatter(wv, dataset="nope")
