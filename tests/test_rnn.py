"""The NumPy RNN, RNN LM, optimisers and sampling vs torch and numerical gradients (float64);
lesson 04's exercises (each solution passes its check, each stub fails it)."""


import numpy as np
import pytest
import torch

from course_utils.gradcheck import compare_with_torch, numerical_gradient, rel_error
from course_utils.nn import optim
from course_utils.nn.rnn import (
    rnn_backward,
    rnn_forward,
    rnn_param_count,
    rnn_step_backward,
    rnn_step_forward,
)
from course_utils.nn.rnn_lm import (
    init_rnn_lm,
    rnn_lm_backward,
    rnn_lm_evaluate,
    rnn_lm_forward,
    rnn_lm_logits,
    rnn_lm_param_count,
    rnn_lm_step,
)

from conftest import ROOT

SHAPES = [(1, 1, 1, 1), (3, 4, 5, 6), (5, 9, 3, 7)]  # N, T, D, H


def random_rnn(rng, N, T, D, H):
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    W_e = rng.standard_normal((H, D)) * 0.5
    W_h = rng.standard_normal((H, H)) * 0.5
    b = rng.standard_normal(H) * 0.1
    return x, h0, W_e, W_h, b


def torch_rnn_with(W_e, W_h, b, nonlinearity="tanh"):
    H, D = W_e.shape
    rnn = torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(W_e))
        rnn.weight_hh_l0.copy_(torch.tensor(W_h))
        rnn.bias_ih_l0.copy_(torch.tensor(b))
        rnn.bias_hh_l0.zero_()
    return rnn


# ---- one step ----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
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


def test_step_is_the_lecture_formula(rng):
    x, h_prev = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    W_e, W_h, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 4)), rng.standard_normal(4)
    h, _ = rnn_step_forward(x, h_prev, W_e, W_h, b)
    for n in range(2):  # one column vector at a time, as on the slide
        np.testing.assert_allclose(h[n], np.tanh(W_h @ h_prev[n] + W_e @ x[n] + b), rtol=1e-13)


# ---- over time -----------------------------------------------------------------------------


@pytest.mark.parametrize("N,T,D,H", SHAPES)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_forward_matches_torch_rnn(N, T, D, H, activation, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, N, T, D, H)
    hs, _ = rnn_forward(x, h0, W_e, W_h, b, activation)
    rnn = torch_rnn_with(W_e, W_h, b, activation)
    with torch.no_grad():
        hs_torch, h_last = rnn(torch.tensor(x), torch.tensor(h0)[None])
    assert hs.shape == (N, T, H)
    assert np.max(np.abs(hs - hs_torch.numpy())) <= 1e-10
    assert np.max(np.abs(hs[:, -1] - h_last[0].numpy())) <= 1e-10


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_forward_is_the_step_composed_over_time(activation, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, 3, 6, 4, 5)
    hs, _ = rnn_forward(x, h0, W_e, W_h, b, activation)
    h = h0
    for t in range(6):
        h, _ = rnn_step_forward(x[:, t], h, W_e, W_h, b, activation)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("N,T,D,H", SHAPES)
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
def test_bptt_matches_numerical_gradients(N, T, D, H, activation, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, N, T, D, H)
    dhs = rng.standard_normal((N, T, H))
    hs, cache = rnn_forward(x, h0, W_e, W_h, b, activation)
    grads = rnn_backward(dhs, cache)
    for name, value, grad in zip(["x", "h0", "W_e", "W_h", "b"], [x, h0, W_e, W_h, b], grads, strict=True):
        numeric = numerical_gradient(lambda _: rnn_forward(x, h0, W_e, W_h, b, activation)[0],
                                     value, df=dhs)
        assert grad.shape == value.shape
        assert rel_error(grad, numeric) < 1e-7, name


