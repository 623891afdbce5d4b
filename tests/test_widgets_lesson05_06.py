"""Lessons 05-06 dashboards: the pure compute functions, and the views driven headless.

Every view is built on a small (untrained) model, one control is changed programmatically, and
the plot's PNG bytes and the readout must change.
"""

import numpy as np
import pytest
import torch

from course_utils.gradcheck import torch_recurrent
from course_utils.widgets.cell_search import (
    PATTERNS,
    cell_search,
    cell_search_view,
    lstm_states,
    pattern_target,
)
from course_utils.widgets.connectivity import connectivity_view, input_gradient_norms
from course_utils.widgets.gates import gates_view, lstm_gate_trace
from course_utils.widgets.gradient_flow import (
    MAX_NORM,
    TRAIN_LR,
    gradient_flow,
    gradient_flow_view,
    jacobian_norms,
    orthogonal_factor,
)

from conftest import SAMPLE_TEXT as TEXT
from widget_latency import find_control as find


def changes(view, control_class, value, *watched):
    """Set a control and return, per watched class, whether that widget's value changed."""
    widgets = [find(view, c) for c in watched]
    before = [w.value for w in widgets]
    find(view, control_class).value = value
    return [w.value != b for w, b in zip(widgets, before, strict=True)]


# ---- gradient flow ---------------------------------------------------------------------------


def test_orthogonal_factor_is_the_polar_rotation(rng):
    W = rng.standard_normal((5, 5))
    Q = orthogonal_factor(W)
    np.testing.assert_allclose(Q @ Q.T, np.eye(5), atol=1e-12)
    P = Q.T @ W
    np.testing.assert_allclose(P, P.T, atol=1e-12)
    assert np.all(np.linalg.eigvalsh((P + P.T) / 2) > -1e-12)
    with pytest.raises(ValueError, match="must be square"):
        orthogonal_factor(np.zeros((2, 3)))


def test_jacobian_norms_are_the_products_norms(rng):
    T, H = 7, 4
    W_h = rng.standard_normal((H, H))
    hs = np.tanh(rng.standard_normal((T, H)))
    norms = jacobian_norms(hs, W_h, "tanh")
    product = np.eye(H)
    assert norms[0] == pytest.approx(1.0)
    for k in range(1, T):
        product = product @ np.diag(1 - hs[T - k] ** 2) @ W_h
        assert norms[k] == pytest.approx(np.linalg.norm(product, 2), rel=1e-9)
    # identity activation, W_h = ρ Q: exactly ρ^k
    Q = orthogonal_factor(W_h)
    np.testing.assert_allclose(jacobian_norms(hs, 1.3 * Q, "identity"), 1.3 ** np.arange(T), rtol=1e-9)
    with pytest.raises(ValueError, match="activation must be one of"):
        jacobian_norms(hs, W_h, "softsign")


def test_gradient_flow_explodes_without_clipping_and_not_with_it(rnn, vocab):
    ids = np.array(vocab.encode(TEXT * 4))
    calm = gradient_flow(rnn, ids, 0.7, "tanh", seq_len=20)
    assert calm["norms"][19] < 1e-2 and np.all(np.isfinite(calm["loss_plain"]))
    wild = gradient_flow(rnn, ids, 1.9, "identity", seq_len=30)
    np.testing.assert_allclose(wild["norms"], wild["radius_line"], rtol=1e-8)
    assert np.nanmax(wild["grad_norm_plain"]) > 1e6
    assert np.all(np.isfinite(wild["loss_clipped"]))
    assert np.all(wild["step_clipped"] <= TRAIN_LR * MAX_NORM + 1e-12)
    assert wild["loss_clipped"][-1] < wild["loss_clipped"][0]
    with pytest.raises(ValueError, match="spectral_radius must be a positive number"):
        gradient_flow(rnn, ids, -1.0)
    with pytest.raises(ValueError, match="at least"):
        gradient_flow(rnn, ids[:30], 1.0, seq_len=20)


def test_gradient_flow_view_reacts_to_every_control(rnn, vocab):
    view = gradient_flow_view(rnn, np.array(vocab.encode(TEXT * 4)), seq_len=20)
    assert "cu-dashboard" in view._dom_classes and "cu-gradflow" in view._dom_classes
    assert changes(view, "cu-gradflow-radius", 1.6, "cu-plot", "cu-readout") == [True, True]
    assert changes(view, "cu-gradflow-activation", "identity", "cu-plot", "cu-readout") == [True, True]
    assert changes(view, "cu-gradflow-clip", True, "cu-plot", "cu-readout") == [True, True]
    assert changes(view, "cu-gradflow-length", 30, "cu-plot", "cu-readout") == [True, True]
    assert "with clipping" in find(view, "cu-readout").value


