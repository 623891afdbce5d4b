"""The vanilla RNN as a forward/backward pair, one step and over time (lesson 04).

The lecture's recurrence, with rows as the batch:

    h^(t) = σ(W_h h^(t-1) + W_e x^(t) + b)        x^(t): (N, D),  h^(t): (N, H)

W_e (H, D) maps the input, W_h (H, H) the previous hidden state, b (H,) is the bias.
torch.nn.RNN computes the same with weight_ih_l0 = W_e, weight_hh_l0 = W_h and
bias_ih_l0 + bias_hh_l0 = b (batch_first=True gives the (N, T, ·) layout used here).

`rnn_step_forward`/`rnn_step_backward` are one step of the slide. `rnn_forward` composes
them over a sequence of any length T. `rnn_backward` is backpropagation through time: it
walks the steps backwards, each step adding its own gradient to the one flowing back from
the future through h^(t).
"""

import numpy as np

__all__ = [
    "RNN_ACTIVATIONS",
    "rnn_step_forward", "rnn_step_backward",
    "rnn_forward", "rnn_backward",
    "rnn_param_count",
]

RNN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")


def _activate(a, activation):
    if activation == "tanh":
        return np.tanh(a)
    if activation == "sigmoid":
        # 0.5 (1 + tanh(a/2)) is σ(a) without overflow, in the input's dtype.
        return 0.5 * (1.0 + np.tanh(0.5 * a))
    if activation == "relu":
        return np.maximum(a, 0)
    return a


def _activation_grad(h, activation):
    """σ'(a) written with h = σ(a), so the backward pass needs only the cached outputs."""
    if activation == "tanh":
        return 1.0 - h * h
    if activation == "sigmoid":
        return h * (1.0 - h)
    if activation == "relu":
        return (h > 0).astype(h.dtype)
    return np.ones_like(h)


def _check_weights(fn, W_e, W_h, b, activation):
    if activation not in RNN_ACTIVATIONS:
        raise ValueError(f"{fn}: activation must be one of {RNN_ACTIVATIONS}, got {activation!r}")
    if np.ndim(W_e) != 2:
        raise ValueError(f"{fn}: W_e must be 2-D (H, D), got shape {np.shape(W_e)}")
    H = W_e.shape[0]
    if np.shape(W_h) != (H, H):
        raise ValueError(
            f"{fn}: W_h has shape {np.shape(W_h)} but W_e has shape {np.shape(W_e)}; "
            f"expected W_h of shape ({H}, {H})"
        )
    if np.shape(b) != (H,):
        raise ValueError(
            f"{fn}: b has shape {np.shape(b)} but W_e has shape {np.shape(W_e)}; "
            f"expected b of shape ({H},)"
        )


def rnn_step_forward(x, h_prev, W_e, W_h, b, activation="tanh"):
    """One step: h = σ(h_prev W_hᵀ + x W_eᵀ + b).

    x: (N, D), h_prev: (N, H), W_e: (H, D), W_h: (H, H), b: (H,) -> h: (N, H), cache.
    """
    fn = "rnn_step_forward"
    x, h_prev = np.asarray(x), np.asarray(h_prev)
    _check_weights(fn, W_e, W_h, b, activation)
    H, D = W_e.shape
    if x.ndim != 2 or x.shape[1] != D:
        raise ValueError(
            f"{fn}: x has shape {x.shape} but W_e has shape {W_e.shape}; expected x of shape (N, {D})"
        )
    if h_prev.shape != (x.shape[0], H):
        raise ValueError(
            f"{fn}: h_prev has shape {h_prev.shape} but x has shape {x.shape} and W_h "
            f"{W_h.shape}; expected h_prev of shape ({x.shape[0]}, {H})"
        )
    a = h_prev @ W_h.T + x @ W_e.T + b  # (N, H) pre-activation
    h = _activate(a, activation)
    return h, (x, h_prev, W_e, W_h, h, activation)


def rnn_step_backward(dh, cache):
    """Gradients of one step, given dh = ∂L/∂h: returns (dx, dh_prev, dW_e, dW_h, db)."""
    x, h_prev, W_e, W_h, h, activation = cache
    if np.shape(dh) != h.shape:
        raise ValueError(f"rnn_step_backward: dh has shape {np.shape(dh)}, expected {h.shape}")
    da = dh * _activation_grad(h, activation)  # (N, H): ∂L/∂a through σ
    dx = da @ W_e                              # (N, D)
    dh_prev = da @ W_h                         # (N, H): what flows back to step t-1
    dW_e = da.T @ x                            # (H, D)
    dW_h = da.T @ h_prev                       # (H, H)
    db = da.sum(axis=0)                        # (H,)
    return dx, dh_prev, dW_e, dW_h, db


