"""From average cross-entropy to the numbers language models are compared by (lessons 03-06).

A model's mean negative log-likelihood per token, in nats (natural log, what
`cross_entropy_forward` returns), converts to

- perplexity = e^{NLL}: the model is as unsure as a uniform choice among that many tokens;
- bits per token = NLL / ln 2 (bits per character for a character-level model): the length
  of the code the model would give the text, per token.

Perplexities of models with different vocabularies (words vs characters, or different <unk>
rules) are not comparable; bits per character of the same text are.
"""

import numpy as np

__all__ = ["perplexity", "bits_per_token", "mean_nll"]


def _check_nll(fn, nll):
    nll = float(nll)
    if not np.isfinite(nll) or nll < 0:
        raise ValueError(f"{fn}: the mean negative log-likelihood must be finite and >= 0, got {nll!r}")
    return nll


def perplexity(mean_nll_nats):
    """e^{mean NLL}. A uniform model over V tokens has perplexity V."""
    return float(np.exp(_check_nll("perplexity", mean_nll_nats)))


def bits_per_token(mean_nll_nats):
    """Mean NLL in bits: nats / ln 2 (bits per character for a character-level model)."""
    return _check_nll("bits_per_token", mean_nll_nats) / np.log(2.0)


def mean_nll(probs_of_targets):
    """Mean of −ln p over the probabilities the model gave the tokens that came (nats)."""
    p = np.asarray(probs_of_targets, dtype=np.float64)
    if p.size == 0:
        raise ValueError("mean_nll: needs at least one probability")
    if np.any(p <= 0) or np.any(p > 1):
        bad = p[(p <= 0) | (p > 1)][0]
        raise ValueError(f"mean_nll: probabilities must lie in (0, 1], got {bad!r} "
                         "(a zero probability means infinite perplexity: smooth the model)")
    return float(-np.mean(np.log(p)))
