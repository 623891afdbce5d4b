"""The text strip and what hovering shows in each dashboard: pure functions, no browser.

The browser side (hover, click, keys in JupyterLab, Notebook, ipywidgets 7 and 8) is
tests/test_text_strip_browser.py; each dashboard's strip in its lesson is in test_browser.py.
"""

import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from course_utils.data import Vocab
from course_utils.nn.language_model import lm_logits
from course_utils.nn.layers import softmax
from course_utils.widgets import hover
from course_utils.widgets.text_strip import (
    TextStrip,
    colour_legend,
    format_predictions,
    shown_token,
    strip_state,
    value_colours,
)

from conftest import ROOT
from conftest import SAMPLE_TEXT as TEXT


def ids_of(vocab, text):
    return np.array([vocab.token_to_id(ch) for ch in text], dtype=np.int64)


# ---- the strip's pure pieces ------------------------------------------------------------------


def test_value_colours_map_low_and_high_to_the_ends_of_the_map():
    colours = value_colours([-1.0, 0.0, 1.0, 5.0, -7.0])
    assert colours[0] == colours[4] == "#053061" and colours[2] == colours[3] == "#67001f"  # RdBu ends
    assert colours[1] in ("#f7f6f6", "#f7f7f7")                                             # white-ish 0
    assert value_colours([0.0, 1.0], "viridis", 0.0, 1.0) == ["#440154", "#fde725"]
    with pytest.raises(ValueError, match="high must be larger than low"):
        value_colours([0.0], low=1.0, high=1.0)
    legend = colour_legend("h", low=-2.0, high=2.0)
    assert len(legend["colours"]) == 9 and legend["low"] == "-2" and legend["high"] == "+2"


def test_format_predictions_most_probable_first_with_stable_ties():
    probs = np.array([[0.1, 0.5, 0.1, 0.3], [0.25, 0.25, 0.25, 0.25]])
    shown = format_predictions(probs, ["a", " ", "\n", "b"], top_k=3)
    assert shown == [[["␣", "50.0%"], ["b", "30.0%"], ["a", "10.0%"]],
                     [["a", "25.0%"], ["␣", "25.0%"], ["⏎", "25.0%"]]]
    with pytest.raises(ValueError, match=r"probs must be \(T, V\) with V = 3"):
        format_predictions(probs, ["a", "b", "c"])
    assert shown_token(" ") == "␣" and shown_token("x") == "x"


def test_strip_state_checks_every_per_position_list():
    state = strip_state(["a", "b"], [0.5, -0.5], titles=["t0", "t1"], rows=[[["v", "1"]], [["v", "2"]]])
    assert state["tokens"] == ["a", "b"] and state["selected"] == -1 and state["marked"] == [False, False]
    assert state["predictions"] == [[], []] and len(state["colours"]) == 2
    with pytest.raises(ValueError, match=r"2 tokens, so every per-position list needs 2 entries; "
                                         r"got \{'titles': 1\}"):
        strip_state(["a", "b"], [0, 0], titles=["t0"], rows=[[], []])
    with pytest.raises(ValueError, match="selected must be a position in 0..1 or -1, got 2"):
        strip_state(["a", "b"], [0, 0], titles=["", ""], rows=[[], []], selected=2)


def test_widget_syncs_every_trait_the_front_end_reads():
    strip = TextStrip("cu-test-strip")
    assert {"cu-strip", "cu-test-strip"} <= set(strip._dom_classes)
    synced = set(strip.keys)
    read = set(re.findall(r'model\.get\("(\w+)"\)', strip._esm))
    listened = set(re.findall(r'"change:(\w+)"', strip._esm)) | set(re.findall(
        r'for \(const name of \[([^\]]*)\]\)', strip._esm)[0].replace('"', "").replace(" ", "").split(","))
    assert read and read <= synced, read - synced
    assert listened <= synced, listened - synced
    assert read - {"hint"} <= listened | {"hint"}
    assert "export default" in strip._esm and ".cu-strip-text" in strip._css

    seen = []
    strip.observe(lambda change: seen.append(change["new"]), names="selected")
    state = strip_state(list("abc"), [0, 1, -1], titles=list("xyz"), rows=[[], [], []], selected=1)
    strip.show(state)
    assert strip.tokens == list("abc") and strip.selected == 1 and seen == [1]
    strip.selected = 2                      # what a click in the browser does
    assert seen == [1, 2]


