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
    ffn_init,
    ffn_loss,
    ffn_predict,
    ffn_probabilities,
    sgd_step,
)

SHAPES = [(1, 1, 1, 2), (5, 2, 3, 2), (9, 4, 7, 5)]  # (N, n0, n1, n2)
TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def random_problem(rng, n, n0, n1, n2):
    x = rng.standard_normal((n, n0))
    targets = rng.integers(0, n2, n)
    params = ffn_init(n0, n1, n2, seed=int(rng.integers(1000)))
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
    loss, grads = ffn_loss(x, targets, params, activation)
    report = compare_with_torch(torch_loss(x, targets, activation), params, grads, tolerance=1e-7)
    assert report.ok, str(report)
    tensors = {k: torch.tensor(v) for k, v in params.items()}
    assert loss == pytest.approx(torch_loss(x, targets, activation)(tensors).item(), rel=1e-12)
    z, _ = ffn_forward(x, params, activation)
    assert z.shape == (shape[0], shape[3])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("shape", SHAPES)
def test_ffn_gradients_match_numerical(shape, activation, rng):
    x, targets, params = random_problem(rng, *shape)
    _, grads = ffn_loss(x, targets, params, activation)
    for name in ("W", "b", "U"):
        numeric = numerical_gradient(lambda _: ffn_loss(x, targets, params, activation)[0], params[name])
        assert rel_error(grads[name], numeric) <= 1e-7, name


def test_ffn_backward_with_any_upstream_gradient(rng):
    x, _, params = random_problem(rng, 6, 3, 4, 2)
    dz = rng.standard_normal((6, 2))
    z, cache = ffn_forward(x, params, "tanh")
    grads = ffn_backward(dz, cache)
    for name in ("W", "b", "U"):
        numeric = numerical_gradient(lambda _: ffn_forward(x, params, "tanh")[0], params[name], df=dz)
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
        params = ffn_init(2, 4, k, seed=0)
        params["U"][:] = 0.0  # z = U h = 0: every class equally likely
        x = np.array([[0.3, -1.2], [2.0, 0.5]])
        np.testing.assert_allclose(ffn_probabilities(x, params), np.full((2, k), 1 / k))
        loss, _ = ffn_loss(x, np.array([0, k - 1]), params)
        assert loss == pytest.approx(np.log(k), rel=1e-12)


def test_init_shapes_scale_and_seed():
    params = ffn_init(3, 50, 4, seed=7)
    assert {k: v.shape for k, v in params.items()} == {"W": (50, 3), "b": (50,), "U": (4, 50)}
    assert np.all(params["b"] == 0)
    assert 0.4 < params["W"].std() * np.sqrt(3) < 1.6  # entries ~ N(0, 1/n_in)
    np.testing.assert_array_equal(ffn_init(3, 50, 4, seed=7)["U"], params["U"])
    assert not np.array_equal(ffn_init(3, 50, 4, seed=8)["U"], params["U"])
    with pytest.raises(ValueError, match=r"n_hidden must be a positive int, got 0"):
        ffn_init(3, 0, 4)


def test_shape_errors_name_both_shapes():
    params = ffn_init(2, 3, 2)
    with pytest.raises(ValueError, match=r"x has shape \(4, 5\) but W has shape \(3, 2\)"):
        ffn_forward(np.ones((4, 5)), params)
    bad = dict(params, U=np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"U has shape \(2, 4\) but W has shape \(3, 2\)"):
        ffn_forward(np.ones((4, 2)), bad)
    with pytest.raises(ValueError, match=r"b has shape \(2,\) but W has shape \(3, 2\)"):
        ffn_forward(np.ones((4, 2)), dict(params, b=np.zeros(2)))
    with pytest.raises(ValueError, match=r"params is missing \['U'\]"):
        ffn_forward(np.ones((4, 2)), {"W": params["W"], "b": params["b"]})
    with pytest.raises(ValueError, match=r"logits have shape \(4, 2\) and targets \(3,\)"):
        ffn_loss(np.ones((4, 2)), np.zeros(3, dtype=int), params)


def test_sgd_step_is_pure_and_descends(rng):
    x, targets, params = random_problem(rng, 20, 2, 5, 3)
    before = {k: v.copy() for k, v in params.items()}
    loss, grads = ffn_loss(x, targets, params)
    new = sgd_step(params, grads, lr=0.1)
    for name in params:
        np.testing.assert_array_equal(params[name], before[name])  # unchanged
        np.testing.assert_allclose(new[name], before[name] - 0.1 * grads[name])
    assert ffn_loss(x, targets, new)[0] < loss
    with pytest.raises(ValueError, match=r"lr must be a positive number, got -1"):
        sgd_step(params, grads, -1)
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(2,\) but params\['W'\] has "
                                         r"shape \(5, 2\)"):
        sgd_step(params, dict(grads, W=np.ones(2)), 0.1)
    with pytest.raises(ValueError, match=r"grads has no entry for parameter 'U'"):
        sgd_step(params, {"W": grads["W"], "b": grads["b"]}, 0.1)


@pytest.mark.parametrize("name", ["xor", "circles"])
def test_training_reaches_95_percent_on_held_out_points(name):
    x, y = make_toy_2d(name, n=200, seed=0)
    x_test, y_test = make_toy_2d(name, n=200, seed=1)
    params = ffn_init(2, 8, 2, seed=0)
    first_loss = ffn_loss(x, y, params)[0]
    for _ in range(1500):
        loss, grads = ffn_loss(x, y, params)
        params = sgd_step(params, grads, lr=1.0)
    assert loss < first_loss / 5
    assert np.mean(ffn_predict(x, params) == y) >= 0.95
    assert np.mean(ffn_predict(x_test, params) == y_test) >= 0.95


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
