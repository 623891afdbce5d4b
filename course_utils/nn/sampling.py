"""Generating text from a language model: temperature, greedy decoding, BOS until EOS (lesson 04).

A model is used through one function, `step(token_id, state) -> (logits (V,), state)`, so
the same loop serves the RNN LM, the LSTM LM or anything else that reads one token at a
time. Generation starts from `<bos>` (optionally followed by a prompt), samples a token
from the softmax, feeds it back as the next input, and stops at `<eos>` or after
`max_len` new tokens.
"""

import numpy as np

from course_utils.nn.layers import softmax

__all__ = ["softmax_with_temperature", "sample_token", "generate"]


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


def sample_token(logits, temperature=1.0, rng=None):
    """One token id drawn from softmax(logits / τ); τ = 0 returns the argmax (greedy)."""
    logits = np.asarray(logits)
    if logits.ndim != 1:
        raise ValueError(f"sample_token: logits must be 1-D (V,), got shape {logits.shape}")
    _check_temperature("sample_token", temperature)
    if temperature == 0:
        return int(np.argmax(logits))
    if rng is None:
        raise ValueError("sample_token: pass rng=np.random.default_rng(seed) when temperature > 0")
    probs = softmax_with_temperature(logits, temperature)
    # Inverse-CDF sampling: the first token whose cumulative probability passes u ~ U[0, 1).
    # (Exactly what rng.choice(V, p=probs) does, at a fraction of its cost per call.)
    cumulative = np.cumsum(probs)
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(index, len(probs) - 1)


def generate(step, state, start_ids, eos_id, max_len=200, temperature=1.0, seed=0):
    """Sample a continuation of `start_ids` (which begin with `<bos>`), one token at a time.

    step(token_id, state) -> (logits (V,), new state): one step of the model.
    The start tokens are read first (teacher-forced), then each new token is drawn from
    softmax(logits / temperature) and fed back, until `eos_id` is drawn or `max_len` new
    tokens exist. Returns the new token ids; the last is `eos_id` if the model ended the text.
    temperature = 0 is greedy decoding (always the most probable token), which needs no seed.
    """
    start_ids = [int(i) for i in np.asarray(start_ids).reshape(-1)]
    if not start_ids:
        raise ValueError("generate: start_ids must hold at least one id (the <bos> token)")
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 0:
        raise ValueError(f"generate: max_len must be an integer >= 0, got {max_len!r}")
    _check_temperature("generate", temperature)
    rng = np.random.default_rng(seed)
    for token in start_ids:
        logits, state = step(token, state)
    new_ids = []
    while len(new_ids) < max_len:
        token = sample_token(logits, temperature, rng)
        new_ids.append(token)
        if token == eos_id:
            break
        logits, state = step(token, state)
    return new_ids
