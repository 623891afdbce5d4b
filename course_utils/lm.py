"""Count-based language modelling: id streams, n-gram sparsity and a Kneser-Ney baseline.

The neural LMs of lessons 03-04 are compared with the best simple count model there is:
an interpolated Kneser-Ney n-gram model (Chen & Goodman 1998). Everything here is plain
Python and NumPy; all models read the same id stream, made by `documents_to_ids`, so their
perplexities are comparable (same tokens, same vocabulary, same <unk>).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "documents_to_ids",
    "ngrams",
    "unseen_ngram_share",
    "BackoffLM",
    "fit_backoff",
    "KneserNeyLM",
    "fit_kneser_ney",
    "ngram_table_size",
]


def documents_to_ids(vocab, docs: Iterable, tokenize=None) -> np.ndarray:
    """One id stream for a list of documents: `<bos> doc <eos>` for each, concatenated.

    `vocab` is a `course_utils.data.Vocab`; with `tokenize` (e.g. `tokenize_words`) each
    document is split into tokens first (word level), otherwise it is encoded as it is
    (characters for a char-level vocabulary).
    """
    ids: list[int] = []
    for doc in docs:
        tokens = tokenize(doc) if tokenize is not None else doc
        ids.extend(vocab.encode(tokens, add_bos=True, add_eos=True))
    return np.array(ids, dtype=np.int64)


def ngrams(tokens: Sequence, n: int) -> list[tuple]:
    """All n-grams (as tuples) of a sequence of tokens or ids, in order."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"ngrams: n must be a positive integer, got {n!r}")
    tokens = [t.item() if isinstance(t, np.generic) else t for t in tokens]
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def unseen_ngram_share(train_ids: Sequence, valid_ids: Sequence, n: int) -> float:
    """Share of the held-out n-grams (counted with repetition) never seen in training.

    Works on words as well as ids: on raw words, even some unigrams are new.

    A count-based model has no evidence for these: without smoothing it gives them
    probability 0, so a single one makes the held-out perplexity infinite.
    """
    seen = set(ngrams(train_ids, n))
    held_out = ngrams(valid_ids, n)
    if not held_out:
        raise ValueError(f"unseen_ngram_share: valid_ids has fewer than n={n} tokens")
    return sum(g not in seen for g in held_out) / len(held_out)


def ngram_table_size(vocab_size: int, context: int) -> int:
    """Entries of a full n-gram probability table: V^context contexts × V next tokens."""
    return int(vocab_size) ** (int(context) + 1)


def _pad_history(history: Sequence[int], context: int, pad_id: int) -> list[int]:
    history = [int(i) for i in history[-context:]] if context else []
    return [pad_id] * (context - len(history)) + history


def _mean_nll(model, ids: Sequence[int]) -> float:
    ids = [int(i) for i in ids]
    if len(ids) < 2:
        raise ValueError(f"{type(model).__name__}.mean_nll: needs at least 2 ids, got {len(ids)}")
    k = model.context
    padded = [model.pad_id] * k + ids
    total = 0.0
    for i in range(k + 1, len(padded)):
        total -= np.log(model.prob(padded[i - k:i], padded[i]))
    return total / (len(ids) - 1)


# An n-gram (t_1, ..., t_n) is counted under one integer, its code t_1 V^(n-1) + ... + t_n V^0,
# so that NumPy can count a whole text at once; a context's code times V plus the next token is
# the code of the context followed by that token.


