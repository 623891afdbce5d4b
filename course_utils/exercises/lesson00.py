"""Checks for lesson 00's exercises: cosine similarity, average ranks with ties, Spearman's ρ,
and 3CosAdd analogies.

Each compares the learner's function with an independent implementation (scipy's cosine
distance, `scipy.stats.rankdata` and `spearmanr`, gensim's `most_similar`) on seeded random
cases. The hints name the equation of the lesson, never the code.
"""

from __future__ import annotations

import numpy as np

from course_utils.exercises._core import Wrong, call, cases_rng, exercise, expect_close

__all__ = ["check_cosine_similarity", "check_average_ranks", "check_spearman_rho", "check_solve_analogy"]


COSINE_HINT = "cos(u, v) = u·v / (‖u‖ ‖v‖): the dot product divided by the product of the two lengths"


@exercise("cosine_similarity", success="matches scipy's cosine on 5 pairs of vectors (2 to 50 dimensions)")
def check_cosine_similarity(cosine_similarity):
    from scipy.spatial.distance import cosine as cosine_distance

    rng = cases_rng("lesson00.cosine_similarity")
    # (dimensions, scale of u, scale of v): lengths far from 1, so that a missing norm shows
    for d, scale_u, scale_v in ((2, 1.0, 2.0), (5, 3.0, 0.2), (50, 1.0, 10.0), (50, 0.01, 1.0)):
        u, v = rng.standard_normal(d) * scale_u, rng.standard_normal(d) * scale_v
        _expect_cosine(cosine_similarity, u, v, 1.0 - cosine_distance(u, v), f"for u, v of {d} dimensions")
    u = rng.standard_normal(4)
    _expect_cosine(cosine_similarity, u, 2.5 * u, 1.0, "for v = 2.5 u (same direction: cos = 1)")


def _expect_cosine(cosine_similarity, u, v, want, where):
    got = call("cosine_similarity", cosine_similarity, u.copy(), v.copy())
    dot, norm_u, norm_v = float(u @ v), float(np.linalg.norm(u)), float(np.linalg.norm(v))
    expect_close("cos(u, v)", got, want, where=where, hint=COSINE_HINT, mistakes={
        "the dot product is not divided by the lengths": dot,
        "the dot product is divided by the squared lengths ‖u‖² ‖v‖²": dot / (norm_u**2 * norm_v**2),
        "only ‖u‖ divides the dot product (‖v‖ is missing)": dot / norm_u,
        "only ‖v‖ divides the dot product (‖u‖ is missing)": dot / norm_v,
        "the two lengths are added, not multiplied": dot / (norm_u + norm_v),
        "it returns the cosine distance 1 − cos, not the cosine": 1.0 - want,
    })


RANKS_HINT = ("the smallest value gets rank 1, the next rank 2, ...; values that are tied share "
              "the mean of the ranks they occupy together")


@exercise("average_ranks", success="matches scipy.stats.rankdata on 5 lists, with and without ties")
def check_average_ranks(average_ranks):
    from scipy.stats import rankdata

    rng = cases_rng("lesson00.average_ranks")
    cases = [
        (np.array([3.0, 1.0, 3.0, 2.0]), "for [3, 1, 3, 2] (one tie)"),
        (rng.permutation(7) * 1.5 - 2.0, "for 7 values without ties"),
        (rng.integers(0, 4, size=12).astype(float), "for 12 values with many ties"),
        (np.round(rng.uniform(0, 10, size=30), 0), "for 30 scores rounded to whole numbers"),
        (np.full(4, 2.0), "for 4 equal values"),
    ]
    for x, where in cases:
        got = call("average_ranks", average_ranks, x.copy())
        ranks = rankdata(x)
        expect_close("R(x)", got, ranks, where=where, hint=RANKS_HINT, mistakes={
            "the ranks count from 0 (the smallest value has rank 1)": ranks - 1,
            "tied values keep different ranks (they must share the mean of their ranks)":
                rankdata(x, method="ordinal"),
            "tied values share the lowest of their ranks, not the mean": rankdata(x, method="min"),
            "tied values share the highest of their ranks, not the mean": rankdata(x, method="max"),
            "the largest value has rank 1 (rank 1 belongs to the smallest)": len(x) + 1 - ranks,
            "these are the positions of the values in sorted order (an argsort), not their ranks":
                np.argsort(x, kind="stable") + 1.0,
        })


SPEARMAN_HINT = ("ρ = cov(R(x), R(y)) / (σ_R(x) σ_R(y)): Pearson's correlation of the two lists of "
                 "average ranks, with the same denominator n in the covariance and the standard deviations")


