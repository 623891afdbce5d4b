"""Checks for lesson 03's exercises: the fixed-window LM's forward pass, its backward pass (the
embedding gradient with repeated token ids) and its parameter count.

The forward and backward passes are compared with torch (float64) on seeded random shapes,
with contexts in which some ids occur several times and one id never occurs; the parameter
count with the arrays the course's `init_window_lm` creates. The hints name the equation of
the lesson, never the code. The output bias b_y is `params["c"]` in the code.
"""

from __future__ import annotations

import numpy as np

from course_utils.exercises._core import (
    Wrong,
    call,
    cases_rng,
    exercise,
    expect_close,
    expect_shape,
    needs_own_forward,
    torch_float64,
    unpack,
)
from course_utils.nn import window_lm as _course_window_lm

__all__ = ["check_window_lm_forward", "check_window_lm_backward", "check_window_lm_param_count"]

# (N, n, V, D, H): one example with a one-word window; windows of 3 and 2 words in batches
SHAPES = ((1, 1, 5, 2, 3), (4, 3, 7, 2, 5), (6, 2, 9, 3, 4))
PARAM_NAMES = ("E", "W", "b", "U", "c")


def _case(rng, N, n, V, D, H):
    """Random parameters, contexts (N, n) in which some ids repeat and id V − 1 never occurs, targets."""
    params = {"E": rng.standard_normal((V, D)), "W": rng.standard_normal((H, n * D)) * 0.5,
              "b": rng.standard_normal(H) * 0.5, "U": rng.standard_normal((V, H)),
              "c": rng.standard_normal(V)}
    contexts = rng.integers(0, V - 1, size=(N, n))
    if n > 1:
        contexts[0, -1] = contexts[0, 0]  # the same word twice in one window
    if N > 1:
        contexts[-1, 0] = contexts[0, 0]  # and again in another example
    return params, contexts, rng.integers(0, V, size=N)


def _torch_loss(params, contexts, targets, reduction="mean", order="positions", tanh="tanh",
                without=()):
    """The window LM's loss in torch; the keywords build the variants that common mistakes give."""
    import torch
    import torch.nn.functional as F

    tensors = {name: torch_float64(value, grad=True) for name, value in params.items()}
    N = contexts.shape[0]
    e = tensors["E"][torch.tensor(contexts)]  # (N, n, D)
    if order == "coordinates":
        e = e.transpose(1, 2)
    e = e.reshape(N, -1)
    a = e @ tensors["W"].T + (0 if "b" in without else tensors["b"])
    if tanh == "tanh":
        h = torch.tanh(a)
    elif tanh == "none":
        h = a
    else:  # tanh forward, but its derivative left out of the backward pass
        h = a + (torch.tanh(a) - a).detach()
    logits = h @ tensors["U"].T + (0 if "c" in without else tensors["c"])
    return F.cross_entropy(logits, torch.tensor(targets), reduction=reduction), tensors


def _value(params, contexts, targets, **variant):
    return _torch_loss(params, contexts, targets, **variant)[0].item()


FORWARD_HINT = ("e = [E[x^(t−n)]; …; E[x^(t−1)]] (n·D numbers), h = tanh(W e + b), "
                "ŷ = softmax(U h + b_y), and the loss is the mean cross-entropy over the N examples")


@exercise("window_lm_forward",
          success="the loss matches torch (embedding, linear, tanh, linear, cross-entropy) on 3 random "
                  "shapes, with repeated words in the windows")