def _padded_ids(fn: str, train_ids, context: int, vocab_size: int, pad_id: int) -> np.ndarray:
    if isinstance(context, bool) or not isinstance(context, (int, np.integer)) or context < 0:
        raise ValueError(f"{fn}: context must be an integer >= 0, got {context!r}")
    if int(vocab_size) ** (int(context) + 1) >= 2 ** 62:
        raise ValueError(f"{fn}: vocab_size={vocab_size} with context={context} gives n-gram codes "
                         f"beyond 64 bits (V^(context+1) >= 2^62); use a shorter context")
    ids = np.asarray(train_ids, dtype=np.int64).reshape(-1)
    if len(ids) == 0:
        raise ValueError(f"{fn}: train_ids is empty")
    if ids.min() < 0 or ids.max() >= vocab_size or not 0 <= pad_id < vocab_size:
        raise ValueError(f"{fn}: ids and pad_id must lie in 0..{vocab_size - 1}, got ids from "
                         f"{ids.min()} to {ids.max()} and pad_id={pad_id}")
    return np.concatenate([np.full(context, pad_id, dtype=np.int64), ids])


def _gram_codes(ids: np.ndarray, length: int, start: int, V: int) -> np.ndarray:
    """Codes of the `length`-grams that end at each position from `start` on."""
    n = len(ids) - start
    first = start - length + 1
    codes = np.zeros(n, dtype=np.int64)
    for m in range(length):
        codes = codes * V + ids[first + m:first + m + n]
    return codes


def _context_codes(history: list[int], V: int) -> list[int]:
    """codes[j] = code of the last j tokens of the history, for j = 0..len(history)."""
    k = len(history)
    codes = [0]
    for j in range(1, k + 1):
        codes.append(history[k - j] * V ** (j - 1) + codes[j - 1])
    return codes


