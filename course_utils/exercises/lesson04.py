"""Checks for lesson 04's exercises: the RNN step forward and backward, BPTT, sampling.

Each compares the learner's function with torch (float64) on seeded random shapes. The
hints name the equation of the lesson, never the code.
"""

from __future__ import annotations

import functools

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
from course_utils.nn import rnn as _course_rnn

__all__ = ["check_rnn_step_forward", "check_rnn_step_backward", "check_rnn_backward",
           "check_sample_token"]

# (N, D, H): a single row, a typical batch, more units than inputs
STEP_SHAPES = ((1, 3, 2), (4, 3, 5), (3, 6, 4))
# (N, T, D, H)
SEQUENCE_SHAPES = ((1, 1, 2, 3), (2, 5, 3, 4), (3, 7, 2, 5))


def _step_case(rng, N, D, H):
    return (rng.standard_normal((N, D)), rng.standard_normal((N, H)),
            rng.standard_normal((H, D)) * 0.5, rng.standard_normal((H, H)) * 0.5,
            rng.standard_normal(H) * 0.5)


def _torch_step(x, h_prev, W_e, W_h, b):
    import torch

    return torch.tanh(h_prev @ W_h.T + x @ W_e.T + b)


FORWARD_HINT = "h^(t) = tanh(W_h h^(t-1) + W_e x^(t) + b), with the batch as rows: h_prev W_hᵀ + x W_eᵀ + b"


@exercise("rnn_step_forward", success="matches torch on 3 random shapes")
def check_rnn_step_forward(rnn_step_forward):
    rng = cases_rng("lesson04.rnn_step_forward")
    for N, D, H in STEP_SHAPES:
        x, h_prev, W_e, W_h, b = _step_case(rng, N, D, H)
        h, _ = unpack("rnn_step_forward", call("rnn_step_forward", rnn_step_forward, x, h_prev, W_e, W_h, b),
                      ("h", "cache"))
        want = _torch_step(*torch_float64(x, h_prev, W_e, W_h, b)).numpy()
        a = h_prev @ W_h.T + x @ W_e.T + b
        expect_close("h", h, want, where=f"for a batch of {N} with D = {D}, H = {H}", hint=FORWARD_HINT,
                     mistakes={"b is not added": np.tanh(a - b),
                               "tanh is missing": a,
                               "the sigmoid is used where the RNN uses tanh": 1 / (1 + np.exp(-a)),
                               "W_h is used without its transpose": np.tanh(h_prev @ W_h + x @ W_e.T + b)})


def _grads_torch(x, h_prev, W_e, W_h, b, dh):
    tensors = torch_float64(x, h_prev, W_e, W_h, b, grad=True)
    h = _torch_step(*tensors)
    h.backward(torch_float64(dh))
    return [t.grad.numpy() for t in tensors]


BACKWARD_HINTS = {
    "dx": "∂L/∂x = δ W_e with δ = ∂L/∂h ⊙ (1 − h²), the gradient at the pre-activation",
    "dh_prev": "∂L/∂h_prev = δ W_h with δ = ∂L/∂h ⊙ (1 − h²)",
    "dW_e": "∂L/∂W_e = δᵀ x, summed over the batch rows",
    "dW_h": "∂L/∂W_h = δᵀ h_prev, summed over the batch rows",
    "db": "∂L/∂b = the sum of δ over the batch rows",
}


