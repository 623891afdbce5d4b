"""The NumPy LSTM blocks (reference and fast kernel) vs torch.nn.LSTM / LSTMCell and numerical
gradients, float64, on random shapes."""

import numpy as np
import pytest
import torch

from course_utils.gradcheck import compare_with_torch, rel_error, torch_recurrent, torch_weights
from course_utils.nn import _fast
from course_utils.nn.lstm import (
    GATES,
    gate_slice,
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_param_count,
    lstm_step_backward,
    lstm_step_forward,
    split_gates,
)

from conftest import precise_numerical_gradient

SHAPES = [(1, 1, 1, 1), (1, 7, 2, 3), (4, 1, 3, 2), (3, 4, 5, 6), (5, 9, 3, 7), (2, 17, 4, 3)]  # N, T, D, H
KERNELS = [(lstm_forward, lstm_backward), (_fast.lstm_forward, _fast.lstm_backward)]


def random_lstm(rng, N, T, D, H):
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    W_e = rng.standard_normal((4 * H, D)) * 0.6
    W_h = rng.standard_normal((4 * H, H)) * 0.6
    b = rng.standard_normal(4 * H) * 0.3
    return x, h0, c0, W_e, W_h, b


def assert_same(fast, reference, tol=1e-12):
    """Equal to round-off: |fast − reference| ≤ tol × the largest |reference| (at least 1)."""
    fast, reference = np.asarray(fast), np.asarray(reference)
    assert fast.shape == reference.shape and fast.dtype == reference.dtype
    assert np.max(np.abs(fast - reference), initial=0.0) <= tol * max(1.0, np.max(np.abs(reference)))


# ---- gates and initialisation ---------------------------------------------------------------


def test_gate_order_is_torchs_and_slices_cover_the_block():
    assert GATES == ("i", "f", "g", "o")
    H = 3
    covered = np.concatenate([np.arange(12)[gate_slice(g, H)] for g in GATES])
    np.testing.assert_array_equal(covered, np.arange(12))
    parts = split_gates(np.arange(24).reshape(2, 12))
    np.testing.assert_array_equal(parts["g"], [[6, 7, 8], [18, 19, 20]])
    with pytest.raises(ValueError, match="gate must be one of"):
        gate_slice("z", 3)
    with pytest.raises(ValueError, match="4 gate blocks"):
        split_gates(np.zeros((2, 7)))


def test_init_lstm_shapes_forget_bias_and_orthogonal_blocks():
    p = init_lstm(5, 4, forget_bias=2.0, seed=3)
    assert p["W_e"].shape == (16, 5) and p["W_h"].shape == (16, 4) and p["b"].shape == (16,)
    np.testing.assert_array_equal(p["b"][gate_slice("f", 4)], 2.0)
    assert np.all(p["b"][gate_slice("i", 4)] == 0) and np.all(p["b"][gate_slice("o", 4)] == 0)
    for gate in GATES:
        block = p["W_h"][gate_slice(gate, 4)]
        np.testing.assert_allclose(block @ block.T, np.eye(4), atol=1e-12)
    np.testing.assert_array_equal(init_lstm(5, 4, seed=3)["W_e"], p["W_e"])  # seeded
    assert abs(init_lstm(100, 4, seed=0)["W_e"].std() * np.sqrt(100) - 1) < 0.03  # N(0, 1/D)
    assert init_lstm(5, 4, dtype=np.float32)["W_h"].dtype == np.float32
    with pytest.raises(ValueError, match="hidden_dim must be a positive integer"):
        init_lstm(5, 0)
    with pytest.raises(ValueError, match="input_dim must be a positive integer, got True"):
        init_lstm(True, 3)
    assert lstm_param_count(8, 10) == sum(p.numel() for p in torch.nn.LSTM(8, 10).parameters()) - 4 * 10


# ---- one step -------------------------------------------------------------------------------


def test_step_is_the_lecture_formula(rng):
    N, D, H = 2, 3, 4
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    W_e, W_h, b = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H)), rng.standard_normal(4 * H)
    h, c, _ = lstm_step_forward(x, h_prev, c_prev, W_e, W_h, b)

    def sigma(z):
        return 1 / (1 + np.exp(-z))

    def gate(name, fn):
        s = gate_slice(name, H)
        return fn(x @ W_e[s].T + h_prev @ W_h[s].T + b[s])

    f, i, g, o = gate("f", sigma), gate("i", sigma), gate("g", np.tanh), gate("o", sigma)
    c_expected = i * g + f * c_prev
    np.testing.assert_allclose(c, c_expected, rtol=1e-13)
    np.testing.assert_allclose(h, o * np.tanh(c_expected), rtol=1e-13)


