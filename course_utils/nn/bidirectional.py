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

and its output (N, T, 2H) is [forward ; backward] in that order (`torch_weights` builds the
state dict).
"""

import numpy as np

from course_utils.nn.lstm import init_lstm, lstm_backward, lstm_forward
from course_utils.nn.rnn import RNN_ACTIVATIONS, rnn_backward, rnn_forward

__all__ = [
    "CELLS",
    "init_direction",
    "init_bidirectional",
    "padding_mask",
    "reverse_padded",
    "direction_forward",
    "direction_backward",
    "bidirectional_forward",
    "bidirectional_backward",
    "torch_weights",
]

CELLS = ("rnn", "lstm")
_PARAM_KEYS = ("W_e", "W_h", "b")


def _check_cell(fn, cell, activation="tanh"):
    if cell not in CELLS:
        raise ValueError(f"{fn}: cell must be one of {CELLS}, got {cell!r}")
    if cell == "rnn" and activation not in RNN_ACTIVATIONS:
        raise ValueError(f"{fn}: activation must be one of {RNN_ACTIVATIONS}, got {activation!r}")


def _check_params(fn, params, name="params"):
    if not isinstance(params, dict) or any(k not in params for k in _PARAM_KEYS):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise TypeError(f"{fn}: {name} must be a dict with keys {list(_PARAM_KEYS)}, got {got}")


def _positive_int(fn, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive integer, got {value!r}")


def init_direction(input_dim, hidden_dim, cell="lstm", seed=0, dtype=np.float64):
    """Weights of one direction of one layer: {'W_e', 'W_h', 'b'} (see the module docstring).

    LSTM: `init_lstm` (forget-gate bias 1). RNN: W_e Gaussian with variance 1/D and W_h a
    random orthogonal matrix (spectral radius 1: gradients neither explode nor vanish at first).
    """
    _check_cell("init_direction", cell)
    _positive_int("init_direction", "input_dim", input_dim)
    _positive_int("init_direction", "hidden_dim", hidden_dim)
    if cell == "lstm":
        return init_lstm(input_dim, hidden_dim, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((hidden_dim, hidden_dim)))
    return {
        "W_e": (rng.standard_normal((hidden_dim, input_dim)) / np.sqrt(input_dim)).astype(dtype),
        "W_h": (q * np.sign(np.diag(r))).astype(dtype),
        "b": np.zeros(hidden_dim, dtype),
    }


def init_bidirectional(input_dim, hidden_dim, cell="lstm", seed=0, dtype=np.float64):
    """(fwd, bwd): two independent directions, each from `init_direction` (seeds differ)."""
    return (init_direction(input_dim, hidden_dim, cell, seed=seed, dtype=dtype),
            init_direction(input_dim, hidden_dim, cell, seed=seed + 1, dtype=dtype))


# --------------------------------------------------------------------------------------
# Padding and time reversal
# --------------------------------------------------------------------------------------


def _check_lengths(fn, lengths, N, T):
    """lengths (N,) integers in 1..T, or None (every row has T real steps)."""
    if lengths is None:
        return np.full(N, T, dtype=np.int64)
    lengths = np.asarray(lengths)
    if lengths.shape != (N,):
        raise ValueError(f"{fn}: lengths has shape {lengths.shape} but x has {N} rows; expected ({N},)")
    if not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"{fn}: lengths must hold integers, got dtype {lengths.dtype}")
    if lengths.size and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"{fn}: lengths must lie in 1..T = 1..{T}, got values from "
                         f"{lengths.min()} to {lengths.max()}")
    return lengths.astype(np.int64)


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
    lengths = _check_lengths("reverse_padded", lengths, N, T)
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
    _check_params(fn, params)
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"{fn}: x must be 3-D (N, T, D), got shape {x.shape}")
    N, T, _ = x.shape
    if T == 0:
        raise ValueError(f"{fn}: x has no time steps (shape {x.shape})")
    given_lengths = lengths is not None
    lengths = _check_lengths(fn, lengths, N, T)
    W_e, W_h, b = params["W_e"], params["W_h"], params["b"]
    x_in = reverse_padded(x, lengths) if reverse else x
    if cell == "lstm":
        hs, _, inner = lstm_forward(x_in, None, None, W_e, W_h, b)
    else:
        H = np.shape(W_h)[0]
        h0 = np.zeros((N, H), np.result_type(x, W_e, W_h, b))
        hs, inner = rnn_forward(x_in, h0, W_e, W_h, b, activation)
    if reverse:
        hs = reverse_padded(hs, lengths)
    mask = padding_mask(lengths, T) if given_lengths else None
    if mask is not None:
        hs = hs * mask[:, :, None]
    cache = {"cell": cell, "reverse": reverse, "lengths": lengths, "mask": mask, "inner": inner,
             "shape": hs.shape}
    return hs, cache


def direction_backward(dhs, cache):
    """Gradients of `direction_forward`: dhs (N, T, H) -> (dx (N, T, D), grads {'W_e', 'W_h', 'b'})."""
    dhs = np.asarray(dhs)
    if dhs.shape != cache["shape"]:
        raise ValueError(f"direction_backward: dhs has shape {dhs.shape}, expected {cache['shape']}")
    if cache["mask"] is not None:
        dhs = dhs * cache["mask"][:, :, None]    # padded outputs were set to zero: no gradient
    if cache["reverse"]:
        dhs = reverse_padded(dhs, cache["lengths"])
    if cache["cell"] == "lstm":
        dx, _, _, dW_e, dW_h, db = lstm_backward(dhs, cache["inner"])
    else:
        dx, _, dW_e, dW_h, db = rnn_backward(dhs, cache["inner"])
    if cache["reverse"]:
        dx = reverse_padded(dx, cache["lengths"])
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
    _check_params(fn, params_fwd, "params_fwd")
    _check_params(fn, params_bwd, "params_bwd")
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
    dhs = np.asarray(dhs)
    expected = cache_fwd["shape"][:2] + (2 * H,)
    if dhs.shape != expected:
        raise ValueError(f"bidirectional_backward: dhs has shape {dhs.shape}, expected {expected}")
    dx_fwd, grads_fwd = direction_backward(dhs[:, :, :H], cache_fwd)
    dx_bwd, grads_bwd = direction_backward(dhs[:, :, H:], cache_bwd)
    return dx_fwd + dx_bwd, grads_fwd, grads_bwd


def torch_weights(layers, bidirectional=False):
    """A state dict for torch.nn.LSTM / torch.nn.RNN(batch_first=True) holding our weights.

    layers: a list, one entry per layer: a params dict, or a (fwd, bwd) pair when
    `bidirectional`. Values are NumPy arrays; wrap them with torch.from_numpy (or use
    `{k: torch.tensor(v) for k, v in ...}`) and pass to `load_state_dict`. The hidden-hidden
    biases are zero: torch adds both biases, and one is enough.
    """
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(f"torch_weights: layers must be a non-empty list, got {type(layers).__name__}")
    state = {}
    for l, layer in enumerate(layers):
        directions = layer if bidirectional else (layer,)
        if bidirectional and not (isinstance(layer, tuple) and len(layer) == 2):
            raise TypeError(f"torch_weights: with bidirectional=True, layers[{l}] must be a pair "
                            f"(fwd, bwd), got {type(layer).__name__}")
        for k, params in enumerate(directions):
            _check_params("torch_weights", params, f"layers[{l}]")
            suffix = f"l{l}" + ("_reverse" if k == 1 else "")
            state[f"weight_ih_{suffix}"] = np.asarray(params["W_e"])
            state[f"weight_hh_{suffix}"] = np.asarray(params["W_h"])
            state[f"bias_ih_{suffix}"] = np.asarray(params["b"])
            state[f"bias_hh_{suffix}"] = np.zeros_like(np.asarray(params["b"]))
    return state
