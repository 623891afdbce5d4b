"""The NumPy LSTM and LSTM LM vs torch.nn.LSTM and numerical gradients (float64), random shapes."""

import numpy as np
import pytest
import torch

from course_utils.gradcheck import compare_with_torch, numerical_gradient, rel_error
from course_utils.nn import optim
from course_utils.nn.lstm import (
    GATES,
    gate_slice,
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    split_gates,
)
from course_utils.nn.lstm_lm import (
    init_lstm_lm,
    lstm_lm_backward,
    lstm_lm_evaluate,
    lstm_lm_forward,
    lstm_lm_logits,
    lstm_lm_param_count,
    lstm_lm_step,
)
from course_utils.nn.rnn_lm import init_rnn_lm, rnn_lm_backward, rnn_lm_forward
from course_utils.nn.scheduled_sampling import (
    free_running_gap,
    is_lstm_lm,
    linear_sampling_schedule,
    lm_step,
    scheduled_sampling_inputs,
    scheduled_sampling_step,
)

SHAPES = [(1, 1, 1, 1), (3, 4, 5, 6), (5, 9, 3, 7), (2, 17, 4, 3)]  # N, T, D, H


def random_lstm(rng, N, T, D, H):
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    W_e = rng.standard_normal((4 * H, D)) * 0.6
    W_h = rng.standard_normal((4 * H, H)) * 0.6
    b = rng.standard_normal(4 * H) * 0.3
    return x, h0, c0, W_e, W_h, b


def precise_numerical_gradient(f, x, h=1e-3):
    """Central differences at h and 2h combined (Richardson): error O(h⁴) instead of O(h²).

    A plain central difference at h = 1e-5 is limited by round-off to about 1e-10 absolute,
    which is a relative error of 1e-7 on the rare gradient entry near 1e-4; this one is
    accurate to about 1e-12, so the 1e-7 tolerance tests the backward pass, not the check.
    """
    return (4 * numerical_gradient(f, x, h=h) - numerical_gradient(f, x, h=2 * h)) / 3


def torch_lstm_with(W_e, W_h, b):
    """torch.nn.LSTM holding our weights: same i, f, g, o order, so a plain copy."""
    D, H = W_e.shape[1], W_h.shape[1]
    lstm = torch.nn.LSTM(D, H, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(W_e))
        lstm.weight_hh_l0.copy_(torch.tensor(W_h))
        lstm.bias_ih_l0.copy_(torch.tensor(b))
        lstm.bias_hh_l0.zero_()
    return lstm


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
    assert init_lstm(5, 4, dtype=np.float32)["W_h"].dtype == np.float32
    with pytest.raises(ValueError, match="hidden_dim must be a positive integer"):
        init_lstm(5, 0)


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


# ---- a sequence -----------------------------------------------------------------------------


