"""The language model for every cell of CELLS vs torch and numerical gradients (float64), its
evaluation protocol against a plain reference, the sampler, generation and scheduled sampling."""

import numpy as np
import pytest
import torch

from course_utils.gradcheck import compare_with_torch, rel_error, torch_recurrent, torch_weights
from course_utils.nn import optim
from course_utils.nn.language_model import (
    CELLS,
    init_lm,
    lm_backward,
    lm_evaluate,
    lm_forward,
    lm_generate,
    lm_logits,
    lm_param_count,
    lm_step,
)
from course_utils.nn.lstm import init_lstm
from course_utils.nn.sampling import generate, sample, softmax_with_temperature
from course_utils.nn.scheduled_sampling import (
    free_running_gap,
    linear_sampling_schedule,
    scheduled_sampling_inputs,
    scheduled_sampling_step,
)

from conftest import ROOT, precise_numerical_gradient

CELL_NAMES = ["rnn", "lstm"]


def parts(state):
    """A state's arrays: (h,) or (h, c)."""
    return (state,) if isinstance(state, np.ndarray) else tuple(state)


def random_state(cell, rng, N, H):
    return rng.standard_normal((N, H)) * 0.5 if cell == "rnn" else tuple(rng.standard_normal((2, N, H)) * 0.5)


def torch_lm_loss(cell, tensors, inputs, targets, state):
    """The same LM written with torch: our weights in torch.nn.RNN / LSTM, embedding and output
    layer by hand."""
    E = tensors["E"]
    U = tensors["U"] if "U" in tensors else E
    module = torch_recurrent(cell, {k: tensors[k].detach().numpy() for k in ("W_e", "W_h", "b")})
    state0 = tuple(torch.tensor(part)[None] for part in parts(state))    # (1, N, H) each
    out, _ = torch.func.functional_call(module, torch_weights(tensors),
                                        (E[torch.tensor(inputs)], state0[0] if cell == "rnn" else state0))
    logits = out @ U.T + tensors["c"]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, E.shape[0]),
                                             torch.tensor(targets).reshape(-1))


# ---- the table of cells and the initialisation ----------------------------------------------


def test_the_table_names_each_cells_functions_and_holds_no_gru():
    keys = {"init", "state", "step_forward", "step_backward", "forward", "backward", "fast_forward",
            "fast_backward", "param_count"}
    assert set(CELLS) == {"rnn", "lstm"}  # the GRU is ps4's exercise: never in course_utils
    for cell in CELLS.values():
        assert set(cell) == keys