@pytest.mark.parametrize("N,T,D,H", SHAPES)
def test_bptt_matches_torch_autograd(N, T, D, H, rng):
    x, h0, W_e, W_h, b = random_rnn(rng, N, T, D, H)
    dhs = rng.standard_normal((N, T, H))
    _, cache = rnn_forward(x, h0, W_e, W_h, b)
    dx, dh0, dW_e, dW_h, db = rnn_backward(dhs, cache)
    rnn = torch_rnn_with(W_e, W_h, b)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    hs_torch, _ = rnn(xt, h0t)
    hs_torch.backward(torch.tensor(dhs))
    assert rel_error(dx, xt.grad.numpy()) < 1e-7
    assert rel_error(dh0, h0t.grad[0].numpy()) < 1e-7
    assert rel_error(dW_e, rnn.weight_ih_l0.grad.numpy()) < 1e-7
    assert rel_error(dW_h, rnn.weight_hh_l0.grad.numpy()) < 1e-7
    assert rel_error(db, rnn.bias_ih_l0.grad.numpy()) < 1e-7
    assert rel_error(db, rnn.bias_hh_l0.grad.numpy()) < 1e-7


def test_any_sequence_length_and_float32_stays_float32(rng):
    _, _, W_e, W_h, b = random_rnn(rng, 1, 1, 3, 4)
    for T in (1, 2, 17):
        x = rng.standard_normal((2, T, 3)).astype(np.float32)
        hs, cache = rnn_forward(x, np.zeros((2, 4), np.float32), *(a.astype(np.float32)
                                                                   for a in (W_e, W_h, b)))
        assert hs.shape == (2, T, 4) and hs.dtype == np.float32
        dx, dh0, dW_e, dW_h, db = rnn_backward(np.ones_like(hs), cache)
        assert dx.dtype == dW_h.dtype == np.float32


def test_truncated_bptt_carries_state(rng):
    """Two chunks with the state carried give the same hidden states as one long pass."""
    x, h0, W_e, W_h, b = random_rnn(rng, 2, 10, 3, 4)
    full, _ = rnn_forward(x, h0, W_e, W_h, b)
    first, _ = rnn_forward(x[:, :6], h0, W_e, W_h, b)
    second, _ = rnn_forward(x[:, 6:], first[:, -1], W_e, W_h, b)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), full, rtol=1e-13)


def test_bad_shapes_name_both(rng):
    x, h0, W_e, W_h, b = random_rnn(rng, 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 7\) but W_e has shape \(5, 4\)"):
        rnn_forward(rng.standard_normal((2, 3, 7)), h0, W_e, W_h, b)
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 5\)"):
        rnn_forward(x, rng.standard_normal((3, 5)), W_e, W_h, b)
    with pytest.raises(ValueError, match=r"W_h has shape \(4, 4\)"):
        rnn_forward(x, h0, W_e, W_h[:4, :4], b)
    with pytest.raises(ValueError, match=r"b has shape \(4,\)"):
        rnn_step_forward(x[:, 0], h0, W_e, W_h, b[:4])
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn_forward(x, h0, W_e, W_h, b, activation="softplus")
    _, cache = rnn_forward(x, h0, W_e, W_h, b)
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 3, 4\), expected \(2, 3, 5\)"):
        rnn_backward(np.zeros((2, 3, 4)), cache)


def test_param_count_does_not_depend_on_length():
    assert rnn_param_count(10, 20) == 20 * 10 + 20 * 20 + 20
    torch_count = sum(p.numel() for p in torch.nn.RNN(10, 20).parameters())
    assert torch_count - 20 == rnn_param_count(10, 20)  # torch keeps two bias vectors


# ---- the language model --------------------------------------------------------------------


def torch_rnn_lm_loss(params, inputs, targets, h0):
    """The same LM written with torch ops (for autograd)."""
    E = params["E"]
    U = params["U"] if "U" in params else E
    x = E[torch.tensor(inputs)]
    h = torch.tensor(h0)
    outputs = []
    for t in range(inputs.shape[1]):
        h = torch.tanh(h @ params["W_h"].T + x[:, t] @ params["W_e"].T + params["b"])
        outputs.append(h)
    logits = torch.stack(outputs, 1) @ U.T + params["c"]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, E.shape[0]),
                                             torch.tensor(targets).reshape(-1))