@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_forward_matches_torch_lstm(N, T, D, H, rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, N, T, D, H)
    hs, cs, _ = lstm_forward(x, h0, c0, W_e, W_h, b)
    out, (h_n, c_n) = torch_lstm_with(W_e, W_h, b)(
        torch.tensor(x), (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    assert hs.shape == cs.shape == (N, T, H)
    assert np.max(np.abs(hs - out.detach().numpy())) <= 1e-10
    assert np.max(np.abs(hs[:, -1] - h_n[0].detach().numpy())) <= 1e-10
    assert np.max(np.abs(cs[:, -1] - c_n[0].detach().numpy())) <= 1e-10


def test_forward_is_the_step_composed_over_time(rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, 3, 6, 4, 5)
    hs, cs, _ = lstm_forward(x, h0, c0, W_e, W_h, b)
    h, c = h0, c0
    for t in range(6):
        h, c, _ = lstm_step_forward(x[:, t], h, c, W_e, W_h, b)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cs[:, t], c, rtol=1e-12, atol=1e-14)


def test_backward_is_the_step_backward_composed_over_time(rng):
    N, T, D, H = 2, 5, 3, 4
    x, h0, c0, W_e, W_h, b = random_lstm(rng, N, T, D, H)
    dhs = rng.standard_normal((N, T, H))
    _, _, cache = lstm_forward(x, h0, c0, W_e, W_h, b)
    dx, dh0, dc0, dW_e, dW_h, db = lstm_backward(dhs, cache)
    caches, h, c = [], h0, c0
    for t in range(T):
        h, c, step_cache = lstm_step_forward(x[:, t], h, c, W_e, W_h, b)
        caches.append(step_cache)
    dh, dc = np.zeros((N, H)), np.zeros((N, H))
    sums = [np.zeros_like(W_e), np.zeros_like(W_h), np.zeros_like(b)]
    for t in reversed(range(T)):
        dx_t, dh, dc, *weight_grads = lstm_step_backward(dhs[:, t] + dh, dc, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-10, atol=1e-13)
        for total, g in zip(sums, weight_grads, strict=True):
            total += g
    for ours, composed in zip([dh0, dc0, dW_e, dW_h, db], [dh, dc, *sums], strict=True):
        np.testing.assert_allclose(ours, composed, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("N,T,D,H", SHAPES[:3])
def test_bptt_matches_numerical_gradients(N, T, D, H, rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, N, T, D, H)
    dhs, dc_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    _, _, cache = lstm_forward(x, h0, c0, W_e, W_h, b)
    grads = lstm_backward(dhs, cache, dc_last=dc_last)
    values = [x, h0, c0, W_e, W_h, b]
    for name, value, grad in zip(["x", "h0", "c0", "W_e", "W_h", "b"], values, grads, strict=True):
        def loss(_):
            hs, cs, _ = lstm_forward(*values)
            return np.sum(hs * dhs) + np.sum(cs[:, -1] * dc_last)
        assert rel_error(grad, precise_numerical_gradient(loss, value)) < 1e-7, name


@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_bptt_matches_torch_autograd(N, T, D, H, rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, N, T, D, H)
    dhs = rng.standard_normal((N, T, H))
    _, _, cache = lstm_forward(x, h0, c0, W_e, W_h, b)
    dx, dh0, dc0, dW_e, dW_h, db = lstm_backward(dhs, cache)

    def loss_fn(t):
        lstm = torch.nn.LSTM(D, H, batch_first=True).double()
        weights = {"weight_ih_l0": t["W_e"], "weight_hh_l0": t["W_h"], "bias_ih_l0": t["b"],
                   "bias_hh_l0": torch.zeros(4 * H, dtype=torch.float64)}
        out, _ = torch.func.functional_call(lstm, weights, (t["x"], (t["h0"][None], t["c0"][None])))
        return (out * torch.tensor(dhs)).sum()

    params = {"x": x, "h0": h0, "c0": c0, "W_e": W_e, "W_h": W_h, "b": b}
    ours = {"x": dx, "h0": dh0, "c0": dc0, "W_e": dW_e, "W_h": dW_h, "b": db}
    report = compare_with_torch(loss_fn, params, ours, tolerance=1e-7)
    assert report.ok, str(report)


def test_float32_stays_float32_and_close_to_float64(rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, 4, 7, 3, 5)
    hs64, _, cache64 = lstm_forward(x, h0, c0, W_e, W_h, b)
    as32 = [a.astype(np.float32) for a in (x, h0, c0, W_e, W_h, b)]
    hs32, cs32, cache32 = lstm_forward(*as32)
    assert hs32.dtype == cs32.dtype == np.float32
    np.testing.assert_allclose(hs32, hs64, atol=1e-5)
    dhs = rng.standard_normal(hs32.shape).astype(np.float32)
    grads32 = lstm_backward(dhs, cache32)
    grads64 = lstm_backward(dhs.astype(np.float64), cache64)
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, atol=1e-4)


def test_saturated_gates_stay_finite():
    x = np.full((1, 3, 1), 1e4)
    hs, cs, cache = lstm_forward(x, None, None, np.ones((4, 1)), np.ones((4, 1)), np.zeros(4))
    assert np.all(np.isfinite(hs)) and np.all(np.isfinite(cs))
    assert np.all(np.isfinite(np.concatenate([g.ravel() for g in lstm_backward(np.ones((1, 3, 1)), cache)])))


def test_backward_can_run_twice_and_does_not_change_the_cache(rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, 2, 4, 3, 2)
    _, _, cache = lstm_forward(x, h0, c0, W_e, W_h, b)
    dhs = rng.standard_normal((2, 4, 2))
    first = lstm_backward(dhs, cache)
    second = lstm_backward(dhs, cache)
    for a, b_ in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b_)


