"""ps3: the grader's half of the hidden tests (see course_utils/grading/judges/__init__.py)."""

from __future__ import annotations

import numpy as np

from .._core import (
    GRAD_TOL,
    after,
    as_array,
    compare,
    each_case,
    failure,
    grads_dict,
    numeric_grad,
    returned,
    t,
    torch,
    unchanged,
)
from ..ps3 import (
    BOS,
    EOS,
    MAX_LEN,
    VOCAB,
    WIDE,
    beam_cases,
    clip_cases,
    masked_cases,
    tiny_lm,
    top_p_cases,
)


def _torch_masked_ce(logits, targets, mask) -> float:
    ignored = np.where(mask, targets, -100)
    V = logits.shape[-1]
    return torch().nn.functional.cross_entropy(
        t(logits).reshape(-1, V), torch().as_tensor(ignored.reshape(-1)), ignore_index=-100).item()


def judge_masked_cross_entropy(payload) -> None:
    """Against torch's cross_entropy(ignore_index=...) and its central differences."""
    name, cases = "masked_cross_entropy", masked_cases()
    for (logits, targets, mask, where), record in each_case(payload, name, cases):
        loss, dlogits = returned(name, record, where, 2, "a pair (loss, dlogits)")
        unchanged(name, "logits", logits, after(record, 0), where)
        compare(name, "loss", loss, _torch_masked_ce(logits, targets, mask), where,
                "average −log p(target) over the real tokens only: divide by mask.sum(), not N·T")
        want = numeric_grad(lambda v, y=targets, m=mask: _torch_masked_ce(v, y, m), logits)
        got = as_array(name, "dlogits", dlogits, where)
        hint = "dlogits = (softmax − onehot) / number of real tokens, and 0 at padded positions"
        if got.shape == want.shape and np.all(np.isfinite(got)) and np.any(got[~mask] != 0):
            hint = "padded positions must get a zero gradient: multiply by the mask"
        compare(name, "dlogits", got, want, where, hint, **GRAD_TOL)


# ---- 2 · clipping each gradient on its own -------------------------------------------------------

def judge_clip_each_norm(payload) -> None:
    name, cases = "clip_each_norm", clip_cases()
    for (grads, max_norm, where), record in each_case(payload, name, cases):
        clipped = grads_dict(name, returned(name, record, where), list(grads), where)
        unchanged(name, "grads", grads, after(record, 0), where)
        for k, g in grads.items():
            p = torch().nn.Parameter(torch().zeros(g.shape, dtype=torch().float64))
            p.grad = t(g).clone()
            torch().nn.utils.clip_grad_norm_([p], max_norm)
            norm = float(np.sqrt(np.sum(g * g)))
            hint = ("this gradient's norm is below max_norm: leave it as it is" if norm <= max_norm
                    else "scale by max_norm / (its own norm + 1e-6), not by the norm of all "
                         "gradients together")
            compare(name, f"clipped['{k}']", clipped[k], p.grad.numpy(), where, hint)


# ---- 3 · nucleus (top-p) filtering ----------------------------------------------------------------

def judge_top_p_filter(payload) -> None:
    """Checked by the definition: the kept tokens are the most probable ones, the fewest whose
    probability reaches p, renormalised; the rest get 0."""
    name, cases = "top_p_filter", top_p_cases()
    for (logits, p, where), record in each_case(payload, name, cases):
        probs = as_array(name, "the result", returned(name, record, where), where)
        if probs.shape != logits.shape:
            raise failure(name, f"the result has shape {probs.shape}, expected {logits.shape} "
                                f"{where}.")
        V = logits.shape[-1]
        full = torch().softmax(t(logits), dim=-1).numpy()
        for row, (got, ref) in enumerate(zip(probs.reshape(-1, V), full.reshape(-1, V),
                                             strict=True)):
            at = where + (f", row {row}" if logits.ndim > 1 else "")
            if not np.all(np.isfinite(got)) or np.any(got < 0) or abs(got.sum() - 1) > 1e-9:
                raise failure(name, f"the result is not a probability distribution {at}.",
                              "renormalise the kept probabilities so that they sum to 1")
            kept = got > 0
            order = np.argsort(-ref)
            k = int(kept.sum())
            if not kept[order[:k]].all():
                raise failure(name, f"keeps a token that is less probable than one it drops {at}.",
                              "sort by probability and keep a prefix")
            needed = int(np.searchsorted(np.cumsum(ref[order]), p - 1e-12)) + 1  # fewest reaching p
            if k != needed:
                raise failure(name, f"keeps {k} token(s) {at}, but the smallest set of most "
                                    f"probable tokens whose probability reaches p has {needed}.",
                              "keep a token while the probability of the tokens before it is "
                              "still below p")
            compare(name, "the kept probabilities", got[kept], ref[kept] / ref[kept].sum(), at,
                    "kept tokens keep their relative probabilities (divide by their sum)")


