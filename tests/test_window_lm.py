"""The fixed-window neural LM vs torch and numerical gradients; the count-based baselines;
lesson 03's exercises (each solution passes its check, each stub fails it)."""


import numpy as np
import pytest
import torch

from course_utils.data import Vocab
from course_utils.gradcheck import compare_with_torch, numerical_gradient, rel_error
from course_utils.lm import (
    documents_to_ids,
    fit_backoff,
    fit_kneser_ney,
    ngram_table_size,
    ngrams,
    unseen_ngram_share,
)
from course_utils.nn.window_lm import (
    init_window_lm,
    window_lm_backward,
    window_lm_evaluate,
    window_lm_forward,
    window_lm_logits,
    window_lm_param_count,
)


def torch_window_loss(p, contexts, targets):
    B, n = contexts.shape
    x = p["E"][torch.tensor(contexts)].reshape(B, -1)
    h = torch.tanh(x @ p["W"].T + p["b"])
    logits = h @ p["U"].T + p["c"]
    return torch.nn.functional.cross_entropy(logits, torch.tensor(targets))


@pytest.mark.parametrize("B,n,V,D,H", [(1, 1, 3, 1, 1), (6, 3, 11, 4, 5), (9, 2, 7, 3, 8)])
def test_window_lm_gradients_match_torch_and_numerical(B, n, V, D, H, rng):
    params = init_window_lm(V, n, D, H, seed=int(rng.integers(100)))
    params = {k: rng.standard_normal(v.shape) * 0.7 for k, v in params.items()}
    contexts, targets = rng.integers(0, V, (B, n)), rng.integers(0, V, B)
    loss, cache = window_lm_forward(params, contexts, targets)
    grads = window_lm_backward(cache)
    assert set(grads) == set(params)
    report = compare_with_torch(lambda p: torch_window_loss(p, contexts, targets), params, grads)
    assert report.ok, str(report)
    for name in params:
        numeric = numerical_gradient(lambda _: window_lm_forward(params, contexts, targets)[0],
                                     params[name])
        assert rel_error(grads[name], numeric) < 1e-7, name
    with torch.no_grad():
        expected = torch_window_loss({k: torch.tensor(v) for k, v in params.items()}, contexts, targets)
    assert abs(loss - expected.item()) < 1e-12


def test_window_lm_logits_and_evaluate_agree_with_forward(rng):
    params = init_window_lm(13, 3, 4, 6, seed=2)
    contexts, targets = rng.integers(0, 13, (50, 3)), rng.integers(0, 13, 50)
    loss, _ = window_lm_forward(params, contexts, targets)
    assert abs(window_lm_evaluate(params, contexts, targets, batch_size=7) - loss) < 1e-12
    logits = window_lm_logits(params, contexts)
    assert logits.shape == (50, 13)
    # The order of the context matters: each position has its own block of W.
    swapped = window_lm_logits(params, contexts[:, ::-1])
    assert not np.allclose(logits, swapped)


def test_untrained_window_lm_is_nearly_uniform_and_all_words_get_probability(rng):
    params = init_window_lm(40, 2, 5, 7)
    contexts = rng.integers(0, 40, (30, 2))
    loss, _ = window_lm_forward(params, contexts, rng.integers(0, 40, 30))
    assert abs(loss - np.log(40)) < 0.1
    probs = np.exp(window_lm_logits(params, contexts))
    assert np.all(probs > 0)


def test_window_lm_param_count():
    for n in (1, 4):
        params = init_window_lm(30, n, 6, 10)
        assert window_lm_param_count(30, n, 6, 10) == sum(v.size for v in params.values())
    # Only W grows with the window: H·D more parameters per extra position.
    assert window_lm_param_count(30, 5, 6, 10) - window_lm_param_count(30, 4, 6, 10) == 60


def test_window_lm_rejects_bad_input(rng):
    params = init_window_lm(10, 3, 4, 5)
    with pytest.raises(ValueError, match=r"contexts must have shape \(B, n\) = \(B, 3\).*got shape \(4, 2\)"):
        window_lm_forward(params, np.zeros((4, 2), int), np.zeros(4, int))
    with pytest.raises(ValueError, match=r"expected targets of shape \(4,\)"):
        window_lm_forward(params, np.zeros((4, 3), int), np.zeros(5, int))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        init_window_lm(10, 0, 4, 5)


# ---- count-based baselines -----------------------------------------------------------------


def test_documents_to_ids_and_ngrams():
    vocab = Vocab.build(["the", "cat", "sat"], level="word")
    ids = documents_to_ids(vocab, ["the cat", "cat sat dog"], tokenize=str.split)
    b, e, u = vocab.bos_id, vocab.eos_id, vocab.unk_id
    t, c, s = (vocab.token_to_id(w) for w in ("the", "cat", "sat"))
    assert ids.tolist() == [b, t, c, e, b, c, s, u, e]
    char_vocab = Vocab.build("ab", level="char")
    assert documents_to_ids(char_vocab, ["ab"]).tolist() == [b, char_vocab.token_to_id("a"),
                                                              char_vocab.token_to_id("b"), e]
    assert ngrams([1, 2, 3], 2) == [(1, 2), (2, 3)]
    assert ngrams([1, 2], 3) == []


