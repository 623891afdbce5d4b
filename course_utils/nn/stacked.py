"""Deep (stacked) RNNs and LSTMs (lesson 07): the outputs of layer l are the inputs of layer l+1.

    h_1^(t) = RNN_1(x^(t),       h_1^(t-1))
    h_l^(t) = RNN_l(h_{l-1}^(t), h_l^(t-1))      l = 2, ..., L
    output:   h_L^(t)                            (what an output layer or classifier reads)

Each layer is lesson 04's / 06's recurrence with its own parameters; only layer 1 sees the
words, and every higher layer reads the whole sequence of states below it. A layer may be
bidirectional (`bidirectional.py`); then layer l+1 reads [→h_l ; ←h_l] (2H numbers per step),
exactly as torch.nn.LSTM(num_layers=L, bidirectional=True) does.

`layers` is a list with one entry per layer: a params dict {'W_e', 'W_h', 'b'}, or a pair
(fwd, bwd) of them when `bidirectional`. torch.nn.LSTM(D, H, num_layers=L, batch_first=True)
holding the same numbers is `course_utils.gradcheck.torch_recurrent("lstm", layers)`.

The backward pass walks the layers from the top down: each layer's `dx` is the gradient of
the states of the layer below it.
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.bidirectional import (
    bidirectional_backward,
    bidirectional_forward,
    direction_backward,
    direction_forward,
    init_bidirectional,
    init_direction,
)
from course_utils.nn.language_model import CELLS

__all__ = ["init_stacked", "stacked_forward", "stacked_backward", "stacked_lstm"]


def init_stacked(input_dim, hidden_dim, num_layers, cell="lstm", bidirectional=False, seed=0,
                 dtype=np.float64):
    """Weights of an L-layer stack: a list of params dicts (or (fwd, bwd) pairs).

    Layer 1 reads input_dim numbers per step; every later layer reads hidden_dim, or
    2 * hidden_dim when bidirectional. Each layer (and direction) gets its own seed.
    """
    fn = "init_stacked"
    _validate.one_of(fn, "cell", cell, CELLS)
    _validate.positive_int(fn, "num_layers", num_layers)
    layers = []
    for l in range(num_layers):
        d_in = input_dim if l == 0 else hidden_dim * (2 if bidirectional else 1)
        if bidirectional:
            layers.append(init_bidirectional(d_in, hidden_dim, cell, seed=seed + 2 * l, dtype=dtype))
        else:
            layers.append(init_direction(d_in, hidden_dim, cell, seed=seed + 2 * l, dtype=dtype))
    return layers


def _check_layers(fn, layers, bidirectional):
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(f"{fn}: layers must be a non-empty list of layers, got {type(layers).__name__}")
    for l, layer in enumerate(layers):
        if bidirectional and not (isinstance(layer, tuple) and len(layer) == 2):
            raise TypeError(f"{fn}: with bidirectional=True, layers[{l}] must be a pair (fwd, bwd) of "
                            f"params dicts, got {type(layer).__name__}")
        if not bidirectional and not isinstance(layer, dict):
            raise TypeError(f"{fn}: with bidirectional=False, layers[{l}] must be a params dict "
                            f"{{'W_e', 'W_h', 'b'}}, got {type(layer).__name__}")


def stacked_forward(x, layers, cell="lstm", bidirectional=False, lengths=None, activation="tanh"):
    """Run the stack over x (N, T, D); layer l's output sequence is layer l+1's input.

    Returns (hs, cache): hs (N, T, H) of the top layer ((N, T, 2H) when bidirectional). The
    cache is (the layers' caches, every layer's output sequence bottom first, bidirectional).
    """
    fn = "stacked_forward"
    _check_layers(fn, layers, bidirectional)
    h = np.asarray(x)
    outputs, caches = [], []
    for l, layer in enumerate(layers):
        D_layer = layer[0]["W_e"].shape[1] if bidirectional else layer["W_e"].shape[1]
        if h.ndim != 3 or h.shape[2] != D_layer:
            what = "x" if l == 0 else f"the output of layer {l}"
            raise ValueError(f"{fn}: layer {l + 1} expects inputs of size {D_layer} (its W_e has "
                             f"{D_layer} columns), but {what} has shape {h.shape}")
        if bidirectional:
            h, cache = bidirectional_forward(h, layer[0], layer[1], cell, lengths, activation)
        else:
            h, cache = direction_forward(h, layer, cell, False, lengths, activation)
        outputs.append(h)
        caches.append(cache)
    return h, (caches, outputs, bidirectional)


def stacked_backward(dhs, cache):
    """Gradients of `stacked_forward`: dhs of the top layer -> (dx, grads).

    grads has the structure of `layers`: a list of {'W_e', 'W_h', 'b'} dicts, or of
    (grads_fwd, grads_bwd) pairs when bidirectional.
    """
    layer_caches, outputs, bidirectional = cache
    top = outputs[-1]
    dh = np.asarray(dhs)
    if dh.shape != top.shape:
        raise ValueError(f"stacked_backward: dhs has shape {dh.shape}, expected {top.shape} "
                         f"(the top layer's output)")
    grads = []
    for layer_cache in reversed(layer_caches):
        if bidirectional:
            dh, grads_fwd, grads_bwd = bidirectional_backward(dh, layer_cache)
            grads.append((grads_fwd, grads_bwd))
        else:
            dh, layer_grads = direction_backward(dh, layer_cache)
            grads.append(layer_grads)
    return dh, grads[::-1]


def stacked_lstm(x, layers):
    """The top layer's states (N, T, H) of a stack of LSTM layers over x (N, T, D): lesson 07's
    exercise, with `stacked_forward`'s numbers. The course's reference the lesson falls back on."""
    return stacked_forward(x, layers, "lstm")[0]
