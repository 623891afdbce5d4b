"""Bidirectional and stacked RNN/LSTM (lesson 07) vs torch and numerical gradients, float64.

Outputs must agree with torch.nn.LSTM / torch.nn.RNN (bidirectional=True, num_layers=2 or 3,
packed variable-length batches) to 1e-10; every gradient (inputs and each parameter of each
direction of each layer) to a relative error of 1e-7, against torch autograd and against
numerical gradients, on random shapes.
"""

import numpy as np
import pytest
import torch

from course_utils.gradcheck import rel_error, torch_recurrent
from course_utils.nn.bidirectional import (
    bidirectional_backward,
    bidirectional_forward,
    direction_backward,
    direction_forward,
    init_bidirectional,
    init_direction,
    padding_mask,
    reverse_padded,
)
from course_utils.nn.lstm import lstm_step_forward
from course_utils.nn.rnn import rnn_step_forward
from course_utils.nn.stacked import init_stacked, stacked_backward, stacked_forward

from conftest import precise_numerical_gradient

SHAPES = [(1, 1, 1, 1), (3, 4, 5, 6), (5, 9, 3, 7), (2, 13, 4, 3)]  # N, T, D, H
OUT_TOL = 1e-10
GRAD_TOL = 1e-7


def random_layers(rng, D, H, num_layers, cell, bidirectional, scale=0.5):
    """Random weights (not the init's), biases included, so every path carries signal."""
    rows = 4 * H if cell == "lstm" else H
    layers = []
    for l in range(num_layers):
        d_in = D if l == 0 else H * (2 if bidirectional else 1)

        def one(d_in=d_in):
            return {"W_e": rng.standard_normal((rows, d_in)) * scale,
                    "W_h": rng.standard_normal((rows, H)) * scale,
                    "b": rng.standard_normal(rows) * 0.3}

        layers.append((one(), one()) if bidirectional else one())
    return layers


def torch_run(module, x, lengths=None):
    """Output (N, T, H·directions) of a torch RNN module; packed when lengths are given."""
    if lengths is None:
        return module(x)[0]
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.as_tensor(lengths), batch_first=True,
                                                     enforce_sorted=False)
    out, _ = module(packed)
    return torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                  total_length=x.shape[1])[0]


def flat_grads(grads, bidirectional):
    """{'l0.fwd.W_e': array, ...} from stacked_backward's list."""
    out = {}
    for l, layer in enumerate(grads):
        directions = layer if bidirectional else (layer,)
        for k, g in enumerate(directions):
            for name, value in g.items():
                out[f"l{l}.{'fwd' if k == 0 else 'bwd'}.{name}"] = value
    return out


def torch_grads(module, num_layers, bidirectional):
    names = {"W_e": "weight_ih", "W_h": "weight_hh", "b": "bias_ih"}
    out = {}
    for l in range(num_layers):
        for k in range(2 if bidirectional else 1):
            suffix = f"l{l}" + ("_reverse" if k else "")
            for ours, theirs in names.items():
                out[f"l{l}.{'fwd' if k == 0 else 'bwd'}.{ours}"] = \
                    getattr(module, f"{theirs}_{suffix}").grad.numpy()
    return out


def compare(cell, N, T, D, H, num_layers, bidirectional, seed, lengths=None, activation="tanh"):
    rng = np.random.default_rng(seed)
    layers = random_layers(rng, D, H, num_layers, cell, bidirectional)
    x = rng.standard_normal((N, T, D))
    hs, cache = stacked_forward(x, layers, cell, bidirectional, lengths, activation)
    dhs = rng.standard_normal(hs.shape)
    dx, grads = stacked_backward(dhs, cache)

    module = torch_recurrent(cell, layers, bidirectional, activation)
    assert module.num_layers == num_layers
    x_t = torch.tensor(x, requires_grad=True)
    out = torch_run(module, x_t, lengths)
    (out * torch.from_numpy(dhs)).sum().backward()

    assert hs.shape == (N, T, H * (2 if bidirectional else 1))
    assert np.max(np.abs(hs - out.detach().numpy())) <= OUT_TOL
    assert rel_error(dx, x_t.grad.numpy()) <= GRAD_TOL
    ours, theirs = flat_grads(grads, bidirectional), torch_grads(module, num_layers, bidirectional)
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert rel_error(ours[name], theirs[name]) <= GRAD_TOL, name


# ---- padding and time reversal ---------------------------------------------------------------


def test_reverse_padded_reverses_within_each_length_and_is_its_own_inverse(rng):
    x = np.arange(2 * 5).reshape(2, 5)
    out = reverse_padded(x, np.array([5, 3]))
    np.testing.assert_array_equal(out, [[4, 3, 2, 1, 0], [7, 6, 5, 8, 9]])
    y = rng.standard_normal((4, 7, 3))
    lengths = np.array([7, 1, 4, 6])
    np.testing.assert_array_equal(reverse_padded(reverse_padded(y, lengths), lengths), y)
    np.testing.assert_array_equal(reverse_padded(y), y[:, ::-1])
    np.testing.assert_array_equal(padding_mask([2, 3], 4), [[1, 1, 0, 0], [1, 1, 1, 0]])