def test_step_backward_matches_numerical_gradients(rng):
    N, D, H = 3, 4, 5
    x, h_prev, c_prev, W_e, W_h, b = random_lstm(rng, N, 1, D, H)
    x = x[:, 0]
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, _, cache = lstm_step_forward(x, h_prev, c_prev, W_e, W_h, b)
    grads = lstm_step_backward(dh, dc, cache)
    names = ["x", "h_prev", "c_prev", "W_e", "W_h", "b"]
    values = [x, h_prev, c_prev, W_e, W_h, b]
    for name, value, grad in zip(names, values, grads, strict=True):
        def loss(_):
            h, c, _ = lstm_step_forward(*values)
            return np.sum(h * dh) + np.sum(c * dc)
        numeric = precise_numerical_gradient(loss, value)
        assert rel_error(grad, numeric) < 1e-7, name


@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_step_matches_torch_lstm_cell(N, T, D, H, rng):
    x, h_prev, c_prev, W_e, W_h, b = random_lstm(rng, N, 1, D, H)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h, c, cache = lstm_step_forward(x[:, 0], h_prev, c_prev, W_e, W_h, b)
    dx, dh_prev, dc_prev, dW_e, dW_h, db = lstm_step_backward(dh, dc, cache)
    cell = torch_recurrent("lstm", {"W_e": W_e, "W_h": W_h, "b": b}, step=True)
    xt, ht, ct = (torch.tensor(a, requires_grad=True) for a in (x[:, 0], h_prev, c_prev))
    h_t, c_t = cell(xt, (ht, ct))
    ((h_t * torch.tensor(dh)).sum() + (c_t * torch.tensor(dc)).sum()).backward()
    np.testing.assert_allclose(h, h_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, c_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    for ours, theirs in [(dx, xt.grad), (dh_prev, ht.grad), (dc_prev, ct.grad), (dW_e, cell.weight_ih.grad),
                         (dW_h, cell.weight_hh.grad), (db, cell.bias_ih.grad)]:
        assert rel_error(ours, theirs.numpy()) < 1e-10


# ---- a sequence: the reference blocks -------------------------------------------------------


@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_forward_and_bptt_match_torch_lstm(N, T, D, H, rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, N, T, D, H)
    dhs, dc_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    dcs = np.zeros((N, T, H))
    dcs[:, -1] = dc_last                           # torch's cell state output is c^(T) only
    hs, cs, cache = lstm_forward(x, h0, c0, W_e, W_h, b)
    dx, dh0, dc0, dW_e, dW_h, db = lstm_backward(dhs, dcs, cache)

    def loss_fn(t):
        lstm = torch_recurrent("lstm", {"W_e": W_e, "W_h": W_h, "b": b})
        state0 = (t["h0"][None], t["c0"][None])
        out, (_, c_n) = torch.func.functional_call(lstm, torch_weights(t), (t["x"], state0))
        return (out * torch.tensor(dhs)).sum() + (c_n[0] * torch.tensor(dc_last)).sum()

    lstm = torch_recurrent("lstm", {"W_e": W_e, "W_h": W_h, "b": b})
    with torch.no_grad():
        out, (h_n, c_n) = lstm(torch.tensor(x), (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    assert hs.shape == cs.shape == (N, T, H)
    assert np.max(np.abs(hs - out.numpy())) <= 1e-10
    assert np.max(np.abs(hs[:, -1] - h_n[0].numpy())) <= 1e-10
    assert np.max(np.abs(cs[:, -1] - c_n[0].numpy())) <= 1e-10
    params = {"x": x, "h0": h0, "c0": c0, "W_e": W_e, "W_h": W_h, "b": b}
    ours = {"x": dx, "h0": dh0, "c0": dc0, "W_e": dW_e, "W_h": dW_h, "b": db}
    report = compare_with_torch(loss_fn, params, ours, tolerance=1e-7)
    assert report.ok, str(report)


@pytest.mark.parametrize("N,T,D,H", SHAPES[:4])
def test_bptt_matches_numerical_gradients(N, T, D, H, rng):
    """With an upstream gradient on every hidden and every cell state."""
    x, h0, c0, W_e, W_h, b = random_lstm(rng, N, T, D, H)
    dhs, dcs = rng.standard_normal((N, T, H)), rng.standard_normal((N, T, H))
    _, _, cache = lstm_forward(x, h0, c0, W_e, W_h, b)
    grads = lstm_backward(dhs, dcs, cache)
    values = [x, h0, c0, W_e, W_h, b]
    for name, value, grad in zip(["x", "h0", "c0", "W_e", "W_h", "b"], values, grads, strict=True):
        def loss(_):
            hs, cs, _ = lstm_forward(*values)
            return np.sum(hs * dhs) + np.sum(cs * dcs)
        assert rel_error(grad, precise_numerical_gradient(loss, value)) < 1e-7, name


def test_forward_is_the_step_in_a_loop(rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, 3, 6, 4, 5)
    hs, cs, _ = lstm_forward(x, h0, c0, W_e, W_h, b)
    h, c = h0, c0
    for t in range(6):
        h, c, _ = lstm_step_forward(x[:, t], h, c, W_e, W_h, b)
        np.testing.assert_array_equal(hs[:, t], h)
        np.testing.assert_array_equal(cs[:, t], c)


# ---- the fast kernel equals the reference ---------------------------------------------------


@pytest.mark.parametrize("N,T,D,H", SHAPES)
@pytest.mark.parametrize("cell_gradient", [False, True])
def test_fast_kernel_equals_the_reference(N, T, D, H, cell_gradient, rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, N, T, D, H)
    dhs = rng.standard_normal((N, T, H))
    dcs = rng.standard_normal((N, T, H)) if cell_gradient else None
    hs, cs, cache = lstm_forward(x, h0, c0, W_e, W_h, b)
    hs_fast, cs_fast, cache_fast = _fast.lstm_forward(x, h0, c0, W_e, W_h, b)
    assert_same(hs_fast, hs)
    assert_same(cs_fast, cs)
    reference = lstm_backward(dhs, dcs, cache)
    for fast, ref in zip(_fast.lstm_backward(dhs, dcs, cache_fast), reference, strict=True):
        assert_same(fast, ref)
    # the fast cache holds the gate activations, time first: what the gates dashboard reads
    gates = cache_fast[3]
    for t, step_cache in enumerate(cache):
        i, f, g, o = step_cache[5:9]
        assert_same(gates[t], np.concatenate([i, f, g, o], axis=1))


@pytest.mark.parametrize("forward,backward", KERNELS)
def test_float32_stays_float32_and_close_to_float64(forward, backward, rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, 4, 7, 3, 5)
    hs64, _, cache64 = forward(x, h0, c0, W_e, W_h, b)
    hs32, cs32, cache32 = forward(*(a.astype(np.float32) for a in (x, h0, c0, W_e, W_h, b)))
    assert hs32.dtype == cs32.dtype == np.float32
    np.testing.assert_allclose(hs32, hs64, atol=1e-5)
    dhs = rng.standard_normal(hs32.shape).astype(np.float32)
    for g32, g64 in zip(backward(dhs, None, cache32), backward(dhs.astype(np.float64), None, cache64),
                        strict=True):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, atol=1e-4)


@pytest.mark.parametrize("forward,backward", KERNELS)
def test_saturated_gates_stay_finite_and_zero_states_are_the_default(forward, backward, rng):
    x = np.full((1, 3, 1), 1e4)
    hs, cs, cache = forward(x, None, None, np.ones((4, 1)), np.ones((4, 1)), np.zeros(4))
    assert np.all(np.isfinite(hs)) and np.all(np.isfinite(cs))
    assert all(np.all(np.isfinite(g)) for g in backward(np.ones((1, 3, 1)), None, cache))
    x, _, _, W_e, W_h, b = random_lstm(rng, 2, 3, 4, 5)
    zeros = np.zeros((2, 5))
    np.testing.assert_array_equal(forward(x, None, None, W_e, W_h, b)[0],
                                  forward(x, zeros, zeros, W_e, W_h, b)[0])


def test_fast_backward_can_run_twice_and_does_not_change_the_cache(rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, 2, 4, 3, 2)
    _, _, cache = _fast.lstm_forward(x, h0, c0, W_e, W_h, b)
    dhs = rng.standard_normal((2, 4, 2))
    first = _fast.lstm_backward(dhs, None, cache)
    for a, b_ in zip(first, _fast.lstm_backward(dhs, None, cache), strict=True):
        np.testing.assert_array_equal(a, b_)


@pytest.mark.parametrize("forward,backward", KERNELS)
def test_bad_shapes_name_both(forward, backward, rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"W_e has shape \(20, 3\) but x has shape \(2, 3, 4\)"):
        forward(x, h0, c0, W_e[:, :3], W_h, b)
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 5\).*expected \(N, H\) = \(2, 5\)"):
        forward(x, h0[[0, 1, 0]], c0, W_e, W_h, b)
    with pytest.raises(ValueError, match=r"W_h must have shape \(4H, H\), got \(5, 5\)"):
        forward(x, h0, c0, W_e, W_h[:5], b)
    with pytest.raises(ValueError, match=r"b has shape \(5,\), expected"):
        forward(x, h0, c0, W_e, W_h, b[:5])
    with pytest.raises(ValueError, match="x must be 3-D"):
        forward(x[:, 0], h0, c0, W_e, W_h, b)
    with pytest.raises(ValueError, match="x has no time steps"):
        forward(x[:, :0], h0, c0, W_e, W_h, b)
    _, _, cache = forward(x, h0, c0, W_e, W_h, b)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 3, 4\), expected \(N, T, H\) = \(2, 3, 5\)"):
        backward(np.zeros((2, 3, 4)), None, cache)
    with pytest.raises(ValueError, match=r"dcs has shape \(2, 2, 5\)"):
        backward(np.zeros((2, 3, 5)), np.zeros((2, 2, 5)), cache)
    with pytest.raises(ValueError, match="x must be 2-D"):
        lstm_step_forward(x, h0, c0, W_e, W_h, b)