def test_default_states_are_zero(rng):
    x, _, _, W_e, W_h, b = random_lstm(rng, 2, 3, 4, 5)
    zeros = np.zeros((2, 5))
    np.testing.assert_array_equal(lstm_forward(x, None, None, W_e, W_h, b)[0],
                                  lstm_forward(x, zeros, zeros, W_e, W_h, b)[0])


def test_bad_shapes_name_both(rng):
    x, h0, c0, W_e, W_h, b = random_lstm(rng, 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"W_e has shape \(20, 3\) but x has shape \(2, 3, 4\)"):
        lstm_forward(x, h0, c0, W_e[:, :3], W_h, b)
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 5\).*expected \(N, H\) = \(2, 5\)"):
        lstm_forward(x, h0[[0, 1, 0]], c0, W_e, W_h, b)
    with pytest.raises(ValueError, match=r"W_h must have shape \(4H, H\), got \(5, 5\)"):
        lstm_forward(x, h0, c0, W_e, W_h[:5], b)
    with pytest.raises(ValueError, match=r"b has shape \(5,\), expected"):
        lstm_forward(x, h0, c0, W_e, W_h, b[:5])
    with pytest.raises(ValueError, match="x must be 3-D"):
        lstm_forward(x[:, 0], h0, c0, W_e, W_h, b)
    with pytest.raises(ValueError, match="x must be 2-D"):
        lstm_step_forward(x, h0, c0, W_e, W_h, b)
    _, _, cache = lstm_forward(x, h0, c0, W_e, W_h, b)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 3, 4\), expected \(N, T, H\) = \(2, 3, 5\)"):
        lstm_backward(np.zeros((2, 3, 4)), cache)


# ---- the LSTM language model ----------------------------------------------------------------


def torch_lstm_lm_loss(tensors, inputs, targets, state=None):
    E = tensors["E"]
    U = tensors["U"] if "U" in tensors else E
    H = tensors["W_h"].shape[1]
    lstm = torch.nn.LSTM(E.shape[1], H, batch_first=True).double()
    weights = {"weight_ih_l0": tensors["W_e"], "weight_hh_l0": tensors["W_h"],
               "bias_ih_l0": tensors["b"], "bias_hh_l0": torch.zeros(4 * H, dtype=torch.float64)}
    args = (E[torch.tensor(inputs)],)
    if state is not None:
        args += ((torch.tensor(state[0])[None], torch.tensor(state[1])[None]),)
    out, _ = torch.func.functional_call(lstm, weights, args)
    logits = out @ U.T + tensors["c"]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, E.shape[0]),
                                             torch.tensor(targets).reshape(-1))


