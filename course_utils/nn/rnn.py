"""The vanilla RNN as a forward/backward pair, one step and over time (lesson 04).

The lecture's recurrence, with rows as the batch:

    a^(t) = W_h h^(t-1) + W_e x^(t) + b           pre-activation,  (N, H)
    h^(t) = σ(a^(t))                              x^(t): (N, D),   h^(t): (N, H)

W_e (H, D) maps the input, W_h (H, H) the previous hidden state, b (H,) is the bias; σ is tanh
unless `activation` names another function of `activations.py`. torch.nn.RNN computes the same
with weight_ih_l0 = W_e, weight_hh_l0 = W_h and bias_ih_l0 + bias_hh_l0 = b (batch_first=True
gives the (N, T, ·) layout used here).

`rnn_step_forward`/`rnn_step_backward` are one step of the slide. `rnn_forward` runs the step
over a sequence of any length T; `rnn_backward` is backpropagation through time: it walks the
steps backwards, each step adding its own gradient to the one flowing back from the future
through h^(t). These are written to be read; `course_utils.nn._fast` computes the same numbers
faster (tested equal) for the models that train.
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.activations import activation_backward, activation_forward, prime_from_output

__all__ = [
    "init_rnn", "random_orthogonal",
    "rnn_step_forward", "rnn_step_backward",
    "rnn_forward", "rnn_backward",
    "rnn_step_jacobian",
    "rnn_param_count",
]


def init_rnn(input_dim, hidden_dim, seed=0, dtype=np.float64):
    """Weights of one RNN layer: {'W_e': (H, D), 'W_h': (H, H), 'b': (H,)}.

    W_e ~ N(0, 1/D) and W_h ~ N(0, 1/H) keep tanh's inputs near unit size at the start; b = 0.
    `seed` is an int, or a np.random.Generator to keep drawing from (a language model draws its
    embeddings first, then these).
    """
    D = _validate.positive_int("init_rnn", "input_dim", input_dim)
    H = _validate.positive_int("init_rnn", "hidden_dim", hidden_dim)
    rng = np.random.default_rng(seed)
    W_e = rng.standard_normal((H, D)) / np.sqrt(D)
    W_h = rng.standard_normal((H, H)) / np.sqrt(H)
    return {"W_e": W_e.astype(dtype), "W_h": W_h.astype(dtype), "b": np.zeros(H, dtype)}


def random_orthogonal(n, rng):
    """An (n, n) orthogonal matrix, uniformly distributed (Q of a Gaussian matrix's QR, sign-fixed):
    all its singular values are 1, so a state passes through it without growing or shrinking."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def rnn_step_forward(x, h_prev, W_e, W_h, b, activation="tanh"):
    """One step: h = σ(h_prev W_hᵀ + x W_eᵀ + b).

    x: (N, D), h_prev: (N, H), W_e: (H, D), W_h: (H, H), b: (H,) -> h: (N, H), cache.
    """
    x, h_prev = np.asarray(x), np.asarray(h_prev)
    _validate.rnn_arrays("rnn_step_forward", x, h_prev, W_e, W_h, b, activation, time_axis=False)
    a = h_prev @ W_h.T + x @ W_e.T + b                   # (N, H) pre-activation
    h, activation_cache = activation_forward(a, activation)
    return h, (x, h_prev, W_e, W_h, activation_cache)


def rnn_step_backward(dh, cache):
    """Gradients of one step, given dh = ∂L/∂h: returns (dx, dh_prev, dW_e, dW_h, db)."""
    x, h_prev, W_e, W_h, activation_cache = cache
    da = activation_backward(dh, activation_cache)       # (N, H): ∂L/∂a = ∂L/∂h ⊙ σ'(a)
    dx = da @ W_e                                        # (N, D)
    dh_prev = da @ W_h                                   # (N, H): what flows back to step t-1
    dW_e = da.T @ x                                      # (H, D)
    dW_h = da.T @ h_prev                                 # (H, H)
    db = da.sum(axis=0)                                  # (H,)
    return dx, dh_prev, dW_e, dW_h, db


def rnn_forward(x, h0, W_e, W_h, b, activation="tanh"):
    """The step, over a whole sequence: h^(t) = σ(W_h h^(t-1) + W_e x^(t) + b) for t = 1..T.

    x: (N, T, D), h0: (N, H) -> hs: (N, T, H) with hs[:, t] = h^(t+1), and the cache: one step
    cache per time step.
    """
    x, h0 = np.asarray(x), np.asarray(h0)
    _validate.rnn_arrays("rnn_forward", x, h0, W_e, W_h, b, activation, time_axis=True)
    h, hs, caches = h0, [], []
    for t in range(x.shape[1]):
        h, step_cache = rnn_step_forward(x[:, t], h, W_e, W_h, b, activation)
        hs.append(h)
        caches.append(step_cache)
    return np.stack(hs, axis=1), tuple(caches)


def rnn_backward(dhs, cache):
    """Backpropagation through time: ∂L/∂h^(t) = dhs[:, t] + what step t+1 sends back.

    dhs: (N, T, H), the gradient of the loss with respect to each h^(t) from above (e.g. the
    output layer). Returns (dx (N, T, D), dh0 (N, H), dW_e, dW_h, db); the weight gradients
    are sums over the steps, since every step uses the same weights.
    """
    _, h_prev, W_e, W_h, _ = cache[0]              # shapes and weights, from the first step
    expected = (h_prev.shape[0], len(cache), h_prev.shape[1])
    dhs = np.asarray(dhs)
    if dhs.shape != expected:
        raise ValueError(f"rnn_backward: dhs has shape {dhs.shape}, expected {expected}")
    dxs = [None] * len(cache)
    dh_next = np.zeros_like(dhs[:, 0])                   # nothing comes back from after step T
    dW_e, dW_h, db = np.zeros_like(W_e), np.zeros_like(W_h), np.zeros(W_h.shape[0], W_h.dtype)
    for t in reversed(range(len(cache))):
        dxs[t], dh_next, dW_e_t, dW_h_t, db_t = rnn_step_backward(dhs[:, t] + dh_next, cache[t])
        dW_e += dW_e_t
        dW_h += dW_h_t
        db += db_t
    return np.stack(dxs, axis=1), dh_next, dW_e, dW_h, db


def rnn_step_jacobian(h, W_h, activation="tanh"):
    """The Jacobian of one step, ∂h^(t)/∂h^(t-1) = diag(σ'(a^(t))) W_h (lesson 05).

    h: (H,) the state h^(t) = σ(a^(t)) of one sequence, W_h: (H, H) -> (H, H). σ' is read from
    the output (tanh' = 1 − h²), so the pre-activation is not needed. Multiplying these
    matrices step after step gives ∂h^(T)/∂h^(t), the path of every gradient back in time.
    """
    h = np.asarray(h)
    if h.ndim != 1 or np.shape(W_h) != (h.shape[0], h.shape[0]):
        raise ValueError(f"rnn_step_jacobian: h must be (H,) and W_h (H, H); got {h.shape} and "
                         f"{np.shape(W_h)}")
    return prime_from_output(h, activation)[:, None] * W_h    # row i scaled by unit i's σ'


def rnn_param_count(input_dim, hidden_dim):
    """Parameters of one RNN layer: W_e (H·D) + W_h (H·H) + b (H). Independent of T."""
    return hidden_dim * input_dim + hidden_dim * hidden_dim + hidden_dim
