"""The NumPy RNN blocks (reference and fast kernel) vs torch and numerical gradients, float64,
on random shapes; the optimisers vs torch; perplexity."""


import numpy as np
import pytest
import torch

from course_utils.gradcheck import numerical_gradient, rel_error, torch_recurrent
from course_utils.nn import _fast, optim
from course_utils.nn.rnn import (
    init_rnn,
    rnn_backward,
    rnn_forward,
    rnn_param_count,
    rnn_step_backward,
    rnn_step_forward,
)

SHAPES = [(1, 1, 1, 1), (1, 6, 3, 4), (3, 1, 5, 6), (3, 4, 5, 6), (5, 9, 3, 7)]  # N, T, D, H
ACTIVATIONS = ["tanh", "sigmoid", "relu", "identity"]
TORCH_ACTIVATIONS = ["tanh", "relu"]  # what torch.nn.RNN offers


def random_rnn(rng, N, T, D, H):
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    W_e = rng.standard_normal((H, D)) * 0.5
    W_h = rng.standard_normal((H, H)) * 0.5
    b = rng.standard_normal(H) * 0.1
    return x, h0, W_e, W_h, b


def assert_same(fast, reference, tol=1e-12):
    """Equal to round-off: |fast − reference| ≤ tol × the largest |reference| (at least 1)."""
    fast, reference = np.asarray(fast), np.asarray(reference)
    assert fast.shape == reference.shape
    assert np.max(np.abs(fast - reference), initial=0.0) <= tol * max(1.0, np.max(np.abs(reference)))


# ---- one step ----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_step_backward_matches_numerical_gradients(activation, rng):
    N, D, H = 3, 4, 5
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    W_e, W_h, b = rng.standard_normal((H, D)), rng.standard_normal((H, H)), rng.standard_normal(H)
    dh = rng.standard_normal((N, H))
    h, cache = rnn_step_forward(x, h_prev, W_e, W_h, b, activation)
    grads = rnn_step_backward(dh, cache)
    names, values = ["x", "h_prev", "W_e", "W_h", "b"], [x, h_prev, W_e, W_h, b]
    for name, value, grad in zip(names, values, grads, strict=True):
        numeric = numerical_gradient(
            lambda _: rnn_step_forward(x, h_prev, W_e, W_h, b, activation)[0], value, df=dh)
        assert rel_error(grad, numeric) < 1e-7, name


@pytest.mark.parametrize("N,T,D,H", SHAPES)
@pytest.mark.parametrize("activation", TORCH_ACTIVATIONS)
def test_step_matches_torch_rnn_cell(N, T, D, H, activation, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, N, 1, D, H)
    dh = rng.standard_normal((N, H))
    h, cache = rnn_step_forward(x[:, 0], h0, W_e, W_h, b, activation)
    dx, dh_prev, dW_e, dW_h, db = rnn_step_backward(dh, cache)
    cell = torch_recurrent("rnn", {"W_e": W_e, "W_h": W_h, "b": b}, activation=activation, step=True)
    xt, ht = torch.tensor(x[:, 0], requires_grad=True), torch.tensor(h0, requires_grad=True)
    out = cell(xt, ht)
    out.backward(torch.tensor(dh))
    np.testing.assert_allclose(h, out.detach().numpy(), rtol=1e-12, atol=1e-14)
    for ours, theirs in [(dx, xt.grad), (dh_prev, ht.grad), (dW_e, cell.weight_ih.grad),
                         (dW_h, cell.weight_hh.grad), (db, cell.bias_ih.grad)]:
        assert rel_error(ours, theirs.numpy()) < 1e-10


def test_step_is_the_lecture_formula(rng):
    x, h_prev = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    W_e, W_h, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 4)), rng.standard_normal(4)
    h, _ = rnn_step_forward(x, h_prev, W_e, W_h, b)
    for n in range(2):  # one column vector at a time, as on the slide
        np.testing.assert_allclose(h[n], np.tanh(W_h @ h_prev[n] + W_e @ x[n] + b), rtol=1e-13)


# ---- over time: the reference blocks -------------------------------------------------------


