"""Checks for lesson 06's exercises: the LSTM step forward and the LSTM step backward.

The forward pass is compared with `torch.nn.LSTMCell` in float64 (its weights copied from
ours: `weight_ih` = W_e, `weight_hh` = W_h, `bias_ih` = b, `bias_hh` = 0; the blocks of rows in
the course's and torch's order i, f, g, o). The backward pass is compared with torch's autograd
through the same cell. Weight gradients are compared gate block by gate block, so that a
message names the gate whose rows are wrong. Common mistakes (two gate blocks swapped, c where
tanh(c) belongs, tanh′ left out of the cell path) are recognised by running torch on the
mistaken equations and named. The hints name the equation of the lesson, never the code.
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
    torch_float64,
    unpack,
)

__all__ = ["check_lstm_step_forward", "check_lstm_step_backward"]

# (N, D, H): one unit (rows and columns cannot be confused), a typical batch, more units than inputs
STEP_SHAPES = ((1, 2, 1), (4, 3, 2), (3, 2, 5))
GATE_ORDER = ("i", "f", "g", "o")      # the course's and torch's order of the four blocks of rows
GATE_NAMES = {"i": "the input gate i", "f": "the forget gate f", "g": "the candidate g",
              "o": "the output gate o"}


def _step_case(rng, N, D, H):
    """x, h_prev, c_prev, W_e (4H, D), W_h (4H, H), b (4H,): gates away from saturation."""
    return (rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            rng.standard_normal((4 * H, D)) * 0.6, rng.standard_normal((4 * H, H)) * 0.6,
            rng.standard_normal(4 * H) * 0.5)


def _torch_cell(W_e, W_h, b):
    """torch.nn.LSTMCell (float64) holding our weights."""
    import torch

    H = W_h.shape[1]
    cell = torch.nn.LSTMCell(W_e.shape[1], H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch_float64(W_e))
        cell.weight_hh.copy_(torch_float64(W_h))
        cell.bias_ih.copy_(torch_float64(b))
        cell.bias_hh.zero_()                  # torch adds two biases; ours is all in bias_ih
    return cell


def _torch_gates(x, h_prev, W_e, W_h, b, order=GATE_ORDER):
    """The four gates (torch tensors), reading the blocks of rows in `order`."""
    import torch

    blocks = dict(zip(order, torch.chunk(x @ W_e.T + h_prev @ W_h.T + b, 4, dim=1), strict=True))
    return (torch.sigmoid(blocks["i"]), torch.sigmoid(blocks["f"]), torch.tanh(blocks["g"]),
            torch.sigmoid(blocks["o"]))


def _forward_mistakes(x, h_prev, c_prev, W_e, W_h, b):
    """What (h, c) would be after common mistakes, computed by torch on the mistaken equations."""
    import torch

    t = torch_float64(x, h_prev, c_prev, W_e, W_h, b)
    x_, h_, c_, W_e_, W_h_, b_ = t
    i, f, g, o = _torch_gates(x_, h_, W_e_, W_h_, b_)
    c = i * g + f * c_
    mistakes = {
        "i and f trade places (the blocks of rows are in the order i, f, g, o, not the lecture's f, i, g, o)":
            _torch_gates(x_, h_, W_e_, W_h_, b_, order=("f", "i", "g", "o")),
        "the blocks of g and o are swapped (the rows are in the order i, f, g, o)":
            _torch_gates(x_, h_, W_e_, W_h_, b_, order=("i", "f", "o", "g")),
    }
    h_mistakes, c_mistakes = {}, {}
    for mistake, (i2, f2, g2, o2) in mistakes.items():
        c2 = i2 * g2 + f2 * c_
        h_mistakes[mistake] = (o2 * torch.tanh(c2)).numpy()
        c_mistakes[mistake] = c2.numpy()
    pre_g = torch.chunk(x_ @ W_e_.T + h_ @ W_h_.T + b_, 4, dim=1)[2]
    c_sigmoid_g = i * torch.sigmoid(pre_g) + f * c_
    c_mistakes["the candidate g is squashed by σ; it is tanh (values from −1 to 1)"] = c_sigmoid_g.numpy()
    h_mistakes["the candidate g is squashed by σ; it is tanh (values from −1 to 1)"] = \
        (o * torch.tanh(c_sigmoid_g)).numpy()
    c_mistakes["the old cell c_prev is not kept: c^(t) needs the term f ⊙ c^(t−1)"] = (i * g).numpy()
    c_mistakes["the candidate is added without the input gate"] = (g + f * c_).numpy()
    h_mistakes["h uses c itself: h^(t) = o ⊙ tanh(c^(t))"] = (o * c).numpy()
    h_mistakes["tanh(c) is not multiplied by the output gate o"] = torch.tanh(c).numpy()
    h_mistakes["h uses the old cell c^(t−1) instead of the new c^(t)"] = (o * torch.tanh(c_)).numpy()
    return h_mistakes, c_mistakes


FORWARD_HINT = ("a = x W_eᵀ + h_prev W_hᵀ + b holds the four pre-activations in blocks of H columns, in the "
                "order i, f, g, o; i, f, o = σ(their block), g = tanh(its block); "
                "c = i ⊙ g + f ⊙ c_prev; h = o ⊙ tanh(c)")


@exercise("lstm_step_forward", success="h and c match torch.nn.LSTMCell (float64) on 3 random shapes")
def check_lstm_step_forward(lstm_step_forward):
    rng = cases_rng("lesson06.lstm_step_forward")
    for N, D, H in STEP_SHAPES:
        x, h_prev, c_prev, W_e, W_h, b = _step_case(rng, N, D, H)
        h, c, _ = unpack("lstm_step_forward",
                         call("lstm_step_forward", lstm_step_forward, x, h_prev, c_prev, W_e, W_h, b),
                         ("h", "c", "cache"))
        h_want, c_want = _torch_cell(W_e, W_h, b)(torch_float64(x), tuple(torch_float64(h_prev, c_prev)))
        h_mistakes, c_mistakes = _forward_mistakes(x, h_prev, c_prev, W_e, W_h, b)
        where = f"for a batch of {N} with D = {D}, H = {H}"
        expect_close("c", c, c_want.detach().numpy(), where=where, hint=FORWARD_HINT, mistakes=c_mistakes)
        expect_close("h", h, h_want.detach().numpy(), where=where, hint=FORWARD_HINT, mistakes=h_mistakes)


# ---- the backward pass ----------------------------------------------------------------------------

GRADIENTS = ("dx", "dh_prev", "dc_prev", "dW_e", "dW_h", "db")

BACKWARD_HINTS = {
    "dc_prev": "c^(t) = i ⊙ g + f ⊙ c^(t−1): c^(t−1) is scaled by f alone; and the gradient at c^(t) is the "
               "dc from step t+1 plus what reaches c^(t) through h^(t) = o ⊙ tanh(c^(t))",
    "db": "∂L/∂b is the gradient at the pre-activations a, summed over the batch rows: each gate's block "
          "is its gate's gradient times the derivative of its squashing function (σ′ = σ(1 − σ), "
          "tanh′ = 1 − tanh²)",
    "dW_e": "∂L/∂W_e = (∂L/∂a)ᵀ x: the same gradient at the pre-activations as for db, times the inputs",
    "dW_h": "∂L/∂W_h = (∂L/∂a)ᵀ h_prev: the same gradient at the pre-activations as for db, times h_prev",
    "dx": "∂L/∂x = (∂L/∂a) W_e: all four gates read x",
    "dh_prev": "∂L/∂h_prev = (∂L/∂a) W_h: all four gates read h_prev",
}
GATE_HINTS = {
    "i": "c = i ⊙ g + f ⊙ c_prev gives ∂L/∂i = ∂L/∂c ⊙ g; then σ′ = i(1 − i)",
    "f": "c = i ⊙ g + f ⊙ c_prev gives ∂L/∂f = ∂L/∂c ⊙ c_prev; then σ′ = f(1 − f)",
    "g": "c = i ⊙ g + f ⊙ c_prev gives ∂L/∂g = ∂L/∂c ⊙ i; then tanh′ = 1 − g²",
    "o": "h = o ⊙ tanh(c) gives ∂L/∂o = ∂L/∂h ⊙ tanh(c); then σ′ = o(1 − o)",
}


def _torch_step(x, h_prev, c_prev, W_e, W_h, b, variant=None):
    """(h, c) in torch; `variant` rebuilds the graph so that autograd computes a common mistake's
    gradients while the forward values stay right."""
    import torch

    i, f, g, o = _torch_gates(x, h_prev, W_e, W_h, b)
    if variant == "sigmoid' for g":        # g's gradient through g(1 − g) instead of tanh′ = 1 − g²
        pre_g = torch.chunk(x @ W_e.T + h_prev @ W_h.T + b, 4, dim=1)[2]
        g = g.detach() + (pre_g - pre_g.detach()) * (g * (1 - g)).detach()
    c = i * g + f * c_prev
    if variant == "no tanh' on the cell path":      # h reaches c with derivative 1, not 1 − tanh²
        tanh_c = torch.tanh(c).detach() + (c - c.detach())
    else:
        tanh_c = torch.tanh(c)
    if variant == "c for tanh(c) in do":            # ∂h/∂o = c instead of tanh(c)
        h = o.detach() * tanh_c + (o - o.detach()) * c.detach()
    else:
        h = o * tanh_c
    return h, c


def _torch_grads(case, dh, dc, variant=None):
    """Gradients (dx, dh_prev, dc_prev, dW_e, dW_h, db) of Σ(dh ⊙ h) + Σ(dc ⊙ c)."""
    tensors = torch_float64(*case, grad=True)
    h, c = _torch_step(*tensors, variant=variant)
    ((h * torch_float64(dh)).sum() + (c * torch_float64(dc)).sum()).backward()
    return [t.grad.numpy() for t in tensors]


def _swap_blocks(grad, H, a, b):
    """The gradient with the gate blocks a and b exchanged (rows of a (4H, ...) array)."""
    out = np.array(grad, dtype=np.float64, copy=True)
    ka, kb = GATE_ORDER.index(a), GATE_ORDER.index(b)
    out[ka * H:(ka + 1) * H], out[kb * H:(kb + 1) * H] = grad[kb * H:(kb + 1) * H], grad[ka * H:(ka + 1) * H]
    return out


VARIANTS = {
    "no tanh' on the cell path": "the gradient that h sends to c misses tanh′: ∂h/∂c = o ⊙ (1 − tanh²(c))",
    "c for tanh(c) in do": "∂L/∂o uses c where h = o ⊙ tanh(c) needs tanh(c)",
    "sigmoid' for g": "the candidate's derivative is σ′ = g(1 − g); g = tanh(·), so it is 1 − g²",
}


def _mistakes(case, dh, dc, want, H):
    """{gradient name: {mistake: what it would give}}: autograd on mistaken graphs, and swapped blocks."""
    by_name = {name: {} for name in GRADIENTS}
    for variant, mistake in VARIANTS.items():
        for name, value in zip(GRADIENTS, _torch_grads(case, dh, dc, variant=variant), strict=True):
            by_name[name][mistake] = value
    f = _torch_gates(*torch_float64(*case[:2], *case[3:]))[1].numpy()
    by_name["dc_prev"]["dc_prev is not multiplied by the forget gate f"] = want["dc_prev"] / f
    for a, b in (("i", "f"), ("g", "o")):
        for name in ("dW_e", "dW_h", "db"):
            by_name[name][f"the gradients of the {a} and {b} blocks are swapped (the rows are in the order "
                          f"i, f, g, o, as in the forward pass)"] = _swap_blocks(want[name], H, a, b)
    return by_name


def _expect_blocks(name, got, want, H, where, mistakes):
    """A (4H, ...) gradient: the whole array, then gate block by gate block, so that the message
    names the gate whose rows are wrong."""
    got = expect_shape(name, got, want.shape, where)
    if np.allclose(got, want, rtol=1e-6, atol=1e-8):
        return
    if _matches_any(got, mistakes):                  # a common mistake: name it
        expect_close(name, got, want, where=where, mistakes=mistakes,
                     hint="the gradient at a has its blocks in the forward pass's order i, f, g, o")
    for k, gate in enumerate(GATE_ORDER):
        rows = slice(k * H, (k + 1) * H)
        rows_text = f"row {k * H}" if H == 1 else f"rows {k * H} to {(k + 1) * H - 1}"
        expect_close(f"{name} in the rows of {GATE_NAMES[gate]} ({rows_text})",
                     got[rows], want[rows], where=where, hint=GATE_HINTS[gate])


def _matches_any(got, mistakes):
    return any(np.shape(v) == got.shape and np.allclose(got, v, rtol=1e-6, atol=1e-8)
               for v in mistakes.values())


@exercise("lstm_step_backward",
          success="all six gradients match torch autograd on 3 random shapes (the cell path alone, the "
                  "hidden path alone, both)")
def check_lstm_step_backward(lstm_step_backward, lstm_step_forward):
    rng = cases_rng("lesson06.lstm_step_backward")
    if not check_lstm_step_forward(lstm_step_forward, quiet=True):
        raise Wrong("lstm_step_forward does not pass its check yet: the backward pass needs its cache")
    for N, D, H in STEP_SHAPES:
        case = _step_case(rng, N, D, H)
        dh_random, dc_random = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        for dh, dc, path in ((np.zeros((N, H)), dc_random, "with a gradient only at c (dh = 0)"),
                             (dh_random, np.zeros((N, H)), "with a gradient only at h (dc = 0)"),
                             (dh_random, dc_random, "with gradients at h and c")):
            where = f"{path}, for a batch of {N} with D = {D}, H = {H}"
            _, _, cache = call("lstm_step_forward", lstm_step_forward, *case)
            got = unpack("lstm_step_backward", call("lstm_step_backward", lstm_step_backward, dh, dc, cache),
                         GRADIENTS)
            got = dict(zip(GRADIENTS, got, strict=True))
            want = dict(zip(GRADIENTS, _torch_grads(case, dh, dc), strict=True))
            mistakes = _mistakes(case, dh, dc, want, H)
            expect_close("dc_prev", got["dc_prev"], want["dc_prev"], where=where,
                         hint=BACKWARD_HINTS["dc_prev"], mistakes=mistakes["dc_prev"])
            for name in ("db", "dW_e", "dW_h"):
                _expect_blocks(name, got[name], want[name], H, where, mistakes[name])
            for name in ("dx", "dh_prev"):
                expect_close(name, got[name], want[name], where=where, hint=BACKWARD_HINTS[name],
                             mistakes=mistakes[name])