@pytest.mark.parametrize("tie", [False, True])
@pytest.mark.parametrize("N,T,V,D", [(1, 1, 5, 3), (3, 7, 11, 4), (4, 5, 9, 6)])
def test_rnn_lm_gradients_match_torch_and_numerical(tie, N, T, V, D, rng):
    H = D if tie else D + 2
    params = init_rnn_lm(V, D, H, tie_weights=tie, seed=int(rng.integers(1000)))
    # Unit-sized random values everywhere: tiny gradients would drown the numerical check in
    # round-off (central differences have an absolute error around 1e-11 here).
    params = {k: rng.standard_normal(v.shape) * 0.7 for k, v in params.items()}
    inputs, targets = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    h0 = rng.standard_normal((N, H)) * 0.5
    loss, cache, h_last = rnn_lm_forward(params, inputs, targets, h0)
    grads = rnn_lm_backward(cache)
    assert set(grads) == set(params)
    assert ("U" in params) != tie
    assert h_last.shape == (N, H)

    report = compare_with_torch(
        lambda p: torch_rnn_lm_loss(p, inputs, targets, h0), params, grads, tolerance=1e-7)
    assert report.ok, str(report)
    for name in params:
        numeric = numerical_gradient(lambda _: rnn_lm_forward(params, inputs, targets, h0)[0],
                                     params[name])
        assert rel_error(grads[name], numeric) < 1e-7, name
    with torch.no_grad():
        torch_loss = torch_rnn_lm_loss({k: torch.tensor(v) for k, v in params.items()},
                                       inputs, targets, h0)
    assert abs(loss - torch_loss.item()) < 1e-12


def test_rnn_lm_logits_step_and_forward_agree(rng):
    params = init_rnn_lm(13, 4, 6, seed=3)
    inputs = rng.integers(0, 13, (2, 5))
    logits, hs = rnn_lm_logits(params, inputs)
    h = np.zeros((2, 6))
    for t in range(5):
        step_logits, h = rnn_lm_step(params, inputs[:, t], h)
        np.testing.assert_allclose(step_logits, logits[:, t], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(h, hs[:, t], rtol=1e-12, atol=1e-13)
    targets = rng.integers(0, 13, (2, 5))
    loss, _, h_last = rnn_lm_forward(params, inputs, targets)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_probs, targets[..., None], -1).mean()
    assert abs(loss - expected) < 1e-12
    np.testing.assert_allclose(h_last, hs[:, -1])


def test_untrained_lm_predicts_nearly_uniform():
    params = init_rnn_lm(50, 8, 16, seed=0)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, (4, 20))
    loss, _, _ = rnn_lm_forward(params, ids, ids)
    assert abs(loss - np.log(50)) < 0.1


def test_rnn_lm_param_count_matches_dict_and_torch():
    for tie in (False, True):
        params = init_rnn_lm(30, 8, 8, tie_weights=tie)
        count = sum(v.size for v in params.values())
        assert rnn_lm_param_count(30, 8, 8, tie_weights=tie) == count
    untied, tied = rnn_lm_param_count(30, 8, 8), rnn_lm_param_count(30, 8, 8, True)
    assert untied - tied == 30 * 8
    embedding, rnn, linear = torch.nn.Embedding(30, 8), torch.nn.RNN(8, 12), torch.nn.Linear(12, 30)
    torch_count = sum(p.numel() for m in (embedding, rnn, linear) for p in m.parameters())
    assert torch_count - 12 == rnn_lm_param_count(30, 8, 12)


def test_rnn_lm_rejects_bad_input():
    params = init_rnn_lm(10, 4, 5)
    with pytest.raises(ValueError, match="embed_dim == hidden_dim"):
        init_rnn_lm(10, 4, 5, tie_weights=True)
    with pytest.raises(ValueError, match="vocab_size must be a positive integer"):
        init_rnn_lm(0, 4, 5)
    with pytest.raises(ValueError, match=r"must lie in 0..9"):
        rnn_lm_forward(params, np.array([[1, 10]]), np.array([[1, 2]]))
    with pytest.raises(ValueError, match=r"inputs have shape \(1, 2\) but targets \(1, 3\)"):
        rnn_lm_forward(params, np.array([[1, 2]]), np.array([[1, 2, 3]]))
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 5\), expected \(1, 5\)"):
        rnn_lm_forward(params, np.array([[1, 2]]), np.array([[1, 2]]), np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"shape \(N, T\)"):
        rnn_lm_forward(params, np.array([1, 2]), np.array([1, 2]))