@pytest.mark.parametrize("N,T,D,H", SHAPES)
@pytest.mark.parametrize("activation", TORCH_ACTIVATIONS)
def test_forward_and_bptt_match_torch_rnn(N, T, D, H, activation, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, N, T, D, H)
    dhs = rng.standard_normal((N, T, H))
    hs, cache = rnn_forward(x, h0, W_e, W_h, b, activation)
    dx, dh0, dW_e, dW_h, db = rnn_backward(dhs, cache)
    rnn = torch_recurrent("rnn", {"W_e": W_e, "W_h": W_h, "b": b}, activation=activation)
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0[None], requires_grad=True)
    hs_torch, h_last = rnn(xt, h0t)
    hs_torch.backward(torch.tensor(dhs))
    assert hs.shape == (N, T, H)
    assert np.max(np.abs(hs - hs_torch.detach().numpy())) <= 1e-10
    assert np.max(np.abs(hs[:, -1] - h_last[0].detach().numpy())) <= 1e-10
    for ours, theirs in [(dx, xt.grad), (dh0, h0t.grad[0]), (dW_e, rnn.weight_ih_l0.grad),
                         (dW_h, rnn.weight_hh_l0.grad), (db, rnn.bias_ih_l0.grad), (db, rnn.bias_hh_l0.grad)]:
        assert rel_error(ours, theirs.numpy()) < 1e-7


@pytest.mark.parametrize("N,T,D,H", SHAPES[:4])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
def test_bptt_matches_numerical_gradients(N, T, D, H, activation, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, N, T, D, H)
    dhs = rng.standard_normal((N, T, H))
    _, cache = rnn_forward(x, h0, W_e, W_h, b, activation)
    grads = rnn_backward(dhs, cache)
    for name, value, grad in zip(["x", "h0", "W_e", "W_h", "b"], [x, h0, W_e, W_h, b], grads, strict=True):
        numeric = numerical_gradient(lambda _: rnn_forward(x, h0, W_e, W_h, b, activation)[0],
                                     value, df=dhs)
        assert grad.shape == value.shape
        assert rel_error(grad, numeric) < 1e-7, name


def test_forward_is_the_step_in_a_loop(rng):
    x, h0, W_e, W_h, b = random_rnn(rng, 3, 6, 4, 5)
    hs, _ = rnn_forward(x, h0, W_e, W_h, b)
    h = h0
    for t in range(6):
        h, _ = rnn_step_forward(x[:, t], h, W_e, W_h, b)
        np.testing.assert_array_equal(hs[:, t], h)


# ---- the fast kernel equals the reference --------------------------------------------------


