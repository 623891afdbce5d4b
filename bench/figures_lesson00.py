"""Figures of lesson 00: dashboard update latency, model build times, word-vector quality.

    .venv/bin/python bench/figures_lesson00.py

The models are the lesson's own: word2vec (gensim skip-gram, seeded, one worker) and PPMI + SVD
on the Lee corpus. Widget figures time the whole path a control change triggers on a
headless view (compute function, artist updates, PNG handed to the image widget): median
and 90th percentile wall time, and the median CPU time of the process. Quality figures are
Spearman's ρ on the pairs each model covers, with the coverage beside it, and 3CosAdd
accuracy on the covered Google questions.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from threadpoolctl import threadpool_limits  # noqa: E402

from course_utils import data, wordvec  # noqa: E402

from widget_latency import find_control as find  # noqa: E402
from widget_latency import latency_figures  # noqa: E402


def lesson_models() -> tuple[dict, list[tuple[str, float, str]]]:
    """The lesson's two models, built as the notebook builds them, and their build times."""
    from gensim.models import Word2Vec

    corpus = data.load_corpus("lee")
    sentences = [[t for t in data.tokenize_words(doc) if any(ch.isalnum() for ch in t)]
                 for doc in list(corpus.train_docs) + list(corpus.valid_docs)]
    start = time.perf_counter()
    model = Word2Vec(sentences, vector_size=50, window=5, min_count=2, sg=1, negative=5, epochs=40,
                     workers=1, seed=0)
    w2v_s = time.perf_counter() - start
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        ppmi_svd = wordvec.ppmi_svd_vectors(sentences, dim=50, window=5, min_count=2)
    ppmi_s = time.perf_counter() - start
    models = {"word2vec": wordvec.WordVectors.from_keyed_vectors(model.wv), "PPMI+SVD": ppmi_svd}
    tokens = sum(Counter(t for s in sentences for t in s).values())
    return models, [("lesson00_word2vec_train_s", w2v_s, "s"), ("lesson00_ppmi_svd_build_s", ppmi_s, "s"),
                    ("lesson00_corpus_tokens", tokens, "tokens")]


def quality_figures(models) -> list[tuple[str, float, str]]:
    figures = []
    benchmarks = {"wordsim353": data.load_word_similarity("wordsim353"),
                  "simlex999": data.load_word_similarity("simlex999")}
    analogies = data.load_analogies()
    for name, wv in models.items():
        for bench, pairs in benchmarks.items():
            result = wordvec.evaluate_similarity(wv, pairs)
            figures.append((f"lesson00_spearman_rho[{name},{bench}]", result.rho, "ρ"))
            figures.append((f"lesson00_coverage[{name},{bench}]", 100 * result.coverage, "%"))
        total = wordvec.total_score(wordvec.analogy_accuracy(wv, analogies))
        figures.append((f"lesson00_analogy_accuracy[{name}]", 100 * total.accuracy, "% of covered"))
        figures.append((f"lesson00_analogy_coverage[{name}]", 100 * total.coverage, "%"))
    return figures


def widget_figures(name, action, repeats):
    return latency_figures(name, action, repeats)


def analogy_figures(models, repeats):
    from course_utils.widgets.analogy import analogy_explorer

    box = analogy_explorer(models)
    example, c_box = find(box, "cu-analogy-example"), find(box, "cu-analogy-c")
    model = find(box, "cu-analogy-model")
    n_examples = len(example.options) - 1
    words = ["he", "she", "china", "india", "going", "xyzzy"]
    names = list(models)
    return (widget_figures("analogy_example", lambda i: setattr(example, "value", i % n_examples), repeats)
            + widget_figures("analogy_typing", lambda i: setattr(c_box, "value", words[i % len(words)]),
                             repeats)
            + widget_figures("analogy_model", lambda i: setattr(model, "value", names[i % 2]), repeats))


def similarity_figures(models, repeats):
    from course_utils.widgets.similarity import similarity_scatter

    box = similarity_scatter(models)
    dataset, word = find(box, "cu-similarity-dataset"), find(box, "cu-similarity-word")
    model = find(box, "cu-similarity-model")
    sets, words, names = list(dataset.options), ["stock", "money", "", "king"], list(models)
    return (widget_figures("similarity_dataset", lambda i: setattr(dataset, "value", sets[i % 2]), repeats)
            + widget_figures("similarity_word", lambda i: setattr(word, "value", words[i % 4]), repeats)
            + widget_figures("similarity_model", lambda i: setattr(model, "value", names[i % 2]), repeats))


def figures(quick: bool) -> list[tuple[str, float, str]]:
    repeats = 15 if quick else 40
    models, build = lesson_models()
    return (build + quality_figures(models) + analogy_figures(models, repeats)
            + similarity_figures(models, repeats))


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True)]
