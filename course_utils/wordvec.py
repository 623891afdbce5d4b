"""Word vectors and their intrinsic evaluation, in NumPy only.

- `WordVectors`: a word list and a (V, d) matrix, from any source (gensim's Word2Vec, the
  count-based `ppmi_svd_vectors` below, a pretrained file read by `load_word2vec_text`, or
  GloVe fetched, checksummed and cached by `load_pretrained`, which returns None offline);
- cosine similarity and nearest neighbours;
- Spearman's rank correlation written as the lecture writes it,
  ρ = cov(R(x), R(y)) / (σ_R(x) σ_R(y)), with average ranks for ties;
- word-similarity evaluation (WordSim353, SimLex-999) with coverage;
- analogies a : b :: c : ? by 3CosAdd, argmax_w cos(v_b - v_a + v_c, v_w) with a, b, c excluded,
  and accuracy per category of the Google analogy questions, with coverage;
- a count-based baseline: co-occurrence counts -> PPMI -> truncated SVD.

Coverage is always reported next to a score: a score computed on the 40 % of the pairs whose
words a small model knows is not comparable with one computed on all of them.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "WordVectors",
    "cosine_similarity",
    "cosine_similarities",
    "nearest_neighbours",
    "average_ranks",
    "spearman_rho",
    "SimilarityResult",
    "evaluate_similarity",
    "solve_analogy",
    "AnalogyScore",
    "analogy_accuracy",
    "total_score",
    "cooccurrence_counts",
    "ppmi",
    "truncated_svd",
    "ppmi_svd_vectors",
    "load_word2vec_text",
    "load_pretrained",
]


# --------------------------------------------------------------------------------------
# A vocabulary with one vector per word
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class WordVectors:
    """Words and their vectors: row i of `vectors` (shape (V, d)) belongs to `words[i]`.

    `unit` holds the rows scaled to length 1 (computed once), so that a cosine is a dot product.
    """

    words: Sequence[str]
    vectors: np.ndarray
    name: str = "word vectors"
    _unit: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.words = tuple(self.words)
        vectors = np.asarray(self.vectors)
        if vectors.ndim != 2:
            raise ValueError(f"WordVectors: vectors must have shape (V, d), got shape {vectors.shape}")
        if vectors.shape[0] != len(self.words):
            raise ValueError(
                f"WordVectors: {len(self.words)} words but vectors has shape {vectors.shape} "
                f"(expected ({len(self.words)}, d))"
            )
        if not np.issubdtype(vectors.dtype, np.floating):
            vectors = vectors.astype(np.float64)
        self.vectors = vectors
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            repeated = sorted(w for w, c in Counter(self.words).items() if c > 1)
            raise ValueError(f"WordVectors: words must be unique, these repeat: {repeated[:10]}")

    @classmethod
    def from_keyed_vectors(cls, keyed_vectors, name: str = "word2vec") -> WordVectors:
        """Wrap gensim's `KeyedVectors` (e.g. `model.wv`) without copying its matrix."""
        return cls(list(keyed_vectors.index_to_key), keyed_vectors.vectors, name=name)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __repr__(self) -> str:
        return f"WordVectors({self.name!r}: {len(self)} words x {self.dim} dimensions)"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def index_of(self, word: str, argument: str = "word") -> int:
        try:
            return self.index[word]
        except KeyError:
            raise ValueError(
                f"{argument}={word!r} is not in the vocabulary of {self.name} ({len(self):,} words)"
            ) from None

    def vector(self, word: str) -> np.ndarray:
        return self.vectors[self.index_of(word)]

    @property
    def unit(self) -> np.ndarray:
        """(V, d) rows of length 1; an all-zero row stays zero (its cosines are 0)."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.where(norms > 0, norms, 1.0)
        return self._unit


# --------------------------------------------------------------------------------------
# Cosine similarity and nearest neighbours
# --------------------------------------------------------------------------------------


def _as_vector(x, name: str) -> np.ndarray:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector, got shape {array.shape}")
    return array


def cosine_similarity(u, v) -> float:
    """cos(u, v) = u·v / (‖u‖ ‖v‖), a number in [-1, 1]."""
    u, v = _as_vector(u, "u"), _as_vector(v, "v")
    if u.shape != v.shape:
        raise ValueError(f"cosine_similarity: u has shape {u.shape} but v has shape {v.shape}")
    norm_u, norm_v = np.linalg.norm(u), np.linalg.norm(v)
    if norm_u == 0 or norm_v == 0:
        raise ValueError("cosine_similarity: the cosine of a zero vector is undefined "
                         f"(‖u‖ = {norm_u:g}, ‖v‖ = {norm_v:g})")
    return float(u @ v / (norm_u * norm_v))


def cosine_similarities(wv: WordVectors, query) -> np.ndarray:
    """(V,) cosines between `query` (a word or a d-vector) and every word of `wv`."""
    q = wv.vector(query) if isinstance(query, str) else _as_vector(query, "query")
    if q.shape != (wv.dim,):
        raise ValueError(f"cosine_similarities: query has shape {q.shape}, expected ({wv.dim},)")
    norm = np.linalg.norm(q)
    if norm == 0:
        raise ValueError("cosine_similarities: query is the zero vector; its cosine is undefined")
    return wv.unit @ (q / norm)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first; ties keep the vocabulary order."""
    k = min(k, int(np.sum(np.isfinite(scores))))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    candidates = np.argpartition(-scores, k - 1)[:k] if k < scores.size else np.arange(scores.size)
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