# ---- 4 · beam search ----------------------------------------------------------------------------

def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max()
    return shifted - np.log(np.exp(shifted).sum())


def _sequence_log_prob(step, state, tokens) -> float:
    total, last = 0.0, BOS
    for token in tokens:
        logits, state = step(last, state)
        total += _log_softmax(logits)[token]
        last = token
    return total


def _best_by_enumeration(step, state):
    """The most probable sequence ending in <eos> with at most MAX_LEN tokens, by trying all."""
    best = (-np.inf, None)
    frontier = [(0.0, [], BOS, state)]
    for _ in range(MAX_LEN):
        next_frontier = []
        for score, tokens, last, st in frontier:
            logits, new_state = step(last, st)
            for token, lp in enumerate(_log_softmax(logits)):
                if token == EOS:
                    best = max(best, (score + lp, tokens + [token]), key=lambda c: c[0])
                else:
                    next_frontier.append((score + lp, tokens + [token], token, new_state))
        frontier = next_frontier
    return best


def _greedy(step, state):
    tokens, last, total = [], BOS, 0.0
    while len(tokens) < MAX_LEN:
        logits, state = step(last, state)
        lp = _log_softmax(logits)
        last = int(np.argmax(lp))
        tokens.append(last)
        total += lp[last]
        if last == EOS:
            break
    return total, tokens


def judge_beam_search(payload) -> None:
    """Width 1 is greedy decoding; a beam wide enough to keep everything finds the best
    sequence found by trying them all; any width returns its sequence's true log-probability."""
    name, cases = "beam_search", beam_cases()
    for (seed, scale, eos_bias, width, where), record in each_case(payload, name, cases):
        step, h0 = tiny_lm(seed, scale, eos_bias)
        tokens, log_prob = returned(name, record, where, 2, "a pair (tokens, log_prob)")
        try:
            tokens = [int(token) for token in tokens]
        except (TypeError, ValueError):
            raise failure(name, f"tokens should be a list of token ids {where}.") from None
        if not tokens or len(tokens) > MAX_LEN or not all(0 <= token < VOCAB for token in tokens):
            raise failure(name, f"returned {len(tokens)} token(s) {where}; expected between "
                                f"1 and max_len ids in 0..{VOCAB - 1}, without <bos>.")
        compare(name, "log_prob", log_prob, _sequence_log_prob(step, h0, tokens), where,
                "log_prob is the sum of log softmax(logits)[token] over the tokens returned "
                "(including <eos>)")
        if width == 1:
            reference = _greedy(step, h0)
            hint = "width 1 keeps only the best expansion at each step: greedy decoding"
        elif width == WIDE:
            reference = _best_by_enumeration(step, h0)
            hint = ("with a beam this wide nothing is pruned: return the finished hypothesis "
                    "(ending in <eos>) with the highest total log-probability")
        else:
            continue
        if tokens != reference[1]:
            raise failure(name, f"returned a different sequence than expected {where}.", hint)


JUDGES = {
    "masked_cross_entropy": judge_masked_cross_entropy,
    "clip_each_norm": judge_clip_each_norm,
    "top_p_filter": judge_top_p_filter,
    "beam_search": judge_beam_search,
}