@exercise("spearman_rho", success="matches scipy.stats.spearmanr on 4 data sets, with and without ties")
def check_spearman_rho(spearman_rho):
    from scipy.stats import rankdata, spearmanr

    rng = cases_rng("lesson00.spearman_rho")
    human = np.round(rng.uniform(0, 10, size=40))          # scores with many ties, as people give them
    cases = [
        (human, human + rng.normal(0, 3, size=40), "for 40 human-like scores (many ties) and noisy cosines"),
        (rng.integers(0, 5, size=25).astype(float), rng.integers(0, 5, size=25).astype(float),
         "for 25 pairs with ties on both sides"),
        (rng.permutation(9).astype(float), rng.permutation(9).astype(float), "for 9 pairs without ties"),
    ]
    x = rng.standard_normal(15)
    cases.append((x, np.exp(-x) + 0.1 * rng.standard_normal(15), "for y falling as x grows (ρ < 0)"))
    for x, y, where in cases:
        got = call("spearman_rho", spearman_rho, x.copy(), y.copy())
        rank_x, rank_y = rankdata(x), rankdata(y)
        n = len(x)
        d = rank_x - rank_y
        cov = np.mean((rank_x - rank_x.mean()) * (rank_y - rank_y.mean()))
        want = spearmanr(x, y).statistic
        expect_close("ρ", got, want, where=where, hint=SPEARMAN_HINT, rtol=1e-7, mistakes={
            "Pearson's correlation of the values themselves is taken, not of their ranks":
                np.corrcoef(x, y)[0, 1],
            "the textbook shortcut 1 − 6 Σd² / (n (n² − 1)) is used: it is exact only without ties":
                1 - 6 * np.sum(d**2) / (n * (n**2 - 1)),
            "the covariance of the ranks is not divided by their standard deviations": cov,
            "the covariance divides by n − 1 but the standard deviations by n": want * n / (n - 1),
        })


ANALOGY_HINT = ("3CosAdd: scale v_a, v_b, v_c to length 1, form v_b − v_a + v_c, rank every word w by "
                "cos(v_b − v_a + v_c, v_w), and leave a, b and c out")


@exercise("solve_analogy", success="the same words and scores as gensim's most_similar on 4 analogies")
def check_solve_analogy(solve_analogy):
    from gensim.models import KeyedVectors

    from course_utils.wordvec import WordVectors

    rng = cases_rng("lesson00.solve_analogy")
    words = [f"w{i:02d}" for i in range(60)]
    # Lengths from 0.2 to 5: skipping the scaling to length 1 changes the answers
    vectors = rng.standard_normal((60, 8)) * rng.uniform(0.2, 5.0, size=(60, 1))
    wv = WordVectors(words, vectors.astype(np.float32), name="the check's vectors")
    keyed = KeyedVectors(8)
    keyed.add_vectors(words, wv.vectors)
    for k in (1, 5, 5, 3):
        a, b, c = (str(w) for w in rng.choice(words, size=3, replace=False))
        want = keyed.most_similar(positive=[b, c], negative=[a], topn=k)
        got = call("solve_analogy", solve_analogy, wv, a, b, c, k)
        where = f"for {a} : {b} :: {c} : ? with k = {k}"
        got_words, got_scores = _pairs(got, k, where)
        want_words = [w for w, _ in want]
        if got_words != want_words:
            raise Wrong(_which_words_are_wrong(got_words, want_words, wv, a, b, c, k, where))
        unit = wv.vectors / np.linalg.norm(wv.vectors, axis=1, keepdims=True)
        target = unit[wv.index[b]] - unit[wv.index[a]] + unit[wv.index[c]]
        expect_close("the list of scores", got_scores, [s for _, s in want], where=where, hint=ANALOGY_HINT,
                     rtol=1e-5, atol=1e-6, mistakes={
                         "the scores are dot products with v_b − v_a + v_c, not cosines (divide by its "
                         "length)": [float(unit[wv.index[w]] @ target) for w in want_words],
                     })


def _pairs(got, k, where):
    if not isinstance(got, (list, tuple)) or len(got) != k:
        size = f"{len(got)} items" if isinstance(got, (list, tuple)) else type(got).__name__
        raise Wrong(f"solve_analogy must return a list of k = {k} (word, score) pairs {where}, got {size}")
    for pair in got:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str)):
            raise Wrong(f"solve_analogy must return (word, score) pairs, got {pair!r} {where}")
    return [w for w, _ in got], [s for _, s in got]


def _which_words_are_wrong(got_words, want_words, wv, a, b, c, k, where):
    """Name the mistake whose ranking the learner's answer reproduces, if any."""
    raw = wv.vectors.astype(np.float64)
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    ia, ib, ic = (wv.index[w] for w in (a, b, c))

    def top(target, candidates, exclude=True):
        scores = candidates @ target
        if exclude:
            scores[[ia, ib, ic]] = -np.inf
        return [wv.words[i] for i in np.argsort(-scores, kind="stable")[:k]]

    mistakes = {
        "a, b and c are not left out of the candidates": top(unit[ib] - unit[ia] + unit[ic], unit, False),
        "the offset is reversed (v_a − v_b + v_c)": top(unit[ia] - unit[ib] + unit[ic], unit),
        "v_a, v_b and v_c are not scaled to length 1 before they are added":
            top(raw[ib] - raw[ia] + raw[ic], unit),
        "the candidates are scored by dot products with their raw vectors, not by cosines":
            top(unit[ib] - unit[ia] + unit[ic], raw),
    }
    for mistake, words in mistakes.items():
        if got_words == words:
            return f"the answers are wrong {where}: it looks as if {mistake}. Hint: {ANALOGY_HINT}"
    first = next(i for i, (g, w) in enumerate(zip(got_words, want_words, strict=True)) if g != w)
    return (f"the answers are wrong {where}: answer {first + 1} is {got_words[first]!r}, which 3CosAdd "
            f"does not put at rank {first + 1}. Hint: {ANALOGY_HINT}")