# ---- bidirectional layer vs torch -----------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_bidirectional_lstm_matches_torch(shape):
    compare("lstm", *shape, num_layers=1, bidirectional=True, seed=sum(shape))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("shape", SHAPES[1:])
def test_bidirectional_rnn_matches_torch(shape, activation):
    compare("rnn", *shape, num_layers=1, bidirectional=True, seed=7 + sum(shape),
            activation=activation)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_variable_lengths_match_torchs_packed_sequences(cell):
    # Rows padded at the end: the backward direction must start at each row's last real step.
    lengths = np.array([6, 1, 4, 6, 2])
    compare(cell, 5, 6, 3, 4, num_layers=1, bidirectional=True, seed=11, lengths=lengths)
    compare(cell, 5, 6, 3, 4, num_layers=2, bidirectional=True, seed=12, lengths=lengths)


def test_padding_changes_nothing_for_the_real_steps(rng):
    fwd, bwd = init_bidirectional(3, 4, seed=5)
    short = rng.standard_normal((1, 3, 3))
    padded = np.concatenate([short, rng.standard_normal((1, 2, 3))], axis=1)  # garbage padding
    hs_short, _ = bidirectional_forward(short, fwd, bwd)
    hs_padded, _ = bidirectional_forward(padded, fwd, bwd, lengths=np.array([3]))
    np.testing.assert_allclose(hs_padded[:, :3], hs_short, rtol=0, atol=1e-14)
    assert np.all(hs_padded[:, 3:] == 0)


def test_bidirectional_equals_two_loops_of_step_functions(rng):
    """The wrapper computes what lesson 06's step function does, once each way."""
    N, T, D, H = 2, 5, 3, 4
    fwd, bwd = init_bidirectional(D, H, seed=2)
    x = rng.standard_normal((N, T, D))
    hs, _ = bidirectional_forward(x, fwd, bwd)
    h, c = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T):
        h, c, _ = lstm_step_forward(x[:, t], h, c, fwd["W_e"], fwd["W_h"], fwd["b"])
        np.testing.assert_allclose(hs[:, t, :H], h, rtol=0, atol=1e-13)
    h, c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        h, c, _ = lstm_step_forward(x[:, t], h, c, bwd["W_e"], bwd["W_h"], bwd["b"])
        np.testing.assert_allclose(hs[:, t, H:], h, rtol=0, atol=1e-13)
    # and for the vanilla cell
    rf, rb = init_bidirectional(D, H, cell="rnn", seed=3)
    hs, _ = bidirectional_forward(x, rf, rb, cell="rnn")
    h = np.zeros((N, H))
    for t in reversed(range(T)):
        h, _ = rnn_step_forward(x[:, t], h, rb["W_e"], rb["W_h"], rb["b"])
    np.testing.assert_allclose(hs[:, 0, H:], h, rtol=0, atol=1e-13)


def test_forward_half_ignores_the_future_and_backward_half_ignores_the_past(rng):
    fwd, bwd = init_bidirectional(3, 5, seed=9)
    x = rng.standard_normal((1, 6, 3))
    changed = x.copy()
    changed[0, 4] += 1.0  # change step 4 only
    a, _ = bidirectional_forward(x, fwd, bwd)
    b, _ = bidirectional_forward(changed, fwd, bwd)
    H = 5
    assert np.array_equal(a[0, :4, :H], b[0, :4, :H])       # →h^(t), t < 4: unchanged, exactly
    assert np.all(np.abs(a[0, 4:, :H] - b[0, 4:, :H]).max(axis=1) > 1e-6)
    assert np.array_equal(a[0, 5:, H:], b[0, 5:, H:])       # ←h^(t), t > 4: unchanged
    assert np.all(np.abs(a[0, :5, H:] - b[0, :5, H:]).max(axis=1) > 1e-6)


# ---- stacked layers vs torch ----------------------------------------------------------------


@pytest.mark.parametrize("num_layers", [2, 3])
@pytest.mark.parametrize("shape", SHAPES)
def test_stacked_lstm_matches_torch_num_layers(shape, num_layers):
    compare("lstm", *shape, num_layers=num_layers, bidirectional=False, seed=100 + sum(shape))


@pytest.mark.parametrize("shape", SHAPES[1:])
def test_stacked_bidirectional_lstm_matches_torch(shape):
    compare("lstm", *shape, num_layers=2, bidirectional=True, seed=200 + sum(shape))


@pytest.mark.parametrize("shape", SHAPES[1:])
def test_stacked_rnn_matches_torch(shape):
    compare("rnn", *shape, num_layers=2, bidirectional=False, seed=300 + sum(shape))
    compare("rnn", *shape, num_layers=2, bidirectional=True, seed=400 + sum(shape))