@pytest.mark.parametrize("N,T,D,H", SHAPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fast_kernel_equals_the_reference(N, T, D, H, activation, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, N, T, D, H)
    dhs = rng.standard_normal((N, T, H))
    hs, cache = rnn_forward(x, h0, W_e, W_h, b, activation)
    hs_fast, cache_fast = _fast.rnn_forward(x, h0, W_e, W_h, b, activation)
    assert_same(hs_fast, hs)
    for fast, reference in zip(_fast.rnn_backward(dhs, cache_fast), rnn_backward(dhs, cache), strict=True):
        assert_same(fast, reference)


@pytest.mark.parametrize("forward,backward", [(rnn_forward, rnn_backward),
                                              (_fast.rnn_forward, _fast.rnn_backward)])
def test_any_sequence_length_and_float32_stays_float32(forward, backward, rng):
    _, _, W_e, W_h, b = random_rnn(rng, 1, 1, 3, 4)
    for T in (1, 2, 17):
        x = rng.standard_normal((2, T, 3)).astype(np.float32)
        hs, cache = forward(x, np.zeros((2, 4), np.float32), *(a.astype(np.float32) for a in (W_e, W_h, b)))
        assert hs.shape == (2, T, 4) and hs.dtype == np.float32
        dx, dh0, dW_e, dW_h, db = backward(np.ones_like(hs), cache)
        assert dx.dtype == dh0.dtype == dW_e.dtype == dW_h.dtype == db.dtype == np.float32


def test_truncated_bptt_carries_state(rng):
    """Two chunks with the state carried give the same hidden states as one long pass."""
    x, h0, W_e, W_h, b = random_rnn(rng, 2, 10, 3, 4)
    for forward in (rnn_forward, _fast.rnn_forward):
        full, _ = forward(x, h0, W_e, W_h, b)
        first, _ = forward(x[:, :6], h0, W_e, W_h, b)
        second, _ = forward(x[:, 6:], first[:, -1], W_e, W_h, b)
        np.testing.assert_allclose(np.concatenate([first, second], axis=1), full, rtol=1e-13)


@pytest.mark.parametrize("forward,backward", [(rnn_forward, rnn_backward),
                                              (_fast.rnn_forward, _fast.rnn_backward)])
def test_bad_shapes_name_both(forward, backward, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 7\) but W_e has shape \(5, 4\)"):
        forward(rng.standard_normal((2, 3, 7)), h0, W_e, W_h, b)
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 5\)"):
        forward(x, rng.standard_normal((3, 5)), W_e, W_h, b)
    with pytest.raises(ValueError, match=r"W_h has shape \(4, 4\)"):
        forward(x, h0, W_e, W_h[:4, :4], b)
    with pytest.raises(ValueError, match=r"b has shape \(4,\)"):
        forward(x, h0, W_e, W_h, b[:4])
    with pytest.raises(ValueError, match="activation must be one of"):
        forward(x, h0, W_e, W_h, b, activation="softplus")
    with pytest.raises(ValueError, match="x has no time steps"):
        forward(x[:, :0], h0, W_e, W_h, b)
    _, cache = forward(x, h0, W_e, W_h, b)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 3, 4\), expected \(2, 3, 5\)"):
        backward(np.zeros((2, 3, 4)), cache)
    with pytest.raises(ValueError, match=r"h_prev has shape \(2, 4\)"):
        rnn_step_forward(x[:, 0], h0[:, :4], W_e, W_h, b)


def test_init_and_param_count():
    params = init_rnn(40, 300, seed=2)
    assert {k: v.shape for k, v in params.items()} == {"W_e": (300, 40), "W_h": (300, 300), "b": (300,)}
    assert abs(params["W_e"].std() * np.sqrt(40) - 1) < 0.02      # N(0, 1/D), not N(0, 1/D²)
    assert abs(params["W_h"].std() * np.sqrt(300) - 1) < 0.02     # N(0, 1/H)
    assert np.all(params["b"] == 0)
    np.testing.assert_array_equal(init_rnn(40, 300, seed=2)["W_h"], params["W_h"])
    with pytest.raises(ValueError, match="hidden_dim must be a positive integer, got True"):
        init_rnn(3, True)
    assert rnn_param_count(10, 20) == 20 * 10 + 20 * 20 + 20
    torch_count = sum(p.numel() for p in torch.nn.RNN(10, 20).parameters())
    assert torch_count - 20 == rnn_param_count(10, 20)  # torch keeps two bias vectors


# ---- optimisers and clipping vs torch ------------------------------------------------------


def test_adam_and_adagrad_match_torch(rng):
    start = {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    grads_seq = [{k: rng.standard_normal(v.shape) for k, v in start.items()} for _ in range(5)]
    for init, step, torch_opt, kwargs in [
        (optim.init_adam, optim.adam_step, torch.optim.Adam, {"lr": 0.01}),
        (optim.init_adagrad, optim.adagrad_step, torch.optim.Adagrad, {"lr": 0.1}),
    ]:
        params = {k: v.copy() for k, v in start.items()}
        state = init(params)
        tensors = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in start.items()}
        opt = torch_opt(list(tensors.values()), eps=1e-10, **kwargs)
        for grads in grads_seq:
            step(params, grads, state, eps=1e-20 if step is optim.adagrad_step else 1e-10, **kwargs)
            for k, t in tensors.items():
                t.grad = torch.tensor(grads[k])
            opt.step()
        for k in params:
            np.testing.assert_allclose(params[k], tensors[k].detach().numpy(), rtol=1e-8, atol=1e-10)


