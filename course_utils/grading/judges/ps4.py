"""ps4: the grader's half of the hidden tests (see course_utils/grading/judges/__init__.py)."""

from __future__ import annotations

import numpy as np

from .._core import (
    after,
    as_array,
    close,
    compare,
    each_case,
    fix_forward_first,
    forward_and_backward,
    returned,
    t,
    torch,
    unchanged,
)
from ..ps4 import (
    _GRU_HINTS,
    GRU_GRADS,
    direction_cases,
    gru_cases,
    residual_cases,
)


def _torch_gru_cell(W_e, W_h, b):
    """torch.nn.GRUCell (float64) holding W_e, W_h, b, with bias_hh = 0."""
    H, D = np.shape(W_h)[1], np.shape(W_e)[1]
    cell = torch().nn.GRUCell(D, H).double()
    with torch().no_grad():
        cell.weight_ih.copy_(t(W_e))
        cell.weight_hh.copy_(t(W_h))
        cell.bias_ih.copy_(t(b))
        cell.bias_hh.zero_()
    return cell


def _gru_step_torch(x, h_prev, W_e, W_h, b):
    with torch().no_grad():
        return _torch_gru_cell(W_e, W_h, b)(t(x), t(h_prev)).numpy()


def _gru_forward_hint(got, x, h_prev, W_e, W_h, b) -> str:
    """Which well-known variant of the GRU the answer computed, as a hint (no values)."""
    H = h_prev.shape[1]
    a_x = (t(x) @ t(W_e).T + t(b)).numpy()
    a_h = (t(h_prev) @ t(W_h).T).numpy()
    block = {"r": slice(0, H), "z": slice(H, 2 * H), "n": slice(2 * H, 3 * H)}

    def run(first, second, reset_inside=False, z_on_new=False):
        r = torch().sigmoid(t(a_x[:, block[first]] + a_h[:, block[first]]))
        z = torch().sigmoid(t(a_x[:, block[second]] + a_h[:, block[second]]))
        if reset_inside:
            hidden = (r * t(h_prev)) @ t(W_h[block["n"]]).T
        else:
            hidden = r * t(a_h[:, block["n"]])
        n = torch().tanh(t(a_x[:, block["n"]]) + hidden)
        keep = (1 - z) if z_on_new else z
        return ((1 - keep) * n + keep * t(h_prev)).numpy()

    variants = [
        (run("r", "z", z_on_new=True), "torch's convention is h = (1 − z) ⊙ n + z ⊙ h_prev: "
                                       "z close to 1 keeps the old state"),
        (run("r", "z", reset_inside=True), "torch applies the reset gate after the matrix "
                                           "multiply: n = tanh(x W_nᵀ + b_n + r ⊙ (h_prev U_nᵀ))"),
        (run("z", "r"), "the blocks of W_e, W_h and b are in torch's order r, z, n"),
    ]
    for value, hint in variants:
        if close(got, value):
            return hint
    return ("r and z are σ of their blocks, n = tanh(x W_nᵀ + b_n + r ⊙ (h_prev U_nᵀ)), "
            "then h = (1 − z) ⊙ n + z ⊙ h_prev")


def judge_gru_step_forward(payload) -> None:
    """Against torch.nn.GRUCell (bias_hh = 0)."""
    name, cases = "gru_step_forward", gru_cases("gru_step_forward")
    for (*inputs, where, _), record in each_case(payload, name, cases):
        h, _ = returned(name, record, where, 2, "a pair (h, cache)")
        unchanged(name, "x", inputs[0], after(record, 0), where)
        unchanged(name, "h_prev", inputs[1], after(record, 1), where)
        want = _gru_step_torch(*inputs)
        got = as_array(name, "h", h, where)
        hint = _gru_forward_hint(got, *inputs) if got.shape == want.shape else ""
        compare(name, "h", got, want, where, hint)


def judge_gru_step_backward(payload) -> None:
    """Against torch's autograd of GRUCell."""
    name, cases = "gru_step_backward", gru_cases("gru_step_backward")
    for (x, h_prev, W_e, W_h, b, where, dh), record in each_case(payload, name, cases):
        h, backward = forward_and_backward("gru_step_forward", record, where, "a pair (h, cache)")
        grads = returned(name, backward, where, 5, "a 5-tuple (dx, dh_prev, dW_e, dW_h, db)")
        cell = _torch_gru_cell(W_e, W_h, b)
        x_t, h_t = t(x, grad=True), t(h_prev, grad=True)
        (cell(x_t, h_t) * t(dh)).sum().backward()
        want = dict(zip(GRU_GRADS, (x_t.grad, h_t.grad, cell.weight_ih.grad, cell.weight_hh.grad,
                                    cell.bias_ih.grad), strict=True))
        want = {k: v.numpy() for k, v in want.items()}
        right = {k: close(g, want[k]) for k, g in zip(GRU_GRADS, grads, strict=True)}
        forward_right = close(h, _gru_step_torch(x, h_prev, W_e, W_h, b))
        for what, got in zip(GRU_GRADS, grads, strict=True):
            hint = _GRU_HINTS[what]
            if all(right[k] for k in GRU_GRADS if k != what):
                hint = "every other gradient is right; " + hint
            compare(name, what, got, want[what], where,
                    fix_forward_first("gru_step_forward", forward_right, hint))