def test_one_layer_stack_is_the_layer_itself(rng):
    layers = init_stacked(3, 4, 1, bidirectional=True, seed=1)
    x = rng.standard_normal((2, 5, 3))
    np.testing.assert_array_equal(stacked_forward(x, layers, bidirectional=True)[0],
                                  bidirectional_forward(x, *layers[0])[0])
    uni = init_stacked(3, 4, 1, seed=1)
    np.testing.assert_array_equal(stacked_forward(x, uni)[0], direction_forward(x, uni[0])[0])


def test_init_stacked_input_sizes():
    layers = init_stacked(5, 3, 3, bidirectional=True, seed=0)
    assert [fwd["W_e"].shape for fwd, _ in layers] == [(12, 5), (12, 6), (12, 6)]
    assert not np.array_equal(layers[0][0]["W_e"], layers[0][1]["W_e"])  # separate directions
    rnn = init_stacked(5, 3, 2, cell="rnn", seed=0)
    assert [p["W_e"].shape for p in rnn] == [(3, 5), (3, 3)]
    assert np.allclose(rnn[0]["W_h"] @ rnn[0]["W_h"].T, np.eye(3))


# ---- numerical gradients --------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_stacked_gradients_match_numerical_gradients(cell, bidirectional):
    rng = np.random.default_rng(31 + bidirectional)
    N, T, D, H = 2, 4, 3, 2
    layers = random_layers(rng, D, H, 2, cell, bidirectional)
    x = rng.standard_normal((N, T, D))
    lengths = np.array([4, 2])
    hs, cache = stacked_forward(x, layers, cell, bidirectional, lengths)
    dhs = rng.standard_normal(hs.shape)
    dx, grads = stacked_backward(dhs, cache)

    def loss(_):
        return np.sum(stacked_forward(x, layers, cell, bidirectional, lengths)[0] * dhs)

    assert rel_error(dx, precise_numerical_gradient(loss, x)) <= GRAD_TOL
    for l, layer in enumerate(layers):
        pairs = zip(layer, grads[l], strict=True) if bidirectional else [(layer, grads[l])]
        for params, g in pairs:
            for name in ("W_e", "W_h", "b"):
                numeric = precise_numerical_gradient(loss, params[name])
                assert rel_error(g[name], numeric) <= GRAD_TOL, (l, name)


def test_direction_backward_matches_numerical_gradient_reversed(rng):
    params = init_direction(3, 4, seed=4)
    x = rng.standard_normal((2, 5, 3))
    lengths = np.array([5, 3])
    hs, cache = direction_forward(x, params, reverse=True, lengths=lengths)
    dhs = rng.standard_normal(hs.shape)
    dx, grads = direction_backward(dhs, cache)

    def loss(_):
        return np.sum(direction_forward(x, params, reverse=True, lengths=lengths)[0] * dhs)

    assert rel_error(dx, precise_numerical_gradient(loss, x)) <= GRAD_TOL
    assert rel_error(grads["W_h"], precise_numerical_gradient(loss, params["W_h"])) <= GRAD_TOL
    assert np.all(dx[1, 3:] == 0)  # padded inputs influence nothing


# ---- bad input --------------------------------------------------------------------------------


def test_bad_input_names_the_argument_and_the_shapes(rng):
    fwd, bwd = init_bidirectional(3, 4, seed=0)
    x = rng.standard_normal((2, 5, 3))
    with pytest.raises(ValueError, match="cell must be one of"):
        bidirectional_forward(x, fwd, bwd, cell="gru")
    with pytest.raises(ValueError, match=r"x must be 3-D \(N, T, D\), got shape \(5, 3\)"):
        bidirectional_forward(x[0], fwd, bwd)
    with pytest.raises(ValueError, match="same hidden size"):
        bidirectional_forward(x, fwd, init_direction(3, 5))
    with pytest.raises(TypeError, match="params_bwd must be a dict"):
        bidirectional_forward(x, fwd, [1, 2])
    with pytest.raises(ValueError, match=r"lengths must lie in 1..T = 1..5, got values from 0 to 6"):
        bidirectional_forward(x, fwd, bwd, lengths=np.array([0, 6]))
    with pytest.raises(ValueError, match=r"lengths has shape \(3,\) but x has 2 rows"):
        bidirectional_forward(x, fwd, bwd, lengths=np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="lengths must hold integers"):
        bidirectional_forward(x, fwd, bwd, lengths=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="W_e has shape"):
        bidirectional_forward(rng.standard_normal((2, 5, 4)), fwd, bwd)
    hs, cache = bidirectional_forward(x, fwd, bwd)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 5, 4\), expected \(2, 5, 8\)"):
        bidirectional_backward(hs[:, :, :4], cache)
    layers = init_stacked(3, 4, 2, seed=0)
    with pytest.raises(ValueError, match=r"layer 1 expects inputs of size 3 .* x has shape \(2, 5, 6\)"):
        stacked_forward(rng.standard_normal((2, 5, 6)), layers)
    with pytest.raises(TypeError, match=r"layers\[0\] must be a pair"):
        stacked_forward(x, layers, bidirectional=True)
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        init_stacked(3, 4, 0)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 5, 3\), expected \(2, 5, 4\)"):
        stacked_backward(np.zeros((2, 5, 3)), stacked_forward(x, layers)[1])