def test_the_package_ships_the_front_end(tmp_path):
    """A wheel (what Colab's %pip install builds) carries text_strip.js and .css."""
    pytest.importorskip("setuptools", reason="builds the wheel with this environment's setuptools")
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (source / name).write_bytes((ROOT / name).read_bytes())
    subprocess.run(["cp", "-r", str(ROOT / "course_utils"), str(source)], check=True)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "--no-index", "-q", "-w", str(tmp_path / "dist"), str(source)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    wheel, = (tmp_path / "dist").glob("course_utils-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"course_utils/widgets/text_strip.js", "course_utils/widgets/text_strip.css"} <= names


# ---- what each dashboard's strip shows ------------------------------------------------------------


def test_lm_probabilities_are_the_models(rnn, lstm, vocab):
    ids = ids_of(vocab, TEXT[:30])
    np.testing.assert_allclose(hover.lm_probabilities(rnn, ids, cell="rnn"),
                               softmax(lm_logits(rnn, ids[None], cell="rnn")[0][0]))
    logits, hs, _ = lm_logits(lstm, ids[None], cell="lstm")
    np.testing.assert_allclose(hover.lm_probabilities(lstm, ids, cell="lstm"), softmax(logits[0]))
    np.testing.assert_allclose(hover.lm_probabilities(lstm, hs=hs[0]), softmax(logits[0]), atol=1e-12)


def test_lstm_reading_holds_the_cell_update(lstm, vocab):
    x = lstm["E"][ids_of(vocab, TEXT[:25])]
    reading = hover.lstm_reading(lstm, x)
    c_prev = np.vstack([np.zeros((1, 12)), reading["c"][:-1]])
    np.testing.assert_allclose(reading["c"], reading["i"] * reading["g"] + reading["f"] * c_prev, atol=1e-12)
    np.testing.assert_allclose(reading["h"], reading["o"] * np.tanh(reading["c"]), atol=1e-12)
    with pytest.raises(ValueError, match=r"x must be \(T, D\)"):
        hover.lstm_reading(lstm, x[None])


def test_hidden_state_strip_shows_h_and_the_predictions(rnn, vocab):
    from course_utils.widgets.hidden_state import read_text

    text = "the bank is on"
    run = dict(read_text(rnn, vocab, text), vocab_tokens=vocab.tokens)
    state = hover.hidden_state_strip(run, unit=5, step=4, top_k=3)
    logits, hs, _ = lm_logits(rnn, run["ids"][None], cell="rnn")
    probs = softmax(logits[0])
    assert state["tokens"] == list(text) and state["selected"] == 3
    assert state["titles"][2] == "step 3: read “e”"
    for k in range(len(text)):
        label, value = state["rows"][k][0]
        assert label == "h of unit 5" and float(value) == pytest.approx(hs[0, k + 1, 5], abs=5e-4)
        top = np.argsort(-probs[k + 1], kind="stable")[:3]
        assert [t for t, _ in state["predictions"][k]] == [shown_token(vocab.tokens[i]) for i in top]
    p_next = probs[3, vocab.token_to_id(" ")]           # after "the", the text continues with " "
    assert state["rows"][2][1] == ["next in the text", f"“␣”, given {100 * p_next:.1f}%"]
    assert state["rows"][-1][1] == ["next in the text", "— (the text ends here)"]
    assert state["colours"] == value_colours(hs[0, 1:, 5])
    assert hover.hidden_state_strip(run, 0, step=0)["selected"] == -1     # step 0 is <bos>
    with pytest.raises(ValueError, match="unit must be an integer in 0..15"):
        hover.hidden_state_strip(run, 16)


def test_gates_strip_shows_every_gate_of_the_unit(lstm, vocab):
    from course_utils.widgets.gates import lstm_gate_trace

    trace = lstm_gate_trace(lstm, vocab, TEXT[:40], unit=3)
    probs = hover.lm_probabilities(lstm, hs=trace["h"])
    state = hover.gates_strip(trace, "c", probs, vocab.tokens)
    assert state["tokens"] == list(TEXT[:40])
    for t in (1, 17, 40):
        shown = dict(state["rows"][t - 1])
        for key, label in hover.GATE_LABELS.items():
            assert float(shown[label]) == pytest.approx(trace[key][t, 3], abs=5e-4), (t, key)
    # c is coloured on this unit's own range: its largest |c| gets an end of the map.
    c = trace["c"][1:, 3]
    strongest = int(np.argmax(np.abs(c)))
    assert state["colours"][strongest] in ("#053061", "#67001f")
    assert state["legend"]["high"] == f"{np.abs(c).max():+.2f}"
    gate = hover.gates_strip(trace, "f", probs, vocab.tokens)
    assert gate["colours"] == value_colours(trace["f"][1:, 3], "viridis", 0.0, 1.0)
    with pytest.raises(ValueError, match="colour_by must be one of c, h, f, i, o"):
        hover.gates_strip(trace, "g", probs, vocab.tokens)


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_connectivity_strip_shows_the_gradients_and_the_prediction(model, rnn, lstm, vocab):
    from course_utils.widgets.connectivity import DECADES, _colour_values, input_gradient_norms

    params = rnn if model == "rnn" else lstm
    chars = list(TEXT[:30])
    ids = ids_of(vocab, TEXT[:30])
    target = 20
    norms, log_probs = input_gradient_norms(params, ids, target, cell=model)
    probs = hover.lm_probabilities(params, ids, cell=model)
    np.testing.assert_allclose(np.log(probs[target]), log_probs, atol=1e-10)   # the same prediction
    state = hover.connectivity_strip(model.upper(), chars, norms, target, _colour_values(norms), probs,
                                     vocab.tokens, DECADES)
    assert state["selected"] == target + 1 and state["tokens"] == chars
    for t in (0, 7, target):
        assert float(state["rows"][t][0][1]) == pytest.approx(norms[t], rel=5e-3)
    assert state["rows"][target + 1][0][1] == f"{100 * np.exp(log_probs[ids[target + 1]]):.1f}%"
    assert state["colours"][target + 2:] == [hover.NOT_AFTER] * (len(chars) - target - 2)
    # Character k shows the guesses for it, made after reading k − 1; nothing guesses the first.
    assert state["predictions"][0] == [] and state["predictions"][target + 1] == format_predictions(
        probs[target:target + 1], vocab.tokens, 3)[0]
    assert state["legend"]["low"] == "≤ 10⁻³ of the largest"
    assert state["colours"][int(np.argmax(norms))] == value_colours([1.0], "magma")[0]
    with pytest.raises(ValueError, match="target must lie in 0..28"):
        hover.connectivity_strip("RNN", chars, norms, 29, norms, probs, vocab.tokens, DECADES)


def test_cell_search_strip_shows_the_unit_and_the_pattern(lstm, vocab):
    from course_utils.widgets.cell_search import lstm_states, pattern_target

    reading = hover.lstm_reading(lstm, lstm["E"][ids_of(vocab, TEXT)])
    states = lstm_states(lstm, vocab, TEXT)
    np.testing.assert_allclose(reading["c"], states["c"])
    np.testing.assert_allclose(reading["h"], states["h"])
    target = pattern_target(TEXT, "inside quotes")
    probs = hover.lm_probabilities(lstm, hs=reading["h"])
    window = slice(20, 60)
    guesses = format_predictions(probs, vocab.tokens, 3)
    state = hover.cell_search_strip(TEXT, window, reading, 4, "h", target, "binary", guesses)
    assert state["predictions"] == format_predictions(probs[window], vocab.tokens, 3)
    assert state["tokens"] == list(TEXT[window]) and state["marked"] == list(target[window] > 0.5)
    quote = TEXT.index('"We') + 1 - 20                 # "W", inside the quotes
    assert dict(state["rows"][quote])["pattern"] == "holds"
    assert dict(state["rows"][0])["pattern"] == "does not hold"
    assert float(dict(state["rows"][5])["hidden h"]) == pytest.approx(reading["h"][25, 4], abs=5e-4)
    assert state["titles"][5] == f"character 25: “{shown_token(TEXT[25])}”"
    in_word = pattern_target(TEXT, "position in the word")
    words = hover.cell_search_strip(TEXT, window, reading, 4, "c", in_word, "position", guesses)
    assert dict(words["rows"][1])["position"] == "2" and not any(words["marked"])   # the "v" of "river"


def test_bidirectional_strip_shows_both_directions():
    from test_widgets_lesson07 import char_model

    from course_utils.widgets.bidirectional import bidirectional_states

    encoder, head = char_model()
    data = bidirectional_states(encoder, head, "a fine film")
    reading = hover.bidirectional_reading(encoder, data["tokens"])
    state = hover.bidirectional_strip(reading, unit=1, selected=3)
    assert state["tokens"] == list("a fine film") and state["selected"] == 3
    assert state["titles"][2] == "step 2: “f” (→ has read 3 steps, ← has read 9)"
    for t in (0, 5, 10):
        rows = dict(state["rows"][t])
        assert float(rows["→h"]) == pytest.approx(data["forward"][t, 1], abs=5e-4)
        assert float(rows["←h"]) == pytest.approx(data["backward"][t, 1], abs=5e-4)
        assert len(rows["→f · i · o"].split(" · ")) == 3
    assert state["colours"] == value_colours(data["forward"][:, 1])
    H = data["forward"].shape[1]
    planted = {"W": np.zeros((2, 2 * H)), "scale": np.full(2 * H, 0.01)}
    planted["W"][1, 2] = 3.0
    planted["W"][0, H + 1] = 9.0            # a backward unit: not a candidate
    assert hover.strongest_forward_unit(planted, H) == 2


def test_bidirectional_strip_reads_words_too():
    from course_utils.data import tokenize_words
    from course_utils.nn.bidirectional import init_bidirectional
    from course_utils.widgets.bidirectional import bidirectional_states

    words = Vocab.build(tokenize_words("the bank is on the river"), level="word")
    fwd, bwd = init_bidirectional(3, 2, seed=0)
    encoder = {"vocab": words, "E": np.random.default_rng(1).standard_normal((len(words), 3)),
               "fwd": fwd, "bwd": bwd}
    head = {"W": np.ones((2, 4)), "b": np.zeros(2), "mean": np.zeros(4), "scale": np.ones(4)}
    data = bidirectional_states(encoder, head, "the bank is on the moon")
    state = hover.bidirectional_strip(hover.bidirectional_reading(encoder, data["tokens"]), unit=0)
    assert state["tokens"] == ["the", "bank", "is", "on", "the", "moon"] and state["separator"] == " "
    assert float(dict(state["rows"][5])["←h"]) == pytest.approx(data["backward"][5, 0], abs=5e-4)