def nearest_neighbours(wv: WordVectors, query, k: int = 5,
                       exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
    """The k words with the largest cosine to `query` (a word, itself left out, or a vector)."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"nearest_neighbours: k must be a positive integer, got {k!r}")
    scores = cosine_similarities(wv, query).copy()
    excluded = set(exclude) | ({query} if isinstance(query, str) else set())
    for word in excluded:
        if word in wv.index:
            scores[wv.index[word]] = -np.inf
    return [(wv.words[i], float(scores[i])) for i in _top_k(scores, k)]


# --------------------------------------------------------------------------------------
# Spearman's rank correlation, by hand
# --------------------------------------------------------------------------------------


def average_ranks(x) -> np.ndarray:
    """Ranks 1..n of the values of x; tied values share the average of their ranks.

    >>> average_ranks([10, 30, 20, 30])
    array([1. , 3.5, 2. , 3.5])
    """
    x = _as_vector(x, "x")
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)          # rank of the last copy of each distinct value
    first = last - counts + 1         # rank of its first copy
    return ((first + last) / 2.0)[inverse]


def spearman_rho(x, y) -> float:
    """ρ = cov(R(x), R(y)) / (σ_R(x) σ_R(y)): Pearson's correlation of the ranks."""
    x, y = _as_vector(x, "x"), _as_vector(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"spearman_rho: x has shape {x.shape} but y has shape {y.shape}")
    if x.size < 2:
        raise ValueError(f"spearman_rho: needs at least 2 pairs, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("spearman_rho: x and y must be finite (found NaN or inf)")
    rank_x, rank_y = average_ranks(x), average_ranks(y)
    cov = np.mean((rank_x - rank_x.mean()) * (rank_y - rank_y.mean()))
    sigma_x, sigma_y = rank_x.std(), rank_y.std()
    if sigma_x == 0 or sigma_y == 0:
        which = "x" if sigma_x == 0 else "y"
        raise ValueError(f"spearman_rho: all values of {which} are equal, so ρ is undefined")
    return float(cov / (sigma_x * sigma_y))


# --------------------------------------------------------------------------------------
# Word-similarity benchmarks
# --------------------------------------------------------------------------------------


@dataclass
class SimilarityResult:
    """Spearman's ρ between human scores and cosines, on the pairs the model covers."""

    rho: float
    covered: list[tuple[str, str, float, float]]   # (w1, w2, human score, cosine)
    missing: list[tuple[str, str, float]]           # pairs with a word outside the vocabulary

    @property
    def n_pairs(self) -> int:
        return len(self.covered) + len(self.missing)

    @property
    def n_covered(self) -> int:
        return len(self.covered)

    @property
    def coverage(self) -> float:
        return self.n_covered / self.n_pairs if self.n_pairs else 0.0

    @property
    def human(self) -> np.ndarray:
        return np.array([pair[2] for pair in self.covered], dtype=np.float64)

    @property
    def cosine(self) -> np.ndarray:
        return np.array([pair[3] for pair in self.covered], dtype=np.float64)

    def __repr__(self) -> str:
        return (f"SimilarityResult(rho={self.rho:.4f} on {self.n_covered} of {self.n_pairs} pairs, "
                f"coverage {self.coverage:.1%})")


def evaluate_similarity(wv: WordVectors,
                        pairs: Iterable[tuple[str, str, float]]) -> SimilarityResult:
    """Cosine for every pair whose two words are in `wv`; ρ over those (NaN if fewer than 2)."""
    covered, missing = [], []
    for pair in pairs:
        if len(pair) != 3:
            raise ValueError(f"evaluate_similarity: each pair must be (word1, word2, score), got {pair!r}")
        w1, w2, score = pair
        if w1 in wv.index and w2 in wv.index:
            cos = float(wv.unit[wv.index[w1]] @ wv.unit[wv.index[w2]])
            covered.append((w1, w2, float(score), cos))
        else:
            missing.append((w1, w2, float(score)))
    rho = float("nan")
    if len(covered) >= 2:
        human = np.array([p[2] for p in covered])
        cosine = np.array([p[3] for p in covered])
        if np.ptp(human) > 0 and np.ptp(cosine) > 0:
            rho = spearman_rho(human, cosine)
    return SimilarityResult(rho=rho, covered=covered, missing=missing)


# --------------------------------------------------------------------------------------
# Analogies: 3CosAdd
# --------------------------------------------------------------------------------------


def _restricted(wv: WordVectors, restrict_vocab: int | None) -> int:
    if restrict_vocab is None:
        return len(wv)
    if not isinstance(restrict_vocab, (int, np.integer)) or restrict_vocab < 1:
        raise ValueError(f"restrict_vocab must be None or a positive integer, got {restrict_vocab!r}")
    return min(int(restrict_vocab), len(wv))


def solve_analogy(wv: WordVectors, a: str, b: str, c: str, k: int = 1,
                  restrict_vocab: int | None = None) -> list[tuple[str, float]]:
    """a : b :: c : ? -> the k words w maximising cos(v_b - v_a + v_c, v_w), w not in {a, b, c}.

    As in word2vec and gensim, v_a, v_b and v_c are unit vectors, so the score is also
    cos(w, b) - cos(w, a) + cos(w, c) up to a constant factor (Levy & Goldberg's 3CosAdd).
    `restrict_vocab` limits the candidates to the first (most frequent) words.
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"solve_analogy: k must be a positive integer, got {k!r}")
    size = _restricted(wv, restrict_vocab)
    ids = [wv.index_of(word, name) for word, name in ((a, "a"), (b, "b"), (c, "c"))]
    target = wv.unit[ids[1]] - wv.unit[ids[0]] + wv.unit[ids[2]]
    norm = np.linalg.norm(target)
    scores = wv.unit[:size] @ (target / norm if norm > 0 else target)
    for i in ids:
        if i < size:
            scores[i] = -np.inf
    return [(wv.words[i], float(scores[i])) for i in _top_k(scores, k)]


@dataclass
class AnalogyScore:
    """Accuracy on one category: correct / covered, where covered = all 4 words known."""

    category: str
    n_questions: int
    n_covered: int
    n_correct: int

    @property
    def accuracy(self) -> float:
        return self.n_correct / self.n_covered if self.n_covered else float("nan")

    @property
    def coverage(self) -> float:
        return self.n_covered / self.n_questions if self.n_questions else 0.0


def analogy_accuracy(wv: WordVectors,
                     questions: Mapping[str, Sequence[tuple[str, str, str, str]]],
                     restrict_vocab: int | None = None,
                     batch_size: int = 512) -> dict[str, AnalogyScore]:
    """3CosAdd accuracy per category on questions a : b :: c : d (e.g. `load_analogies()`).

    A question counts only if its four words are among the first `restrict_vocab` words of
    `wv` (all of them by default); the others lower the coverage, not the accuracy.
    """
    size = _restricted(wv, restrict_vocab)
    unit = wv.unit[:size]
    scores = {}
    for category, rows in questions.items():
        ids = []
        for row in rows:
            if len(row) != 4:
                raise ValueError(f"analogy_accuracy: each question must be (a, b, c, d), got {row!r}")
            row_ids = [wv.index.get(word, size) for word in row]
            if max(row_ids) < size:
                ids.append(row_ids)
        n_correct = 0
        if ids:
            ids = np.array(ids, dtype=np.int64)                       # (Q, 4) a, b, c, d
            step = max(1, min(batch_size, 2**24 // size))             # at most 16M scores at once
            for start in range(0, len(ids), step):
                batch = ids[start:start + step]
                target = unit[batch[:, 1]] - unit[batch[:, 0]] + unit[batch[:, 2]]   # (B, d)
                sims = target @ unit.T                                  # (B, V): argmax unchanged
                rows_idx = np.arange(len(batch))[:, None]               # by normalising target
                sims[rows_idx, batch[:, :3]] = -np.inf
                n_correct += int(np.sum(np.argmax(sims, axis=1) == batch[:, 3]))
        scores[category] = AnalogyScore(category, len(rows), len(ids), n_correct)
    return scores


def total_score(scores: Mapping[str, AnalogyScore] | Iterable[AnalogyScore],
                name: str = "all") -> AnalogyScore:
    """All categories pooled: every covered question counts once."""
    items = list(scores.values()) if isinstance(scores, Mapping) else list(scores)
    return AnalogyScore(name, sum(s.n_questions for s in items), sum(s.n_covered for s in items),
                        sum(s.n_correct for s in items))


# --------------------------------------------------------------------------------------
# A count-based baseline: co-occurrences -> PPMI -> truncated SVD
# --------------------------------------------------------------------------------------


def cooccurrence_counts(documents: Iterable[Sequence[int]], vocab_size: int,
                        window: int = 5) -> np.ndarray:
    """(V, V) symmetric counts: C[w, c] = times c occurs within `window` words of w.

    `documents` are sequences of word ids in 0..vocab_size-1 (words outside the
    vocabulary already removed); windows do not cross documents.
    """
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"cooccurrence_counts: window must be a positive integer, got {window!r}")
    rows, cols = [], []
    for doc in documents:
        ids = np.asarray(doc, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
            raise ValueError(f"cooccurrence_counts: ids must be in 0..{vocab_size - 1}, "
                             f"got values from {ids.min()} to {ids.max()}")
        for distance in range(1, min(window, len(ids) - 1) + 1):
            rows.append(ids[:-distance])
            cols.append(ids[distance:])
    counts = np.zeros((vocab_size, vocab_size), dtype=np.float64)
    if rows:
        left, right = np.concatenate(rows), np.concatenate(cols)
        np.add.at(counts, (left, right), 1.0)
        np.add.at(counts, (right, left), 1.0)
    return counts


def ppmi(counts: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    """PPMI(w, c) = max(0, log P(w, c) / (P(w) P_α(c))), with P_α(c) ∝ count(c)^α.

    α = 0.75 smooths the context distribution as word2vec's negative sampling does
    (Levy, Goldberg & Dagan 2015); α = 1 is plain PPMI. Pairs never seen get 0.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2:
        raise ValueError(f"ppmi: counts must be a 2-D matrix, got shape {counts.shape}")
    if np.any(counts < 0):
        raise ValueError("ppmi: counts must be non-negative")
    total = counts.sum()
    if total == 0:
        raise ValueError("ppmi: counts are all zero")
    context = counts.sum(axis=0) ** alpha
    p_w = counts.sum(axis=1) / total                      # (V,)
    p_c = context / context.sum()                         # (V,) smoothed context distribution
    w, c = np.nonzero(counts)                             # only seen pairs can be positive
    pmi = np.log(counts[w, c] / total / (p_w[w] * p_c[c]))
    result = np.zeros(counts.shape, dtype=np.float64)
    result[w, c] = np.maximum(pmi, 0.0)
    return result


def truncated_svd(matrix: np.ndarray, k: int, n_iter: int = 5, n_oversamples: int = 20,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k largest singular triplets, U (n, k), s (k,), Vt (k, m), by randomised SVD.

    Halko, Martinsson & Tropp (2011): multiply by a seeded random (m, k + p) matrix, sharpen
    with `n_iter` power iterations, then take the exact SVD of the small projected matrix.
    A full SVD of a 4,000 x 4,000 matrix takes tens of seconds or more on a laptop CPU; this
    takes about a second.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"truncated_svd: matrix must be 2-D, got shape {matrix.shape}")
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= min(matrix.shape):
        raise ValueError(f"truncated_svd: k must be between 1 and {min(matrix.shape)} for a matrix "
                         f"of shape {matrix.shape}, got {k!r}")
    if matrix.dtype not in (np.float32, np.float64):
        matrix = matrix.astype(np.float64)
    rng = np.random.default_rng(seed)
    width = min(k + n_oversamples, min(matrix.shape))
    q, _ = np.linalg.qr(matrix @ rng.standard_normal((matrix.shape[1], width)).astype(matrix.dtype))
    for _ in range(n_iter):
        q, _ = np.linalg.qr(matrix.T @ q)
        q, _ = np.linalg.qr(matrix @ q)
    u_small, s, vt = np.linalg.svd(q.T @ matrix, full_matrices=False)
    u = q @ u_small
    # SVD signs are arbitrary: make each column's largest entry positive, so runs agree.
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    signs[signs == 0] = 1.0
    return u[:, :k] * signs[:k], s[:k], vt[:k] * signs[:k, None]


def ppmi_svd_vectors(sentences: Iterable[Sequence[str]], dim: int = 50, window: int = 5,
                     min_count: int = 2, alpha: float = 0.75, power: float = 0.5,
                     seed: int = 0) -> WordVectors:
    """Count-based word vectors: W = U_k Σ_k^power from the truncated SVD of the PPMI matrix.

    Words seen fewer than `min_count` times are dropped before counting (as word2vec does);
    the vocabulary is sorted by decreasing frequency, ties alphabetically. power = 0.5
    splits Σ evenly between words and contexts, which usually helps similarity tasks.
    """
    sentences = [list(s) for s in sentences]
    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"ppmi_svd_vectors: min_count must be a positive integer, got {min_count!r}")
    frequency = Counter(word for sentence in sentences for word in sentence)
    words = sorted((w for w, n in frequency.items() if n >= min_count), key=lambda w: (-frequency[w], w))
    if len(words) <= dim:
        raise ValueError(f"ppmi_svd_vectors: only {len(words)} words occur at least min_count={min_count} "
                         f"times, fewer than dim + 1 = {dim + 1}")
    index = {w: i for i, w in enumerate(words)}
    documents = [[index[w] for w in sentence if w in index] for sentence in sentences]
    counts = cooccurrence_counts(documents, len(words), window)
    # float32 halves the work of the products and changes nothing that 50 directions can show
    u, s, _ = truncated_svd(ppmi(counts, alpha).astype(np.float32), dim, seed=seed)
    return WordVectors(words, u * s**power, name="PPMI+SVD")


# --------------------------------------------------------------------------------------
# Pretrained vectors in the word2vec / GloVe text format
# --------------------------------------------------------------------------------------


def load_word2vec_text(path: str | Path, limit: int | None = None,
                       name: str | None = None) -> WordVectors:
    """Read `word v1 v2 ... vd` lines (plain or .gz); a `count dim` header line is optional.

    `limit` keeps the first `limit` words (files list the most frequent words first). Each
    line becomes a float32 row as it is read, so 100,000 GloVe words take 20 MB, not the
    hundreds of MB that lists of number strings would.
    """
    path = Path(path)
    if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 1):
        raise ValueError(f"load_word2vec_text: limit must be None or a positive integer, got {limit!r}")
    opener = gzip.open if path.suffix == ".gz" else open
    words, rows, dim = [], [], None
    seen = set()
    with opener(path, "rt", encoding="utf8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.rstrip().split(" ")          # GloVe lines may end in " " or "\r\n"
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                dim = int(parts[1])
                continue
            if dim is None:
                dim = len(parts) - 1
            if len(parts) != dim + 1:
                raise ValueError(f"load_word2vec_text: {path.name} line {number} has {len(parts) - 1} "
                                 f"numbers, expected {dim}")
            if parts[0] in seen:
                continue
            try:
                row = np.array(parts[1:], dtype=np.float32)
            except ValueError:
                raise ValueError(f"load_word2vec_text: {path.name} line {number} holds something that "
                                 f"is not a number after the word {parts[0]!r}") from None
            seen.add(parts[0])
            words.append(parts[0])
            rows.append(row)
            if limit is not None and len(words) >= limit:
                break
    if not words:
        raise ValueError(f"load_word2vec_text: no vectors in {path}")
    return WordVectors(words, np.stack(rows), name=name or path.name.split(".")[0])


def load_pretrained(name: str = "glove-wiki-gigaword-50", limit: int | None = 100_000,
                    label: str = "GloVe", what: str = "the vectors trained on the shipped text",
                    **download_kwargs) -> WordVectors | None:
    """Pretrained vectors by name (a key of `course_utils.download.PRETRAINED_VECTORS`), or None.

    The file is downloaded once into the cache and kept only if its published checksum
    matches; later calls read the cached copy without a request. When the file cannot be had
    (no network, `COURSE_UTILS_OFFLINE=1`, a wrong checksum), one sentence says why and that
    the lesson carries on with `what`, and None comes back instead of an error.
    `limit` keeps the most frequent words; `download_kwargs` go to `download` (timeout, ...).
    """
    from course_utils import download

    if name not in download.PRETRAINED_VECTORS:
        raise ValueError(f"load_pretrained: unknown name={name!r}; expected one of "
                         f"{sorted(download.PRETRAINED_VECTORS)}")
    spec = download.PRETRAINED_VECTORS[name]
    path = download.download_or_fallback(spec["url"], spec["checksum"], what=what, **download_kwargs)
    if path is None:
        return None
    return load_word2vec_text(path, limit=limit, name=label)