@pytest.mark.parametrize("tie", [False, True])
@pytest.mark.parametrize("N,T,V,D", [(2, 5, 7, 4), (3, 3, 11, 6)])
def test_lstm_lm_gradients_match_torch_and_numerical(tie, N, T, V, D, rng):
    H = D if tie else D + 1
    params = init_lstm_lm(V, D, H, tie_weights=tie, seed=2)
    params["U" if not tie else "E"] += rng.standard_normal(params["U" if not tie else "E"].shape)
    inputs, targets = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    state = (rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    loss, cache, _ = lstm_lm_forward(params, inputs, targets, state)
    grads = lstm_lm_backward(cache)
    assert set(grads) == set(params)
    report = compare_with_torch(lambda t: torch_lstm_lm_loss(t, inputs, targets, state), params, grads)
    assert report.ok, str(report)
    for name in ["W_h", "c", "E"]:
        numeric = precise_numerical_gradient(
            lambda _: lstm_lm_forward(params, inputs, targets, state)[0], params[name])
        assert rel_error(grads[name], numeric) < 1e-7, name


def test_lstm_lm_logits_step_and_forward_agree(rng):
    V, D, H, N, T = 9, 4, 6, 2, 5
    params = init_lstm_lm(V, D, H, seed=1)
    inputs, targets = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    logits, hs, cs = lstm_lm_logits(params, inputs)
    loss, _, (h_last, c_last) = lstm_lm_forward(params, inputs, targets)
    np.testing.assert_allclose(h_last, hs[:, -1])
    np.testing.assert_allclose(c_last, cs[:, -1])
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    np.testing.assert_allclose(loss, -np.take_along_axis(log_probs, targets[..., None], -1).mean())
    state = None
    for t in range(T):
        step_logits, state = lstm_lm_step(params, inputs[:, t], state)
        np.testing.assert_allclose(step_logits, logits[:, t], rtol=1e-10, atol=1e-12)


def test_truncated_bptt_state_carries_over(rng):
    V, N, T = 8, 2, 6
    params = init_lstm_lm(V, 3, 4, seed=0)
    ids = rng.integers(0, V, (N, 2 * T + 1))
    whole = lstm_lm_logits(params, ids[:, :2 * T])[0]
    _, _, state = lstm_lm_forward(params, ids[:, :T], ids[:, 1:T + 1])
    second = lstm_lm_logits(params, ids[:, T:2 * T], state)[0]
    np.testing.assert_allclose(second, whole[:, T:], rtol=1e-12)


def test_lstm_lm_param_count_matches_dict_and_torch():
    for tie in (False, True):
        params = init_lstm_lm(30, 8, 8, tie_weights=tie)
        assert sum(v.size for v in params.values()) == lstm_lm_param_count(30, 8, 8, tie)
    torch_count = sum(p.numel() for p in torch.nn.LSTM(8, 10).parameters()) - 4 * 10  # one bias
    assert lstm_lm_param_count(30, 8, 10) == 30 * 8 + torch_count + 30 * 10 + 30


def test_lstm_lm_rejects_bad_input():
    params = init_lstm_lm(5, 3, 4)
    with pytest.raises(ValueError, match=r"inputs must lie in 0..4"):
        lstm_lm_forward(params, np.array([[0, 5]]), np.array([[0, 1]]))
    with pytest.raises(ValueError, match=r"inputs have shape \(1, 2\) but targets \(1, 3\)"):
        lstm_lm_forward(params, np.array([[0, 1]]), np.array([[0, 1, 2]]))
    with pytest.raises(TypeError, match=r"state must be None or a pair"):
        lstm_lm_forward(params, np.array([[0, 1]]), np.array([[0, 1]]), state=np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"state's c has shape \(2, 4\), expected \(1, 4\)"):
        lstm_lm_forward(params, np.array([[0, 1]]), np.array([[0, 1]]),
                        state=(np.zeros((1, 4)), np.zeros((2, 4))))
    with pytest.raises(ValueError, match="embed_dim == hidden_dim"):
        init_lstm_lm(5, 3, 4, tie_weights=True)


def test_lstm_lm_evaluate_scores_every_token_once(rng):
    params = init_lstm_lm(6, 3, 4, seed=5)
    ids = rng.integers(0, 6, 53)
    logits, _, _ = lstm_lm_logits(params, ids[None, :-1])
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    reference = -np.take_along_axis(log_probs[0], ids[1:, None], -1).mean()
    assert lstm_lm_evaluate(params, ids, batch_size=1, seq_len=7) == pytest.approx(reference, rel=1e-10)
    assert abs(lstm_lm_evaluate(params, ids, batch_size=4, seq_len=5) - reference) < 0.2


def test_lstm_lm_learns_a_repeating_text():
    ids = np.tile(np.arange(5), 40)
    params = init_lstm_lm(5, 4, 8, seed=0)
    state = optim.init_adam(params)
    first = lstm_lm_evaluate(params, ids)
    for step in range(60):
        start = (step * 7) % 150
        window = ids[start:start + 21]
        loss, cache, _ = lstm_lm_forward(params, window[None, :-1], window[None, 1:])
        optim.adam_step(params, lstm_lm_backward(cache), state, lr=3e-2)
    assert first > 1.5 and lstm_lm_evaluate(params, ids) < 0.2


# ---- scheduled sampling ---------------------------------------------------------------------


LM_PASSES = {"lstm": (lstm_lm_forward, lstm_lm_backward), "rnn": (rnn_lm_forward, rnn_lm_backward)}


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_scheduled_sampling_with_p0_is_teacher_forcing(cell, rng):
    params = init_lstm_lm(7, 4, 5, seed=1) if cell == "lstm" else init_rnn_lm(7, 4, 5, seed=1)
    assert is_lstm_lm(params) == (cell == "lstm")
    inputs, targets = rng.integers(0, 7, (3, 6)), rng.integers(0, 7, (3, 6))
    loss, grads, _, mixed = scheduled_sampling_step(params, inputs, targets, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(mixed, inputs)
    forward, backward = LM_PASSES[cell]
    ref_loss, cache, _ = forward(params, inputs, targets)
    assert loss == ref_loss
    for name, grad in backward(cache).items():
        np.testing.assert_array_equal(grads[name], grad)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_scheduled_sampling_feeds_the_models_own_predictions(cell, rng):
    params = init_lstm_lm(9, 4, 6, seed=2) if cell == "lstm" else init_rnn_lm(9, 4, 6, seed=2)
    params["U"] *= 30  # confident predictions, so that greedy choices are clear-cut
    inputs = rng.integers(0, 9, (4, 8))
    mixed = scheduled_sampling_inputs(params, inputs, 1.0, np.random.default_rng(0), greedy=True)
    np.testing.assert_array_equal(mixed[:, 0], inputs[:, 0])
    state = None
    for t in range(7):  # p = 1: every input after the first is the argmax of the step before
        logits, state = lm_step(params, mixed[:, t], state)
        np.testing.assert_array_equal(mixed[:, t + 1], logits.argmax(axis=1))
    # p = 0.3, sampling: about 30 % of positions 1..T-1 replaced by a different-or-equal token
    big = rng.integers(0, 9, (400, 12))
    sampled = scheduled_sampling_inputs(params, big, 0.3, np.random.default_rng(1))
    np.testing.assert_array_equal(sampled[:, 0], big[:, 0])
    changed = np.mean(sampled[:, 1:] != big[:, 1:])
    assert 0.3 * (1 - 1 / 9) - 0.06 < changed < 0.3 + 0.03
    # the gradients are the teacher-forced ones on the mixed inputs, targets unchanged
    targets = rng.integers(0, 9, (4, 8))
    _, grads, _, mixed = scheduled_sampling_step(params, inputs, targets, 0.5, np.random.default_rng(3))
    forward, backward = LM_PASSES[cell]
    for name, grad in backward(forward(params, mixed, targets)[1]).items():
        np.testing.assert_allclose(grads[name], grad)


def test_sampling_schedule_and_bad_arguments():
    assert linear_sampling_schedule(0, 100, 0.25) == 0.0
    assert linear_sampling_schedule(24, 100, 0.25) == 0.0
    assert linear_sampling_schedule(99, 100, 0.25) == pytest.approx(0.25)
    values = [linear_sampling_schedule(s, 100, 0.25) for s in range(100)]
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))
    params = init_lstm_lm(5, 3, 4)
    with pytest.raises(ValueError, match=r"sampling_prob must be in \[0, 1\], got 1.5"):
        scheduled_sampling_inputs(params, np.zeros((1, 3), dtype=int), 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="total_steps must be >= 1"):
        linear_sampling_schedule(0, 0, 0.2)


def test_free_running_gap_starts_equal_and_grows_for_an_untrained_model():
    ids = np.tile(np.arange(6), 30)
    params = init_lstm_lm(6, 4, 8, seed=0)
    gap = free_running_gap(params, ids, prefix_len=5, steps=6, num_windows=50, seed=0)
    assert set(gap) == {"nll_teacher", "nll_free", "acc_teacher", "acc_free"}
    assert gap["nll_teacher"][0] == gap["nll_free"][0]    # same true input at the first step
    # trained on the repeating text, the model is right with either history
    state = optim.init_adam(params)
    for step in range(60):
        window = ids[(step * 7) % 150:(step * 7) % 150 + 21]
        _, cache, _ = lstm_lm_forward(params, window[None, :-1], window[None, 1:])
        optim.adam_step(params, lstm_lm_backward(cache), state, lr=3e-2)
    gap = free_running_gap(params, ids, prefix_len=5, steps=6, num_windows=50, seed=0)
    assert np.all(gap["acc_teacher"] == 1) and np.all(gap["acc_free"] == 1)
    with pytest.raises(ValueError, match="at least prefix_len"):
        free_running_gap(params, ids[:8], prefix_len=5, steps=6, num_windows=3)
