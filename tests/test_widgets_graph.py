"""Live architecture diagrams (course_utils.widgets.graph): the gradients they draw are torch
autograd's, and the picture follows the controls (that it is the picture a fresh view draws
after any sequence of changes is tested with every dashboard in test_widgets_equivalence)."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from course_utils.data import Vocab
from course_utils.nn.language_model import init_lm
from course_utils.widgets.graph import lstm_graph_trace, lstm_graph_view, rnn_graph_trace, rnn_graph_view

from widget_latency import find_control

TEXT = "the cat sat on the mat"
VOCAB = Vocab.build("the quick brown fox jumps over a lazy dog; cat sat mat", level="char")


def _torch_lm(params, ids, cell):
    """h^(t) (and c^(t)) as torch leaves of the graph, and the logits, in float64."""
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    U = p["U"] if "U" in p else p["E"]
    H = p["W_h"].shape[1]
    h, c = torch.zeros(1, H, dtype=torch.float64), torch.zeros(1, H, dtype=torch.float64)
    hs, cs, logits = [], [], []
    for token in ids:
        a = p["E"][[token]] @ p["W_e"].T + h @ p["W_h"].T + p["b"]
        if cell == "rnn":
            h = torch.tanh(a)
        else:
            i, f, o = (torch.sigmoid(a[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
            g = torch.tanh(a[:, 2 * H:3 * H])
            c = f * c + i * g
            c.retain_grad()
            cs.append(c)
            h = o * torch.tanh(c)
        h.retain_grad()
        hs.append(h)
        logits.append(h @ U.T + p["c"])
    return hs, cs, logits


@pytest.mark.parametrize("loss_step", [0, 7, 21])
def test_rnn_gradient_norms_are_torchs(loss_step):
    params = init_lm("rnn", len(VOCAB), 6, 9, seed=3)
    trace = rnn_graph_trace(params, VOCAB, TEXT, loss_step)
    ids = [VOCAB.bos_id] + [VOCAB.token_to_id(ch) for ch in TEXT]
    hs, _, logits = _torch_lm(params, ids, "rnn")
    loss = torch.nn.functional.cross_entropy(logits[loss_step], torch.tensor([ids[loss_step + 1]]))
    loss.backward()
    want = [float(h.grad.norm()) if h.grad is not None else 0.0 for h in hs]
    np.testing.assert_allclose(trace["grad_norm"], want, rtol=1e-10, atol=1e-14)
    assert trace["losses"][loss_step] == pytest.approx(loss.item(), rel=1e-10)
    assert np.all(trace["grad_norm"][loss_step + 1:] == 0) and trace["grad_norm"][loss_step] > 0


def test_lstm_gradient_on_every_path_is_torchs():
    params = init_lm("lstm", len(VOCAB), 6, 5, seed=4)
    k = 15
    trace = lstm_graph_trace(params, VOCAB, TEXT, k)
    ids = [VOCAB.bos_id] + [VOCAB.token_to_id(ch) for ch in TEXT]
    hs, cs, logits = _torch_lm(params, ids, "lstm")
    torch.nn.functional.cross_entropy(logits[k], torch.tensor([ids[k + 1]])).backward()
    np.testing.assert_allclose(trace["dh"][:k + 1], [float(h.grad.norm()) for h in hs[:k + 1]], rtol=1e-9)
    np.testing.assert_allclose(trace["dc"][:k + 1], [float(c.grad.norm()) for c in cs[:k + 1]], rtol=1e-9)
    # what passes along the top line to c^(t-1) is the part of ∂L/∂c^(t-1) that does not come from h^(t-1)
    for t in range(1, k + 1):
        o, tanh_c = trace["o"][t - 1], np.tanh(trace["c"][t - 1])
        from_h = hs[t - 1].grad.numpy()[0] * o * (1 - tanh_c**2)
        np.testing.assert_allclose(trace["highway"][t], np.linalg.norm(cs[t - 1].grad.numpy()[0] - from_h),
                                   rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("call, message", [
    (lambda p: rnn_graph_trace(p, VOCAB, "", None), "text must be a non-empty str"),
    (lambda p: rnn_graph_trace(p, VOCAB, "cat", 3), r"loss_step must be an integer in 0\.\.2"),
    (lambda p: rnn_graph_trace(p, VOCAB, "cat", True), "loss_step must be an integer"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(init_lm("rnn", len(VOCAB), 4, 4))


def _pixels(view):
    return np.asarray(Image.open(io.BytesIO(view.children[2].value)).convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_the_unit_changes_the_picture(cell):
    """What a fresh view shows after any sequence of changes is test_widgets_equivalence's."""
    if cell == "rnn":
        view = rnn_graph_view(init_lm("rnn", len(VOCAB), 6, 9, seed=3), VOCAB, TEXT)
    else:
        view = lstm_graph_view(init_lm("lstm", len(VOCAB), 6, 5, seed=4), VOCAB, TEXT)
    before = _pixels(view)
    find_control(view, f"cu-graph-{cell}-unit").value = 1
    assert np.mean(np.abs(_pixels(view) - before) > 8) > 1e-3, "changing the unit did not change the picture"
