"""Sampling from a language model: temperature, top-k, top-p, greedy decoding (lessons 04-05).

`sample` draws one token per row of logits; it is the only sampler in the course (generation,
scheduled sampling and the sampling dashboard all use it). `generate` runs a model, given as
one function `step(token_id, state) -> (logits (V,), state)`, from `<bos>` (optionally followed
by a prompt): it samples a token, feeds it back as the next input, and stops at `<eos>` or
after `max_len` new tokens.
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.layers import softmax

__all__ = ["softmax_with_temperature", "sample", "generate"]


def _check_temperature(fn, temperature):
    if isinstance(temperature, bool) or not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"{fn}: temperature must be a number >= 0 (0 = greedy), got {temperature!r}")


def softmax_with_temperature(logits, temperature=1.0):
    """softmax(z / τ). τ < 1 sharpens the distribution, τ > 1 flattens it; τ = 0 is greedy.

    With τ = 0 the result puts all probability on the largest logit (the first one on a tie),
    the limit of softmax(z / τ) as τ → 0. Works on the last axis of any array.
    """
    _check_temperature("softmax_with_temperature", temperature)
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        probs = np.zeros_like(logits)
        np.put_along_axis(probs, np.argmax(logits, axis=-1)[..., None], 1.0, axis=-1)
        return probs
    return softmax(logits / temperature)


def sample(logits, temperature=1.0, top_k=None, top_p=None, rng=None):
    """Token ids drawn from softmax(logits / τ): logits (V,) -> one int, (N, V) -> (N,) ints.

    τ = 0 is greedy decoding (the argmax; no rng needed). `top_k` keeps only the k most probable
    tokens; `top_p` keeps the fewest most probable tokens whose probability reaches p (nucleus
    sampling; after top_k, of what top_k kept); the kept probabilities are renormalised. Each
    row draws one uniform number u ~ U[0, 1) from `rng` and returns the first token whose
    cumulative probability passes u (inverse-CDF sampling: what rng.choice(V, p=probs) does,
    for every row at once).
    """
    fn = "sample"
    _check_temperature(fn, temperature)
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim not in (1, 2):
        raise ValueError(f"{fn}: logits must be (V,) or (N, V), got shape {logits.shape}")
    if top_k is not None:
        _validate.positive_int(fn, "top_k", top_k)
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"{fn}: top_p must be a probability in (0, 1], got {top_p!r}")
    if temperature == 0:
        return np.argmax(logits, axis=-1) if logits.ndim == 2 else int(np.argmax(logits))
    if rng is None:
        raise ValueError(f"{fn}: pass rng=np.random.default_rng(seed) when temperature > 0")
    probs = softmax(logits / temperature)
    if top_k is not None or top_p is not None:
        order = np.argsort(-probs, axis=-1, kind="stable")             # most probable first
        ranked = np.take_along_axis(probs, order, axis=-1)
        if top_k is not None:
            ranked[..., top_k:] = 0.0
        if top_p is not None:  # a token stays while the tokens ranked before it hold less than p
            before = (np.cumsum(ranked, axis=-1) - ranked) / ranked.sum(axis=-1, keepdims=True)
            ranked = np.where(before < top_p, ranked, 0.0)   # (of what top_k kept)
        np.put_along_axis(probs, order, ranked, axis=-1)
    cumulative = np.cumsum(probs, axis=-1)
    u = rng.random(cumulative.shape[:-1] + (1,))
    # The number of tokens whose cumulative probability is still <= u · total is the drawn id
    # (scaling by the total renormalises whatever the filters kept).
    index = np.minimum((cumulative <= u * cumulative[..., -1:]).sum(axis=-1), probs.shape[-1] - 1)
    return index if logits.ndim == 2 else int(index)


def generate(step, state, start_ids, eos_id, max_len=200, temperature=1.0, top_k=None, top_p=None,
             seed=0):
    """Sample a continuation of `start_ids` (which begin with `<bos>`), one token at a time.

    step(token_id, state) -> (logits (V,), new state): one step of the model.
    The start tokens are read first (teacher-forced), then each new token is drawn by `sample`
    (temperature, top_k, top_p) and fed back, until `eos_id` is drawn or `max_len` new tokens
    exist. Returns the new token ids; the last is `eos_id` if the model ended the text.
    temperature = 0 is greedy decoding (always the most probable token), which needs no seed.
    """
    start_ids = [int(i) for i in np.asarray(start_ids).reshape(-1)]
    if not start_ids:
        raise ValueError("generate: start_ids must hold at least one id (the <bos> token)")
    _validate.integer("generate", "max_len", max_len, 0)
    _check_temperature("generate", temperature)
    rng = np.random.default_rng(seed)
    for token in start_ids:
        logits, state = step(token, state)
    new_ids = []
    while len(new_ids) < max_len:
        token = sample(logits, temperature, top_k, top_p, rng)
        new_ids.append(token)
        if token == eos_id:
            break
        logits, state = step(token, state)
    return new_ids
