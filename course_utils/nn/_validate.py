"""The argument checks the nn modules share. Each raises with the function's name, the argument,
what came and what was expected, so that a learner's mistake reads as a sentence."""

import numpy as np

from course_utils.nn.activations import ACTIVATIONS

__all__ = ["integer", "positive_int", "one_of", "token_ids", "lengths", "weights", "rnn_arrays",
           "lstm_arrays"]


def integer(fn, name, value, minimum):
    """An int (or NumPy integer) >= minimum; True and False are not counts."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{fn}: {name} must be {expected}, got {value!r}")
    return int(value)


def positive_int(fn, name, value):
    """A size: an integer >= 1."""
    return integer(fn, name, value, 1)


def one_of(fn, name, value, choices):
    if value not in choices:
        raise ValueError(f"{fn}: {name} must be one of {tuple(choices)}, got {value!r}")
    return value


def token_ids(fn, name, ids, vocab_size):
    """(N, T) integer ids in 0..vocab_size-1."""
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"{fn}: {name} must have shape (N, T) of token ids, got shape {ids.shape}")
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{fn}: {name} must hold integer token ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"{fn}: {name} must lie in 0..{vocab_size - 1} (vocabulary of {vocab_size}), "
                         f"got values from {ids.min()} to {ids.max()}")
    return ids


def lengths(fn, values, N, T):
    """lengths (N,) integers in 1..T, or None (every row has T real steps) -> int64 (N,)."""
    if values is None:
        return np.full(N, T, dtype=np.int64)
    values = np.asarray(values)
    if values.shape != (N,):
        raise ValueError(f"{fn}: lengths has shape {values.shape} but x has {N} rows; expected ({N},)")
    if not np.issubdtype(values.dtype, np.integer):
        raise TypeError(f"{fn}: lengths must hold integers, got dtype {values.dtype}")
    if values.size and (values.min() < 1 or values.max() > T):
        raise ValueError(f"{fn}: lengths must lie in 1..T = 1..{T}, got values from "
                         f"{values.min()} to {values.max()}")
    return values.astype(np.int64)


def weights(fn, params, name="params", keys=("W_e", "W_h", "b")):
    """A dict holding (at least) `keys`: one recurrent layer's {'W_e', 'W_h', 'b'} by default."""
    if not isinstance(params, dict) or any(k not in params for k in keys):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise TypeError(f"{fn}: {name} must be a dict with keys {list(keys)}, got {got}")
    return params


def rnn_arrays(fn, x, h0, W_e, W_h, b, activation, time_axis):
    """x (N, D) for a step or (N, T, D) for a sequence (`time_axis`), h0 (N, H), W_e (H, D),
    W_h (H, H), b (H,); activation one of the activation table's names."""
    one_of(fn, "activation", activation, tuple(ACTIVATIONS))
    if np.ndim(W_e) != 2:
        raise ValueError(f"{fn}: W_e must be 2-D (H, D), got shape {np.shape(W_e)}")
    H, D = np.shape(W_e)
    if np.shape(W_h) != (H, H):
        raise ValueError(f"{fn}: W_h has shape {np.shape(W_h)} but W_e has shape {np.shape(W_e)}; "
                         f"expected W_h of shape ({H}, {H})")
    if np.shape(b) != (H,):
        raise ValueError(f"{fn}: b has shape {np.shape(b)} but W_e has shape {np.shape(W_e)}; "
                         f"expected b of shape ({H},)")
    x_shape = "(N, T, D)" if time_axis else "(N, D)"
    if np.ndim(x) != (3 if time_axis else 2) or np.shape(x)[-1] != D:
        raise ValueError(f"{fn}: x has shape {np.shape(x)} but W_e has shape {np.shape(W_e)}; "
                         f"expected x of shape {x_shape.replace('D', str(D))}")
    N = np.shape(x)[0]
    if time_axis and np.shape(x)[1] == 0:
        raise ValueError(f"{fn}: x has no time steps (shape {np.shape(x)})")
    name = "h0" if time_axis else "h_prev"
    if np.shape(h0) != (N, H):
        raise ValueError(f"{fn}: {name} has shape {np.shape(h0)} but x has shape {np.shape(x)} and W_h "
                         f"{np.shape(W_h)}; expected {name} of shape ({N}, {H})")


def lstm_arrays(fn, x, h0, c0, W_e, W_h, b, time_axis):
    """x (N, D) or (N, T, D), h0 and c0 (N, H), W_e (4H, D), W_h (4H, H), b (4H,)."""
    if np.ndim(x) != (3 if time_axis else 2):
        raise ValueError(f"{fn}: x must be {'3-D (N, T, D)' if time_axis else '2-D (N, D)'}, "
                         f"got shape {np.shape(x)}")
    if np.ndim(W_h) != 2 or np.shape(W_h)[0] != 4 * np.shape(W_h)[1]:
        raise ValueError(f"{fn}: W_h must have shape (4H, H), got {np.shape(W_h)}")
    H = np.shape(W_h)[1]
    N, D = np.shape(x)[0], np.shape(x)[-1]
    if np.shape(W_e) != (4 * H, D):
        raise ValueError(f"{fn}: W_e has shape {np.shape(W_e)} but x has shape {np.shape(x)} and W_h "
                         f"{np.shape(W_h)}; expected W_e of shape (4H, D) = {(4 * H, D)}")
    if np.shape(b) != (4 * H,):
        raise ValueError(f"{fn}: b has shape {np.shape(b)}, expected (4H,) = {(4 * H,)}")
    if time_axis and np.shape(x)[1] == 0:
        raise ValueError(f"{fn}: x has no time steps (T = 0)")
    names = ("h0", "c0") if time_axis else ("h_prev", "c_prev")
    for name, state in zip(names, (h0, c0), strict=True):
        if np.shape(state) != (N, H):
            raise ValueError(f"{fn}: {name} has shape {np.shape(state)} but x has shape {np.shape(x)}; "
                             f"expected (N, H) = {(N, H)}")
