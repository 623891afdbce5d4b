"""Fast kernels: the RNN and LSTM sequence blocks of `rnn.py` and `lstm.py`, organised for speed.

Same arguments and same results as the reference blocks (tests hold them equal to 1e-12 in
float64, outputs and every gradient); only the caches differ. The language models, the
classifiers, the bidirectional and stacked layers, the dashboards and bench/ call these; read
`rnn.py` and `lstm.py` for the lecture. What is done for speed:

- the input part x^(t) W_eᵀ + b of every step is one matrix multiply before the loop, and the
  weight gradients are one matrix multiply after it: only the recurrence stays in the loop;
- buffers are time-major (T, N, ·), so every step reads and writes contiguous blocks, and the
  LSTM's loops work in preallocated buffers in place (`out=`);
- the LSTM applies one tanh to all four gates: σ(a) = (1 + tanh(a/2)) / 2, with the sigmoid
  gates' rows of the weights halved once before the loop.

Caches (tuples):
    rnn_forward:  (x, h0, W_e, W_h, hs_by_time, activation)      hs_by_time (T, N, H)
    lstm_forward: (xs, W_e, W_h, gates, hs, cs, tanh_cs)         gates (T, N, 4H): the gate
                  activations i, f, g, o (`lstm.GATES` order), time first; hs, cs (T + 1, N, H)
                  with the initial state first; tanh_cs (T, N, H)
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.activations import ACTIVATIONS, prime_from_output
from course_utils.nn.lstm import GATES, gate_slice

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward"]


def rnn_forward(x, h0, W_e, W_h, b, activation="tanh"):
    """`rnn.rnn_forward`, fast. x: (N, T, D), h0: (N, H) -> hs (N, T, H), cache."""
    x, h0 = np.asarray(x), np.asarray(h0)
    _validate.rnn_arrays("rnn_forward", x, h0, W_e, W_h, b, activation, time_axis=True)
    H, D = W_e.shape
    N, T, _ = x.shape
    g = ACTIVATIONS[activation][0]
    dtype = np.result_type(x, h0, W_e, W_h, b)
    # W_e x^(t) + b for every t at once, stored time-major (T, N, H).
    input_part = np.ascontiguousarray((x.reshape(N * T, D) @ W_e.T + b).reshape(N, T, H).swapaxes(0, 1))
    hs_by_time = np.empty((T, N, H), dtype=dtype)
    h = h0
    for t in range(T):
        h = g(h @ W_h.T + input_part[t])
        hs_by_time[t] = h
    hs = np.ascontiguousarray(hs_by_time.swapaxes(0, 1))  # (N, T, H)
    return hs, (x, h0, W_e, W_h, hs_by_time, activation)


def rnn_backward(dhs, cache):
    """`rnn.rnn_backward`, fast: (dx, dh0, dW_e, dW_h, db)."""
    x, h0, W_e, W_h, hs_by_time, activation = cache
    T, N, H = hs_by_time.shape
    D = x.shape[2]
    if np.shape(dhs) != (N, T, H):
        raise ValueError(f"rnn_backward: dhs has shape {np.shape(dhs)}, expected {(N, T, H)}")
    dhs_by_time = np.ascontiguousarray(np.swapaxes(dhs, 0, 1))
    das = prime_from_output(hs_by_time, activation)  # (T, N, H); times ∂L/∂h in place below
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


def lstm_forward(x, h0, c0, W_e, W_h, b):
    """`lstm.lstm_forward`, fast. Returns (hs, cs, cache) with hs, cs: (N, T, H)."""
    x = np.asarray(x)
    dtype = np.result_type(x, W_e, W_h, b)
    N, H = np.shape(x)[0], np.shape(W_h)[-1]
    h0 = np.zeros((N, H), dtype) if h0 is None else np.asarray(h0)
    c0 = np.zeros((N, H), dtype) if c0 is None else np.asarray(c0)
    _validate.lstm_arrays("lstm_forward", x, h0, c0, W_e, W_h, b, time_axis=True)
    N, T, D = x.shape

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

    hs_out = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))     # (N, T, H)
    cs_out = np.ascontiguousarray(cs[1:].transpose(1, 0, 2))
    return hs_out, cs_out, (xs, W_e, W_h, gates, hs, cs, tanh_cs)


def lstm_backward(dhs, dcs, cache):
    """`lstm.lstm_backward`, fast: (dx, dh0, dc0, dW_e, dW_h, db); dcs may be None (zeros)."""
    xs, W_e, W_h, gates, hs, cs, tanh_cs = cache
    dtype = gates.dtype
    T, N, D = xs.shape
    H = hs.shape[2]
    dhs = np.asarray(dhs)
    for name, grad in (("dhs", dhs), ("dcs", dcs)):
        if grad is not None and np.shape(grad) != (N, T, H):
            raise ValueError(f"lstm_backward: {name} has shape {np.shape(grad)}, expected (N, T, H) = "
                             f"{(N, T, H)}")

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

    dhs_tm = dhs.transpose(1, 0, 2)                   # (T, N, H) views
    dcs_tm = None if dcs is None else np.asarray(dcs).transpose(1, 0, 2)
    dh = np.zeros((N, H), dtype)                      # gradient reaching h^(t) from step t+1
    dc = np.zeros((N, H), dtype)                      # and reaching c^(t)
    tmp = np.empty((N, H), dtype)
    W_h_c = np.ascontiguousarray(W_h, dtype=dtype)    # (4H, H)
    for t in range(T - 1, -1, -1):
        dh += dhs_tm[t]
        if dcs_tm is not None:
            dc += dcs_tm[t]
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
