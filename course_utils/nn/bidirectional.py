"""Bidirectional RNNs and LSTMs (lesson 07), built from lesson 04's and 06's sequence blocks.

A left-to-right model's state h^(t) summarises x^(1..t) only: at "bank" in "the bank is on
the river" it cannot know about "river". A bidirectional layer runs two independent
recurrences over the same sentence, with separate parameters:

    forward:   →h^(t) = RNN_→(x^(t), →h^(t-1))      reads x^(1), x^(2), ..., x^(T)
    backward:  ←h^(t) = RNN_←(x^(t), ←h^(t+1))      reads x^(T), x^(T-1), ..., x^(1)
    output:     h^(t) = [→h^(t) ; ←h^(t)]            (N, 2H): both halves of the sentence

RNN_ is the vanilla cell (`rnn.py`, parameters W_e (H, D), W_h (H, H), b (H,)) or the LSTM
cell (`lstm.py`, W_e (4H, D), W_h (4H, H), b (4H,) in torch's i, f, g, o order); both start
from zero states. The backward direction is the forward one run on the time-reversed
sentence, with its outputs reversed back, so it needs no new code and no new gradient:
reversing time is a permutation, and the gradient of a permutation is the same permutation.

Sentences of different lengths share a batch by padding at the end; `lengths` (N,) says how
many steps of each row are real. Then each row is reversed within its own length (the
padding stays at the end, so the backward direction starts at the row's last real word), and
the outputs at padded steps are zero. This is what torch computes for a packed sequence
(`torch.nn.utils.rnn.pack_padded_sequence`), and the tests compare with it.

torch.nn.LSTM(D, H, batch_first=True, bidirectional=True) holds the same numbers as

    weight_ih_l0 = fwd["W_e"], weight_hh_l0 = fwd["W_h"], bias_ih_l0 = fwd["b"], bias_hh_l0 = 0
    weight_ih_l0_reverse = bwd["W_e"], ... (the `_reverse` parameters are the backward direction)

and its output (N, T, 2H) is [forward ; backward] in that order
(`course_utils.gradcheck.torch_recurrent` builds it).

Each direction runs the cell's fast kernel (`language_model.cell_forward`); lesson 07 shows the
same numbers come from lesson 06's step function in two plain loops.
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.activations import ACTIVATIONS
from course_utils.nn.language_model import CELLS, cell_backward, cell_forward
from course_utils.nn.lstm import init_lstm
from course_utils.nn.rnn import random_orthogonal

__all__ = [
    "init_direction",
    "init_bidirectional",
    "padding_mask",
    "reverse_padded",
    "direction_forward",
    "direction_backward",
    "bidirectional_forward",
    "bidirectional_backward",
    "bidirectional_lstm",
]


def _check_cell(fn, cell, activation="tanh"):
    _validate.one_of(fn, "cell", cell, CELLS)
    _validate.one_of(fn, "activation", activation, tuple(ACTIVATIONS) if cell == "rnn" else ("tanh",))


def init_direction(input_dim, hidden_dim, cell="lstm", seed=0, dtype=np.float64):
    """Weights of one direction of one layer: {'W_e', 'W_h', 'b'} (see the module docstring).

    LSTM: `init_lstm` (forget-gate bias 1). RNN: W_e Gaussian with variance 1/D and W_h a
    random orthogonal matrix (spectral radius 1: gradients neither explode nor vanish at first).
    """
    fn = "init_direction"
    _check_cell(fn, cell)
    D = _validate.positive_int(fn, "input_dim", input_dim)
    H = _validate.positive_int(fn, "hidden_dim", hidden_dim)
    if cell == "lstm":
        return init_lstm(D, H, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)
    W_h = random_orthogonal(H, rng)
    return {
        "W_e": (rng.standard_normal((H, D)) / np.sqrt(D)).astype(dtype),
        "W_h": W_h.astype(dtype),
        "b": np.zeros(H, dtype),
    }


def init_bidirectional(input_dim, hidden_dim, cell="lstm", seed=0, dtype=np.float64):
    """(fwd, bwd): two independent directions, each from `init_direction` (seeds differ)."""
    return (init_direction(input_dim, hidden_dim, cell, seed=seed, dtype=dtype),
            init_direction(input_dim, hidden_dim, cell, seed=seed + 1, dtype=dtype))


# --------------------------------------------------------------------------------------
# Padding and time reversal
# --------------------------------------------------------------------------------------


def padding_mask(lengths, T):
    """(N, T) booleans: True at the real steps t < lengths[n], False at the padding."""
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]


def reverse_padded(x, lengths=None):
    """Reverse each row of x (N, T, ...) in time within its length; the padding stays put.

    Row n becomes x[n, L-1], x[n, L-2], ..., x[n, 0], x[n, L], ..., x[n, T-1] with
    L = lengths[n]. Applying it twice gives x back (it is its own inverse).
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"reverse_padded: x must have a batch and a time axis (N, T, ...), "
                         f"got shape {x.shape}")
    N, T = x.shape[:2]
    lengths = _validate.lengths("reverse_padded", lengths, N, T)
    t = np.arange(T)[None, :]
    source = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)    # (N, T)
    return x[np.arange(N)[:, None], source]


# --------------------------------------------------------------------------------------
# One direction over a sequence
# --------------------------------------------------------------------------------------