def rnn_forward(x, h0, W_e, W_h, b, activation="tanh"):
    """Run the recurrence over a whole sequence.

    x: (N, T, D), h0: (N, H) -> hs: (N, T, H) with hs[:, t] = h^(t+1), and a cache.

    The input term x^(t) W_eᵀ + b does not depend on the hidden state, so it is computed for
    all T steps in one matrix product before the loop; the loop then carries only the
    recurrence. Each step equals `rnn_step_forward` (a test checks it), just without
    recomputing the input projection.
    """
    fn = "rnn_forward"
    x, h0 = np.asarray(x), np.asarray(h0)
    _check_weights(fn, W_e, W_h, b, activation)
    H, D = W_e.shape
    if x.ndim != 3 or x.shape[2] != D:
        raise ValueError(
            f"{fn}: x has shape {x.shape} but W_e has shape {W_e.shape}; "
            f"expected x of shape (N, T, {D})"
        )
    N, T, _ = x.shape
    if h0.shape != (N, H):
        raise ValueError(
            f"{fn}: h0 has shape {h0.shape} but x has shape {x.shape} and W_h {W_h.shape}; "
            f"expected h0 of shape ({N}, {H})"
        )
    dtype = np.result_type(x, h0, W_e, W_h, b)
    # W_e x^(t) + b for every t at once, stored time-major (T, N, H) so that each step reads
    # and writes one contiguous block.
    input_part = np.ascontiguousarray((x.reshape(N * T, D) @ W_e.T + b).reshape(N, T, H).swapaxes(0, 1))
    hs_by_time = np.empty((T, N, H), dtype=dtype)
    h = h0
    for t in range(T):
        h = _activate(h @ W_h.T + input_part[t], activation)
        hs_by_time[t] = h
    hs = np.ascontiguousarray(hs_by_time.swapaxes(0, 1))  # (N, T, H)
    return hs, (x, h0, W_e, W_h, hs_by_time, activation)


def rnn_backward(dhs, cache):
    """Backpropagation through time.

    dhs: (N, T, H), the gradient of the loss with respect to each h^(t) from above (e.g. the
    output layer). Returns (dx (N, T, D), dh0 (N, H), dW_e, dW_h, db).

    Going backwards, ∂L/∂h^(t) = dhs[:, t] + (what step t+1 sends back). The loop computes only
    that recurrence; the weight gradients are sums over steps and batch rows, so they come
    from one matrix product each after the loop.
    """
    x, h0, W_e, W_h, hs_by_time, activation = cache  # hs_by_time: (T, N, H), time-major
    T, N, H = hs_by_time.shape
    D = x.shape[2]
    if np.shape(dhs) != (N, T, H):
        raise ValueError(f"rnn_backward: dhs has shape {np.shape(dhs)}, expected {(N, T, H)}")
    dhs_by_time = np.ascontiguousarray(np.swapaxes(dhs, 0, 1))
    das = _activation_grad(hs_by_time, activation)  # (T, N, H); times ∂L/∂h in place below
    dh_next = np.zeros((N, H), dtype=das.dtype)
    for t in range(T - 1, -1, -1):
        das[t] *= dhs_by_time[t] + dh_next   # ∂L/∂a^(t) = ∂L/∂h^(t) ⊙ σ'(a^(t))
        dh_next = das[t] @ W_h               # ∂L/∂h^(t-1) through W_h
    h_prevs = np.concatenate([h0[None], hs_by_time[:-1]], axis=0)  # (T, N, H): h^(t-1)
    da_2d = das.reshape(T * N, H)
    x_2d = np.ascontiguousarray(np.swapaxes(x, 0, 1)).reshape(T * N, D)
    dx = np.ascontiguousarray((da_2d @ W_e).reshape(T, N, D).swapaxes(0, 1))  # (N, T, D)
    dW_e = da_2d.T @ x_2d                              # (H, D)
    dW_h = da_2d.T @ h_prevs.reshape(T * N, H)         # (H, H)
    db = da_2d.sum(axis=0)                             # (H,)
    return dx, dh_next, dW_e, dW_h, db


def rnn_param_count(input_dim, hidden_dim):
    """Parameters of one RNN layer: W_e (H·D) + W_h (H·H) + b (H). Independent of T."""
    return hidden_dim * input_dim + hidden_dim * hidden_dim + hidden_dim
