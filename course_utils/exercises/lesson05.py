"""Checks for lesson 05's exercises: the Jacobian of one RNN step, the norm of the product of
Jacobians back through time, and gradient clipping by global norm.

The Jacobians are compared with `torch.autograd.functional.jacobian` of a torch RNN in float64,
the clipping with `torch.nn.utils.clip_grad_norm_`, on seeded random shapes. The hints name the
equation of the lesson, never the code; a wrong answer that matches a common mistake is told
which one.
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
    torch_float64,
    unpack,
)

__all__ = ["check_rnn_step_jacobian", "check_jacobian_norms", "check_clip_grad_norm"]

# (D, H): one unit (rows and columns cannot be confused), then wider states
STEP_SHAPES = ((1, 1), (2, 3), (3, 5))
# (T, D, H): one step (only distance 0), then longer sequences
SEQUENCE_SHAPES = ((1, 2, 3), (4, 3, 2), (6, 2, 4), (8, 3, 5))

STEP_HINT = ("∂h^(t)/∂h^(t−1) = diag(tanh′(a^(t))) W_h, and tanh′(a^(t)) = 1 − (h^(t))² is written "
             "with the state the step produced")
NORMS_HINT = ("∂h^(T)/∂h^(T−k) is the product of the k step Jacobians J^(T) J^(T−1) ··· J^(T−k+1), the "
              "latest step leftmost; entry k (the distance T − t = k) is the largest singular value of that "
              "product, and entry 0 is ‖I‖ = 1")
CLIP_HINT = ("the global norm ‖g‖ treats all the arrays as one long vector; when it exceeds max_norm, every "
             "array is multiplied by the same factor max_norm / ‖g‖, and below max_norm nothing changes")


def _torch_rnn(rng, D, H, T):
    """A random tanh RNN in torch (float64) on T random inputs: `run(h, first, last)` takes a state
    through the steps first .. last − 1 (0-based), and the states h^(1) .. h^(T) as NumPy (T, H)."""
    import torch

    x = torch_float64(rng.standard_normal((T, D)))
    W_e, W_h, b = torch_float64(rng.standard_normal((H, D)), rng.standard_normal((H, H)),
                                rng.standard_normal(H) * 0.5)

    def run(h, first, last):
        for t in range(first, last):
            h = torch.tanh(W_h @ h + W_e @ x[t] + b)
        return h

    h, states = torch_float64(rng.standard_normal(H)), []
    for t in range(T):
        h = run(h, t, t + 1)
        states.append(h)
    return run, torch.stack(states).numpy(), W_h.numpy()


@exercise("rnn_step_jacobian", success="matches torch.autograd.functional.jacobian of one tanh step "
                                       "for H = 1, 3, 5")
def check_rnn_step_jacobian(rnn_step_jacobian):
    import torch

    rng = cases_rng("lesson05.rnn_step_jacobian")
    for D, H in STEP_SHAPES:
        run, hs, W_h = _torch_rnn(rng, D, H, T=2)
        # the second step, h^(2) as a function of h^(1)
        want = torch.autograd.functional.jacobian(functools.partial(run, first=1, last=2),
                                                  torch_float64(hs[0])).numpy()
        h = hs[1]
        got = call("rnn_step_jacobian", rnn_step_jacobian, h.copy(), W_h.copy())
        if got is None:
            raise Wrong("rnn_step_jacobian returned None: return the (H, H) matrix")
        derivative = 1 - h * h                                        # (H,) tanh′(a)
        expect_close("the Jacobian ∂h^(t)/∂h^(t−1)", got, want, where=f"for H = {H}", hint=STEP_HINT,
                     mistakes={
                         "you forgot the tanh derivative: one step multiplies by W_h and by tanh′": W_h,
                         "tanh was applied again: h is already tanh(a), so tanh′(a) = 1 − h², "
                         "not 1 − tanh(h)²": (1 - np.tanh(h) ** 2)[:, None] * W_h,
                         "tanh′ scales the columns of W_h (W_h diag(tanh′)) instead of its rows "
                         "(diag(tanh′) W_h): unit i's derivative belongs to row i": W_h * derivative,
                         "the sigmoid's derivative h(1 − h) is used, but the RNN's nonlinearity is tanh":
                             (h * (1 - h))[:, None] * W_h,
                         "W_h is transposed": derivative[:, None] * W_h.T,
                     })


def _products(jacobians, H):
    """I and the products J_last ··· J_(last−k+1) for k = 1 .. len(jacobians), latest leftmost."""
    product, out = np.eye(H), [np.eye(H)]
    for jacobian in reversed(jacobians):
        product = product @ jacobian
        out.append(product)
    return out


@exercise("jacobian_norms", success="‖∂h^(T)/∂h^(t)‖₂ matches torch.autograd.functional.jacobian at every "
                                    "distance, on 4 random sequences")
def check_jacobian_norms(jacobian_norms):
    import torch

    rng = cases_rng("lesson05.jacobian_norms")
    for T, D, H in SEQUENCE_SHAPES:
        run, hs, W_h = _torch_rnn(rng, D, H, T)
        where = f"for a sequence of T = {T} steps with H = {H}"
        states = torch_float64(hs)
        want = []
        for k in range(T):  # ∂h^(T)/∂h^(T−k): the steps after h^(T−k), run again from that state
            jacobian = torch.autograd.functional.jacobian(functools.partial(run, first=T - k, last=T),
                                                          states[T - 1 - k])
            want.append(torch.linalg.matrix_norm(jacobian, ord=2).item())
        got = call("jacobian_norms", jacobian_norms, hs.copy(), W_h.copy())
        if got is None:
            raise Wrong("jacobian_norms returned None: return the array of norms")
        try:
            shape = np.shape(got)
        except ValueError:  # a ragged list: expect_close below says what is wrong with it
            shape = None
        if shape == (T - 1,):
            raise Wrong(f"jacobian_norms returned {T - 1} norms {where}, expected {T}: the first entry is "
                        f"distance 0, ‖∂h^(T)/∂h^(T)‖ = ‖I‖ = 1")
        # The step Jacobians J^(t), t = 2 .. T, and plausible wrong versions of their product
        derivative = 1 - hs * hs                                           # (T, H): tanh′ per step
        right = [derivative[t][:, None] * W_h for t in range(1, T)]
        earlier = [derivative[t - 1][:, None] * W_h for t in range(1, T)]
        products = _products(right, H)
        reversed_order = [np.eye(H)] + [np.linalg.multi_dot([np.eye(H), *right[T - 1 - k:], np.eye(H)])
                                         for k in range(1, T)]
        mistakes = {
            "you forgot the tanh derivative: each step multiplies by diag(tanh′) W_h, not by W_h alone":
                [np.linalg.norm(np.linalg.matrix_power(W_h, k), 2) for k in range(T)],
            "the Jacobians are multiplied in the wrong order: walking back in time, each earlier step's "
            "Jacobian goes on the right of the product": [np.linalg.norm(p, 2) for p in reversed_order],
            "this is the Frobenius norm (the root of the sum of all squared entries); the lesson uses the "
            "largest singular value, ‖·‖₂": [1.0] + [np.linalg.norm(p) for p in products[1:]],
            "each step's derivative is taken from the state before it: J^(t) needs tanh′(a^(t)) = "
            "1 − (h^(t))², the state that step produced":
                [np.linalg.norm(p, 2) for p in _products(earlier, H)],
            "the norms of the single steps are multiplied: that is an upper bound on the norm of the "
            "product, not the norm itself": np.cumprod([1.0] + [np.linalg.norm(j, 2) for j in right[::-1]]),
        }
        expect_close("‖∂h^(T)/∂h^(T−k)‖", got, want, where=where, hint=NORMS_HINT, mistakes=mistakes)


CLIP_CASES = (  # (where, {name: shape}, scale of the entries, max_norm)
    ("for 3 arrays whose global norm is above max_norm = 1", {"W_e": (4, 3), "W_h": (4, 4), "b": (4,)},
     2.0, 1.0),
    ("for 3 arrays whose global norm is below max_norm = 1", {"W_e": (4, 3), "W_h": (4, 4), "b": (4,)},
     0.05, 1.0),
    ("for a large W_h and a small b, global norm above max_norm = 1", {"W_h": (5, 5), "b": (5,)}, None, 1.0),
    ("for a huge gradient (norm about 10⁶) and max_norm = 5", {"W_h": (3, 3), "b": (3,)}, 3e5, 5.0),
    ("for a single array of norm below max_norm = 5", {"U": (2, 6)}, 0.5, 5.0),
)
CLIP_MISTAKES = {
    "separately": "you clipped each gradient separately, by its own norm: clipping by global norm scales "
                  "every array by one common factor",
    "always": "you scaled even when below the threshold: when ‖g‖ ≤ max_norm the gradients stay as they are",
    "by value": "each entry was clipped to [−max_norm, max_norm]: that is clipping by value, which changes "
                "the direction",
    "sum of norms": "the norm is the sum of the arrays' norms; the global norm is the square root of the sum "
                    "of all squared entries",
}


@exercise("clip_grad_norm", success="matches torch.nn.utils.clip_grad_norm_ above and below the threshold "
                                    "(5 cases), and leaves grads as it was")
def check_clip_grad_norm(clip_grad_norm):
    import torch

    rng = cases_rng("lesson05.clip_grad_norm")
    for where, shapes, scale, max_norm in CLIP_CASES:
        if scale is None:   # one array dominates: clipping each array alone would leave b unchanged
            grads = {"W_h": 3.0 * rng.standard_normal(shapes["W_h"]),
                     "b": 0.01 * rng.standard_normal(shapes["b"])}
        else:
            grads = {name: scale * rng.standard_normal(shape) for name, shape in shapes.items()}
        given = {name: g.copy() for name, g in grads.items()}
        clipped, norm = unpack("clip_grad_norm", call("clip_grad_norm", clip_grad_norm, given, max_norm),
                               ("clipped", "norm"))
        if not isinstance(clipped, dict) or set(clipped) != set(grads):
            got = sorted(clipped) if isinstance(clipped, dict) else type(clipped).__name__
            raise Wrong(f"clip_grad_norm's first result must be a dict with the keys of grads "
                        f"{sorted(grads)}, got {got}")
        tensors = [torch.nn.Parameter(torch_float64(g)) for g in grads.values()]
        for tensor, g in zip(tensors, grads.values(), strict=True):
            tensor.grad = torch_float64(g)
        want_norm = torch.nn.utils.clip_grad_norm_(tensors, max_norm).item()
        entries = np.concatenate([g.ravel() for g in grads.values()])
        sum_of_norms = sum(np.linalg.norm(g) for g in grads.values())
        for (name, g), tensor in zip(grads.items(), tensors, strict=True):
            expect_close(f"clipped[{name!r}]", clipped[name], tensor.grad.numpy(), where=where,
                         hint=CLIP_HINT, rtol=1e-5, mistakes={
                             CLIP_MISTAKES["separately"]: g * min(1.0, max_norm / np.linalg.norm(g)),
                             CLIP_MISTAKES["always"]: g * max_norm / np.linalg.norm(entries),
                             CLIP_MISTAKES["by value"]: np.clip(g, -max_norm, max_norm),
                             CLIP_MISTAKES["sum of norms"]: g * min(1.0, max_norm / sum_of_norms),
                         })
        expect_close("the returned norm", norm, want_norm, where=where, rtol=1e-6,
                     hint="return ‖g‖ as it was before clipping, as torch.nn.utils.clip_grad_norm_ does",
                     mistakes={"it is the norm after clipping; return the norm before":
                               min(want_norm, max_norm),
                               "it is the squared norm: take its square root": want_norm ** 2})
        for name in grads:
            if not np.array_equal(given[name], grads[name]):
                raise Wrong(f"clip_grad_norm changed grads[{name!r}], the array it was given, {where}: "
                            f"return new arrays and leave the caller's gradients as they were")