def _per_context(gram_codes: np.ndarray, counts: np.ndarray, V: int) -> tuple[dict, dict]:
    """{context code: total count} and {context code: number of different next tokens}."""
    contexts, inverse = np.unique(gram_codes // V, return_inverse=True)
    totals = np.bincount(inverse, weights=counts).astype(np.int64)
    types = np.bincount(inverse)
    return dict(zip(contexts.tolist(), totals.tolist(), strict=True)), \
        dict(zip(contexts.tolist(), types.tolist(), strict=True))


@dataclass
class BackoffLM:
    """The lecture's two fixes for sparsity: add-δ smoothing, and backoff to shorter contexts.

    p(w | h) = (c(h w) + δ) / (c(h) + δ V) for the longest suffix h of the history (at most
    `context` tokens) that was seen in training; an unseen context backs off to a shorter one,
    down to the empty context (unigram counts). counts[j] maps the code of (j context tokens,
    next token) to its count, totals[j] maps the code of a j-token context to its count.
    """

    context: int
    vocab_size: int
    pad_id: int
    delta: float
    counts: list[dict]
    totals: list[dict]

    def prob(self, history: Sequence[int], token: int) -> float:
        V = self.vocab_size
        contexts = _context_codes(_pad_history(history, self.context, self.pad_id), V)
        for j in range(self.context, -1, -1):
            total = self.totals[j].get(contexts[j], 0)
            if total > 0 or j == 0:
                count = self.counts[j].get(contexts[j] * V + int(token), 0)
                return (count + self.delta) / (total + self.delta * V)
        raise AssertionError("unreachable: j == 0 always returns")

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """p(w | history) for every w in the vocabulary: (V,), sums to 1."""
        return np.array([self.prob(history, w) for w in range(self.vocab_size)])

    def mean_nll(self, ids: Sequence[int]) -> float:
        """Mean −ln p of ids[1:] given what precedes each (nats per token)."""
        return _mean_nll(self, ids)


def fit_backoff(train_ids: Sequence[int], context: int, vocab_size: int, pad_id: int,
                delta: float = 0.01) -> BackoffLM:
    """Count every n-gram of length 1..context+1 in the training stream (padded with pad_id)."""
    if not delta > 0:
        raise ValueError(f"fit_backoff: delta must be > 0 (0 leaves unseen tokens at p = 0), got {delta!r}")
    ids = _padded_ids("fit_backoff", train_ids, context, vocab_size, pad_id)
    V = int(vocab_size)
    counts, totals = [], []
    for j in range(context + 1):
        grams, count = np.unique(_gram_codes(ids, j + 1, context, V), return_counts=True)
        counts.append(dict(zip(grams.tolist(), count.tolist(), strict=True)))
        totals.append(_per_context(grams, count, V)[0])
    return BackoffLM(context=int(context), vocab_size=V, pad_id=int(pad_id), delta=float(delta),
                     counts=counts, totals=totals)


@dataclass
class KneserNeyLM:
    """An interpolated Kneser-Ney model over `context` previous tokens (an n-gram, n = context + 1).

    counts[j] maps the code of (j context tokens, next token) to a count: the raw count for the
    longest context j = `context`, the continuation count N1+(• g w) (in how many different
    contexts the shorter n-gram appeared) for j < `context`. totals[j][g] = Σ_w counts[j][g w],
    types[j][g] = how many different w follow g, discounts[j] = D_j.
    """

    context: int
    vocab_size: int
    pad_id: int
    counts: list[dict]
    totals: list[dict]
    types: list[dict]
    discounts: list[float]

    def prob(self, history: Sequence[int], token: int) -> float:
        """p(token | the last `context` ids of history); short histories are padded with pad_id.

        p_j(w | g) = max(c_j(g w) − D_j, 0) / c_j(g) + D_j · N1+(g •) / c_j(g) · p_{j−1}(w | g'),
        g' = g without its first token, from p_{−1}(w) = 1/V up; unseen contexts (c_j(g) = 0)
        pass p_{j−1} through unchanged. Every token gets a probability > 0.
        """
        V = self.vocab_size
        contexts = _context_codes(_pad_history(history, self.context, self.pad_id), V)
        p = 1.0 / V
        for j in range(self.context + 1):
            g = contexts[j]
            total = self.totals[j].get(g, 0)
            if total == 0:
                continue
            d = self.discounts[j]
            c = self.counts[j].get(g * V + int(token), 0)
            p = max(c - d, 0.0) / total + d * self.types[j][g] / total * p
        return p

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """p(w | history) for every w in the vocabulary: (V,), sums to 1."""
        return np.array([self.prob(history, w) for w in range(self.vocab_size)])

    def mean_nll(self, ids: Sequence[int]) -> float:
        """Mean −ln p of ids[1:] given what precedes each (nats per token)."""
        return _mean_nll(self, ids)


def _discount(counts: np.ndarray) -> float:
    """D = n1 / (n1 + 2 n2), from how many n-grams occur once (n1) and twice (n2)."""
    n1, n2 = int(np.sum(counts == 1)), int(np.sum(counts == 2))
    if n1 == 0:
        return 0.5
    return float(np.clip(n1 / (n1 + 2 * n2), 0.05, 0.95))


def fit_kneser_ney(train_ids: Sequence[int], context: int, vocab_size: int,
                   pad_id: int) -> KneserNeyLM:
    """Count the training stream (padded at the start with `context` copies of pad_id)."""
    ids = _padded_ids("fit_kneser_ney", train_ids, context, vocab_size, pad_id)
    V, k = int(vocab_size), int(context)
    levels = [None] * (k + 1)  # levels[j] = (distinct gram codes, their counts)
    levels[k] = np.unique(_gram_codes(ids, k + 1, k, V), return_counts=True)  # raw counts
    for j in range(k - 1, -1, -1):
        # Continuation counts: each distinct longer n-gram (v, g, w) adds one to (g, w).
        levels[j] = np.unique(levels[j + 1][0] % V ** (j + 1), return_counts=True)
    counts, totals, types = [], [], []
    for grams, count in levels:
        counts.append(dict(zip(grams.tolist(), count.tolist(), strict=True)))
        total, type_count = _per_context(grams, count, V)
        totals.append(total)
        types.append(type_count)
    return KneserNeyLM(context=k, vocab_size=V, pad_id=int(pad_id), counts=counts, totals=totals,
                       types=types, discounts=[_discount(count) for _, count in levels])
