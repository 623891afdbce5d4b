"""Bidirectional explorer (lesson 07): the compute function, and the view driven headless."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from course_utils.data import Vocab
from course_utils.nn.bidirectional import direction_forward, init_bidirectional
from course_utils.nn.encoders import (
    classifier_probabilities,
    lstm_sentence_vectors,
    pad_ids,
    train_softmax_classifier,
)
from course_utils.widgets.bidirectional import MAX_STEPS, bidirectional_explorer, bidirectional_states

SENTENCES = ["the bank is on the river .", "a dull , tedious film .", "a warm and funny film .",
             "the bank is on the corner ."]
LABELS = np.array([1, 0, 1, 0])


def char_model(H=5, D=4, seed=0):
    vocab = Vocab.build(" ".join(SENTENCES), level="char")
    fwd, bwd = init_bidirectional(D, H, seed=seed)
    E = np.random.default_rng(seed).standard_normal((len(vocab), D))
    encoder = {"vocab": vocab, "E": E, "fwd": fwd, "bwd": bwd}
    ids, lengths = pad_ids([vocab.encode(s) for s in SENTENCES])
    features, _ = lstm_sentence_vectors(E[ids], lengths, fwd, bwd)
    head, _ = train_softmax_classifier(features, LABELS, epochs=50)
    return encoder, head


def find(widget, css_class):
    found = []

    def walk(w):
        if css_class in getattr(w, "_dom_classes", ()):
            found.append(w)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    assert len(found) == 1, f"{len(found)} widgets with class {css_class}"
    return found[0]


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


# ---- compute --------------------------------------------------------------------------------


def test_states_are_the_two_directions_of_the_learners_encoder():
    encoder, head = char_model()
    text = SENTENCES[2]
    data = bidirectional_states(encoder, head, text)
    T, H = len(text), 5
    assert data["tokens"] == list(text) and not data["truncated"] and data["unknown"] == 0
    assert data["forward"].shape == data["backward"].shape == (T, H)
    x = encoder["E"][encoder["vocab"].encode(text)][None]
    fwd_states, _ = direction_forward(x, encoder["fwd"])
    bwd_states, _ = direction_forward(x, encoder["bwd"], reverse=True)
    np.testing.assert_allclose(data["forward"], fwd_states[0], atol=1e-14)
    np.testing.assert_allclose(data["backward"], bwd_states[0], atol=1e-14)
    np.testing.assert_allclose(data["vector"], np.r_[fwd_states[0, -1], bwd_states[0, 0]], atol=1e-14)
    expected = classifier_probabilities(head, data["vector"])[0, 1]
    assert data["probability"] == pytest.approx(expected)
    assert data["tick_labels"] == ["a", "warm", "and", "funny", "film", "."]
    assert data["tick_positions"] == [0, 2, 7, 11, 17, 22]


def test_bank_forward_states_agree_until_the_last_word_backward_states_do_not():
    encoder, head = char_model()
    river = bidirectional_states(encoder, head, "the bank is on the river")
    corner = bidirectional_states(encoder, head, "the bank is on the corner")
    bank = slice(4, 8)                                          # the characters of "bank"
    np.testing.assert_array_equal(river["forward"][bank], corner["forward"][bank])
    assert np.abs(river["backward"][bank] - corner["backward"][bank]).max() > 1e-6


def test_long_unknown_and_word_level_texts():
    encoder, head = char_model()
    data = bidirectional_states(encoder, head, "q" * (MAX_STEPS + 20) + "Z")
    assert data["truncated"] and len(data["tokens"]) == MAX_STEPS
    assert data["unknown"] == MAX_STEPS                         # no 'q' in the vocabulary
    words = Vocab.build([w for s in SENTENCES for w in s.split()], level="word")
    fwd, bwd = init_bidirectional(3, 2, seed=1)
    word_encoder = {"vocab": words, "E": np.ones((len(words), 3)), "fwd": fwd, "bwd": bwd}
    word_head, _ = train_softmax_classifier(np.random.default_rng(0).standard_normal((4, 4)), LABELS)
    data = bidirectional_states(word_encoder, word_head, "the bank is on the moon")
    assert data["tokens"] == ["the", "bank", "is", "on", "the", "moon"] and data["unknown"] == 1
    assert data["tick_positions"] == list(range(6))


def test_bad_input():
    encoder, head = char_model()
    with pytest.raises(TypeError, match=r"encoder must be a dict with keys \['vocab', 'E', 'fwd', 'bwd'\]"):
        bidirectional_states({"E": 1}, head, "x")
    with pytest.raises(ValueError, match="text has nothing to read"):
        bidirectional_states(encoder, head, "   ")
    with pytest.raises(TypeError, match="text must be a str"):
        bidirectional_states(encoder, head, ["a"])
    with pytest.raises(ValueError, match="4 sentences but 3 labels"):
        bidirectional_explorer(encoder, head, SENTENCES, LABELS[:3])
    with pytest.raises(ValueError, match=r"index must lie in 0..3, got 4"):
        bidirectional_explorer(encoder, head, SENTENCES, index=4)


# ---- view -----------------------------------------------------------------------------------------


def test_view_redraws_when_a_sentence_is_chosen_or_typed():
    encoder, head = char_model()
    box = bidirectional_explorer(encoder, head, SENTENCES, LABELS)
    assert {"cu-dashboard", "cu-bidirectional"} <= set(box._dom_classes)
    image, label = find(box, "cu-plot"), find(box, "cu-bidirectional-readout")
    choose, text = find(box, "cu-bidirectional-sentence"), find(box, "cu-bidirectional-text")
    first = bytes(image.value)
    assert first.startswith(b"\x89PNG") and pixels(first).std() > 10
    assert "true label: positive" in label.value and "26 steps" in label.value

    choose.value = 1                                            # pick another sentence
    assert text.value == SENTENCES[1]
    assert bytes(image.value) != first and "true label: negative" in label.value
    assert "23 steps" in label.value

    before, before_label = bytes(image.value), label.value
    text.value = "the bank is on the river"                      # type one (Enter sends it)
    assert bytes(image.value) != before and label.value != before_label
    assert "true label" not in label.value and "24 steps" in label.value
    assert np.abs(pixels(bytes(image.value)) - pixels(before)).sum() > 0


def test_the_text_strip_follows_the_sentence_and_the_unit():
    encoder, head = char_model()
    box = bidirectional_explorer(encoder, head, SENTENCES, LABELS)
    strip, unit = find(box, "cu-bidirectional-strip"), find(box, "cu-bidirectional-unit")
    image = find(box, "cu-plot")
    assert strip.tokens == list(SENTENCES[0]) and unit.max == 4
    data = bidirectional_states(encoder, head, SENTENCES[0])
    assert float(dict(strip.rows[3])["←h"]) == pytest.approx(data["backward"][3, unit.value], abs=5e-4)

    strip.selected = 3                                          # a click on the fourth character
    before, colours = bytes(image.value), strip.colours
    unit.value = (unit.value + 1) % 5                           # the strip follows, the plot stays
    assert strip.colours != colours and strip.selected == 3 and bytes(image.value) == before
    assert f"→h of unit {unit.value}" in strip.legend["label"]

    find(box, "cu-bidirectional-text").value = "a dull film"     # a new text: nothing selected
    assert strip.tokens == list("a dull film") and strip.selected == -1