def test_sgd_step_updates_in_place_and_returns_the_dict(rng):
    params = {"w": np.ones(3)}
    same = params["w"]
    returned = optim.sgd_step(params, {"w": np.array([1.0, 2.0, 3.0])}, lr=0.5)
    assert returned is params
    np.testing.assert_array_equal(same, [0.5, 0.0, -0.5])
    # what torch.optim.SGD computes
    w = torch.ones(3, dtype=torch.float64, requires_grad=True)
    w.grad = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    torch.optim.SGD([w], lr=0.5).step()
    np.testing.assert_array_equal(same, w.detach().numpy())


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e3])
def test_clip_grad_norm_matches_torch(max_norm, rng):
    grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    before = {k: v.copy() for k, v in grads.items()}
    clipped, norm = optim.clip_grad_norm(grads, max_norm)
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for t, g in zip(tensors, grads.values(), strict=True):
        t.grad = torch.tensor(g)
    torch_norm = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    assert abs(norm - torch_norm.item()) < 1e-12
    for t, g in zip(tensors, clipped.values(), strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)
    assert optim.global_norm(clipped) <= max_norm + 1e-9
    for k in grads:  # the input dict is not changed
        np.testing.assert_array_equal(grads[k], before[k])
    if norm > max_norm:
        assert not np.allclose(clipped["a"], grads["a"])


def test_clip_grad_value_and_errors():
    clipped = optim.clip_grad_value({"g": np.array([-9.0, 0.5, 7.0])}, 5)
    np.testing.assert_array_equal(clipped["g"], [-5.0, 0.5, 5.0])
    with pytest.raises(ValueError, match="max_norm must be a positive number"):
        optim.clip_grad_norm({"g": np.ones(2)}, 0)
    with pytest.raises(ValueError, match=r"same keys; params has \['a'\], grads has \['b'\]"):
        optim.sgd_step({"a": np.ones(2)}, {"b": np.ones(2)}, 0.1)
    with pytest.raises(ValueError, match=r"grads\['a'\] has shape \(3,\) but params\['a'\] has shape \(2,\)"):
        optim.adam_step({"a": np.ones(2)}, {"a": np.ones(3)}, optim.init_adam({"a": np.ones(2)}))
    with pytest.raises(ValueError, match="lr must be a positive number"):
        optim.sgd_step({"a": np.ones(2)}, {"a": np.ones(2)}, -1)


# ---- perplexity ----------------------------------------------------------------------------


def test_perplexity_and_bits():
    from course_utils.nn.perplexity import bits_per_token, mean_nll, perplexity

    assert abs(perplexity(np.log(50)) - 50) < 1e-9  # uniform over 50 tokens
    assert abs(bits_per_token(np.log(2)) - 1.0) < 1e-12
    assert abs(mean_nll([0.5, 0.25]) - (np.log(2) + np.log(4)) / 2) < 1e-12
    with pytest.raises(ValueError, match="zero probability means infinite perplexity"):
        mean_nll([0.5, 0.0])
    with pytest.raises(ValueError, match="finite and >= 0"):
        perplexity(float("nan"))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_the_step_jacobian_is_torch_autograds(activation):
    from course_utils.nn.rnn import rnn_step_jacobian

    rng = np.random.default_rng(11)
    nonlinearity = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
                    "identity": lambda a: a}[activation]
    for H in (1, 3, 6):
        x, h_prev = rng.standard_normal(2), rng.standard_normal(H)
        W_e, W_h, b = rng.standard_normal((H, 2)), rng.standard_normal((H, H)), rng.standard_normal(H)
        W_e_t, W_h_t, b_t, x_t = (torch.tensor(v) for v in (W_e, W_h, b, x))

        def step(h, W_e_t=W_e_t, W_h_t=W_h_t, b_t=b_t, x_t=x_t):
            return nonlinearity(W_h_t @ h + W_e_t @ x_t + b_t)

        h = step(torch.tensor(h_prev)).numpy()
        want = torch.autograd.functional.jacobian(step, torch.tensor(h_prev)).numpy()
        np.testing.assert_allclose(rnn_step_jacobian(h, W_h, activation), want, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="h must be"):
        rnn_step_jacobian(np.zeros((2, 3)), np.zeros((3, 3)))
