"""Word-vector helpers: cosine, Spearman by hand (vs scipy), 3CosAdd (vs gensim), PPMI + SVD."""

import gzip

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from course_utils import wordvec as W
from course_utils.wordvec import WordVectors

# ---- cosine and neighbours -----------------------------------------------------------------

def test_cosine_similarity_matches_torch(rng):
    for dim in (1, 3, 50):
        u, v = rng.standard_normal(dim), rng.standard_normal(dim)
        expected = torch.nn.functional.cosine_similarity(torch.tensor(u), torch.tensor(v), dim=0)
        assert W.cosine_similarity(u, v) == pytest.approx(float(expected), abs=1e-12)
    assert W.cosine_similarity([1, 0], [0, 2]) == 0.0
    assert W.cosine_similarity([1, 1], [-3, -3]) == pytest.approx(-1.0)


def test_cosine_similarity_errors():
    with pytest.raises(ValueError, match=r"u has shape \(3,\) but v has shape \(2,\)"):
        W.cosine_similarity([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="zero vector is undefined"):
        W.cosine_similarity([0, 0], [1, 2])
    with pytest.raises(ValueError, match=r"u must be a 1-D vector, got shape \(2, 2\)"):
        W.cosine_similarity(np.eye(2), [1, 2])


def tiny():
    # king - man + woman = queen exactly; apple is unrelated
    words = ["man", "woman", "king", "queen", "apple", "prince"]
    vectors = np.array([
        [1.0, 0.0, 0.0],
        [1.0, 1.0, 0.0],
        [1.0, 0.0, 2.0],
        [1.0, 1.0, 2.0],
        [0.0, -1.0, 0.1],
        [1.0, 0.1, 1.9],
    ])
    return WordVectors(words, vectors, name="tiny")


def test_word_vectors_container():
    wv = tiny()
    assert len(wv) == 6 and wv.dim == 3 and "queen" in wv and "pear" not in wv
    np.testing.assert_allclose(np.linalg.norm(wv.unit, axis=1), 1.0)
    assert repr(wv) == "WordVectors('tiny': 6 words x 3 dimensions)"
    with pytest.raises(ValueError, match=r"word='pear' is not in the vocabulary of tiny \(6 words\)"):
        wv.vector("pear")
    with pytest.raises(ValueError, match=r"3 words but vectors has shape \(2, 4\)"):
        WordVectors(["a", "b", "c"], np.zeros((2, 4)))
    with pytest.raises(ValueError, match="these repeat: \\['a'\\]"):
        WordVectors(["a", "a"], np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"shape \(V, d\), got shape \(3,\)"):
        WordVectors(["a", "b", "c"], np.zeros(3))


def test_nearest_neighbours_excludes_query_and_sorts():
    wv = tiny()
    neighbours = W.nearest_neighbours(wv, "king", k=3)
    assert [w for w, _ in neighbours] == ["prince", "queen", "man"]
    cosines = [c for _, c in neighbours]
    assert cosines == sorted(cosines, reverse=True)
    assert cosines[0] == pytest.approx(W.cosine_similarity(wv.vector("king"), wv.vector("prince")))
    by_vector = W.nearest_neighbours(wv, wv.vector("king"), k=1)
    assert by_vector[0][0] == "king" and by_vector[0][1] == pytest.approx(1.0)
    assert [w for w, _ in W.nearest_neighbours(wv, "king", k=2, exclude=["prince"])] == ["queen", "man"]
    assert len(W.nearest_neighbours(wv, "king", k=100)) == 5
    with pytest.raises(ValueError, match="k must be a positive integer"):
        W.nearest_neighbours(wv, "king", k=0)


# ---- Spearman by hand ------------------------------------------------------------------------

def test_average_ranks_gives_ties_their_mean_rank():
    np.testing.assert_array_equal(W.average_ranks([10, 30, 20, 30]), [1, 3.5, 2, 3.5])
    np.testing.assert_array_equal(W.average_ranks([5, 5, 5]), [2, 2, 2])
    np.testing.assert_array_equal(W.average_ranks([3.0, -1.0, 2.0]), [3, 1, 2])


@pytest.mark.parametrize("seed", range(8))
def test_spearman_by_hand_equals_scipy_on_data_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    x = rng.integers(0, 10, size=n).astype(float)          # many ties
    y = np.round(0.5 * x + rng.standard_normal(n), 1)      # ties too, correlated with x
    assert len(np.unique(x)) < n and len(np.unique(y)) < n
    assert W.spearman_rho(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)


def test_spearman_without_ties_and_the_lecture_table():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(50), rng.standard_normal(50)
    assert W.spearman_rho(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    assert W.spearman_rho(x, 2 * x + 1) == pytest.approx(1.0)
    assert W.spearman_rho(x, np.exp(-x)) == pytest.approx(-1.0)
    human = [7.35, 7.46, 7.58, 5.77, 6.62, 1.62, 1.31, 0.92]
    assert W.spearman_rho(human, human) == pytest.approx(1.0)


def test_spearman_errors():
    with pytest.raises(ValueError, match=r"x has shape \(3,\) but y has shape \(2,\)"):
        W.spearman_rho([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 2 pairs"):
        W.spearman_rho([1], [2])
    with pytest.raises(ValueError, match="all values of y are equal"):
        W.spearman_rho([1, 2, 3], [4, 4, 4])
    with pytest.raises(ValueError, match="finite"):
        W.spearman_rho([1, np.nan, 3], [1, 2, 3])


def test_similarity_evaluation_reports_coverage():
    wv = tiny()
    pairs = [("king", "queen", 8.0), ("king", "prince", 9.0), ("man", "apple", 1.0),
             ("woman", "pear", 2.0), ("tiger", "cat", 7.35), ("queen", "apple", 0.5)]
    result = W.evaluate_similarity(wv, pairs)
    assert (result.n_pairs, result.n_covered) == (6, 4)
    assert result.coverage == pytest.approx(4 / 6)
    assert [m[:2] for m in result.missing] == [("woman", "pear"), ("tiger", "cat")]
    assert result.covered[0][3] == pytest.approx(W.cosine_similarity(wv.vector("king"), wv.vector("queen")))
    assert result.rho == pytest.approx(spearmanr(result.human, result.cosine).statistic)
    assert "coverage 66.7%" in repr(result)
    assert np.isnan(W.evaluate_similarity(wv, [("king", "queen", 1.0), ("a", "b", 2.0)]).rho)
    with pytest.raises(ValueError, match=r"\(word1, word2, score\)"):
        W.evaluate_similarity(wv, [("king", "queen")])


# ---- analogies -----------------------------------------------------------------------------

def test_solve_analogy_on_a_hand_made_embedding():
    wv = tiny()
    answers = W.solve_analogy(wv, "man", "woman", "king", k=3)
    assert answers[0][0] == "queen"
    assert {w for w, _ in answers}.isdisjoint({"man", "woman", "king"})
    # the score is the cosine between v_b - v_a + v_c (inputs unit-normalised) and v_w
    unit = wv.unit
    target = unit[1] - unit[0] + unit[2]
    assert answers[0][1] == pytest.approx(W.cosine_similarity(target, wv.vector("queen")))
    # if b = a, the best answer would be c itself: it is excluded
    assert W.solve_analogy(wv, "man", "man", "king")[0][0] == "prince"
    assert W.solve_analogy(wv, "man", "woman", "king", restrict_vocab=3) == []
    with pytest.raises(ValueError, match="c='pear' is not in the vocabulary"):
        W.solve_analogy(wv, "man", "woman", "pear")


def test_solve_analogy_agrees_with_gensim(rng):
    from gensim.models import KeyedVectors

    words = [f"w{i}" for i in range(300)]
    vectors = rng.standard_normal((300, 20)).astype(np.float32)
    kv = KeyedVectors(20)
    kv.add_vectors(words, vectors)
    wv = WordVectors.from_keyed_vectors(kv)
    for a, b, c in [("w1", "w2", "w3"), ("w10", "w200", "w7"), ("w5", "w5", "w9")]:
        ours = W.solve_analogy(wv, a, b, c, k=5)
        theirs = kv.most_similar(positive=[b, c], negative=[a], topn=5)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


def test_analogy_accuracy_counts_coverage_and_correct_answers():
    wv = tiny()
    questions = {
        "royalty": [("man", "woman", "king", "queen"),      # correct
                    ("woman", "man", "queen", "king"),      # correct? checked below
                    ("man", "woman", "king", "pear")],      # not covered
        "fruit": [("apple", "pear", "man", "woman")],       # not covered
        "empty": [],
    }
    scores = W.analogy_accuracy(wv, questions)
    expected_second = W.solve_analogy(wv, "woman", "man", "queen")[0][0] == "king"
    royal = scores["royalty"]
    assert (royal.n_questions, royal.n_covered, royal.n_correct) == (3, 2, 1 + expected_second)
    assert royal.coverage == pytest.approx(2 / 3)
    assert royal.accuracy == pytest.approx((1 + expected_second) / 2)
    assert (scores["fruit"].n_covered, scores["fruit"].coverage) == (0, 0.0)
    assert np.isnan(scores["fruit"].accuracy) and np.isnan(scores["empty"].accuracy)
    total = W.total_score(scores)
    assert (total.category, total.n_questions, total.n_covered) == ("all", 4, 2)
    # restricting the vocabulary to the first 4 words drops the questions that need the others
    assert W.analogy_accuracy(wv, {"r": questions["royalty"]}, restrict_vocab=3)["r"].n_covered == 0
    with pytest.raises(ValueError, match=r"\(a, b, c, d\)"):
        W.analogy_accuracy(wv, {"bad": [("man", "woman", "king")]})


def test_analogy_accuracy_matches_solve_analogy_whatever_the_batch(rng):
    words = [f"w{i}" for i in range(120)]
    wv = WordVectors(words, rng.standard_normal((120, 8)))
    questions = [tuple(f"w{i}" for i in rng.choice(120, size=4, replace=False)) for _ in range(60)]
    questions += [(f"w{i}", f"w{i + 1}", f"w{i + 2}", W.solve_analogy(wv, f"w{i}", f"w{i + 1}",
                                                                       f"w{i + 2}")[0][0])
                  for i in range(0, 40, 3)]
    expected = sum(W.solve_analogy(wv, a, b, c)[0][0] == d for a, b, c, d in questions)
    for batch_size in (1, 7, 1000):
        score = W.analogy_accuracy(wv, {"q": questions}, batch_size=batch_size)["q"]
        assert (score.n_covered, score.n_correct) == (len(questions), expected)
    assert expected >= 14


# ---- PPMI + SVD ------------------------------------------------------------------------------

def test_cooccurrence_counts_by_hand():
    counts = W.cooccurrence_counts([[0, 1, 2], [2, 0]], vocab_size=3, window=1)
    # pairs at distance 1: (0,1), (1,2) in the first document, (2,0) in the second; symmetric
    np.testing.assert_array_equal(counts, [[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    wide = W.cooccurrence_counts([[0, 1, 2], [2, 0]], vocab_size=3, window=5)
    np.testing.assert_array_equal(wide, [[0, 1, 2], [1, 0, 1], [2, 1, 0]])
    np.testing.assert_array_equal(W.cooccurrence_counts([[1, 1]], 2, 2), [[0, 0], [0, 2]])
    with pytest.raises(ValueError, match=r"ids must be in 0..2"):
        W.cooccurrence_counts([[0, 3]], 3)
    with pytest.raises(ValueError, match="window must be a positive integer"):
        W.cooccurrence_counts([[0, 1]], 3, window=0)


def test_ppmi_by_hand():
    counts = np.array([[0.0, 4.0, 1.0], [4.0, 0.0, 0.0], [1.0, 0.0, 2.0]])
    total = counts.sum()
    p_w = counts.sum(1) / total
    for alpha in (1.0, 0.75):
        p_c = counts.sum(0) ** alpha / (counts.sum(0) ** alpha).sum()
        expected = np.zeros_like(counts)
        for w in range(3):
            for c in range(3):
                if counts[w, c] > 0:
                    expected[w, c] = max(0.0, np.log(counts[w, c] / total / (p_w[w] * p_c[c])))
        np.testing.assert_allclose(W.ppmi(counts, alpha), expected)
    assert W.ppmi(counts)[0, 0] == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        W.ppmi(-counts)


def test_truncated_svd_recovers_the_top_singular_triplets(rng):
    left, _ = np.linalg.qr(rng.standard_normal((200, 10)))
    right, _ = np.linalg.qr(rng.standard_normal((150, 10)))
    spectrum = np.array([50, 40, 30, 20, 10, 5, 4, 3, 2, 1.0])
    matrix = left * spectrum @ right.T + 1e-3 * rng.standard_normal((200, 150))
    u, s, vt = W.truncated_svd(matrix, 5, seed=3)
    u_exact, s_exact, vt_exact = np.linalg.svd(matrix, full_matrices=False)
    np.testing.assert_allclose(s, s_exact[:5], rtol=1e-6)
    np.testing.assert_allclose(np.abs(u.T @ u_exact[:, :5]), np.eye(5), atol=1e-5)
    np.testing.assert_allclose(u * s @ vt, u_exact[:, :5] * s_exact[:5] @ vt_exact[:5], atol=1e-5)
    again = W.truncated_svd(matrix, 5, seed=3)
    np.testing.assert_array_equal(again[0], u)
    with pytest.raises(ValueError, match=r"k must be between 1 and 150 for a matrix of shape \(200, 150\)"):
        W.truncated_svd(matrix, 151)


def test_ppmi_svd_vectors_pipeline_and_determinism():
    sentences = [s.split() for s in [
        "the cat sat on the mat", "the dog sat on the rug", "a cat and a dog",
        "the king and the queen", "the queen sat on the throne", "a king sat on a throne",
    ] * 3]
    wv = W.ppmi_svd_vectors(sentences, dim=4, window=2, min_count=3)
    assert wv.words[:4] == ("the", "a", "on", "sat")  # by frequency, ties alphabetical
    assert "mat" in wv and wv.vectors.shape == (len(wv), 4)
    index = {w: i for i, w in enumerate(wv.words)}
    documents = [[index[w] for w in s if w in index] for s in sentences]
    matrix = W.ppmi(W.cooccurrence_counts(documents, len(wv), 2))
    u, s, _ = W.truncated_svd(matrix.astype(np.float32), 4)
    np.testing.assert_array_equal(wv.vectors, u * np.sqrt(s))
    assert wv.vectors.dtype == np.float32
    u64, s64, _ = W.truncated_svd(matrix, 4)        # float32 loses nothing that matters here
    np.testing.assert_allclose(wv.vectors, u64 * np.sqrt(s64), atol=1e-4)
    np.testing.assert_array_equal(W.ppmi_svd_vectors(sentences, dim=4, window=2, min_count=3).vectors,
                                  wv.vectors)
    with pytest.raises(ValueError, match="fewer than dim"):
        W.ppmi_svd_vectors(sentences, dim=40, min_count=3)


# ---- pretrained text files -----------------------------------------------------------------

def test_load_word2vec_text_with_and_without_header(tmp_path):
    body = "the 0.1 0.2 -0.3\nof 1 2 3\nand 4 5 6\n"
    with gzip.open(tmp_path / "v.txt.gz", "wt", encoding="utf8") as f:
        f.write("3 3\n" + body)
    (tmp_path / "glove.txt").write_text(body, encoding="utf8")
    for name in ("v.txt.gz", "glove.txt"):
        wv = W.load_word2vec_text(tmp_path / name)
        assert wv.words == ("the", "of", "and")
        np.testing.assert_allclose(wv.vectors[0], [0.1, 0.2, -0.3], rtol=1e-6)
    assert W.load_word2vec_text(tmp_path / "glove.txt", limit=2).words == ("the", "of")
    (tmp_path / "crlf.txt").write_bytes(b"the 0.1 0.2 -0.3 \r\nof 1 2 3\r\nthe 7 7 7\r\n")
    crlf = W.load_word2vec_text(tmp_path / "crlf.txt")
    assert crlf.words == ("the", "of")  # a repeated word keeps its first vector
    np.testing.assert_allclose(crlf.vectors[0], [0.1, 0.2, -0.3], rtol=1e-6)
    (tmp_path / "bad.txt").write_text(body + "oops 1 2\n", encoding="utf8")
    with pytest.raises(ValueError, match="line 4 has 2 numbers, expected 3"):
        W.load_word2vec_text(tmp_path / "bad.txt")