@exercise("rnn_step_backward", success="all five gradients match torch autograd on 3 random shapes")
def check_rnn_step_backward(rnn_step_backward, rnn_step_forward):
    """`rnn_step_forward` is the learner's forward pass: rnn_step_backward reads its cache."""
    rng = cases_rng("lesson04.rnn_step_backward")
    if rnn_step_forward is _course_rnn.rnn_step_forward:
        x, h_prev, W_e, W_h, b = _step_case(rng, 2, 3, 4)
        _, cache = rnn_step_forward(x, h_prev, W_e, W_h, b)
        needs_own_forward(lambda: rnn_step_backward(np.ones((2, 4)), cache), "rnn_step_forward",
                          "rnn_step_backward")
    if not check_rnn_step_forward(rnn_step_forward, quiet=True):
        raise Wrong("rnn_step_forward does not pass its check yet: the backward pass needs its cache")
    for N, D, H in STEP_SHAPES:
        x, h_prev, W_e, W_h, b = _step_case(rng, N, D, H)
        dh = rng.standard_normal((N, H))
        _, cache = call("rnn_step_forward", rnn_step_forward, x, h_prev, W_e, W_h, b)
        got = unpack("rnn_step_backward", call("rnn_step_backward", rnn_step_backward, dh, cache),
                     ("dx", "dh_prev", "dW_e", "dW_h", "db"))
        want = _grads_torch(x, h_prev, W_e, W_h, b, dh)
        h = np.tanh(h_prev @ W_h.T + x @ W_e.T + b)
        without_tanh_grad = dh  # the mistake of skipping tanh's derivative
        delta = dh * (1 - h**2)
        twice = dh * (1 - np.tanh(h) ** 2)  # tanh' from tanh(h), as if h were still the pre-activation
        mistakes = {
            "dx": {"tanh's derivative (1 − h²) is left out": without_tanh_grad @ W_e,
                   "tanh′ is computed from tanh(h): h is already tanh(a), so tanh′(a) = 1 − h²": twice @ W_e},
            "dh_prev": {"tanh's derivative (1 − h²) is left out": without_tanh_grad @ W_h,
                        "W_h is transposed": (dh * (1 - h**2)) @ W_h.T},
            "dW_e": {"tanh's derivative (1 − h²) is left out": without_tanh_grad.T @ x},
            "dW_h": {"tanh's derivative (1 − h²) is left out": without_tanh_grad.T @ h_prev,
                     "the product is transposed (h_prevᵀ δ instead of δᵀ h_prev)":
                         h_prev.T @ (dh * (1 - h**2))},
            "db": {"tanh's derivative (1 − h²) is left out": dh.sum(axis=0),
                   "it is averaged over the batch rows instead of summed": delta.mean(axis=0)},
        }
        for name, value, reference in zip(BACKWARD_HINTS, got, want, strict=True):
            expect_close(name, value, reference, where=f"for a batch of {N} with D = {D}, H = {H}",
                         hint=BACKWARD_HINTS[name], mistakes=mistakes[name])


def _sequence_case(rng, N, T, D, H):
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)),
            rng.standard_normal((H, D)) * 0.5, rng.standard_normal((H, H)) * 0.5,
            rng.standard_normal(H) * 0.5)


BPTT_HINTS = {
    "dx": "every step's ∂L/∂x^(t) comes from that step's backward pass",
    "dh0": "what flows back out of the first step is ∂L/∂h^(0)",
    "dW_e": "the same W_e is used at every step: add the steps' gradients",
    "dW_h": "the same W_h is used at every step: add the steps' gradients",
    "db": "the same b is used at every step: add the steps' gradients",
}


@exercise("rnn_backward", success="BPTT matches torch autograd through whole sequences (3 random shapes)")
def check_rnn_backward(rnn_backward, rnn_forward):
    """`rnn_forward(x, h0, W_e, W_h, b) -> (hs, cache)` is the lesson's unrolled forward pass."""
    import torch

    rng = cases_rng("lesson04.rnn_backward")
    for N, T, D, H in SEQUENCE_SHAPES:
        x, h0, W_e, W_h, b = _sequence_case(rng, N, T, D, H)
        dhs = rng.standard_normal((N, T, H))
        where = f"for {N} sequences of {T} steps"
        hs, cache = unpack("rnn_forward", call("rnn_forward", rnn_forward, x, h0, W_e, W_h, b),
                           ("hs", "cache"))
        tensors = torch_float64(x, h0, W_e, W_h, b, grad=True)
        h, outputs, pre_activations = tensors[1], [], []
        for t in range(T):
            a = h @ tensors[3].T + tensors[0][:, t] @ tensors[2].T + tensors[4]
            a.retain_grad()  # δ^(t), for naming the mistakes below
            h = torch.tanh(a)
            outputs.append(h)
            pre_activations.append(a)
        torch_hs = torch.stack(outputs, dim=1)
        expect_close("rnn_forward's hs", hs, torch_hs.detach().numpy(), where=where,
                     hint="fix the forward pass first (rnn_step_forward, then the loop over t)")
        torch_hs.backward(torch_float64(dhs))
        want = [t.grad.numpy() for t in tensors]
        got = unpack("rnn_backward", call("rnn_backward", rnn_backward, dhs, cache),
                     ("dx", "dh0", "dW_e", "dW_h", "db"))
        if T > 1:  # the classic BPTT mistake first: nothing flows back from the future
            _check_future_gradient(rnn_backward, rnn_forward, x, h0, W_e, W_h, b, where)
        # a weight gradient overwritten at every step instead of added keeps the first step's only
        first = pre_activations[0].grad.numpy()
        hs_np = torch_hs.detach().numpy()
        mistakes = {
            "dW_e": {"each step's gradient replaced the sum (= instead of +=)": first.T @ x[:, 0],
                     "only the last step's gradient is kept":
                         pre_activations[-1].grad.numpy().T @ x[:, -1]},
            "dW_h": {"each step's gradient replaced the sum (= instead of +=)": first.T @ h0,
                     "only the last step's gradient is kept":
                         pre_activations[-1].grad.numpy().T @ (hs_np[:, -2] if T > 1 else h0)},
            "db": {"each step's gradient replaced the sum (= instead of +=)": first.sum(axis=0)},
        }
        for name, value, reference in zip(BPTT_HINTS, got, want, strict=True):
            expect_close(name, value, reference, where=where, hint=BPTT_HINTS[name],
                         mistakes=mistakes.get(name) if T > 1 else None)


