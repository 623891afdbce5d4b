"""Dashboards of lessons 03-04: the pure compute functions, and the views driven headless."""

import numpy as np
import pytest

from course_utils.data import Vocab
from course_utils.nn.language_model import init_lm, lm_logits, lm_param_count
from course_utils.nn.layers import softmax
from course_utils.nn.window_lm import window_lm_param_count
from course_utils.widgets.hidden_state import (
    display_token,
    hidden_state_trace,
    hidden_state_view,
)
from course_utils.widgets.sampling import sample_text, sampling_view
from course_utils.widgets.window_lm import parameter_growth, parameter_growth_view

from widget_latency import find_control as find

TEXT = "the cat sat on the mat. the dog sat on the log. " * 4


@pytest.fixture(scope="module")
def chars():
    return Vocab.build(TEXT, level="char")


@pytest.fixture(scope="module")
def model(chars):
    params = init_lm("rnn", len(chars), 8, 16, seed=3)
    params["W_h"] = params["W_h"] * 1.5  # livelier hidden states than a fresh init
    params["c"] = np.random.default_rng(0).standard_normal(len(chars))
    params["c"][chars.eos_id] = -8.0  # samples run to the length cap (the view's length control shows)
    return params


# ---- parameter growth (lesson 03) ------------------------------------------------------------


def test_parameter_growth_counts():
    data = parameter_growth(100, 3, 8, 16, n_max=6, observed_ngrams={1: 50, 2: 80})
    assert data["ns"].tolist() == [1, 2, 3, 4, 5, 6]
    assert data["ngram_table"][2] == 100.0 ** 4
    assert data["window_lm"].tolist() == [float(window_lm_param_count(100, n, 8, 16)) for n in range(1, 7)]
    assert np.all(np.diff(data["window_lm"]) == 16 * 8)  # H·D more weights per extra position
    assert np.all(data["rnn_lm"] == lm_param_count("rnn", 100, 8, 16))
    assert data["window_context"][2] == 16 * 3 * 8 and data["rnn_context"][0] == 16 * 8 + 16 * 16
    assert data["observed"][0] == 50 and np.isnan(data["observed"][3])
    assert data["at_n"]["window_lm"] == window_lm_param_count(100, 3, 8, 16)
    assert data["at_n"]["ngram_table"] == 100 ** 4 and data["at_n"]["observed"] is None
    assert 0 < data["w_share"] < 1
    with pytest.raises(ValueError, match="n=7 is larger than n_max=6"):
        parameter_growth(100, 7, 8, 16, n_max=6)
    with pytest.raises(ValueError, match="embed_dim must be a positive integer"):
        parameter_growth(100, 3, 0, 16)


def test_parameter_growth_view_reacts_to_every_control():
    view = parameter_growth_view(200, {1: 150.0, 2: 120.0, 3: 118.0}, {1: 900, 2: 1500, 3: 1800},
                                 baseline=("n-gram", 160.0))
    assert {"cu-dashboard", "cu-growth"} <= set(view._dom_classes)
    image, label = find(view, "cu-plot"), find(view, "cu-readout")
    for css_class, value, text in [("cu-growth-n", 5, "N = 5"), ("cu-growth-embed", 64, "N = 5"),
                                   ("cu-growth-hidden", 128, "N = 5"), ("cu-growth-n", 2, "120.0")]:
        before_image, before_label = image.value, label.value
        find(view, css_class).value = value
        assert image.value != before_image, css_class
        assert label.value != before_label and text in label.value, css_class
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n"


# ---- hidden-state explorer (lesson 04) -------------------------------------------------------


def test_hidden_state_trace(model, chars):
    data = hidden_state_trace(model, chars, "the cat", step=3, unit=2, top_k=5)
    assert data["tokens"] == ["<bos>", "t", "h", "e", " ", "c", "a", "t"]
    logits, hs, _ = lm_logits(model, data["ids"][None], cell="rnn")
    np.testing.assert_allclose(data["hidden"], hs[0])
    np.testing.assert_allclose(data["unit_values"], hs[0][:, 2])
    probs = softmax(logits[0, 3])
    assert data["top_probs"][0] == pytest.approx(probs.max())
    assert np.all(np.diff(data["top_probs"]) <= 0) and len(data["top_tokens"]) == 5
    assert data["next_token"] == " " and data["next_prob"] == pytest.approx(probs[chars.token_to_id(" ")])
    last = hidden_state_trace(model, chars, "the cat")
    assert last["step"] == 7 and last["next_token"] is None and last["next_prob"] is None
    with pytest.raises(ValueError, match=r"unit must be an integer in 0..15"):
        hidden_state_trace(model, chars, "the", unit=16)
    with pytest.raises(ValueError, match=r"step must be an integer in 0..3"):
        hidden_state_trace(model, chars, "the", step=4)
    with pytest.raises(TypeError, match="text must be a str"):
        hidden_state_trace(model, chars, 42)


