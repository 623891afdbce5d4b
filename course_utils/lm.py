"""Count-based language modelling: id streams, n-gram sparsity and a Kneser-Ney baseline.

The neural LMs of lessons 03-04 are compared with the best simple count model there is:
an interpolated Kneser-Ney n-gram model (Chen & Goodman 1998). Everything here is plain
Python and NumPy; all models read the same id stream, made by `documents_to_ids`, so their
perplexities are comparable (same tokens, same vocabulary, same <unk>).
"""

from __future__ import annotations

from collections import Counter
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


@dataclass
class BackoffLM:
    """The lecture's two fixes for sparsity: add-δ smoothing, and backoff to shorter contexts.

    p(w | h) = (c(h w) + δ) / (c(h) + δ V) for the longest suffix h of the history (at most
    `context` tokens) that was seen in training; an unseen context backs off to a shorter one,
    down to the empty context (unigram counts). counts[j] maps (j context tokens + next token)
    to its count, totals[j] maps a context to its count.
    """

    context: int
    vocab_size: int
    pad_id: int
    delta: float
    counts: list[dict]
    totals: list[dict]

    def prob(self, history: Sequence[int], token: int) -> float:
        history = _pad_history(history, self.context, self.pad_id)
        for j in range(self.context, -1, -1):
            h = tuple(history[self.context - j:])
            total = self.totals[j].get(h, 0)
            if total > 0 or j == 0:
                count = self.counts[j].get(h + (int(token),), 0)
                return (count + self.delta) / (total + self.delta * self.vocab_size)
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
    if isinstance(context, bool) or not isinstance(context, (int, np.integer)) or context < 0:
        raise ValueError(f"fit_backoff: context must be an integer >= 0, got {context!r}")
    if not delta > 0:
        raise ValueError(f"fit_backoff: delta must be > 0 (0 leaves unseen tokens at p = 0), got {delta!r}")
    ids = [int(pad_id)] * context + [int(i) for i in train_ids]
    counts, totals = [], []
    for j in range(context + 1):
        grams = Counter(tuple(ids[i - j:i + 1]) for i in range(context, len(ids)))
        contexts = Counter()
        for gram, c in grams.items():
            contexts[gram[:-1]] += c
        counts.append(dict(grams))
        totals.append(dict(contexts))
    return BackoffLM(context=int(context), vocab_size=int(vocab_size), pad_id=int(pad_id),
                     delta=float(delta), counts=counts, totals=totals)


@dataclass
class KneserNeyLM:
    """An interpolated Kneser-Ney model over `context` previous tokens (an n-gram, n = context + 1).

    counts[j] maps (j context tokens + next token) to a count: the raw count for the longest
    context j = `context`, the continuation count N1+(• g w) (in how many different contexts
    the shorter n-gram appeared) for j < `context`. totals[j][g] = Σ_w counts[j][g + (w,)],
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
        k = self.context
        history = _pad_history(history, k, self.pad_id)
        p = 1.0 / self.vocab_size
        token = int(token)
        for j in range(k + 1):
            g = tuple(history[k - j:])
            total = self.totals[j].get(g, 0)
            if total == 0:
                continue
            d = self.discounts[j]
            c = self.counts[j].get(g + (token,), 0)
            p = max(c - d, 0.0) / total + d * self.types[j][g] / total * p
        return p

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """p(w | history) for every w in the vocabulary: (V,), sums to 1."""
        return np.array([self.prob(history, w) for w in range(self.vocab_size)])

    def mean_nll(self, ids: Sequence[int]) -> float:
        """Mean −ln p of ids[1:] given what precedes each (nats per token)."""
        return _mean_nll(self, ids)


def _discount(counts: Counter) -> float:
    """D = n1 / (n1 + 2 n2), from how many n-grams occur once (n1) and twice (n2)."""
    values = Counter(counts.values())
    n1, n2 = values.get(1, 0), values.get(2, 0)
    if n1 == 0:
        return 0.5
    return float(np.clip(n1 / (n1 + 2 * n2), 0.05, 0.95))


def fit_kneser_ney(train_ids: Sequence[int], context: int, vocab_size: int,
                   pad_id: int) -> KneserNeyLM:
    """Count the training stream (padded at the start with `context` copies of pad_id)."""
    if isinstance(context, bool) or not isinstance(context, (int, np.integer)) or context < 0:
        raise ValueError(f"fit_kneser_ney: context must be an integer >= 0, got {context!r}")
    ids = [int(pad_id)] * context + [int(i) for i in train_ids]
    if len(ids) <= context:
        raise ValueError(f"fit_kneser_ney: train_ids is empty (got {len(train_ids)} ids)")
    k = context
    raw = Counter(ngrams(ids, k + 1))  # highest order: raw counts
    counts: list[Counter] = [Counter() for _ in range(k + 1)]
    counts[k] = raw
    for j in range(k - 1, -1, -1):
        # Continuation counts: each distinct longer n-gram (v, g, w) adds one to (g, w).
        for gram in counts[j + 1]:
            counts[j][gram[1:]] += 1
    totals: list[dict] = [dict() for _ in range(k + 1)]
    types: list[dict] = [dict() for _ in range(k + 1)]
    for j in range(k + 1):
        t, y = Counter(), Counter()
        for gram, c in counts[j].items():
            t[gram[:-1]] += c
            y[gram[:-1]] += 1
        totals[j], types[j] = dict(t), dict(y)
    return KneserNeyLM(context=k, vocab_size=int(vocab_size), pad_id=int(pad_id),
                       counts=[dict(c) for c in counts], totals=totals, types=types,
                       discounts=[_discount(c) for c in counts])
