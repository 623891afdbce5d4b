"""Sentence encoders, the softmax classifier head and cross-validation (lesson 07)."""

import numpy as np
import pytest
import torch

from course_utils.gradcheck import compare_with_torch, numerical_gradient, rel_error, torch_recurrent
from course_utils.nn.bidirectional import init_bidirectional
from course_utils.nn.encoders import (
    average_word_vectors,
    classifier_probabilities,
    cross_validate,
    encode_sentences,
    final_states_backward,
    final_states_forward,
    init_softmax_classifier,
    lstm_sentence_vectors,
    pad_ids,
    softmax_classifier_backward,
    softmax_classifier_forward,
    stratified_k_fold,
    train_softmax_classifier,
)
from course_utils.wordvec import WordVectors


def tiny_vectors():
    return WordVectors(["good", "bad", "film"], np.array([[3.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))


# ---- sentences -> vectors ---------------------------------------------------------------------


def test_average_word_vectors_averages_unit_vectors_of_known_words():
    features, coverage = average_word_vectors([["good", "film", "zzz"], ["qqq"], ["bad"]], tiny_vectors())
    np.testing.assert_allclose(features[0], ([1, 0] + np.array([1, 1]) / np.sqrt(2)) / 2)
    np.testing.assert_array_equal(features[1], [0, 0])          # nothing known: zeros
    np.testing.assert_allclose(features[2], [0, 1])
    assert coverage == pytest.approx(3 / 5)
    raw, _ = average_word_vectors([["good", "bad"]], tiny_vectors(), normalise=False)
    np.testing.assert_allclose(raw[0], [1.5, 1.0])
    with pytest.raises(TypeError, match="token_lists must be a list of lists"):
        average_word_vectors("good film", tiny_vectors())
    with pytest.raises(ValueError, match=r"token_lists\[1\] are empty"):
        average_word_vectors([["good"], []], tiny_vectors())
    with pytest.raises(TypeError, match="word_vectors must have .index"):
        average_word_vectors([["good"]], {"good": [1, 0]})


def test_pad_ids():
    ids, lengths = pad_ids([[5, 6, 7], [8]], pad_id=0)
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1])


def test_final_states_read_the_last_real_step_and_the_first_backward_step(rng):
    hs = rng.standard_normal((3, 5, 4))                         # H = 2 per direction
    lengths = np.array([5, 2, 3])
    s, cache = final_states_forward(hs, lengths, bidirectional=True)
    np.testing.assert_array_equal(s[1], np.r_[hs[1, 1, :2], hs[1, 0, 2:]])
    np.testing.assert_array_equal(s[2], np.r_[hs[2, 2, :2], hs[2, 0, 2:]])
    uni, _ = final_states_forward(hs, lengths)
    np.testing.assert_array_equal(uni, hs[[0, 1, 2], [4, 1, 2]])
    # the backward pass is the adjoint of the selection: <ds, s> = <dhs, hs>
    ds = rng.standard_normal(s.shape)
    dhs = final_states_backward(ds, cache)
    assert np.sum(ds * s) == pytest.approx(np.sum(dhs * hs))
    numeric = numerical_gradient(lambda h: np.sum(final_states_forward(h, lengths, True)[0] * ds), hs)
    assert rel_error(dhs, numeric) <= 1e-8
    with pytest.raises(ValueError, match="even last axis"):
        final_states_forward(hs[:, :, :3], bidirectional=True)
    with pytest.raises(ValueError, match=r"ds has shape \(3, 3\), expected \(3, 4\)"):
        final_states_backward(ds[:, :3], cache)


@pytest.mark.parametrize("N,T,D,H", [(1, 1, 2, 1), (4, 6, 3, 4), (7, 9, 5, 3)])
def test_lstm_sentence_vectors_equal_torchs_final_states_on_packed_sentences(N, T, D, H, rng):
    fwd, bwd = init_bidirectional(D, H, seed=6)
    x = rng.standard_normal((N, T, D))
    lengths = rng.integers(1, T + 1, N)
    lengths[0] = T                                              # pad_packed_sequence keeps T steps
    s, hs = lstm_sentence_vectors(x, lengths, fwd, bwd)
    lstm = torch_recurrent("lstm", [(fwd, bwd)], bidirectional=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(x), torch.from_numpy(lengths),
                                                     batch_first=True, enforce_sorted=False)
    out, (h_n, _) = lstm(packed)                                # h_n: (2, N, H), forward then backward
    expected = torch.cat([h_n[0], h_n[1]], dim=1).detach().numpy()
    assert s.shape == (N, 2 * H) and hs.shape == (N, T, 2 * H)
    assert np.max(np.abs(s - expected)) <= 1e-12
    states = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)[0].detach().numpy()
    assert np.max(np.abs(hs - states)) <= 1e-12                 # every step, zeros at the padding
    uni, _ = lstm_sentence_vectors(x, lengths, fwd)
    np.testing.assert_array_equal(uni, s[:, :H])               # the forward half is the LSTM alone


# ---- the classifier head ------------------------------------------------------------------------