def test_display_tokens():
    assert display_token(" ") == "␣" and display_token("\n") == "⏎" and display_token("a") == "a"


def test_hidden_state_view_reacts_to_every_control(model, chars):
    view = hidden_state_view(model, chars, ["the cat sat on the mat.", "the dog"])
    assert {"cu-dashboard", "cu-hidden"} <= set(view._dom_classes)
    image, label = find(view, "cu-plot"), find(view, "cu-readout")
    strip = find(view, "cu-hidden-strip")
    step = find(view, "cu-hidden-step")
    assert step.max == len("the cat sat on the mat.")
    assert strip.tokens == list("the cat sat on the mat.") and strip.selected == step.value - 1

    before = image.value, label.value
    step.value = 4
    assert image.value != before[0] and label.value != before[1] and "step 4" in label.value

    before = image.value, strip.colours
    find(view, "cu-hidden-unit").value = 7
    assert image.value != before[0] and strip.colours != before[1] and "unit 7" in label.value
    assert strip.rows[0][0][0] == "h of unit 7"

    before = image.value, label.value
    strip.selected = 1                    # a click on the second character: step 2
    assert step.value == 2 and "step 2" in label.value and image.value != before[0]

    before = image.value
    find(view, "cu-hidden-pick").value = "the dog"
    assert find(view, "cu-hidden-text").value == "the dog"
    assert step.max == 7 and step.value <= 7 and image.value != before

    before = image.value, label.value
    find(view, "cu-hidden-text").value = "a mat"
    assert step.max == 5 and image.value != before[0] and label.value != before[1]


# ---- sampling explorer (lesson 04) -----------------------------------------------------------


def test_sample_text(model, chars):
    first = sample_text(model, chars, "the ", temperature=1.0, max_len=40, seed=1)
    again = sample_text(model, chars, "the ", temperature=1.0, max_len=40, seed=1)
    other = sample_text(model, chars, "the ", temperature=1.0, max_len=40, seed=2)
    assert first["ids"] == again["ids"] and first["text"] == again["text"] and first["text"] != other["text"]
    assert len(first["ids"]) <= 40 and (first["ended"] == "eos") == (first["ids"][-1] == chars.eos_id)
    cold = sample_text(model, chars, "the ", temperature=0.3, max_len=5, seed=0)
    hot = sample_text(model, chars, "the ", temperature=3.0, max_len=5, seed=0)
    np.testing.assert_allclose(cold["top_probs_t1"], hot["top_probs_t1"])
    assert cold["top_probs"][0] > first["top_probs"][0] > hot["top_probs"][0]
    assert cold["entropy_bits"] < first["entropy_bits"] < hot["entropy_bits"]
    greedy = sample_text(model, chars, "the ", temperature=0, max_len=10)
    assert greedy["top_probs"][0] == 1.0 and greedy["entropy_bits"] == 0.0
    assert greedy["ids"] == sample_text(model, chars, "the ", temperature=0, max_len=10, seed=99)["ids"]
    with pytest.raises(ValueError, match="temperature must be a number >= 0"):
        sample_text(model, chars, "the", temperature=-1)


def test_sampling_view_reacts_to_every_control(model, chars):
    view = sampling_view(model, chars, prompt="the ", temperature=1.0, max_len=60)
    assert {"cu-dashboard", "cu-sampling"} <= set(view._dom_classes)
    image, label, text = find(view, "cu-plot"), find(view, "cu-readout"), find(view, "cu-sampling-text")

    before = image.value, label.value, text.value
    find(view, "cu-sampling-temperature").value = 0.3
    assert image.value != before[0] and "τ = 0.30" in label.value and text.value != before[2]

    before = label.value, text.value
    find(view, "cu-sampling-new").click()
    assert "seed 1" in label.value and text.value != before[1]

    before = image.value, text.value
    find(view, "cu-sampling-prompt").value = "a dog "
    assert image.value != before[0] and "a dog " in text.value

    before = label.value
    find(view, "cu-sampling-length").value = 10
    assert label.value != before


def test_without_reentry_ignores_the_changes_a_redraw_makes_itself():
    from course_utils.widgets.common import without_reentry

    calls = []

    def redraw():
        calls.append(len(calls))
        update()  # e.g. the redraw moves a slider, whose observer is this same update

    update = without_reentry(redraw)
    update()
    update({"new": 3})
    assert calls == [0, 1]  # one redraw per outside change, none from inside

    def failing():
        raise RuntimeError("broken redraw")

    update = without_reentry(failing)
    for _ in range(2):  # an error does not leave it stuck in "busy"
        with pytest.raises(RuntimeError, match="broken redraw"):
            update()