# ---- gate explorer ---------------------------------------------------------------------------


def test_gate_trace_is_the_lstm(lstm, vocab):
    trace = lstm_gate_trace(lstm, vocab, "bank river", unit=3)
    assert trace["tokens"][0] == "<bos>" and len(trace["tokens"]) == 11
    for gate in "fio":
        assert np.all((trace[gate] > 0) & (trace[gate] < 1))
    c_prev = np.vstack([np.zeros((1, 12)), trace["c"][:-1]])
    np.testing.assert_allclose(trace["c"], trace["i"] * trace["g"] + trace["f"] * c_prev, atol=1e-12)
    np.testing.assert_allclose(trace["h"], trace["o"] * np.tanh(trace["c"]), atol=1e-12)
    np.testing.assert_array_equal(trace["unit_values"]["f"], trace["f"][:, 3])
    with pytest.raises(ValueError, match="unit must be an integer in 0..11"):
        lstm_gate_trace(lstm, vocab, "x", unit=12)


def test_gates_view_reacts_to_every_control(lstm, vocab):
    view = gates_view(lstm, vocab, [TEXT[:40], TEXT[40:90]])
    assert "cu-gates" in view._dom_classes
    strip = find(view, "cu-gates-strip")
    assert strip.tokens == list(TEXT[:40])
    colours = strip.colours
    assert changes(view, "cu-gates-unit", 5, "cu-plot", "cu-readout") == [True] * 2
    assert strip.colours != colours and "unit 5" in strip.legend["label"]
    colours = strip.colours
    assert changes(view, "cu-gates-colour", "f", "cu-readout") == [True]
    assert strip.colours != colours and strip.legend["label"] == "colour: forget f of unit 5"
    assert changes(view, "cu-gates-pick", TEXT[40:90], "cu-plot") == [True]
    assert strip.tokens == list(TEXT[40:90])
    assert changes(view, "cu-gates-text", "Another text.", "cu-plot", "cu-readout") == [True, True]
    assert strip.tokens == list("Another text.") and len(strip.rows) == len(strip.predictions) == 13


