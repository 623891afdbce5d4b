import numpy as np
import pytest
import torch

from course_utils.gradcheck import (
    compare_with_torch,
    numerical_gradient,
    rel_error,
    torch_recurrent,
    torch_weights,
)


def test_rel_error_definition():
    assert rel_error(np.array([1.0]), np.array([1.0])) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    assert rel_error(0.0, 0.0) == 0.0  # the 1e-8 floor avoids 0/0
    with pytest.raises(ValueError, match=r"a has shape \(2,\) but b has shape \(3,\)"):
        rel_error(np.ones(2), np.ones(3))


@pytest.mark.parametrize("shape", [(3,), (2, 5), (4, 3, 2)])
def test_numerical_gradient_matches_analytic_scalar(shape, rng):
    x = rng.standard_normal(shape)
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(np.sin(v) * v**2), x)
    analytic = np.cos(x) * x**2 + 2 * x * np.sin(x)
    assert rel_error(grad, analytic) < 1e-8
    np.testing.assert_array_equal(x, before)  # restored


@pytest.mark.parametrize("n,m", [(3, 4), (5, 2)])
def test_numerical_gradient_with_upstream_matches_torch(n, m, rng):
    W = rng.standard_normal((m, n))
    x = rng.standard_normal((7, n))
    dout = rng.standard_normal((7, m))
    grad = numerical_gradient(lambda v: np.tanh(v @ W.T), x, df=dout)
    xt = torch.tensor(x, requires_grad=True)
    torch.tanh(xt @ torch.tensor(W).T).backward(torch.tensor(dout))
    assert rel_error(grad, xt.grad.numpy()) < 1e-6  # entries near 1e-4 cost some digits


@pytest.mark.parametrize("view", ["transpose", "strided", "fortran"])
def test_numerical_gradient_works_for_any_memory_layout(view, rng):
    """A non-contiguous x (a transposed weight, a strided slice) is nudged in place too: a
    flattened copy would leave f unchanged and give a gradient of zeros."""
    W = rng.standard_normal((4, 6))
    before = W.copy()
    x = {"transpose": W.T, "strided": W[:, ::2], "fortran": np.asfortranarray(W)}[view]
    assert not x.flags["C_CONTIGUOUS"]
    grad = numerical_gradient(lambda v: np.sum(v**2) + np.sum(np.sin(v[0])), x)
    expected = 2 * x
    expected[0] += np.cos(x[0])
    assert rel_error(grad, expected) < 1e-8
    # f reading the weight through a closure, as layers do: d sum(Wᵀ²) / d Wᵀ = 2 Wᵀ
    assert rel_error(numerical_gradient(lambda _: np.sum(W.T**2), W.T), 2 * W.T) < 1e-8
    np.testing.assert_array_equal(W, before)  # restored


def test_numerical_gradient_reads_params_through_closure(rng):
    W = rng.standard_normal((3, 3))
    x = rng.standard_normal(3)

    def loss(_):
        return float(np.sum((W @ x) ** 2))

    grad = numerical_gradient(loss, W)
    assert rel_error(grad, 2 * np.outer(W @ x, x)) < 1e-8


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])

    def broken(v):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        numerical_gradient(broken, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_bad_input():
    with pytest.raises(TypeError, match="x must be a NumPy array, got list"):
        numerical_gradient(np.sum, [1.0])
    with pytest.raises(TypeError, match="float array, got dtype int64"):
        numerical_gradient(np.sum, np.array([1, 2]))
    with pytest.raises(ValueError, match="pass its upstream gradient as df="):
        numerical_gradient(lambda v: v * 2, np.ones(2))
    with pytest.raises(ValueError, match="step h must be positive"):
        numerical_gradient(np.sum, np.ones(2), h=0)


def test_compare_with_torch_reports_worst_parameter(rng):
    params = {"W": rng.standard_normal((4, 3)), "b": rng.standard_normal(4)}
    x = rng.standard_normal((5, 3))

    def loss_torch(t):
        return (torch.tensor(x) @ t["W"].T + t["b"]).pow(2).sum()

    out = x @ params["W"].T + params["b"]
    good = {"W": 2 * out.T @ x, "b": 2 * out.sum(axis=0)}
    report = compare_with_torch(loss_torch, params, good)
    assert report.ok and report.worst[1] < 1e-12

    bad = dict(good, b=good["b"] * 1.01)
    report = compare_with_torch(loss_torch, params, bad)
    assert not report.ok
    assert report.worst[0] == "b"
    assert "'b'" in str(report) and "✗" in str(report)


def test_compare_with_torch_bad_names(rng):
    with pytest.raises(ValueError, match=r"\['V'\] that are not in params"):
        compare_with_torch(lambda t: t["W"].sum(), {"W": np.ones(2)}, {"V": np.ones(2)})


def test_torch_recurrent_holds_our_weights_under_torchs_names(rng):
    layer = {"W_e": rng.standard_normal((8, 3)), "W_h": rng.standard_normal((8, 2)),
             "b": rng.standard_normal(8)}
    lstm = torch_recurrent("lstm", layer)
    assert isinstance(lstm, torch.nn.LSTM) and lstm.batch_first and lstm.weight_hh_l0.dtype == torch.float64
    np.testing.assert_array_equal(lstm.weight_ih_l0.detach().numpy(), layer["W_e"])
    np.testing.assert_array_equal(lstm.bias_ih_l0.detach().numpy(), layer["b"])
    assert not lstm.bias_hh_l0.detach().numpy().any()      # torch adds its two biases
    layer["W_e"][0, 0] += 1.0                              # a copy: our arrays stay ours
    assert lstm.weight_ih_l0[0, 0].item() != layer["W_e"][0, 0]

    second = {"W_e": rng.standard_normal((8, 4)), "W_h": layer["W_h"], "b": layer["b"]}  # reads [→h ; ←h]
    pairs = [(layer, layer), (second, second)]
    deep = torch_recurrent("lstm", pairs, bidirectional=True)
    assert deep.num_layers == 2 and deep.bidirectional and deep.weight_ih_l1_reverse.shape == (8, 4)
    rnn = torch_recurrent("rnn", {"W_e": np.ones((2, 3)), "W_h": np.eye(2), "b": np.zeros(2)},
                          activation="relu")
    assert isinstance(rnn, torch.nn.RNN) and rnn.nonlinearity == "relu"
    cell = torch_recurrent("lstm", layer, step=True)
    assert isinstance(cell, torch.nn.LSTMCell) and set(torch_weights(layer, step=True)) == {
        "weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    with pytest.raises(ValueError, match="cell must be 'rnn' or 'lstm'"):
        torch_recurrent("gru", layer)
    with pytest.raises(TypeError, match=r"layers\[0\] must be a pair"):
        torch_weights([layer], bidirectional=True)


def test_torch_weights_keeps_tensors_so_autograd_reaches_them(rng):
    W_e = torch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    W_h = torch.tensor(rng.standard_normal((4, 4)), requires_grad=True)
    b = torch.tensor(rng.standard_normal(4), requires_grad=True)
    weights = torch_weights({"W_e": W_e, "W_h": W_h, "b": b})
    assert weights["weight_ih_l0"] is W_e and weights["bias_ih_l0"] is b
    rnn = torch_recurrent("rnn", {k: v.detach().numpy() for k, v in {"W_e": W_e, "W_h": W_h, "b": b}.items()})
    out, _ = torch.func.functional_call(rnn, weights, (torch.tensor(rng.standard_normal((2, 5, 3))),))
    out.sum().backward()
    assert W_e.grad is not None and W_h.grad is not None and b.grad is not None
