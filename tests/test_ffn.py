"""The 2-layer FFN of lesson 02 (course_utils.nn.ffn) and the 2-D toy data it trains on.

NumPy vs torch autograd in float64 on random shapes, and vs numerical gradients.
"""

import numpy as np
import pytest
import torch

from course_utils import nn
from course_utils.data import TOY_2D, make_toy_2d
from course_utils.gradcheck import compare_with_torch, numerical_gradient, rel_error
from course_utils.nn.ffn import (
    ffn_backward,
    ffn_forward,
    ffn_loss,
    ffn_predict,
    ffn_probabilities,
    init_ffn,
)
from course_utils.nn.optim import sgd_step

SHAPES = [(1, 1, 1, 2), (5, 2, 3, 2), (9, 4, 7, 5)]  # (N, n0, n1, n2)
TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def random_problem(rng, n, n0, n1, n2):
    x = rng.standard_normal((n, n0))
    targets = rng.integers(0, n2, n)
    params = init_ffn(n0, n1, n2, seed=int(rng.integers(1000)))
    params["b"] = rng.standard_normal(n1)  # a non-zero bias, so db is exercised
    return x, targets, params


def torch_loss(x, targets, activation):
    g = TORCH_ACTIVATIONS[activation]

    def loss(t):
        h = g(torch.tensor(x) @ t["W"].T + t["b"])  # (N, n1)
        z = h @ t["U"].T  # (N, n2)
        return torch.nn.functional.cross_entropy(z, torch.tensor(targets))

    return loss


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("shape", SHAPES)
def test_ffn_loss_and_gradients_match_torch(shape, activation, rng):
    x, targets, params = random_problem(rng, *shape)
    loss, grads = ffn_loss(params, x, targets, activation)
    report = compare_with_torch(torch_loss(x, targets, activation), params, grads, tolerance=1e-7)
    assert report.ok, str(report)
    tensors = {k: torch.tensor(v) for k, v in params.items()}
    assert loss == pytest.approx(torch_loss(x, targets, activation)(tensors).item(), rel=1e-12)
    z, _ = ffn_forward(params, x, activation)
    assert z.shape == (shape[0], shape[3])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("shape", SHAPES)
def test_ffn_gradients_match_numerical(shape, activation, rng):
    x, targets, params = random_problem(rng, *shape)
    _, grads = ffn_loss(params, x, targets, activation)
    for name in ("W", "b", "U"):
        numeric = numerical_gradient(lambda _: ffn_loss(params, x, targets, activation)[0], params[name])
        assert rel_error(grads[name], numeric) <= 1e-7, name


def test_ffn_backward_with_any_upstream_gradient(rng):
    x, _, params = random_problem(rng, 6, 3, 4, 2)
    dz = rng.standard_normal((6, 2))
    z, cache = ffn_forward(params, x, "tanh")
    grads = ffn_backward(dz, cache)
    for name in ("W", "b", "U"):
        numeric = numerical_gradient(lambda _: ffn_forward(params, x, "tanh")[0], params[name], df=dz)
        assert grads[name].shape == params[name].shape
        assert rel_error(grads[name], numeric) <= 1e-7, name


def test_activation_pair_matches_numerical(rng):
    a = rng.standard_normal((4, 5))
    dh = rng.standard_normal((4, 5))
    for name in ("sigmoid", "tanh", "relu"):
        h, cache = nn.activation_forward(a, name)
        np.testing.assert_allclose(h, nn.ACTIVATIONS[name][0](a))
        da = nn.activation_backward(dh, cache)
        numeric = numerical_gradient(lambda v, name=name: nn.activation_forward(v, name)[0], a.copy(), df=dh)
        assert rel_error(da, numeric) <= 1e-7, name
    with pytest.raises(ValueError, match=r"unknown activation='softsign'"):
        nn.activation_forward(a, "softsign")
    with pytest.raises(ValueError, match=r"dh has shape \(3,\) but a has shape \(4, 5\)"):
        nn.activation_backward(np.ones(3), nn.activation_forward(a)[1])


def test_uniform_prediction_costs_log_k():
    for k in (2, 3, 10):
        params = init_ffn(2, 4, k, seed=0)
        params["U"][:] = 0.0  # z = U h = 0: every class equally likely
        x = np.array([[0.3, -1.2], [2.0, 0.5]])
        np.testing.assert_allclose(ffn_probabilities(params, x), np.full((2, k), 1 / k))
        loss, _ = ffn_loss(params, x, np.array([0, k - 1]))
        assert loss == pytest.approx(np.log(k), rel=1e-12)