def test_init_draws_what_the_lessons_were_pinned_with():
    """Same seed, same arrays: the RNN's weights continue the model's generator after E, the
    LSTM's come from init_lstm(seed + 1); U is drawn last."""
    V, D, H, seed = 11, 4, 6, 7
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((V, D))
    W_e, W_h = rng.standard_normal((H, D)) / np.sqrt(D), rng.standard_normal((H, H)) / np.sqrt(H)
    U = rng.standard_normal((V, H)) / np.sqrt(H) * 0.1
    expected = {"E": E, "W_e": W_e, "W_h": W_h, "b": np.zeros(H), "U": U, "c": np.zeros(V)}
    params = init_lm("rnn", V, D, H, seed=seed)
    assert list(params) == list(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(params[name], value)

    rng = np.random.default_rng(seed)
    E = rng.standard_normal((V, D))
    expected = {"E": E, **init_lstm(D, H, forget_bias=2.0, seed=seed + 1),
                "U": rng.standard_normal((V, H)) / np.sqrt(H) * 0.1, "c": np.zeros(V)}
    params = init_lm("lstm", V, D, H, seed=seed, forget_bias=2.0, dtype=np.float32)
    assert list(params) == list(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(params[name], value.astype(np.float32))
    tied = init_lm("lstm", V, H, H, tie_weights=True, seed=seed)
    E_tied = np.random.default_rng(seed).standard_normal((V, H)) * (1 / np.sqrt(H))  # N(0, 1/D)
    np.testing.assert_array_equal(tied["E"], E_tied)
    assert "U" not in tied


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_param_count_matches_the_dict_and_torch(cell):
    for tie in (False, True):
        params = init_lm(cell, 30, 8, 8, tie_weights=tie)
        assert lm_param_count(cell, 30, 8, 8, tie_weights=tie) == sum(v.size for v in params.values())
    assert lm_param_count(cell, 30, 8, 8) - lm_param_count(cell, 30, 8, 8, True) == 30 * 8
    module = (torch.nn.RNN if cell == "rnn" else torch.nn.LSTM)(8, 12)
    rows = 12 if cell == "rnn" else 48
    torch_count = (sum(p.numel() for m in (torch.nn.Embedding(30, 8), module, torch.nn.Linear(12, 30))
                       for p in m.parameters()) - rows)  # torch keeps two bias vectors
    assert lm_param_count(cell, 30, 8, 12) == torch_count


# ---- forward and backward -------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELL_NAMES)
@pytest.mark.parametrize("tie", [False, True])
@pytest.mark.parametrize("N,T,V,D", [(1, 1, 5, 3), (3, 7, 11, 4), (4, 5, 9, 6)])
def test_gradients_match_torch_and_numerical(cell, tie, N, T, V, D, rng):
    H = D if tie else D + 2
    params = init_lm(cell, V, D, H, tie_weights=tie, seed=int(rng.integers(1000)))
    # Unit-sized random values everywhere: tiny gradients would drown the numerical check in
    # round-off (central differences have an absolute error around 1e-11 here).
    params = {k: rng.standard_normal(v.shape) * 0.7 for k, v in params.items()}
    inputs, targets = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    state = random_state(cell, rng, N, H)
    loss, cache, state_last = lm_forward(params, inputs, targets, cell=cell, state=state)
    grads = lm_backward(cache)
    assert set(grads) == set(params) and ("U" in params) != tie
    report = compare_with_torch(lambda t: torch_lm_loss(cell, t, inputs, targets, state), params, grads)
    assert report.ok, str(report)
    for name in params:
        numeric = precise_numerical_gradient(
            lambda _: lm_forward(params, inputs, targets, cell=cell, state=state)[0], params[name])
        assert rel_error(grads[name], numeric) < 1e-7, name
    with torch.no_grad():
        tensors = {k: torch.tensor(v) for k, v in params.items()}
        torch_loss = torch_lm_loss(cell, tensors, inputs, targets, state)
    assert abs(loss - torch_loss.item()) < 1e-12


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_logits_step_and_forward_agree_and_the_state_carries_over(cell, rng):
    V, D, H, N, T = 13, 4, 6, 2, 5
    params = init_lm(cell, V, D, H, seed=3)
    inputs, targets = rng.integers(0, V, (N, T + 3)), rng.integers(0, V, (N, T + 3))
    logits, hs, state_last = lm_logits(params, inputs[:, :T], cell=cell)
    loss, _, forward_last = lm_forward(params, inputs[:, :T], targets[:, :T], cell=cell)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    assert loss == pytest.approx(-np.take_along_axis(log_probs, targets[:, :T, None], -1).mean(), rel=1e-12)
    for ours, theirs in zip(parts(state_last), parts(forward_last), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(parts(state_last)[0], hs[:, -1])
    state = None
    for t in range(T):
        step_logits, state = lm_step(params, inputs[:, t], state, cell=cell)
        np.testing.assert_allclose(step_logits, logits[:, t], rtol=1e-12, atol=1e-13)
    # truncated BPTT: the next chunk from the carried state = the same steps of one long pass
    whole = lm_logits(params, inputs, cell=cell)[0]
    np.testing.assert_allclose(lm_logits(params, inputs[:, T:], cell=cell, state=forward_last)[0],
                               whole[:, T:], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_untrained_lm_predicts_nearly_uniform(cell):
    params = init_lm(cell, 50, 8, 16, seed=0)
    ids = np.random.default_rng(0).integers(0, 50, (4, 20))
    loss, _, _ = lm_forward(params, ids, ids, cell=cell)
    assert abs(loss - np.log(50)) < 0.1


def test_bad_input_names_the_argument():
    params = init_lm("rnn", 10, 4, 5)
    with pytest.raises(ValueError, match="embed_dim == hidden_dim"):
        init_lm("rnn", 10, 4, 5, tie_weights=True)
    with pytest.raises(ValueError, match="vocab_size must be a positive integer"):
        init_lm("rnn", 0, 4, 5)
    with pytest.raises(ValueError, match=r"cell must be one of \('rnn', 'lstm'\), got 'gru'"):
        init_lm("gru", 10, 4, 5)
    with pytest.raises(ValueError, match="forget_bias belongs to the LSTM"):
        init_lm("rnn", 10, 4, 5, forget_bias=1.0)
    with pytest.raises(TypeError, match="cell"):
        lm_forward(params, np.array([[1, 2]]), np.array([[1, 2]]))  # the cell is never guessed
    with pytest.raises(ValueError, match=r"must lie in 0..9"):
        lm_forward(params, np.array([[1, 10]]), np.array([[1, 2]]), cell="rnn")
    with pytest.raises(ValueError, match=r"inputs have shape \(1, 2\) but targets \(1, 3\)"):
        lm_forward(params, np.array([[1, 2]]), np.array([[1, 2, 3]]), cell="rnn")
    with pytest.raises(ValueError, match=r"state's h has shape \(2, 5\), expected \(1, 5\)"):
        lm_forward(params, np.array([[1, 2]]), np.array([[1, 2]]), cell="rnn", state=np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"shape \(N, T\)"):
        lm_forward(params, np.array([1, 2]), np.array([1, 2]), cell="rnn")
    lstm = init_lm("lstm", 5, 3, 4)
    with pytest.raises(TypeError, match=r"state must be None or a pair"):
        lm_forward(lstm, np.array([[0, 1]]), np.array([[0, 1]]), cell="lstm", state=np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"state's c has shape \(2, 4\), expected \(1, 4\)"):
        lm_forward(lstm, np.array([[0, 1]]), np.array([[0, 1]]), cell="lstm",
                   state=(np.zeros((1, 4)), np.zeros((2, 4))))


# ---- evaluation: several streams, chunks, carried state -------------------------------------


def streamwise_nll(params, ids, cell, batch_size):
    """The protocol written plainly: each stream scored by one long unbatched pass from a zero
    state; the tail that does not fill the streams continues the last stream."""
    inputs, targets = ids[:-1], ids[1:]
    batch_size = max(1, min(batch_size, len(inputs)))
    length = len(inputs) // batch_size
    total, state = 0.0, None
    for stream in range(batch_size):
        rows = slice(stream * length, (stream + 1) * length)
        loss, _, state = lm_forward(params, inputs[None, rows], targets[None, rows], cell=cell)
        total += loss * length
    tail = slice(batch_size * length, None)
    if len(inputs[tail]):
        loss, _, _ = lm_forward(params, inputs[None, tail], targets[None, tail], cell=cell, state=state)
        total += loss * len(inputs[tail])
    return total / len(inputs)


@pytest.mark.parametrize("cell", CELL_NAMES)
@pytest.mark.parametrize("batch_size,seq_len", [(1, 1000), (1, 7), (4, 5), (5, 100), (16, 3), (200, 9)])
def test_evaluate_scores_every_token_once_as_a_plain_pass_does(cell, batch_size, seq_len, rng):
    params = init_lm(cell, 7, 3, 4, seed=1)
    ids = rng.integers(0, 7, 53)   # 52 predictions: streams of 52 // batch_size, and a tail
    assert lm_evaluate(params, ids, cell=cell, batch_size=batch_size, seq_len=seq_len) == pytest.approx(
        streamwise_nll(params, ids, cell, batch_size), rel=1e-12)
    with pytest.raises(ValueError, match="ids must be a 1-D sequence of >= 2 ids"):
        lm_evaluate(params, ids[:1], cell=cell)


# ---- training -------------------------------------------------------------------------------


def test_training_reduces_loss_with_every_optimiser():
    rng = np.random.default_rng(0)
    ids = np.tile(np.array([1, 2, 3, 4, 5, 6]), 20)  # a periodic text an RNN can learn exactly
    inputs, targets = ids[None, :-1], ids[None, 1:]
    for make, step, lr in [(None, optim.sgd_step, 1.0), (optim.init_adagrad, optim.adagrad_step, 0.1),
                           (optim.init_adam, optim.adam_step, 0.05)]:
        params = init_lm("rnn", 8, 6, 10, seed=int(rng.integers(100)))
        state = make(params) if make else None
        first = lm_forward(params, inputs, targets, cell="rnn")[0]
        for _ in range(60):
            loss, cache, _ = lm_forward(params, inputs, targets, cell="rnn")
            grads, _ = optim.clip_grad_norm(lm_backward(cache), 5.0)
            if state is None:
                step(params, grads, lr)
            else:
                step(params, grads, state, lr=lr)
        assert loss < 0.3 * first, step.__name__


def test_lstm_lm_learns_a_repeating_text():
    ids = np.tile(np.arange(5), 40)
    params = init_lm("lstm", 5, 4, 8, seed=0)
    state = optim.init_adam(params)
    first = lm_evaluate(params, ids, cell="lstm")
    for step in range(60):
        window = ids[(step * 7) % 150:(step * 7) % 150 + 21]
        _, cache, _ = lm_forward(params, window[None, :-1], window[None, 1:], cell="lstm")
        optim.adam_step(params, lm_backward(cache), state, lr=3e-2)
    assert first > 1.5 and lm_evaluate(params, ids, cell="lstm") < 0.2


def test_min_char_rnn_baseline_matches_the_course_rnn_lm(rng):
    """Karpathy's lossFun (summed loss, one-hot inputs, column vectors) equals lm_forward /
    lm_backward (mean loss) on the same weights, so the bench compares recipes, not models."""
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
    mean_loss, cache, course_h = lm_forward(params, np.array([inputs]), np.array([targets]), cell="rnn",
                                            state=hprev.T)
    grads = lm_backward(cache)
    assert abs(loss / T - mean_loss) < 1e-12
    np.testing.assert_allclose(course_h[0], h_last[:, 0], rtol=1e-12)
    for mine, theirs in [(grads["E"], dWxh.T), (grads["W_h"], dWhh), (grads["b"], dbh[:, 0]),
                         (grads["U"], dWhy), (grads["c"], dby[:, 0])]:
        assert np.abs(theirs).max() < 5  # not clipped here
        assert rel_error(mine * T, theirs) < 1e-10


# ---- the sampler and generation -------------------------------------------------------------


def test_temperature_sharpens_and_flattens():
    logits = np.array([2.0, 1.0, 0.0])
    cold, warm, hot = (softmax_with_temperature(logits, t) for t in (0.5, 1.0, 3.0))
    assert cold[0] > warm[0] > hot[0] > 1 / 3
    np.testing.assert_allclose(warm, torch.softmax(torch.tensor(logits), 0).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(softmax_with_temperature(logits, 0), [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="temperature must be a number >= 0"):
        softmax_with_temperature(logits, -1)


def nucleus(probs, p):
    """By the definition: the fewest most probable tokens whose probability reaches p."""
    order = np.argsort(-probs, kind="stable")
    reached = np.cumsum(probs[order]) >= p
    k = int(np.argmax(reached)) + 1 if reached.any() else len(probs)  # p = 1 may round below the sum
    kept = np.zeros_like(probs)
    kept[order[:k]] = probs[order[:k]]
    return kept / kept.sum()


@pytest.mark.parametrize("temperature,top_k,top_p", [(1.0, None, None), (0.7, None, None), (1.3, 3, None),
                                                     (1.0, None, 0.8), (0.9, 4, 0.5), (1.0, None, 1.0)])
def test_sample_draws_what_rng_choice_draws_from_the_filtered_distribution(temperature, top_k, top_p):
    """Seeded, so exact: every row's draw equals numpy's own rng.choice on the distribution the
    filters define, consuming one uniform number per row from the same generator."""
    logits = np.random.default_rng(0).standard_normal((40, 9)) * 2
    for seed in range(25):
        drawn = sample(logits, temperature, top_k, top_p, rng=np.random.default_rng(seed))
        rng = np.random.default_rng(seed)
        for row, token in zip(logits, drawn, strict=True):
            probs = softmax_with_temperature(row, temperature)
            if top_k is not None:
                probs = np.where(probs >= np.sort(probs)[-top_k], probs, 0.0) / np.sort(probs)[-top_k:].sum()
            if top_p is not None:
                probs = nucleus(probs, top_p)
            assert token == rng.choice(len(probs), p=probs)
    one_row = sample(logits[0], temperature, top_k, top_p, rng=np.random.default_rng(7))
    assert one_row == sample(logits, temperature, top_k, top_p, rng=np.random.default_rng(7))[0]


def test_sample_frequencies_follow_the_softmax_and_greedy_needs_no_rng():
    logits = np.log(np.array([0.6, 0.3, 0.1]))
    draws = sample(np.tile(logits, (4000, 1)), 1.0, rng=np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 4000, [0.6, 0.3, 0.1], atol=0.03)
    one = sample(logits, 1.0, rng=np.random.default_rng(0))
    assert isinstance(one, int) and one == draws[0]            # a row alone draws the same
    assert sample(logits, 0) == 0 and list(sample(np.stack([logits, -logits]), 0)) == [0, 2]
    assert set(sample(np.tile(logits, (300, 1)), 1.0, top_k=2, rng=np.random.default_rng(1))) == {0, 1}
    with pytest.raises(ValueError, match="pass rng"):
        sample(logits, 1.0)
    with pytest.raises(ValueError, match="top_p must be a probability in \\(0, 1\\]"):
        sample(logits, 1.0, top_p=0.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        sample(logits, 1.0, top_k=0, rng=np.random.default_rng(0))


def test_generate_stops_at_eos_or_cap_and_is_seeded():
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


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_lm_generate_is_seeded_and_greedy_follows_the_argmax(cell):
    params = init_lm(cell, 12, 4, 6, seed=0)
    first = lm_generate(params, [1], 2, cell=cell, max_len=30, temperature=1.0, seed=5)
    assert first == lm_generate(params, [1], 2, cell=cell, max_len=30, temperature=1.0, seed=5)
    assert first != lm_generate(params, [1], 2, cell=cell, max_len=30, temperature=1.0, seed=6)
    assert len(first) == 30 or first[-1] == 2
    assert 2 not in first[:-1]
    greedy = lm_generate(params, [1, 5, 7], 2, cell=cell, max_len=20, temperature=0)
    assert lm_generate(params, [1, 5, 7], 2, cell=cell, max_len=20, top_k=1, seed=9) == greedy
    state = None
    for token in [1, 5, 7]:
        logits, state = lm_step(params, [token], state, cell=cell)
    for token in greedy:
        assert token == int(np.argmax(logits[0]))
        logits, state = lm_step(params, [token], state, cell=cell)


# ---- scheduled sampling ---------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_scheduled_sampling_with_p0_is_teacher_forcing(cell, rng):
    params = init_lm(cell, 7, 4, 5, seed=1)
    inputs, targets = rng.integers(0, 7, (3, 6)), rng.integers(0, 7, (3, 6))
    loss, grads, _, mixed = scheduled_sampling_step(params, inputs, targets, 0.0, np.random.default_rng(0),
                                                    cell=cell)
    np.testing.assert_array_equal(mixed, inputs)
    ref_loss, cache, _ = lm_forward(params, inputs, targets, cell=cell)
    assert loss == ref_loss
    for name, grad in lm_backward(cache).items():
        np.testing.assert_array_equal(grads[name], grad)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_scheduled_sampling_feeds_the_models_own_predictions(cell, rng):
    params = init_lm(cell, 9, 4, 6, seed=2)
    params["U"] *= 30  # confident predictions, so that greedy choices are clear-cut
    inputs = rng.integers(0, 9, (4, 8))
    mixed = scheduled_sampling_inputs(params, inputs, 1.0, np.random.default_rng(0), cell=cell, greedy=True)
    np.testing.assert_array_equal(mixed[:, 0], inputs[:, 0])
    state = None
    for t in range(7):  # p = 1: every input after the first is the argmax of the step before
        logits, state = lm_step(params, mixed[:, t], state, cell=cell)
        np.testing.assert_array_equal(mixed[:, t + 1], logits.argmax(axis=1))
    # p = 0.3, sampling: the replacements are the sampler's draws from the model's softmax,
    # with the same generator in the same order
    big = rng.integers(0, 9, (40, 12))
    sampled = scheduled_sampling_inputs(params, big, 0.3, np.random.default_rng(1), cell=cell)
    generator, expected, state = np.random.default_rng(1), big.copy(), None
    for t in range(11):
        logits, state = lm_step(params, expected[:, t], state, cell=cell)
        own = generator.random(40) < 0.3
        if own.any():
            expected[own, t + 1] = sample(logits[own], 1.0, rng=generator)
    np.testing.assert_array_equal(sampled, expected)
    assert 0 < np.mean(sampled[:, 1:] != big[:, 1:]) < 0.35
    # the gradients are the teacher-forced ones on the mixed inputs, targets unchanged
    targets = rng.integers(0, 9, (4, 8))
    _, grads, _, mixed = scheduled_sampling_step(params, inputs, targets, 0.5, np.random.default_rng(3),
                                                 cell=cell)
    for name, grad in lm_backward(lm_forward(params, mixed, targets, cell=cell)[1]).items():
        np.testing.assert_array_equal(grads[name], grad)


def test_sampling_schedule_and_bad_arguments():
    assert linear_sampling_schedule(0, 100, 0.25) == 0.0
    assert linear_sampling_schedule(24, 100, 0.25) == 0.0
    assert linear_sampling_schedule(99, 100, 0.25) == pytest.approx(0.25)
    values = [linear_sampling_schedule(s, 100, 0.25) for s in range(100)]
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))
    params = init_lm("lstm", 5, 3, 4)
    with pytest.raises(ValueError, match=r"sampling_prob must be in \[0, 1\], got 1.5"):
        scheduled_sampling_inputs(params, np.zeros((1, 3), dtype=int), 1.5, np.random.default_rng(0),
                                  cell="lstm")
    with pytest.raises(ValueError, match="total_steps must be >= 1"):
        linear_sampling_schedule(0, 0, 0.2)


def test_free_running_gap_starts_at_zero_and_closes_once_the_model_has_learned_the_text():
    ids = np.tile(np.arange(6), 30)
    params = init_lm("lstm", 6, 4, 8, seed=0)
    gap = free_running_gap(params, ids, prefix_len=5, steps=6, num_windows=50, cell="lstm", seed=0)
    assert set(gap) == {"nll_teacher", "nll_free", "acc_teacher", "acc_free"}
    assert gap["nll_teacher"][0] == gap["nll_free"][0]    # same true input at the first step
    state = optim.init_adam(params)
    for step in range(60):
        window = ids[(step * 7) % 150:(step * 7) % 150 + 21]
        _, cache, _ = lm_forward(params, window[None, :-1], window[None, 1:], cell="lstm")
        optim.adam_step(params, lm_backward(cache), state, lr=3e-2)
    gap = free_running_gap(params, ids, prefix_len=5, steps=6, num_windows=50, cell="lstm", seed=0)
    # trained on the repeating text, the model is right with either history: no gap left
    assert np.all(gap["acc_teacher"] == 1) and np.all(gap["acc_free"] == 1)
    np.testing.assert_allclose(gap["nll_free"], gap["nll_teacher"], atol=1e-12)
    with pytest.raises(ValueError, match="at least prefix_len"):
        free_running_gap(params, ids[:8], prefix_len=5, steps=6, num_windows=3, cell="lstm")
