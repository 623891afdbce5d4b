"""The long-range task generator and the RNN/LSTM sequence classifier trained on it."""

import numpy as np
import pytest
import torch

from course_utils.data import recall_task, recall_tokens
from course_utils.gradcheck import compare_with_torch, torch_recurrent, torch_weights
from course_utils.nn.sequence_classifier import (
    init_sequence_classifier,
    sequence_classifier_backward,
    sequence_classifier_forward,
    sequence_classifier_predict,
    train_sequence_classifier,
)


def test_recall_task_layout():
    inputs, targets, distances = recall_task(500, (1, 9), num_symbols=5, prefix=3, seed=3)
    T = 9 + 2 + 3
    assert inputs.shape == (500, T) and targets.shape == distances.shape == (500,)
    assert inputs.dtype == targets.dtype == distances.dtype == np.int64
    assert set(np.unique(distances)) == set(range(1, 10))
    assert np.all(inputs[:, -1] == 0)                                   # the query, once
    assert np.all((inputs[:, :-1] == 0).sum(axis=1) == 0)
    assert np.all((inputs == 1).sum(axis=1) == 1)                       # one marker
    for row, target, d in zip(inputs, targets, distances, strict=True):
        position = T - 1 - d
        assert row[position - 1] == 1 and row[position] - 2 == target
        others = np.delete(row[:-1], position - 1)
        assert np.all((others >= 2) & (others <= 6))                    # symbols elsewhere
    assert np.bincount(targets, minlength=5).min() > 60                 # balanced classes


def test_recall_task_is_seeded_and_fixed_distance():
    a = recall_task(20, 6, seed=1)
    b = recall_task(20, 6, seed=1)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], recall_task(20, 6, seed=2)[0])
    inputs, _, distances = a
    assert inputs.shape == (20, 6 + 2 + 4) and np.all(distances == 6)
    assert np.all(inputs[:, 12 - 1 - 6 - 1] == 1)                       # marker at a fixed place


def test_recall_tokens_name_every_id():
    tokens = recall_tokens(3)
    assert tokens == ["?", "!", "A", "B", "C"]
    inputs, targets, _ = recall_task(3, 4, num_symbols=3, prefix=2, seed=0)
    text = "".join(tokens[i] for i in inputs[0])
    assert text[-1] == "?" and text[text.index("!") + 1] == tokens[targets[0] + 2]
    assert len(text) == 8 and text.index("!") == 2


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(distance=0), ValueError, "1 <= low <= high"),
    (dict(distance=(5, 2)), ValueError, "1 <= low <= high"),
    (dict(distance="far"), TypeError, "distance must be an int or a pair"),
    (dict(distance=3, prefix=-1), ValueError, "prefix must be a non-negative integer"),
    (dict(distance=3, num_symbols=0), ValueError, "num_symbols must be a positive integer"),
])
def test_recall_task_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        recall_task(10, **kwargs)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("N,distance,H", [(1, 1, 1), (5, (1, 6), 4), (9, (2, 9), 7)])
def test_classifier_gradients_match_torch(cell, N, distance, H, rng):
    params = init_sequence_classifier(cell, 6, 3, H, 4, seed=1)
    params["U"] += rng.standard_normal(params["U"].shape)
    inputs, targets, _ = recall_task(N, distance, seed=2)
    loss, cache = sequence_classifier_forward(params, inputs, targets, cell=cell)
    grads = sequence_classifier_backward(cache)
    assert set(grads) == set(params)

    def torch_loss(t):
        module = torch_recurrent(cell, {k: params[k] for k in ("W_e", "W_h", "b")})
        out, _ = torch.func.functional_call(module, torch_weights(t), (t["E"][torch.tensor(inputs)],))
        logits = out[:, -1] @ t["U"].T + t["c"]
        return torch.nn.functional.cross_entropy(logits, torch.tensor(targets))

    report = compare_with_torch(torch_loss, params, grads, tolerance=1e-7)
    assert report.ok, str(report)
    tensors = {k: torch.tensor(v) for k, v in params.items()}
    assert loss == pytest.approx(torch_loss(tensors).item(), rel=1e-12)


def test_lstm_solves_distances_where_the_rnn_is_at_chance():
    """Lesson 06's claim, at a reduced size: same data (distances 1-24 mixed), same budget."""
    inputs, targets, _ = recall_task(250 * 32, (1, 24), seed=0)
    test_inputs, test_targets, _ = recall_task(600, (16, 24), seed=1)
    accuracy = {}
    for cell in ("rnn", "lstm"):
        params = init_sequence_classifier(cell, 6, 8, 16, 4, seed=0)
        losses = train_sequence_classifier(params, inputs, targets, steps=250, cell=cell, batch_size=32,
                                           lr=1e-2)
        assert np.all(np.isfinite(losses))
        accuracy[cell] = np.mean(sequence_classifier_predict(params, test_inputs, cell=cell) == test_targets)
    assert accuracy["lstm"] >= 0.9, accuracy
    assert accuracy["rnn"] <= 0.35, accuracy  # chance is 0.25


def test_classifier_rejects_bad_input():
    with pytest.raises(ValueError, match="cell must be one of"):
        init_sequence_classifier("gru", 6, 3, 4, 4)
    with pytest.raises(ValueError, match="num_classes must be a positive integer, got 0"):
        init_sequence_classifier("rnn", 6, 3, 4, 0)
    params = init_sequence_classifier("rnn", 6, 3, 4, 4)
    with pytest.raises(ValueError, match=r"inputs must be \(N, T\) integer ids"):
        sequence_classifier_forward(params, np.zeros(5, dtype=int), np.zeros(5, dtype=int), cell="rnn")
    with pytest.raises(TypeError, match="cell"):      # the cell is named, never guessed
        sequence_classifier_predict(params, np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="batch_size=64 is larger than the 10 examples"):
        train_sequence_classifier(params, np.zeros((10, 3), dtype=int), np.zeros(10, dtype=int), 1,
                                  cell="rnn")