def check_window_lm_forward(window_lm_forward):
    rng = cases_rng("lesson03.window_lm_forward")
    for N, n, V, D, H in SHAPES:
        params, contexts, targets = _case(rng, N, n, V, D, H)
        before = {name: value.copy() for name, value in params.items()}
        before_contexts = contexts.copy()
        where = f"for a batch of N = {N} windows of n = {n} words (V = {V}, D = {D}, H = {H})"
        try:
            result = call("window_lm_forward", window_lm_forward, params, contexts, targets)
        except Wrong as wrong:  # a matrix product of the wrong shapes: say what e must be
            if "matmul" in str(wrong) or "shapes" in str(wrong):
                raise Wrong(f"{wrong}. Hint: {FORWARD_HINT}") from None
            raise
        loss, _ = unpack("window_lm_forward", result, ("loss", "cache"))
        for name, value in before.items():
            if not np.array_equal(value, params[name]):
                raise Wrong(f"window_lm_forward changed params[{name!r}]: the forward pass only reads "
                            f"the weights")
        if not np.array_equal(before_contexts, contexts):
            raise Wrong("window_lm_forward changed its input contexts")
        want = _value(params, contexts, targets)
        mistakes = {"b_y (params['c']) is not added to the output scores": _value(params, contexts, targets,
                                                                                  without=("c",)),
                    "b is not added in the hidden layer": _value(params, contexts, targets, without=("b",)),
                    "tanh is missing (h = W e + b)": _value(params, contexts, targets, tanh="none")}
        if N > 1:
            mistakes["the loss is summed over the examples, not averaged"] = want * N
        if n > 1 and D > 1:
            mistakes["the n embeddings are interleaved coordinate by coordinate: e must hold the D numbers "
                     "of the first word, then the D numbers of the second, ..."] = \
                _value(params, contexts, targets, order="coordinates")
        try:
            expect_close("loss", loss, want, where=where, hint=FORWARD_HINT, mistakes=mistakes)
        except Wrong as wrong:
            if "relative error" not in str(wrong):  # a named mistake, a shape, a NaN: already precise
                raise
            raise Wrong(_locate(window_lm_forward, params, contexts, targets, where)) from None


def _locate(window_lm_forward, params, contexts, targets, where):
    """With W = 0 the embeddings play no part: is the error before or after the hidden layer?"""
    flat = dict(params, W=np.zeros_like(params["W"]))
    loss, _ = call("window_lm_forward", window_lm_forward, flat, contexts, targets)
    if np.isclose(float(np.asarray(loss, dtype=np.float64)), _value(flat, contexts, targets), rtol=1e-6):
        return (f"loss is wrong {where}, but right when W = 0, where the embeddings play no part: the lookup "
                f"or the concatenation is wrong. Hint: e = [E[x^(t−n)]; …; E[x^(t−1)]]: row x of E for each "
                f"word of the window, oldest first, side by side (n·D numbers per example)")
    return (f"loss is wrong {where}, even when W = 0, where the embeddings play no part: look at the hidden "
            f"layer, the output scores and the loss. Hint: {FORWARD_HINT}")


BACKWARD_HINTS = {
    "c": "∂L/∂b_y = Σ_n ∂L/∂z_n, with ∂L/∂z = (ŷ − y)/N from the mean cross-entropy (lesson 02)",
    "U": "∂L/∂U = Σ_n (∂L/∂z_n) h_nᵀ",
    "b": "∂L/∂b = Σ_n δ_n with δ_n = (Uᵀ ∂L/∂z_n) ⊙ (1 − h_n²), tanh′ written with its output",
    "W": "∂L/∂W = Σ_n δ_n e_nᵀ, e_n the concatenated embeddings of example n",
    "E": "∂L/∂e_n = Wᵀ δ_n, n·D numbers: its k-th slice of D belongs to the k-th word of the window and "
         "is added to that word's row of ∂L/∂E",
}


@exercise("window_lm_backward",
          success="∂L/∂E, ∂L/∂W, ∂L/∂b, ∂L/∂U and ∂L/∂b_y match torch autograd on 3 random shapes, "
                  "repeated words included")