def _check_future_gradient(rnn_backward, rnn_forward, x, h0, W_e, W_h, b, where):
    """A gradient only at the last step must still reach the first step's input."""
    N, T, _ = x.shape
    dhs = np.zeros((N, T, W_h.shape[0]))
    dhs[:, -1] = 1.0
    _, cache = rnn_forward(x, h0, W_e, W_h, b)
    dx = call("rnn_backward", rnn_backward, dhs, cache)[0]
    if np.allclose(np.asarray(dx, dtype=np.float64)[:, 0], 0.0):
        raise Wrong(f"dx is wrong {where}: a loss at the last step sends no gradient to the first "
                    f"input. Hint: ∂L/∂h^(t) = (its own dhs) + what step t+1 sends back through W_h")


SAMPLE_HINT = ("divide the logits by τ before the softmax, then draw one token from that distribution "
               "with the rng you are given")


@exercise("sample_token",
          success="greedy at τ = 0, and 4,000 samples follow softmax(z / τ) at τ = 0.5, 1 and 2")
def check_sample_token(sample_token):
    """`sample_token(logits, temperature, rng)`: the check passes rng by name, so the course's
    `course_utils.nn.sampling.sample` (which has top_k and top_p in between) is a valid answer."""
    import torch
    from scipy.stats import chisquare

    rng = cases_rng("lesson04.sample_token")
    logits = rng.standard_normal(6) * 2.0
    for seed in range(3):
        draw = functools.partial(sample_token, rng=np.random.default_rng(seed))
        token = call("sample_token", draw, logits.copy(), 0.0)
        if not isinstance(token, (int, np.integer)):
            raise Wrong(f"sample_token must return one token id (an int), got {type(token).__name__}")
        if token != int(np.argmax(logits)):
            raise Wrong("at τ = 0 sample_token must return the most probable token (greedy decoding). "
                        "Hint: τ → 0 puts all of softmax(z / τ)'s mass on the largest logit")
    runs = []
    for _ in range(2):  # the same seed twice
        draw = functools.partial(sample_token, rng=np.random.default_rng(7))
        runs.append([call("sample_token", draw, logits.copy(), 1.0) for _ in range(50)])
    if runs[0] != runs[1]:
        raise Wrong("two runs with the same seed drew different tokens: draw with the `rng` passed in "
                    "(not np.random's global state), so that a seed fixes the sample")
    draws = 4000
    for temperature in (0.5, 1.0, 2.0):
        draw = functools.partial(sample_token, rng=np.random.default_rng(1))
        tokens = np.array([call("sample_token", draw, logits.copy(), temperature) for _ in range(draws)])
        expect_shape("the sampled ids", tokens, (draws,))
        if not np.all((tokens >= 0) & (tokens < len(logits)) & (tokens == np.round(tokens))):
            raise Wrong(f"sample_token returned ids outside 0..{len(logits) - 1} at τ = {temperature}")
        if len(np.unique(tokens)) == 1:
            raise Wrong(f"at τ = {temperature} sample_token returned the same token {draws:,} times: it must "
                        f"draw at random (only τ = 0 is greedy). Hint: {SAMPLE_HINT}")
        probs = torch.softmax(torch_float64(logits) / temperature, dim=0).numpy()
        counts = np.bincount(tokens.astype(np.int64), minlength=len(logits))
        p_value = chisquare(counts, probs * draws).pvalue
        if p_value < 1e-4:
            sharper = counts.max() / draws > probs.max()
            raise Wrong(f"at τ = {temperature} the samples do not follow softmax(z / τ) "
                        f"({'too peaked' if sharper else 'too flat'}: the most frequent token came "
                        f"{counts.max() / draws:.0%} of the time, where softmax(z / τ) gives it "
                        f"{probs.max():.0%}). Hint: {SAMPLE_HINT}")