@pytest.mark.parametrize("N,F,K", [(1, 1, 2), (7, 5, 3), (12, 4, 6)])
def test_softmax_classifier_gradients_match_numerical_and_torch(N, F, K, rng):
    features = rng.standard_normal((N, F))
    labels = rng.integers(0, K, N)
    params = init_softmax_classifier(F, K)
    params["W"] += rng.standard_normal((K, F))
    params["b"] += rng.standard_normal(K)
    loss, cache = softmax_classifier_forward(params, features, labels, weight_decay=0.3)
    grads = softmax_classifier_backward(cache)
    for name in ("W", "b"):
        numeric = numerical_gradient(
            lambda _: softmax_classifier_forward(params, features, labels, 0.3)[0], params[name])
        assert rel_error(grads[name], numeric) <= 1e-7, name

    def torch_loss(t):
        logits = torch.from_numpy(features) @ t["W"].T + t["b"]
        ce = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels))
        return ce + 0.15 * (t["W"] ** 2).sum()

    report = compare_with_torch(torch_loss, params, grads)
    assert report.ok, str(report)
    assert loss == pytest.approx(float(torch_loss({k: torch.from_numpy(v) for k, v in params.items()})))
    wrong = rf"features has shape \({N}, {F + 1}\) but W has shape \({K}, {F}\)"
    with pytest.raises(ValueError, match=wrong):
        softmax_classifier_forward(params, np.ones((N, F + 1)), labels)


def test_training_separates_a_separable_problem_and_standardises_with_training_statistics(rng):
    features = rng.standard_normal((60, 3)) * [1.0, 100.0, 0.01] + [0.0, 500.0, 0.0]
    labels = (features[:, 2] > 0).astype(np.int64)              # only the tiny feature matters
    model, losses = train_softmax_classifier(features, labels, epochs=300)
    assert losses[-1] < 0.3 * losses[0]
    probabilities = classifier_probabilities(model, features)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert np.mean(probabilities.argmax(axis=1) == labels) >= 0.95
    np.testing.assert_allclose(model["mean"], features.mean(axis=0))
    np.testing.assert_allclose(model["scale"], features.std(axis=0))
    with pytest.raises(ValueError, match=r"labels has shape \(59,\)"):
        train_softmax_classifier(features, labels[:-1])
    with pytest.raises(ValueError, match="reads 3 numbers per sentence"):
        classifier_probabilities(model, features[:, :2])


# ---- cross-validation ---------------------------------------------------------------------------


def test_stratified_k_fold_partitions_and_balances():
    labels = np.array([0] * 12 + [1] * 8)
    folds = stratified_k_fold(labels, k=4, seed=3)
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(20))    # each example tested once
    for train, test in folds:
        assert not set(train) & set(test) and len(train) + len(test) == 20
        assert np.bincount(labels[test]).tolist() == [3, 2]
    again = stratified_k_fold(labels, k=4, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    other = stratified_k_fold(labels, k=4, seed=4)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, other, strict=True))
    with pytest.raises(ValueError, match="need at least 5 examples of every class; class 1 has 4"):
        stratified_k_fold(np.array([0] * 6 + [1] * 4), k=5)
    with pytest.raises(ValueError, match="k must be an integer >= 2"):
        stratified_k_fold(labels, k=1)


def test_cross_validation_cannot_memorise_its_test_sentences(rng):
    """One-hot 'features' (a sentence's own index) let a head memorise its training sentences
    perfectly, but say nothing about an unseen one: held-out accuracy must be chance."""
    labels = np.array([0, 1] * 50)
    memorise = np.eye(100)
    accuracies, predictions = cross_validate(memorise, labels, k=5, seed=0)
    assert accuracies.shape == (5,) and predictions.shape == (100,)
    model, _ = train_softmax_classifier(memorise, labels)
    assert np.mean(classifier_probabilities(model, memorise).argmax(axis=1) == labels) == 1.0
    assert 0.3 <= accuracies.mean() <= 0.7
    informative = labels[:, None] + 0.3 * rng.standard_normal((100, 2))
    accuracies, predictions = cross_validate(informative, labels, k=5, seed=0)
    assert accuracies.mean() >= 0.95
    assert np.mean(predictions == labels) == pytest.approx(accuracies.mean())


def test_cross_validation_by_group_keeps_each_group_in_one_fold():
    """Sentences of one document share a 'document feature' that identifies the document: split
    by sentence, a head learns the document's label from its siblings in training; split by
    document (groups), it cannot, and held-out accuracy falls to chance."""
    documents = np.repeat(np.arange(40), 5)                        # 40 documents of 5 sentences
    labels = (np.arange(40) % 2)[documents]
    identity = np.eye(40)[documents]                               # which document, nothing else
    by_sentence, _ = cross_validate(identity, labels, k=5, seed=0)
    by_document, predictions = cross_validate(identity, labels, k=5, seed=0, groups=documents)
    assert by_sentence.mean() == 1.0
    assert 0.3 <= by_document.mean() <= 0.7
    assert predictions.shape == (200,)
    with pytest.raises(ValueError, match="groups must have one entry per example"):
        cross_validate(identity, labels, groups=documents[:10])
    with pytest.raises(ValueError, match="same label; group 0 has two"):
        cross_validate(identity, np.r_[1, labels[1:]], groups=documents)


def test_encode_sentences_in_batches_equals_one_padded_batch(rng):
    """Sorted by length and cut into batches: the same vectors, in the caller's order."""
    E = rng.standard_normal((12, 3))
    fwd, bwd = init_bidirectional(3, 4, seed=2)
    lengths = np.array([5, 1, 7, 3, 7, 2, 6])
    ids, lengths = pad_ids([list(rng.integers(0, 12, size=n)) for n in lengths])
    for params_bwd in (None, bwd):
        whole, _ = lstm_sentence_vectors(E[ids], lengths, fwd, params_bwd)
        batched = encode_sentences(E, ids, lengths, fwd, params_bwd, batch_size=3)
        assert np.allclose(batched, whole, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="ids must be \\(N, T\\) and lengths \\(N,\\)"):
        encode_sentences(E, ids[0], lengths, fwd)