def test_unseen_ngram_share():
    train, valid = [1, 2, 3, 1, 2], [1, 2, 4, 2, 3]
    assert unseen_ngram_share(train, valid, 1) == pytest.approx(1 / 5)   # 4 is new
    assert unseen_ngram_share(train, valid, 2) == pytest.approx(2 / 4)   # (2,4), (4,2)
    assert unseen_ngram_share(train, valid, 3) == 1.0                     # none of the three
    assert ngram_table_size(10, 2) == 1000


@pytest.mark.parametrize("fit", [fit_backoff, fit_kneser_ney])
@pytest.mark.parametrize("context", [0, 1, 2, 3])
def test_count_models_are_distributions_with_no_zero(fit, context, rng):
    V = 6
    train = rng.integers(1, V - 1, 200)  # token V-1 never occurs in training
    model = fit(train, context, V, pad_id=0)
    for history in ([], [1], [2, 3, 4], [V - 1, V - 1, V - 1], list(train[:5])):
        p = model.distribution(history)
        assert p.shape == (V,)
        assert abs(p.sum() - 1) < 1e-12
        assert np.all(p > 0)
    nll = model.mean_nll(train[:50])
    manual = -np.mean([np.log(model.prob(list(train[:i]), train[i])) for i in range(1, 50)])
    assert abs(nll - manual) < 1e-12


def test_backoff_by_hand():
    # stream (pad 0 once): 0 1 2 1 2 1 3 ; bigram counts after 1: 2 -> 2, 3 -> 1
    model = fit_backoff([1, 2, 1, 2, 1, 3], context=1, vocab_size=5, pad_id=0, delta=0.5)
    assert model.prob([1], 2) == pytest.approx((2 + 0.5) / (3 + 0.5 * 5))
    assert model.prob([1], 4) == pytest.approx(0.5 / (3 + 0.5 * 5))
    # context 4 never seen: back off to unigram counts (1: 3, 2: 2, 3: 1 of 6)
    assert model.prob([4], 1) == pytest.approx((3 + 0.5) / (6 + 0.5 * 5))


def test_kneser_ney_by_hand():
    # Bigram KN on 1 2 1 2 1 3 (pad 0): continuation counts N1+(• w): 1 <- {0, 2}: 2, 2 <- {1}: 1,
    # 3 <- {1}: 1; so p_uni(1) = (2 - D0) / 4 + D0 · 3 / 4 · 1/V.
    model = fit_kneser_ney([1, 2, 1, 2, 1, 3], context=1, vocab_size=5, pad_id=0)
    d0, d1 = model.discounts
    p_uni = {w: max(c - d0, 0) / 4 + d0 * 3 / 4 / 5 for w, c in {1: 2, 2: 1, 3: 1, 4: 0, 0: 0}.items()}
    # after 1: counts 2 -> 2, 3 -> 1 (total 3, 2 types)
    assert model.prob([1], 2) == pytest.approx((2 - d1) / 3 + d1 * 2 / 3 * p_uni[2])
    assert model.prob([1], 4) == pytest.approx(d1 * 2 / 3 * p_uni[4])
    assert model.prob([4], 1) == pytest.approx(p_uni[1])  # unseen context: the lower order


def test_kneser_ney_beats_add_delta_on_lee():
    from course_utils.data import load_corpus

    corpus = load_corpus("lee")
    vocab = Vocab.build(corpus.train, level="char")
    train = documents_to_ids(vocab, corpus.train_docs[:80])
    valid = documents_to_ids(vocab, corpus.valid_docs)[:3000]
    kn = fit_kneser_ney(train, 3, len(vocab), vocab.bos_id).mean_nll(valid)
    backoff = fit_backoff(train, 3, len(vocab), vocab.bos_id).mean_nll(valid)
    uniform = np.log(len(vocab))
    assert kn < backoff < uniform


def test_count_models_reject_what_they_cannot_count():
    with pytest.raises(ValueError, match=r"beyond 64 bits"):
        fit_backoff([1, 2, 3], context=5, vocab_size=100_000, pad_id=0)
    with pytest.raises(ValueError, match=r"ids and pad_id must lie in 0..4"):
        fit_kneser_ney([1, 2, 7], context=1, vocab_size=5, pad_id=0)
    with pytest.raises(ValueError, match="context must be an integer >= 0"):
        fit_kneser_ney([1, 2], context=-1, vocab_size=5, pad_id=0)
    with pytest.raises(ValueError, match="delta must be > 0"):
        fit_backoff([1, 2], context=1, vocab_size=5, pad_id=0, delta=0)