# ---- 3 · a bidirectional GRU over a padded batch ------------------------------------------------

def judge_bidirectional_gru(payload) -> None:
    """Against torch.nn.GRU(bidirectional=True) over a packed sequence (pack_padded_sequence /
    pad_packed_sequence: zeros at the padding)."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    name, cases = "bidirectional_gru", direction_cases()
    for (x, fwd, bwd, lengths, where), record in each_case(payload, name, cases):
        hs = returned(name, record, where)
        unchanged(name, "x", x, after(record, 0), where)
        N, T, D = x.shape
        H = fwd["W_h"].shape[1]
        gru = torch().nn.GRU(D, H, batch_first=True, bidirectional=True).double()
        with torch().no_grad():
            for suffix, params in (("l0", fwd), ("l0_reverse", bwd)):
                getattr(gru, f"weight_ih_{suffix}").copy_(t(params["W_e"]))
                getattr(gru, f"weight_hh_{suffix}").copy_(t(params["W_h"]))
                getattr(gru, f"bias_ih_{suffix}").copy_(t(params["b"]))
                getattr(gru, f"bias_hh_{suffix}").zero_()
            packed = pack_padded_sequence(t(x), torch().as_tensor(lengths), batch_first=True,
                                          enforce_sorted=False)
            out, _ = pad_packed_sequence(gru(packed)[0], batch_first=True, total_length=T)
        want = out.numpy()
        got = as_array(name, "hs", hs, where)
        hint = ("each direction starts from h = 0 and applies gru_step_forward step by step; "
                "hs = [forward states ; backward states]")
        if got.shape == want.shape and np.all(np.isfinite(got)):
            real = np.arange(T)[None, :] < lengths[:, None]
            if close(got[real], want[real]):
                hint = "padded positions must hold 0 in both halves (as torch's pad_packed_sequence)"
            elif close(got[..., :H][real], want[..., H:][real]) and \
                    close(got[..., H:][real], want[..., :H][real]):
                hint = "hs[..., :H] is the forward direction and hs[..., H:] the backward one"
            elif close(got[..., :H][real], want[..., :H][real]):
                hint = ("the forward half is right; the backward direction must start at each "
                        "row's last real step, not at the padding: reverse each row within its "
                        "length, run, and reverse the states back")
        compare(name, "hs", got, want, where, hint)


# ---- 4 · residual connections in a deep LSTM ----------------------------------------------------

def _torch_stacks(x, layers) -> tuple[np.ndarray, np.ndarray]:
    """(residual, plain) stacks of torch.nn.LSTM layers holding `layers`."""
    h = plain = t(x)
    with torch().no_grad():
        for l, params in enumerate(layers):
            H = params["W_h"].shape[1]
            lstm = torch().nn.LSTM(params["W_e"].shape[1], H, batch_first=True).double()
            lstm.weight_ih_l0.copy_(t(params["W_e"]))
            lstm.weight_hh_l0.copy_(t(params["W_h"]))
            lstm.bias_ih_l0.copy_(t(params["b"]))
            lstm.bias_hh_l0.zero_()
            out = lstm(h)[0]
            h = out if l == 0 else h + out
            plain = lstm(plain)[0]
    return h.numpy(), plain.numpy()


def judge_residual_stacked_lstm(payload) -> None:
    """h_1 = LSTM_1(x), h_l = h_(l−1) + LSTM_l(h_(l−1)), each layer a torch.nn.LSTM."""
    name, cases = "residual_stacked_lstm", residual_cases()
    for (x, layers, where), record in each_case(payload, name, cases):
        hs = returned(name, record, where)
        unchanged(name, "x", x, after(record, 0), where)
        layers_after = after(record, 1)
        for l, layer in enumerate(layers):
            now = layers_after[l] if isinstance(layers_after, list) and l < len(layers_after) else None
            unchanged(name, f"layers[{l}]", layer, now, where)
        want, plain = _torch_stacks(x, layers)
        got = as_array(name, "hs", hs, where)
        hint = ("h_1 = LSTM_1(x); for l ≥ 2, h_l = h_(l−1) + LSTM_l(h_(l−1)), and layer l+1 "
                "reads that sum; return the top layer's h_L")
        if len(layers) > 1 and close(got, plain):
            hint = ("this is the plain stack: from layer 2 on, add each layer's input to its "
                    "output (the residual connection)")
        compare(name, "hs", got, want, where, hint)


JUDGES = {
    "gru_step_forward": judge_gru_step_forward,
    "gru_step_backward": judge_gru_step_backward,
    "bidirectional_gru": judge_bidirectional_gru,
    "residual_stacked_lstm": judge_residual_stacked_lstm,
}