def test_rnn_lm_evaluate_scores_every_token_once(rng):
    params = init_rnn_lm(7, 3, 4, seed=1)
    ids = rng.integers(0, 7, 53)
    # One stream, one chunk: the mean NLL of ids[1:] given ids[:-1] from zero state.
    loss, _, _ = rnn_lm_forward(params, ids[None, :-1], ids[None, 1:])
    assert abs(rnn_lm_evaluate(params, ids, batch_size=1, seq_len=1000) - loss) < 1e-12
    # Chunked with carried state: the same number.
    assert abs(rnn_lm_evaluate(params, ids, batch_size=1, seq_len=7) - loss) < 1e-12
    # Several streams (each starts fresh): close, and finite.
    several = rnn_lm_evaluate(params, ids, batch_size=4, seq_len=5)
    assert np.isfinite(several) and abs(several - loss) < 0.2


def test_training_reduces_loss_with_every_optimiser():
    rng = np.random.default_rng(0)
    ids = np.tile(np.array([1, 2, 3, 4, 5, 6]), 20)  # a periodic text an RNN can learn exactly
    inputs, targets = ids[None, :-1], ids[None, 1:]
    for make, step, lr in [(None, optim.sgd_step, 1.0), (optim.init_adagrad, optim.adagrad_step, 0.1),
                           (optim.init_adam, optim.adam_step, 0.05)]:
        params = init_rnn_lm(8, 6, 10, seed=int(rng.integers(100)))
        state = make(params) if make else None
        first = rnn_lm_forward(params, inputs, targets)[0]
        for _ in range(60):
            loss, cache, _ = rnn_lm_forward(params, inputs, targets)
            grads, _ = optim.clip_grad_norm(rnn_lm_backward(cache), 5.0)
            if state is None:
                step(params, grads, lr)
            else:
                step(params, grads, state, lr=lr)
        assert loss < 0.3 * first, step.__name__


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


def test_sgd_step_in_place(rng):
    params = {"w": np.ones(3)}
    same = params["w"]
    optim.sgd_step(params, {"w": np.array([1.0, 2.0, 3.0])}, lr=0.5)
    np.testing.assert_allclose(same, [0.5, 0.0, -0.5])


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


# ---- sampling and perplexity ---------------------------------------------------------------