def check_window_lm_backward(window_lm_backward, window_lm_forward):
    """`window_lm_forward` is the learner's forward pass: window_lm_backward reads its cache."""
    rng = cases_rng("lesson03.window_lm_backward")
    if window_lm_forward is _course_window_lm.window_lm_forward:
        params, contexts, targets = _case(rng, 2, 2, 5, 2, 3)
        _, cache = window_lm_forward(params, contexts, targets)
        needs_own_forward(lambda: window_lm_backward(cache), "window_lm_forward", "window_lm_backward")
    for N, n, V, D, H in SHAPES:
        params, contexts, targets = _case(rng, N, n, V, D, H)
        where = f"for a batch of N = {N} windows of n = {n} words (V = {V}, D = {D}, H = {H})"
        _, cache = unpack("window_lm_forward", call("window_lm_forward", window_lm_forward, params, contexts,
                                                    targets), ("loss", "cache"))
        grads = call("window_lm_backward", window_lm_backward, cache)
        if not isinstance(grads, dict) or set(grads) != set(PARAM_NAMES):
            got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
            raise Wrong(f"window_lm_backward must return a dict with the keys {list(PARAM_NAMES)} (one "
                        f"gradient per parameter, in its shape; 'c' is b_y), got {got}")
        want = _torch_grads(params, contexts, targets)
        no_tanh_prime = _torch_grads(params, contexts, targets, tanh="straight-through")
        for name in ("c", "U", "b", "W", "E"):  # in the order the backward pass meets them
            mistakes = {}
            if N > 1:
                twice = "it is divided by N twice (the 1/N of the mean is already in ∂L/∂z)"
                mistakes[twice] = want[name] / N
            if name in ("b", "W", "E"):
                mistakes["tanh's derivative (1 − h²) is left out"] = no_tanh_prime[name]
            if name == "E":
                _check_embedding_gradient(grads["E"], want["E"], contexts, where)
            expect_close(f"∂L/∂{'b_y' if name == 'c' else name}", grads[name], want[name], where=where,
                         hint=BACKWARD_HINTS[name], mistakes=mistakes)


def _torch_grads(params, contexts, targets, **variant):
    loss, tensors = _torch_loss(params, contexts, targets, **variant)
    loss.backward()
    return {name: tensor.grad.numpy() for name, tensor in tensors.items()}


def _check_embedding_gradient(dE, want, contexts, where):
    """Name the two mistakes of the embedding gradient: repeated ids, and rows of unused ids."""
    dE = expect_shape("∂L/∂E", dE, want.shape, where)
    if np.allclose(dE, want, rtol=1e-6, atol=1e-8):
        return
    counts = np.bincount(contexts.ravel(), minlength=len(want))
    once, repeated, unused = counts == 1, counts > 1, counts == 0
    if not np.allclose(dE[unused], 0.0):
        raise Wrong(f"∂L/∂E is wrong {where}: rows of words that are not in any window (ids "
                    f"{np.flatnonzero(unused).tolist()}) must be 0, since those rows played no part")
    if np.allclose(dE[once], want[once], rtol=1e-6, atol=1e-8) and repeated.any():
        raise Wrong(f"∂L/∂E is wrong {where} for the words that occur more than once in the windows (ids "
                    f"{np.flatnonzero(repeated).tolist()}), and right for the others: every occurrence must "
                    f"add its own gradient to its word's row. Hint: with repeated indices, an indexed "
                    f"`+=` writes each row once and keeps only one of the occurrences")


@exercise("window_lm_param_count",
          success="equals the number of entries in the arrays init_window_lm creates, for 3 models")
def check_window_lm_param_count(window_lm_param_count):
    from course_utils.nn.window_lm import init_window_lm

    for V, n, D, H in ((10, 1, 2, 3), (50, 3, 4, 5), (2651, 5, 16, 32)):
        params = init_window_lm(V, n, D, H)
        want = sum(int(value.size) for value in params.values())
        got = call("window_lm_param_count", window_lm_param_count, V, n, D, H)
        if not isinstance(got, (int, np.integer)):
            raise Wrong(f"window_lm_param_count must return a whole number (an int), got "
                        f"{type(got).__name__}")
        mistakes = {"b_y is left out": want - V, "b is left out": want - H,
                    "E is counted once per position: the n positions share one embedding table":
                    want + (n - 1) * V * D}
        if n > 1:
            one_position = ("W is counted for one position: it has a block of H × D weights for each of "
                            "the n words")
            mistakes[one_position] = want - (n - 1) * H * D
        expect_close("the count", got, want, where=f"for V = {V}, n = {n}, D = {D}, H = {H}", rtol=0.0,
                     atol=0.5,
                     hint="count the entries of every parameter array, E, W, b, U and b_y, from their "
                          "shapes; only W's shape depends on n",
                     mistakes=mistakes)