# ---- connectivity ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_input_gradient_norms_match_torch(model, rnn, lstm, vocab):
    params = rnn if model == "rnn" else lstm
    ids = np.array(vocab.encode(TEXT[:25]))
    target = 20
    norms, log_probs = input_gradient_norms(params, ids, target, cell=model)
    assert norms.shape == (target + 1,) and log_probs.shape == (len(vocab),)
    E = torch.tensor(params["E"][ids[:target + 1]], requires_grad=True)
    out, _ = torch_recurrent(model, params)(E[None])
    logits = out[0, -1] @ torch.tensor(params["U"]).T + torch.tensor(params["c"])
    torch.log_softmax(logits, dim=0)[ids[target + 1]].backward()
    np.testing.assert_allclose(norms, E.grad.norm(dim=1).numpy(), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(log_probs, torch.log_softmax(logits, 0).detach().numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="target must be an integer in 0..23"):
        input_gradient_norms(params, ids, 24, cell=model)


def test_connectivity_view_reacts_to_the_target(rnn, lstm, vocab):
    view = connectivity_view({"RNN": ("rnn", rnn), "LSTM": ("lstm", lstm)}, vocab, [TEXT[:60], TEXT[60:120]])
    assert "cu-connect" in view._dom_classes
    strips = [w for w in view.children if "cu-connect-strip" in getattr(w, "_dom_classes", ())]
    assert len(strips) == 2 and all(s.tokens == list(TEXT[:60]) for s in strips)
    before = [s.colours for s in strips]
    assert changes(view, "cu-connect-target", 10, "cu-plot", "cu-readout") == [True, True]
    assert all(s.colours != b and s.selected == 11 for s, b in zip(strips, before, strict=True))
    # A click on character 25 of the LSTM's strip: the prediction of that character (target 24).
    image, label = find(view, "cu-plot"), find(view, "cu-readout")
    before = image.value, label.value
    strips[1].selected = 25
    assert find(view, "cu-connect-target").value == 24 and strips[0].selected == 25
    assert image.value != before[0] and label.value != before[1]
    strips[0].selected = 0                 # nothing predicts the first character: target 0
    assert find(view, "cu-connect-target").value == 0 and strips[0].selected == strips[1].selected == 1
    assert changes(view, "cu-connect-pick", TEXT[60:120], "cu-plot", "cu-readout") == [True, True]
    assert find(view, "cu-connect-target").max == len(TEXT[60:120]) - 2
    assert strips[0].tokens == list(TEXT[60:120])


# ---- cell search -----------------------------------------------------------------------------


def test_pattern_targets():
    text = 'ab "cd" e (f(g)) 12,5 x\nyz "w'
    expected = {
        "inside quotes": [0, 0, 0, 0, 1, 1] + [0] * 18 + [0, 0, 0, 0, 1],
        "inside parentheses": [0] * 11 + [1, 0, 1, 1] + [0] * 14,
        "inside a number": [0] * 17 + [1, 1, 1, 1] + [0] * 8,
        "position in the word": [0, 1, 0, 0, 1, 2, 3, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 1, 2, 3, 0, 0, 0,
                                 0, 1, 0, 0, 1],
    }
    for pattern, values in expected.items():
        np.testing.assert_array_equal(pattern_target(text, pattern), values, err_msg=pattern)
    line = pattern_target(text, "position in the line")
    assert line[23] == 0 and line[25] == 1 and line[22] == 22
    np.testing.assert_array_equal(pattern_target(text, "regular expression", "[xy]"),
                                  np.isin(list(text), ["x", "y"]))
    with pytest.raises(ValueError, match="not valid"):
        pattern_target(text, "regular expression", "(")
    with pytest.raises(ValueError, match="pattern must be one of"):
        pattern_target(text, "inside brackets")


def test_cell_search_finds_the_planted_units(rng):
    text = 'say "hello there" and "bye" now ' * 4
    inside = pattern_target(text, "inside quotes")
    position = pattern_target(text, "position in the word")
    states = 0.3 * rng.standard_normal((len(text), 6))
    states[:, 2] += inside                      # unit 2 is a quote detector
    states[:, 4] -= 0.5 * position              # unit 4 counts down along words
    quotes = cell_search(states, text, "inside quotes", top=3)
    assert quotes["top"][0] == 2 and quotes["scores"][2] > 1 and quotes["inside"] == int(inside.sum())
    words = cell_search(states, text, "position in the word")
    assert words["top"][0] == 4 and words["scores"][4] < -0.8 and words["inside"] is None
    with pytest.raises(ValueError, match="must hold at some"):
        cell_search(states, text, "inside parentheses")
    with pytest.raises(ValueError, match=r"states must be \(T, H\)"):
        cell_search(states[:-1], text, "inside quotes")


def test_cell_search_view_reacts_to_every_control(lstm, vocab):
    states = lstm_states(lstm, vocab, TEXT)
    assert states["c"].shape == states["h"].shape == (len(TEXT), 12)
    view = cell_search_view(lstm, vocab, TEXT)
    assert "cu-cells" in view._dom_classes and set(PATTERNS) == set(find(view, "cu-cells-pattern").options)
    strip = find(view, "cu-cells-strip")
    assert strip.tokens == list(TEXT) and any(strip.marked)        # the text is short: all of it shown
    before = strip.colours
    assert changes(view, "cu-cells-rank", 3, "cu-plot", "cu-readout") == [True] * 2
    assert strip.colours != before and strip.rows[0][0] == ["pattern", "does not hold"]
    assert changes(view, "cu-cells-pattern", "position in the word", "cu-plot", "cu-readout") == [True, True]
    assert not any(strip.marked) and strip.rows[1][0] == ["position", "1"]   # the "h" of "The"
    assert changes(view, "cu-cells-state", "h", "cu-plot", "cu-readout") == [True, True]
    find(view, "cu-cells-pattern").value = "regular expression"
    assert changes(view, "cu-cells-regex", "[0-9]", "cu-plot", "cu-readout") == [True, True]
    find(view, "cu-cells-regex").value = "zzz"  # never matches: a message, no exception
    assert "No character of this text matches" in find(view, "cu-readout").value


def test_gates_text_colour_uses_the_chosen_units_own_range(lstm, vocab):
    """Colouring by c scales by this unit's largest |c|, so that token gets the darkest colour
    even when another unit's cell state is much larger."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    strong = {k: v.copy() for k, v in lstm.items()}
    H = strong["W_h"].shape[1]
    strong["b"][H + 7] += 8.0              # gates in order i, f, g, o: unit 7's forget gate open,
    strong["b"][2 * H + 7] += 8.0          # its candidate saturated: its c grows with every step
    view = gates_view(strong, vocab, [TEXT[:60]])
    darkest = {to_hex(colormaps["RdBu_r"](x)) for x in (0.0, 1.0)}
    for unit in (0, 7):
        find(view, "cu-gates-unit").value = unit
        assert darkest & set(find(view, "cu-gates-strip").colours), unit