def test_temperature_sharpens_and_flattens():
    from course_utils.nn.sampling import softmax_with_temperature

    logits = np.array([2.0, 1.0, 0.0])
    cold, warm, hot = (softmax_with_temperature(logits, t) for t in (0.5, 1.0, 3.0))
    assert cold[0] > warm[0] > hot[0] > 1 / 3
    np.testing.assert_allclose(warm, torch.softmax(torch.tensor(logits), 0).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(softmax_with_temperature(logits, 0), [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="temperature must be a number >= 0"):
        softmax_with_temperature(logits, -1)


def test_sample_token_frequencies_follow_the_softmax():
    from course_utils.nn.sampling import sample_token

    rng = np.random.default_rng(0)
    logits = np.log(np.array([0.6, 0.3, 0.1]))
    draws = np.bincount([sample_token(logits, 1.0, rng) for _ in range(4000)], minlength=3) / 4000
    np.testing.assert_allclose(draws, [0.6, 0.3, 0.1], atol=0.03)
    assert sample_token(logits, 0) == 0
    with pytest.raises(ValueError, match="pass rng"):
        sample_token(logits, 1.0)


def test_generate_stops_at_eos_or_cap_and_is_seeded():
    from course_utils.nn.sampling import generate

    V, eos = 5, 2
    reads = []

    def step(token, count):  # a toy model: after token k predicts k + 1 (mod V), strongly
        reads.append(token)
        logits = np.full(V, -10.0)
        logits[(token + 1) % V] = 10.0
        return logits, count + 1

    assert generate(step, 0, [1], eos_id=eos, max_len=10, temperature=0) == [2]
    assert reads == [1]  # the <eos> is not fed back
    assert generate(step, 0, [3], eos_id=eos, max_len=10, temperature=0) == [4, 0, 1, 2]
    assert generate(step, 0, [3], eos_id=eos, max_len=2, temperature=0) == [4, 0]
    assert generate(step, 0, [3], eos_id=eos, max_len=0) == []

    params = init_rnn_lm(12, 4, 6, seed=0)
    from course_utils.nn.rnn_lm import rnn_lm_generate

    first = rnn_lm_generate(params, [1], eos_id=2, max_len=30, temperature=1.0, seed=5)
    again = rnn_lm_generate(params, [1], eos_id=2, max_len=30, temperature=1.0, seed=5)
    other = rnn_lm_generate(params, [1], eos_id=2, max_len=30, temperature=1.0, seed=6)
    assert first == again and first != other
    assert len(first) == 30 or first[-1] == 2
    assert 2 not in first[:-1]
    greedy = rnn_lm_generate(params, [1, 5, 7], eos_id=2, max_len=20, temperature=0)
    # greedy = the argmax of the model's own logits at every step
    h = np.zeros((1, 6))
    for token in [1, 5, 7]:
        logits, h = rnn_lm_step(params, [token], h)
    for token in greedy:
        assert token == int(np.argmax(logits[0]))
        logits, h = rnn_lm_step(params, [token], h)


def test_perplexity_and_bits():
    from course_utils.nn.perplexity import bits_per_token, mean_nll, perplexity

    assert abs(perplexity(np.log(50)) - 50) < 1e-9  # uniform over 50 tokens
    assert abs(bits_per_token(np.log(2)) - 1.0) < 1e-12
    assert abs(mean_nll([0.5, 0.25]) - (np.log(2) + np.log(4)) / 2) < 1e-12
    with pytest.raises(ValueError, match="zero probability means infinite perplexity"):
        mean_nll([0.5, 0.0])
    with pytest.raises(ValueError, match="finite and >= 0"):
        perplexity(float("nan"))


# ---- the min-char-rnn baseline of bench/figures_rnn_lm.py is the same model -------------------


def test_min_char_rnn_baseline_matches_the_course_rnn_lm(rng):
    """Karpathy's lossFun (summed loss, one-hot inputs, column vectors) equals rnn_lm_forward /
    rnn_lm_backward (mean loss) on the same weights, so the bench compares recipes, not models."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("figures_rnn_lm", ROOT / "bench" / "figures_rnn_lm.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    V, H, T = 7, 5, 6
    Wxh, Whh, Why = (rng.standard_normal(s) * 0.3 for s in ((H, V), (H, H), (V, H)))
    bh, by = rng.standard_normal((H, 1)) * 0.1, rng.standard_normal((V, 1)) * 0.1
    inputs, targets = list(rng.integers(0, V, T)), list(rng.integers(0, V, T))
    hprev = rng.standard_normal((H, 1)) * 0.5
    loss, dWxh, dWhh, dWhy, dbh, dby, h_last = bench.min_char_rnn_loss(inputs, targets, hprev, Wxh, Whh, Why,
                                                                       bh, by)
    params = {"E": Wxh.T.copy(), "W_e": np.eye(H), "W_h": Whh, "b": bh[:, 0], "U": Why, "c": by[:, 0]}
    mean_loss, cache, course_h = rnn_lm_forward(params, np.array([inputs]), np.array([targets]), hprev.T)
    grads = rnn_lm_backward(cache)
    assert abs(loss / T - mean_loss) < 1e-12
    np.testing.assert_allclose(course_h[0], h_last[:, 0], rtol=1e-12)
    for mine, theirs in [(grads["E"], dWxh.T), (grads["W_h"], dWhh), (grads["b"], dbh[:, 0]),
                         (grads["U"], dWhy), (grads["c"], dby[:, 0])]:
        assert np.abs(theirs).max() < 5  # not clipped here
        assert rel_error(mine * T, theirs) < 1e-10
