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

`lstm_step_forward/backward` are the lecture's step, one time step at a time. `lstm_forward/
backward` compute exactly the same numbers over a whole sequence, organised for speed: the
input part x W_eᵀ + b of every step is one matrix multiply before the loop, the weight
gradients are one matrix multiply after it, and the loop works in preallocated buffers in
place. Only the recurrent part, which truly depends on the previous step, stays in the loop.
"""

import numpy as np

from course_utils.nn.activations import sigmoid

__all__ = [
    "GATES", "gate_slice", "split_gates", "init_lstm",
    "lstm_step_forward", "lstm_step_backward",
    "lstm_forward", "lstm_backward",
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
    for name, value in (("input_dim", input_dim), ("hidden_dim", hidden_dim)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"init_lstm: {name} must be a positive integer, got {value!r}")
    rng = np.random.default_rng(seed)
    H = hidden_dim
    W_e = rng.standard_normal((4 * H, input_dim)) / np.sqrt(input_dim)
    W_h = np.concatenate([_random_orthogonal(H, rng) for _ in GATES], axis=0)
    b = np.zeros(4 * H)
    b[gate_slice("f", H)] = forget_bias
    return {"W_e": W_e.astype(dtype), "W_h": W_h.astype(dtype), "b": b.astype(dtype)}


def _random_orthogonal(n, rng):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))  # sign fix: uniformly distributed over orthogonal matrices


def _check_shapes(fn, x, h_prev, c_prev, W_e, W_h, b, x_name="x"):
    if W_h.ndim != 2 or W_h.shape[0] != 4 * W_h.shape[1]:
        raise ValueError(f"{fn}: W_h must have shape (4H, H), got {W_h.shape}")
    H = W_h.shape[1]
    D = x.shape[-1]
    if W_e.shape != (4 * H, D):
        raise ValueError(
            f"{fn}: W_e has shape {W_e.shape} but {x_name} has shape {x.shape} and W_h {W_h.shape}; "
            f"expected W_e of shape (4H, D) = {(4 * H, D)}"
        )
    if b.shape != (4 * H,):
        raise ValueError(f"{fn}: b has shape {b.shape}, expected (4H,) = {(4 * H,)}")
    N = x.shape[0]
    for name, state in (("h_prev" if x.ndim == 2 else "h0", h_prev),
                        ("c_prev" if x.ndim == 2 else "c0", c_prev)):
        if state.shape != (N, H):
            raise ValueError(
                f"{fn}: {name} has shape {state.shape} but {x_name} has shape {x.shape}; "
                f"expected (N, H) = {(N, H)}"
            )


# --------------------------------------------------------------------------------------
# One time step: the lecture's equations, line by line
# --------------------------------------------------------------------------------------


def lstm_step_forward(x, h_prev, c_prev, W_e, W_h, b):
    """One LSTM step.

    x: (N, D), h_prev: (N, H), c_prev: (N, H), W_e: (4H, D), W_h: (4H, H), b: (4H,)
    Returns (h, c, cache) with h, c: (N, H).
    """
    x, h_prev, c_prev = np.asarray(x), np.asarray(h_prev), np.asarray(c_prev)
    if x.ndim != 2:
        raise ValueError(f"lstm_step_forward: x must be 2-D (N, D), got shape {x.shape}")
    _check_shapes("lstm_step_forward", x, h_prev, c_prev, W_e, W_h, b)
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


# --------------------------------------------------------------------------------------
# A whole sequence: the same numbers, organised for speed
# --------------------------------------------------------------------------------------


def lstm_forward(x, h0, c0, W_e, W_h, b):
    """Run the LSTM over a sequence.

    x: (N, T, D), h0: (N, H) or None (zeros), c0: (N, H) or None (zeros),
    W_e: (4H, D), W_h: (4H, H), b: (4H,).
    Returns (hs, cs, cache): hidden states hs and cell states cs, both (N, T, H).
    `cache["gates"]` holds the gate activations, (T, N, 4H) in `GATES` order (time first).
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"lstm_forward: x must be 3-D (N, T, D), got shape {x.shape}")
    N, T, D = x.shape
    if W_h.ndim != 2:
        raise ValueError(f"lstm_forward: W_h must have shape (4H, H), got {W_h.shape}")
    H = W_h.shape[1]
    dtype = np.result_type(x, W_e, W_h, b)
    h0 = np.zeros((N, H), dtype) if h0 is None else np.asarray(h0)
    c0 = np.zeros((N, H), dtype) if c0 is None else np.asarray(c0)
    _check_shapes("lstm_forward", x, h0, c0, W_e, W_h, b)
    if T == 0:
        raise ValueError("lstm_forward: x has no time steps (T = 0)")

    # One nonlinearity for all four gates: σ(a) = (1 + tanh(a/2)) / 2. Scaling the sigmoid
    # gates' rows of W_e, W_h and b by 1/2 once, before the loop, lets every step apply a
    # single tanh to the whole (N, 4H) block, then `* scale + shift` (no overflow either).
    scale = np.full(4 * H, 0.5, dtype)
    scale[gate_slice("g", H)] = 1.0
    shift = np.full(4 * H, 0.5, dtype)
    shift[gate_slice("g", H)] = 0.0

    # Time-major buffers: step t reads and writes contiguous (N, ...) blocks.
    xs = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)       # (T, N, D)
    # The input part of every gate at every step, in one multiply: (T*N, D) @ (D, 4H).
    gates = (xs.reshape(T * N, D) @ (W_e.T * scale).astype(dtype, copy=False)).reshape(T, N, 4 * H)
    gates += b * scale
    W_hT = (W_h.T * scale).astype(dtype, copy=False)  # (H, 4H), a fresh contiguous array
    hs = np.empty((T + 1, N, H), dtype)               # hs[t + 1] = h^(t); hs[0] = h0
    cs = np.empty((T + 1, N, H), dtype)
    tanh_cs = np.empty((T, N, H), dtype)
    hs[0], cs[0] = h0, c0
    recurrent = np.empty((N, 4 * H), dtype)
    ig = np.empty((N, H), dtype)
    i_, f_, g_, o_ = (gate_slice(gate, H) for gate in GATES)
    for t in range(T):
        a = gates[t]                                  # (N, 4H): becomes the activations
        np.matmul(hs[t], W_hT, out=recurrent)
        a += recurrent
        np.tanh(a, out=a)
        a *= scale
        a += shift                                    # now i, f, o = σ(·) and g = tanh(·)
        # c = i ⊙ g + f ⊙ c_prev ;  h = o ⊙ tanh(c)
        np.multiply(a[:, f_], cs[t], out=cs[t + 1])
        np.multiply(a[:, i_], a[:, g_], out=ig)
        cs[t + 1] += ig
        np.tanh(cs[t + 1], out=tanh_cs[t])
        np.multiply(a[:, o_], tanh_cs[t], out=hs[t + 1])

    cache = {"xs": xs, "W_e": W_e, "W_h": W_h, "gates": gates, "hs": hs, "cs": cs,
             "tanh_cs": tanh_cs, "dtype": dtype}
    hs_out = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))     # (N, T, H)
    cs_out = np.ascontiguousarray(cs[1:].transpose(1, 0, 2))
    return hs_out, cs_out, cache


def lstm_backward(dhs, cache, dc_last=None):
    """Backpropagation through time for `lstm_forward`.

    dhs: (N, T, H) upstream gradient of every hidden state; dc_last: (N, H) upstream gradient
    of the last cell state, or None (zero, as in truncated BPTT).
    Returns (dx, dh0, dc0, dW_e, dW_h, db) with dx: (N, T, D).
    """
    xs, W_e, W_h, gates = cache["xs"], cache["W_e"], cache["W_h"], cache["gates"]
    hs, cs, tanh_cs, dtype = cache["hs"], cache["cs"], cache["tanh_cs"], cache["dtype"]
    T, N, D = xs.shape
    H = hs.shape[2]
    dhs = np.asarray(dhs)
    if dhs.shape != (N, T, H):
        raise ValueError(f"lstm_backward: dhs has shape {dhs.shape}, expected (N, T, H) = {(N, T, H)}")
    dc = np.zeros((N, H), dtype) if dc_last is None else np.array(dc_last, dtype=dtype)
    if dc.shape != (N, H):
        raise ValueError(f"lstm_backward: dc_last has shape {dc.shape}, expected {(N, H)}")

    # Before the loop, for all steps at once, every factor that does not depend on the
    # incoming gradients (σ' = σ(1 − σ), tanh' = 1 − tanh²):
    #   da_i = dc ⊙ g ⊙ i(1 − i)        da_f = dc ⊙ c_prev ⊙ f(1 − f)
    #   da_g = dc ⊙ i ⊙ (1 − g²)        da_o = dh ⊙ tanh(c) ⊙ o(1 − o)
    #   dc  += dh ⊙ o ⊙ (1 − tanh²(c))  (h = o ⊙ tanh(c) feeds c's gradient too)
    # The factors go straight into the gradient buffer, (T, N, 4, H) in i, f, g, o order;
    # the loop then only multiplies them by dc or dh.
    act = gates.reshape(T, N, 4, H)
    i, f, g, o = (act[:, :, k] for k in range(4))
    dgates = np.subtract(1, act)                      # (T, N, 4, H)
    dgates[:, :, :2] *= act[:, :, :2]                 # i(1 − i), f(1 − f)
    dgates[:, :, 3] *= o                              # o(1 − o)
    np.multiply(g, g, out=dgates[:, :, 2])
    np.subtract(1, dgates[:, :, 2], out=dgates[:, :, 2])
    dgates[:, :, 0] *= g
    dgates[:, :, 1] *= cs[:-1]
    dgates[:, :, 2] *= i
    dgates[:, :, 3] *= tanh_cs
    dc_from_dh = np.multiply(tanh_cs, tanh_cs)
    np.subtract(1, dc_from_dh, out=dc_from_dh)
    dc_from_dh *= o                                   # (T, N, H)

    dhs_tm = dhs.transpose(1, 0, 2)                   # (T, N, H) view
    dh = np.zeros((N, H), dtype)                      # gradient reaching h^(t) from step t+1
    tmp = np.empty((N, H), dtype)
    W_h_c = np.ascontiguousarray(W_h, dtype=dtype)    # (4H, H)
    for t in range(T - 1, -1, -1):
        dh += dhs_tm[t]
        np.multiply(dh, dc_from_dh[t], out=tmp)
        dc += tmp
        dgates[t, :, :3] *= dc[:, None, :]            # da_i, da_f, da_g
        dgates[t, :, 3] *= dh                         # da_o
        dc *= f[t]                                    # dc_prev: the additive path, scaled by f
        np.matmul(dgates[t].reshape(N, 4 * H), W_h_c, out=dh)    # dh_prev = da W_h
    # Weight gradients summed over all steps, each in one multiply: (4H, T*N) @ (T*N, ·).
    da_all = dgates.reshape(T * N, 4 * H)
    dW_e = da_all.T @ xs.reshape(T * N, D)
    dW_h = da_all.T @ hs[:-1].reshape(T * N, H)
    db = da_all.sum(axis=0)
    dx = (da_all @ np.asarray(W_e, dtype=dtype)).reshape(T, N, D).transpose(1, 0, 2)
    return np.ascontiguousarray(dx), dh, dc, dW_e, dW_h, db
