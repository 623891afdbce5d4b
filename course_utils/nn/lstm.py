"""The LSTM cell and the LSTM over a sequence (lesson 06), as forward/backward pairs.

In the lecture's notation (σ the logistic sigmoid, ⊙ the element-wise product), one step reads
the input x^(t) and the previous state (h^(t-1), c^(t-1)):

    f = σ(W_f x^(t) + U_f h^(t-1) + b_f)      forget gate: how much of c^(t-1) to keep
    i = σ(W_i x^(t) + U_i h^(t-1) + b_i)      input gate:  how much of the candidate to write
    g = tanh(W_g x^(t) + U_g h^(t-1) + b_g)   candidate:   what could be written
    o = σ(W_o x^(t) + U_o h^(t-1) + b_o)      output gate: how much of the cell to show
    c^(t) = i ⊙ g + f ⊙ c^(t-1)
    h^(t) = o ⊙ tanh(c^(t))

All four gates read the same x^(t) and h^(t-1), so their matrices are stacked and one matrix
multiply computes all of them: a = x W_eᵀ + h W_hᵀ + b with W_e (4H, D), W_h (4H, H), b (4H,),
then `a` is cut into four (N, H) blocks.

The order of the blocks is i, f, g, o: torch.nn.LSTM's order (the lecture lists f first; the
order of rows in a stacked matrix is bookkeeping only). With torch's order, copying our weights
into `torch.nn.LSTM(D, H, batch_first=True)` needs no shuffling:

    weight_ih_l0 = W_e,  weight_hh_l0 = W_h,  bias_ih_l0 = b,  bias_hh_l0 = 0

(torch keeps two bias vectors and adds them; one is enough). `GATES` and `gate_slice` name the
blocks so that no code has to remember the order.

`lstm_step_forward/backward` are the lecture's step; `lstm_forward/backward` run it over a
sequence, forwards and then backwards through time. These are written to be read;
`course_utils.nn._fast` computes the same numbers faster (tested equal) for the models that
train.
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.activations import sigmoid
from course_utils.nn.rnn import random_orthogonal

__all__ = [
    "GATES", "gate_slice", "split_gates", "init_lstm",
    "lstm_step_forward", "lstm_step_backward",
    "lstm_forward", "lstm_backward",
    "lstm_param_count",
]

# Order of the four gate blocks in W_e, W_h and b (torch.nn.LSTM's order).
GATES = ("i", "f", "g", "o")


def gate_slice(gate, hidden_dim):
    """The rows of W_e / W_h / b (or columns of `a`) that belong to `gate` ('i', 'f', 'g', 'o')."""
    if gate not in GATES:
        raise ValueError(f"gate_slice: gate must be one of {GATES}, got {gate!r}")
    k = GATES.index(gate)
    return slice(k * hidden_dim, (k + 1) * hidden_dim)


def split_gates(a):
    """Cut an array (..., 4H) into a dict {'i', 'f', 'g', 'o'} of (..., H) views."""
    a = np.asarray(a)
    if a.shape[-1] % 4:
        raise ValueError(f"split_gates: the last axis must hold 4 gate blocks (4H), got shape {a.shape}")
    H = a.shape[-1] // 4
    return {gate: a[..., gate_slice(gate, H)] for gate in GATES}


def init_lstm(input_dim, hidden_dim, forget_bias=1.0, seed=0, dtype=np.float64):
    """Weights of one LSTM layer: {'W_e': (4H, D), 'W_h': (4H, H), 'b': (4H,)}.

    W_e is Gaussian with variance 1/D (Xavier-style), each gate's block of W_h is a random
    orthogonal matrix (so h passes through the recurrence without growing or shrinking), and
    b is zero except the forget gate's block, which is `forget_bias`: with σ(1) ≈ 0.73 the cell
    starts out remembering, so gradients reach far back from the first update on.
    """
    D = _validate.positive_int("init_lstm", "input_dim", input_dim)
    H = _validate.positive_int("init_lstm", "hidden_dim", hidden_dim)
    rng = np.random.default_rng(seed)
    W_e = rng.standard_normal((4 * H, D)) / np.sqrt(D)
    W_h = np.concatenate([random_orthogonal(H, rng) for _ in GATES], axis=0)
    b = np.zeros(4 * H)
    b[gate_slice("f", H)] = forget_bias
    return {"W_e": W_e.astype(dtype), "W_h": W_h.astype(dtype), "b": b.astype(dtype)}


def lstm_step_forward(x, h_prev, c_prev, W_e, W_h, b):
    """One LSTM step.

    x: (N, D), h_prev: (N, H), c_prev: (N, H), W_e: (4H, D), W_h: (4H, H), b: (4H,)
    Returns (h, c, cache) with h, c: (N, H).
    """
    x, h_prev, c_prev = np.asarray(x), np.asarray(h_prev), np.asarray(c_prev)
    _validate.lstm_arrays("lstm_step_forward", x, h_prev, c_prev, W_e, W_h, b, time_axis=False)
    H = h_prev.shape[1]
    a = x @ W_e.T + h_prev @ W_h.T + b                # (N, 4H): all four gates in one multiply
    i = sigmoid(a[:, gate_slice("i", H)])             # input gate
    f = sigmoid(a[:, gate_slice("f", H)])             # forget gate
    g = np.tanh(a[:, gate_slice("g", H)])             # candidate
    o = sigmoid(a[:, gate_slice("o", H)])             # output gate
    c = i * g + f * c_prev                            # (N, H) the additive cell path
    tanh_c = np.tanh(c)
    h = o * tanh_c                                    # (N, H)
    cache = (x, h_prev, c_prev, W_e, W_h, i, f, g, o, tanh_c)
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """Gradients of one LSTM step.

    dh: (N, H) upstream gradient of h; dc: (N, H) upstream gradient of c (from step t+1).
    Returns (dx, dh_prev, dc_prev, dW_e, dW_h, db).
    """
    x, h_prev, c_prev, W_e, W_h, i, f, g, o, tanh_c = cache
    if np.shape(dh) != h_prev.shape or np.shape(dc) != h_prev.shape:
        raise ValueError(
            f"lstm_step_backward: dh has shape {np.shape(dh)} and dc {np.shape(dc)}; "
            f"both must have the shape of h, {h_prev.shape}"
        )
    # h = o ⊙ tanh(c): c receives gradient from h as well as from the next step.
    do = dh * tanh_c
    dc = dc + dh * o * (1 - tanh_c**2)
    # c = i ⊙ g + f ⊙ c_prev
    di, dg, df = dc * g, dc * i, dc * c_prev
    dc_prev = dc * f
    # Through the nonlinearities: σ' = σ(1 − σ), tanh' = 1 − tanh².
    da = np.concatenate([di * i * (1 - i),            # same i, f, g, o order as the forward
                         df * f * (1 - f),
                         dg * (1 - g**2),
                         do * o * (1 - o)], axis=1)   # (N, 4H)
    dx = da @ W_e                                     # (N, D)
    dh_prev = da @ W_h                                # (N, H)
    dW_e = da.T @ x                                   # (4H, D)
    dW_h = da.T @ h_prev                              # (4H, H)
    db = da.sum(axis=0)                               # (4H,)
    return dx, dh_prev, dc_prev, dW_e, dW_h, db


def lstm_forward(x, h0, c0, W_e, W_h, b):
    """The step, over a whole sequence: (h^(t), c^(t)) from x^(t) and (h^(t-1), c^(t-1)), t = 1..T.

    x: (N, T, D), h0: (N, H) or None (zeros), c0: (N, H) or None (zeros),
    W_e: (4H, D), W_h: (4H, H), b: (4H,).
    Returns (hs, cs, cache): hidden states hs and cell states cs, both (N, T, H); the cache
    holds one step cache per time step.
    """
    x = np.asarray(x)
    N, H = np.shape(x)[0], np.shape(W_h)[-1]
    dtype = np.result_type(x, W_e, W_h, b)
    h = np.zeros((N, H), dtype) if h0 is None else np.asarray(h0)
    c = np.zeros((N, H), dtype) if c0 is None else np.asarray(c0)
    _validate.lstm_arrays("lstm_forward", x, h, c, W_e, W_h, b, time_axis=True)
    hs, cs, caches = [], [], []
    for t in range(x.shape[1]):
        h, c, step_cache = lstm_step_forward(x[:, t], h, c, W_e, W_h, b)
        hs.append(h)
        cs.append(c)
        caches.append(step_cache)
    return np.stack(hs, axis=1), np.stack(cs, axis=1), tuple(caches)


def lstm_backward(dhs, dcs, cache):
    """Backpropagation through time for `lstm_forward`.

    dhs, dcs: (N, T, H) upstream gradients of every hidden and every cell state (dcs None:
    no gradient from above reaches the cell states, the usual case). Going backwards, step t
    receives dhs[:, t] plus what step t+1 sends back through h^(t), and dcs[:, t] plus what it
    sends back through c^(t). Returns (dx (N, T, D), dh0, dc0, dW_e, dW_h, db).
    """
    _, h_prev, _, W_e, W_h, *_ = cache[0]          # shapes and weights, from the first step
    expected = (h_prev.shape[0], len(cache), h_prev.shape[1])
    dhs = np.asarray(dhs)
    dcs = np.zeros_like(dhs) if dcs is None else np.asarray(dcs)
    for name, grad in (("dhs", dhs), ("dcs", dcs)):
        if grad.shape != expected:
            raise ValueError(f"lstm_backward: {name} has shape {grad.shape}, expected (N, T, H) = {expected}")
    dxs = [None] * len(cache)
    dh_next, dc_next = np.zeros_like(dhs[:, 0]), np.zeros_like(dhs[:, 0])
    dW_e, dW_h, db = np.zeros_like(W_e), np.zeros_like(W_h), np.zeros(W_h.shape[0], W_h.dtype)
    for t in reversed(range(len(cache))):
        dxs[t], dh_next, dc_next, dW_e_t, dW_h_t, db_t = lstm_step_backward(
            dhs[:, t] + dh_next, dcs[:, t] + dc_next, cache[t])
        dW_e += dW_e_t
        dW_h += dW_h_t
        db += db_t
    return np.stack(dxs, axis=1), dh_next, dc_next, dW_e, dW_h, db


def lstm_param_count(input_dim, hidden_dim):
    """Parameters of one LSTM layer: 4 gates × (W (H·D) + U (H·H) + b (H)). Independent of T."""
    return 4 * (hidden_dim * input_dim + hidden_dim * hidden_dim + hidden_dim)
