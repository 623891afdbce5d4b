"""ps3_training_and_decoding: masked cross-entropy, per-tensor clipping, nucleus filtering,
beam search.

The student's kernel runs this module: each part's seeded cases and `run_<part>`, which runs
the answer and hands its results in. The grader's half, `judge_<part>` with the references, is
in judges/ps3.py. References: torch's cross_entropy(ignore_index=...) and clip_grad_norm_,
nucleus filtering checked by its definition, and beam search by greedy decoding and an
exhaustive search on tiny random language models."""

from __future__ import annotations

import numpy as np

from ._core import (
    attempt,
    hand_in,
    rng,
)

# ---- 1 · a loss for padded batches ----------------------------------------------------------

def masked_cases() -> list:
    generator = rng("masked_cross_entropy")
    cases = []
    for N, T, V in [(1, 1, 3), (2, 5, 4), (3, 6, 7), (4, 3, 5)]:
        logits = generator.normal(size=(N, T, V)) * 2.0
        targets = generator.integers(0, V, size=(N, T))
        lengths = generator.integers(1, T + 1, size=N)
        lengths[0] = T  # one full row; the others padded after their length
        mask = np.arange(T)[None, :] < lengths[:, None]
        cases.append((logits, targets, mask,
                      f"for logits of shape {(N, T, V)} with row lengths {lengths.tolist()}"))
    return cases


def run_masked_cross_entropy(masked_cross_entropy) -> None:
    """Mean cross-entropy over the real tokens of a padded batch, and dlogits."""
    hand_in("masked_cross_entropy", [
        attempt(masked_cross_entropy, logits, targets, mask, watch=[0])[0]
        for logits, targets, mask, _ in masked_cases()])


def clip_cases() -> list:
    generator = rng("clip_each_norm")
    cases = []
    for scales, max_norm in [({"w": 10.0}, 1.0), ({"W": 0.01, "b": 5.0}, 0.5),
                             ({"E": 3.0, "W_h": 0.2, "U": 40.0, "c": 0.0}, 2.0)]:
        grads = {k: generator.normal(size=(3, 4) if k not in ("b", "c") else 4) * s
                 for k, s in scales.items()}
        cases.append((grads, max_norm, f"for gradients {list(grads)} and max_norm={max_norm}"))
    return cases


def run_clip_each_norm(clip_each_norm) -> None:
    """Each gradient clipped on its own, as torch.nn.utils.clip_grad_norm_ does for one tensor."""
    hand_in("clip_each_norm", [attempt(clip_each_norm, grads, max_norm, watch=[0])[0]
                               for grads, max_norm, _ in clip_cases()])


def top_p_cases() -> list:
    generator = rng("top_p_filter")
    return [(generator.normal(size=shape) * 2.0, p, f"for logits of shape {shape} and p={p}")
            for shape, p in [((6,), 0.5), ((10,), 0.9), ((3, 8), 0.8), ((4, 12), 0.95),
                             ((2, 5), 0.01)]]


def run_top_p_filter(top_p_filter) -> None:
    """The filtered distribution for each case."""
    hand_in("top_p_filter", [attempt(top_p_filter, logits, p)[0] for logits, p, _ in top_p_cases()])


BOS, EOS, VOCAB, MAX_LEN = 0, 1, 5, 4
WIDE = VOCAB ** MAX_LEN  # a beam that prunes nothing


def tiny_lm(seed: int, scale: float, eos_bias: float, V: int = VOCAB, H: int = 6):
    """A random RNN LM as a step function step(token, h) -> (logits (V,), h), and h0.
    Token 0 (<bos>) is never generated; `eos_bias` sets how readily it ends (token 1)."""
    from course_utils.nn.language_model import init_lm, lm_step

    params = init_lm("rnn", V, 4, H, seed=seed)
    c = np.zeros(V)
    c[0], c[1] = -30.0, eos_bias
    params = {**params, "U": params["U"] * scale, "c": c}

    def step(token, h):
        logits, h_new = lm_step(params, np.array([int(token)]), np.asarray(h)[None], cell="rnn")
        return logits[0], h_new[0]

    return step, np.zeros(H)


def beam_cases() -> list:
    """Models on which greedy decoding misses the best sequence (its first token differs, or
    it never ends), so that only a real beam passes; each with widths 1, 3 and WIDE."""
    return [(seed, scale, eos_bias, width,
             f"with beam_width={width}, max_len={MAX_LEN} on a random LM (seed {seed})")
            for seed, scale, eos_bias in [(19, 12.0, -1.0), (17, 12.0, -2.0), (24, 6.0, -2.0)]
            for width in (1, 3, WIDE)]


def run_beam_search(beam_search) -> None:
    """The sequence and log-probability that the beam finds on each model and width."""
    records = []
    for seed, scale, eos_bias, width, _ in beam_cases():
        step, h0 = tiny_lm(seed, scale, eos_bias)
        records.append(attempt(beam_search, step, h0, BOS, EOS, width, MAX_LEN)[0])
    hand_in("beam_search", records)


