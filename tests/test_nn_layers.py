"""NumPy blocks vs torch autograd (float64) and numerical gradients, on random shapes."""

import numpy as np
import pytest
import torch

from course_utils import nn
from course_utils.gradcheck import numerical_gradient, rel_error

SHAPES = [(1, 1, 1), (4, 3, 2), (7, 5, 9)]


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_activation_and_derivative_match_torch(name, rng):
    g, g_prime = nn.ACTIVATIONS[name]
    z = rng.standard_normal((6, 5)) * 3
    z[np.abs(z) < 1e-3] = 0.5  # keep ReLU away from its kink
    zt = torch.tensor(z, requires_grad=True)
    torch_fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                "identity": lambda t: t * 1}[name]
    out = torch_fn(zt)
    out.sum().backward()
    np.testing.assert_allclose(g(z), out.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g_prime(z), zt.grad.numpy(), rtol=1e-12, atol=1e-15)
    # Numerically, away from saturation (where g' ~ 1e-7 drowns in round-off).
    z_mild = np.clip(z / 3, -2, 2)
    numeric = numerical_gradient(lambda v: np.sum(g(v)), z_mild.copy())
    assert rel_error(g_prime(z_mild), numeric) < 1e-7


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_derivative_from_the_output_is_the_derivative(name, rng):
    g, g_prime = nn.ACTIVATIONS[name]
    z = rng.standard_normal((4, 6)) * 3
    np.testing.assert_allclose(nn.prime_from_output(g(z), name), g_prime(z), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="unknown activation='softsign'"):
        nn.prime_from_output(z, "softsign")


def test_sigmoid_is_stable_and_scalar():
    assert nn.sigmoid(1000.0) == 1.0 and nn.sigmoid(-1000.0) == 0.0
    assert np.isscalar(nn.sigmoid(0.87)) or np.ndim(nn.sigmoid(0.87)) == 0
    assert round(float(nn.sigmoid(0.87)), 2) == 0.70
    assert nn.sigmoid_prime(0.0) == 0.25
    assert nn.sigmoid(np.array([0, 1])).dtype == np.float64


@pytest.mark.parametrize("n,n_in,n_out", SHAPES)
def test_linear_matches_torch(n, n_in, n_out, rng):
    x, W, b = rng.standard_normal((n, n_in)), rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)
    dout = rng.standard_normal((n, n_out))
    out, cache = nn.linear_forward(x, W, b)
    dx, dW, db = nn.linear_backward(dout, cache)
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    out_t = torch.nn.functional.linear(xt, Wt, bt)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12)
    assert rel_error(dx, xt.grad.numpy()) < 1e-10
    assert rel_error(dW, Wt.grad.numpy()) < 1e-10
    assert rel_error(db, bt.grad.numpy()) < 1e-10


def test_linear_over_time_axis_and_no_bias(rng):
    x, W = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4))
    dout = rng.standard_normal((2, 3, 5))
    out, cache = nn.linear_forward(x, W)
    assert out.shape == (2, 3, 5)
    dx, dW, db = nn.linear_backward(dout, cache)
    assert db is None
    assert rel_error(dW, numerical_gradient(lambda _: np.sum(nn.linear_forward(x, W)[0] * dout), W)) < 1e-7
    assert rel_error(dx, numerical_gradient(lambda _: np.sum(nn.linear_forward(x, W)[0] * dout), x)) < 1e-7


def test_linear_shape_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"x has shape \(2, 3\) but W has shape \(4, 5\)"):
        nn.linear_forward(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"b has shape \(3,\) but W has shape \(4, 5\)"):
        nn.linear_forward(np.ones((2, 5)), np.ones((4, 5)), np.ones(3))


@pytest.mark.parametrize("shape", [(3,), (4, 6), (2, 3, 5)])
def test_softmax_and_log_softmax(shape, rng):
    z = rng.standard_normal(shape) * 10
    np.testing.assert_allclose(nn.softmax(z), torch.softmax(torch.tensor(z), -1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(nn.log_softmax(z), torch.log_softmax(torch.tensor(z), -1).numpy(),
                               rtol=1e-12, atol=1e-12)
    assert np.all(np.isfinite(nn.softmax(np.array([1000.0, -1000.0, 0.0]))))


@pytest.mark.parametrize("shape", [(5,), (3, 4)])
@pytest.mark.parametrize("k", [2, 7])
def test_cross_entropy_matches_torch(shape, k, rng):
    logits = rng.standard_normal(shape + (k,))
    targets = rng.integers(0, k, size=shape)
    loss, cache = nn.cross_entropy_forward(logits, targets)
    dlogits = nn.cross_entropy_backward(1.0, cache)
    lt = torch.tensor(logits, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(lt.reshape(-1, k), torch.tensor(targets).reshape(-1))
    loss_t.backward()
    assert abs(loss - loss_t.item()) < 1e-12
    assert rel_error(dlogits, lt.grad.numpy()) < 1e-10
    num = numerical_gradient(lambda v: nn.cross_entropy_forward(v, targets)[0], logits)
    assert rel_error(dlogits, num) < 1e-7


def test_uniform_prediction_costs_log_k():
    loss, _ = nn.cross_entropy_forward(np.zeros((3, 10)), np.array([0, 4, 9]))
    assert loss == pytest.approx(np.log(10))


def test_cross_entropy_bad_targets():
    with pytest.raises(ValueError, match=r"logits have shape \(2, 3\) and targets \(3,\)"):
        nn.cross_entropy_forward(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"targets must lie in 0..2 \(K=3 classes\), got values from 0 to 3"):
        nn.cross_entropy_forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="integer class ids"):
        nn.cross_entropy_forward(np.zeros((2, 3)), np.array([0.0, 1.0]))


@pytest.mark.parametrize("ids_shape", [(4,), (3, 5)])
def test_embedding_matches_torch(ids_shape, rng):
    E = rng.standard_normal((11, 4))
    ids = rng.integers(0, 11, size=ids_shape)
    dout = rng.standard_normal(ids_shape + (4,))
    out, cache = nn.embedding_forward(ids, E)
    dE = nn.embedding_backward(dout, cache)
    Et = torch.tensor(E, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(ids), Et).backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, E[ids])
    assert rel_error(dE, Et.grad.numpy()) < 1e-12
    with pytest.raises(ValueError, match=r"ids must lie in 0..10 \(E has shape \(11, 4\)\)"):
        nn.embedding_forward(np.array([11]), E)