def direction_forward(x, params, cell="lstm", reverse=False, lengths=None, activation="tanh"):
    """One recurrence over x (N, T, D), left to right, or right to left with `reverse=True`.

    params: {'W_e', 'W_h', 'b'} of the cell; zero initial state; `lengths` (N,) or None.
    Returns (hs, cache) with hs (N, T, H): hs[:, t] is the state after reading step t
    (for reverse=True: after reading steps T-1 down to t). Padded steps give zeros.
    """
    fn = "direction_forward"
    _check_cell(fn, cell, activation)
    _validate.weights(fn, params)
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"{fn}: x must be 3-D (N, T, D), got shape {x.shape}")
    N, T, _ = x.shape
    if T == 0:
        raise ValueError(f"{fn}: x has no time steps (shape {x.shape})")
    given_lengths = lengths is not None
    lengths = _validate.lengths(fn, lengths, N, T)
    x_in = reverse_padded(x, lengths) if reverse else x
    dtype = np.result_type(x, params["W_e"], params["W_h"], params["b"])
    zeros = tuple(np.zeros((N, np.shape(params["W_h"])[1]), dtype) for _ in CELLS[cell]["state"])
    options = {"activation": activation} if cell == "rnn" else {}  # the LSTM's nonlinearities are fixed
    hs, _, inner = cell_forward(cell, x_in, zeros, params, **options)
    if reverse:
        hs = reverse_padded(hs, lengths)
    mask = padding_mask(lengths, T) if given_lengths else None
    if mask is not None:
        hs = hs * mask[:, :, None]
    return hs, (cell, reverse, lengths, mask, inner, hs.shape)


def direction_backward(dhs, cache):
    """Gradients of `direction_forward`: dhs (N, T, H) -> (dx (N, T, D), grads {'W_e', 'W_h', 'b'})."""
    cell, reverse, lengths, mask, inner, shape = cache
    dhs = np.asarray(dhs)
    if dhs.shape != shape:
        raise ValueError(f"direction_backward: dhs has shape {dhs.shape}, expected {shape}")
    if mask is not None:
        dhs = dhs * mask[:, :, None]             # padded outputs were set to zero: no gradient
    if reverse:
        dhs = reverse_padded(dhs, lengths)
    dx, dW_e, dW_h, db = cell_backward(cell, dhs, inner)
    if reverse:
        dx = reverse_padded(dx, lengths)
    return dx, {"W_e": dW_e, "W_h": dW_h, "b": db}


# --------------------------------------------------------------------------------------
# Both directions: the bidirectional layer
# --------------------------------------------------------------------------------------


def bidirectional_forward(x, params_fwd, params_bwd, cell="lstm", lengths=None, activation="tanh"):
    """h^(t) = [→h^(t) ; ←h^(t)] for every t.

    x: (N, T, D); params_fwd, params_bwd: {'W_e', 'W_h', 'b'} of each direction (same H);
    lengths: (N,) or None. Returns (hs, cache) with hs (N, T, 2H): hs[..., :H] is the
    forward direction, hs[..., H:] the backward one.
    """
    fn = "bidirectional_forward"
    _validate.weights(fn, params_fwd, "params_fwd")
    _validate.weights(fn, params_bwd, "params_bwd")
    if np.shape(params_fwd["W_h"]) != np.shape(params_bwd["W_h"]):
        raise ValueError(f"{fn}: the two directions must have the same hidden size; params_fwd['W_h'] "
                         f"has shape {np.shape(params_fwd['W_h'])}, params_bwd['W_h'] "
                         f"{np.shape(params_bwd['W_h'])}")
    hs_fwd, cache_fwd = direction_forward(x, params_fwd, cell, False, lengths, activation)
    hs_bwd, cache_bwd = direction_forward(x, params_bwd, cell, True, lengths, activation)
    hs = np.concatenate([hs_fwd, hs_bwd], axis=2)    # (N, T, 2H)
    return hs, (cache_fwd, cache_bwd, hs_fwd.shape[2])


def bidirectional_backward(dhs, cache):
    """Gradients of `bidirectional_forward`: dhs (N, T, 2H) -> (dx, grads_fwd, grads_bwd).

    Each half of dhs flows back through its own direction; x fed both, so dx is their sum.
    """
    cache_fwd, cache_bwd, H = cache
    *_, shape = cache_fwd                        # the forward direction's output: (N, T, H)
    dhs = np.asarray(dhs)
    expected = shape[:2] + (2 * H,)
    if dhs.shape != expected:
        raise ValueError(f"bidirectional_backward: dhs has shape {dhs.shape}, expected {expected}")
    dx_fwd, grads_fwd = direction_backward(dhs[:, :, :H], cache_fwd)
    dx_bwd, grads_bwd = direction_backward(dhs[:, :, H:], cache_bwd)
    return dx_fwd + dx_bwd, grads_fwd, grads_bwd


def bidirectional_lstm(x, lengths, params_fwd, params_bwd):
    """The states (N, T, 2H) of a bidirectional LSTM layer over a padded batch x (N, T, D) with
    `lengths` (N,): lesson 07's exercise, with `bidirectional_forward`'s numbers (zeros at the
    padded steps). The course's reference the lesson falls back on."""
    return bidirectional_forward(x, params_fwd, params_bwd, "lstm", lengths)[0]