def test_init_shapes_scale_and_seed():
    params = init_ffn(64, 400, 4, seed=7)
    assert {k: v.shape for k, v in params.items()} == {"W": (400, 64), "b": (400,), "U": (4, 400)}
    assert np.all(params["b"] == 0)
    # Entries ~ N(0, 1/fan_in): standard deviation 1/√n_in. With 25,600 entries the estimate is
    # within 1 % of it; the classic slip, dividing by n_in instead of √n_in, gives 1/8 here.
    assert abs(params["W"].std() * np.sqrt(64) - 1) < 0.02
    assert abs(params["U"].std() * np.sqrt(400) - 1) < 0.05    # 1,600 entries: within 4 %
    assert abs(params["W"].mean()) < 0.01
    np.testing.assert_array_equal(init_ffn(64, 400, 4, seed=7)["U"], params["U"])
    assert not np.array_equal(init_ffn(64, 400, 4, seed=8)["U"], params["U"])
    with pytest.raises(ValueError, match=r"n_hidden must be a positive integer, got 0"):
        init_ffn(3, 0, 4)
    with pytest.raises(ValueError, match=r"n_in must be a positive integer, got True"):
        init_ffn(True, 2, 4)


def test_shape_errors_name_both_shapes():
    params = init_ffn(2, 3, 2)
    with pytest.raises(ValueError, match=r"x has shape \(4, 5\) but W has shape \(3, 2\)"):
        ffn_forward(params, np.ones((4, 5)))
    bad = dict(params, U=np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"U has shape \(2, 4\) but W has shape \(3, 2\)"):
        ffn_forward(bad, np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"b has shape \(2,\) but W has shape \(3, 2\)"):
        ffn_forward(dict(params, b=np.zeros(2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"params is missing \['U'\]"):
        ffn_forward({"W": params["W"], "b": params["b"]}, np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"logits have shape \(4, 2\) and targets \(3,\)"):
        ffn_loss(params, np.ones((4, 2)), np.zeros(3, dtype=int))


def test_a_gradient_step_descends(rng):
    x, targets, params = random_problem(rng, 20, 2, 5, 3)
    loss, grads = ffn_loss(params, x, targets)
    expected = {k: v - 0.1 * grads[k] for k, v in params.items()}
    sgd_step(params, grads, lr=0.1)
    for name in params:
        np.testing.assert_array_equal(params[name], expected[name])
    assert ffn_loss(params, x, targets)[0] < loss


@pytest.mark.parametrize("name", ["xor", "circles"])
def test_training_reaches_95_percent_on_held_out_points(name):
    x, y = make_toy_2d(name, n=200, seed=0)
    x_test, y_test = make_toy_2d(name, n=200, seed=1)
    params = init_ffn(2, 8, 2, seed=0)
    first_loss = ffn_loss(params, x, y)[0]
    for _ in range(1500):
        loss, grads = ffn_loss(params, x, y)
        params = sgd_step(params, grads, lr=1.0)
    assert loss < first_loss / 5
    assert np.mean(ffn_predict(params, x) == y) >= 0.95
    assert np.mean(ffn_predict(params, x_test) == y_test) >= 0.95


# ---- the 2-D toy problems ------------------------------------------------------------------

@pytest.mark.parametrize("name", TOY_2D)
def test_toy_2d_is_seeded_balanced_and_shaped(name):
    x, y = make_toy_2d(name, n=101, seed=3)
    assert x.shape == (101, 2) and x.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert np.sum(y == 0) == 50 and np.sum(y == 1) == 51
    x2, y2 = make_toy_2d(name, n=101, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make_toy_2d(name, n=101, seed=4)[0], x)
    assert np.all(np.abs(x) < 1.6)


def test_toy_2d_labels_follow_their_rule_without_noise():
    x, y = make_toy_2d("xor", n=400, noise=0.0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(int))
    x, y = make_toy_2d("circles", n=400, noise=0.0)
    radius = np.linalg.norm(x, axis=1)
    assert radius[y == 1].max() < 0.5 < 0.7 <= radius[y == 0].min()
    x, y = make_toy_2d("gauss", n=400, noise=0.0)
    assert np.mean((x.sum(axis=1) > 0) == (y == 1)) > 0.95  # a line separates the blobs


def test_toy_2d_bad_arguments():
    with pytest.raises(ValueError, match=r"unknown name='moons'.*'spirals'"):
        make_toy_2d("moons")
    with pytest.raises(ValueError, match=r"n must be an int >= 2.*got 1"):
        make_toy_2d("xor", n=1)
    with pytest.raises(ValueError, match=r"noise must be a finite number >= 0, got -0.1"):
        make_toy_2d("xor", noise=-0.1)
