"""Live architecture diagrams (lessons 04 and 06): the learner's own trained model, drawn as the
lecture draws it, with its forward values on the nodes and its gradients on the edges.

    rnn_graph_trace(params, vocab, text, loss_step)     pure: h^(t), predictions, losses and
                                                        ‖∂L/∂h^(t)‖ by backpropagation through time
    rnn_graph_view(params, vocab, text)                 the unrolled RNN, stepping through time
    lstm_graph_trace(params, vocab, text, loss_step)    pure: gates, cell states and the gradient
                                                        on every path of the cell, at every step
    lstm_graph_view(params, vocab, text)                the LSTM cell at a chosen step

The loss is the one prediction the learner picks: L = L^(k) = −log ŷ^(k)[x^(k+1)], the surprise at
the character that follows step k. Its gradient flows back through time, and the edge widths show
how much of it reaches each step (on a log scale): in the RNN it shrinks at every step back; in the
LSTM the cell-state path (the top line) carries it further.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from course_utils.diagrams import FORWARD, GRADIENT, draw_lstm_cell, draw_unrolled_rnn
from course_utils.nn.language_model import output_matrix
from course_utils.nn.layers import log_softmax
from course_utils.nn.lstm import gate_slice, lstm_step_forward
from course_utils.nn.rnn import rnn_step_backward, rnn_step_forward
from course_utils.plots import Blitter, freeze_layout
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class

__all__ = ["rnn_graph_trace", "rnn_graph_view", "lstm_graph_trace", "lstm_graph_view", "WINDOW",
           "MAX_TEXT"]

WINDOW = 5      # time steps drawn at once
MAX_TEXT = 80   # characters read; longer texts are cut
VALUE_CMAP = colormaps["RdBu_r"]


def _ids_of(fn, vocab, text):
    if not isinstance(text, str) or not text:
        raise ValueError(f"{fn}: text must be a non-empty str, got {text!r}")
    chars = list(text)[:MAX_TEXT]
    return chars, np.array([vocab.bos_id] + [vocab.token_to_id(ch) for ch in chars], dtype=np.int64)


def _loss_step(fn, loss_step, T):
    """The step whose prediction is scored: 0..T-2 (step t predicts token t+1; the last has none)."""
    loss_step = T - 2 if loss_step is None else loss_step
    is_int = isinstance(loss_step, (int, np.integer)) and not isinstance(loss_step, bool)
    if not is_int or not 0 <= loss_step <= T - 2:
        raise ValueError(f"{fn}: loss_step must be an integer in 0..{T - 2} (a step whose next token "
                         f"is known), got {loss_step!r}")
    return int(loss_step)


def _output(params, h, target):
    """ŷ = softmax(U h + c) for one row h (1, H): log-probabilities, and dL/dh for L = −log ŷ[target]."""
    U = output_matrix(params)
    log_probs = log_softmax(h @ U.T + params["c"])[0]
    dlogits = np.exp(log_probs)
    dlogits[target] -= 1.0
    return log_probs, (dlogits @ U)[None, :]


def rnn_graph_trace(params: dict, vocab, text: str, loss_step: int | None = None) -> dict:
    """The RNN LM over `<bos>` + text, and BPTT from the loss at `loss_step`.

    Returns "tokens" (T strings, "<bos>" first), "hidden" (T, H) with row t = h^(t) after reading
    token t, "top" (T, 3) the three most probable next tokens at each step and "top_probs",
    "losses" (T-1,) L^(t) for every step (the surprise at token t+1), "loss_step" k, and
    "grad_norm" (T,): ‖∂L^(k)/∂h^(t)‖, zero after step k (the future does not affect L^(k)).
    """
    fn = "rnn_graph_trace"
    chars, ids = _ids_of(fn, vocab, text)
    T = len(ids)
    k = _loss_step(fn, loss_step, T)
    W_e, W_h, b = (params[name].astype(np.float64) for name in ("W_e", "W_h", "b"))
    h = np.zeros((1, W_h.shape[0]))
    hidden, caches, log_probs = [], [], []
    for t in range(T):
        h, cache = rnn_step_forward(params["E"][ids[t:t + 1]].astype(np.float64), h, W_e, W_h, b)
        hidden.append(h[0])
        caches.append(cache)
        if t < T - 1:
            log_probs.append(_output(params, h, ids[t + 1])[0])
    log_probs = np.array(log_probs)
    grad_norm = np.zeros(T)
    dh = _output(params, hidden[k][None, :], ids[k + 1])[1]
    for t in range(k, -1, -1):
        grad_norm[t] = np.linalg.norm(dh)
        _, dh, _, _, _ = rnn_step_backward(dh, caches[t])
    top = np.argsort(-log_probs, axis=1)[:, :3]
    return {"tokens": ["<bos>"] + chars, "hidden": np.array(hidden), "loss_step": k,
            "losses": -log_probs[np.arange(T - 1), ids[1:]],
            "top": [[vocab.id_to_token(int(i)) for i in row] for row in top],
            "top_probs": np.exp(np.take_along_axis(log_probs, top, axis=1)), "grad_norm": grad_norm}


def _token(token: str) -> str:
    """A token as a short label: space ␣, newline ⏎, specials in angle quotes (⟨bos⟩)."""
    if token.startswith("<") and token.endswith(">") and len(token) > 2:
        return f"⟨{token[1:-1]}⟩"
    return {" ": "␣", "\n": "⏎"}.get(token, token)


def _edge_width(norm, scale):
    """Line width for a gradient of size `norm`: 0.5 (none) to 6 (the largest), log-scaled."""
    if norm <= 0 or scale <= 0:
        return 0.4
    return float(np.clip(0.5 + 5.5 * (1 + np.log10(norm / scale) / 4), 0.5, 6.0))


def _colour(value):
    """A light fill for a value in [-1, 1] (blue negative, white 0, red positive): the text on it stays
    legible."""
    return VALUE_CMAP(0.5 + 0.35 * float(np.clip(value, -1, 1)))


def rnn_graph_view(params: dict, vocab, text: str, unit: int = 0):
    """The unrolled RNN on the learner's model: pick the scored step k and the steps shown.

    Controls: `cu-graph-rnn-loss-step` (k), `cu-graph-rnn-end` (the last step drawn), `cu-graph-rnn-unit`
    (the unit whose value colours the hidden states). Edge labels are ‖∂L^(k)/∂h^(t)‖.
    """
    import ipywidgets as widgets

    trace = rnn_graph_trace(params, vocab, text)
    T, H = trace["hidden"].shape
    plot = PlotImage(5.6)   # the width of every dashboard; the diagram keeps its 9 : 5 shape
    plot.fig.clear()
    d = draw_unrolled_rnn(WINDOW, ax=plot.fig.add_subplot(), tokens=["·"] * WINDOW, title=False)
    d.ax.set_title(" ", fontsize=11)
    freeze_layout(plot.fig, plot.dpi)  # laid out once: a redraw changes texts and widths only
    plot.axes = [d.ax]
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)   # a picture per state: going back is free
    last = WINDOW - 1 if T > WINDOW else T - 1
    loss_step = with_class(widgets.IntSlider(value=T - 2, min=0, max=T - 2, description="loss at step k",
                                             style={"description_width": "initial"}),
                           "cu-graph-rnn-loss-step")
    end = with_class(widgets.IntSlider(value=T - 1, min=last, max=T - 1, description="steps shown up to",
                                       style={"description_width": "initial"}), "cu-graph-rnn-end")
    unit_box = with_class(widgets.BoundedIntText(value=unit, min=0, max=H - 1, description="unit",
                                                 layout=widgets.Layout(width="150px")), "cu-graph-rnn-unit")
    info = readout("graph-rnn")
    state = {"trace": trace}

    def redraw(_=None):
        if state["trace"]["loss_step"] != loss_step.value:
            state["trace"] = rnn_graph_trace(params, vocab, text, loss_step.value)
        tr = state["trace"]
        k, u = tr["loss_step"], unit_box.value
        steps = range(end.value - WINDOW + 1, end.value + 1)
        scale = max(tr["grad_norm"].max(), 1e-12)
        first = steps[0]
        d.nodes["h0"][1].set_text(f"{tr['hidden'][first - 1, u]:+.2f}" if first > 0 else "0")
        for slot, t in enumerate(steps, start=1):
            shown = 0 <= t < T
            _, x_text = d.nodes[f"x{slot}"]
            x_text.set_text(f"t={t}: “{_token(tr['tokens'][t])}”" if shown else "")
            patch, h_text = d.nodes[f"h{slot}"]
            patch.set_facecolor(_colour(tr["hidden"][t, u]) if shown else "white")
            h_text.set_text(f"{tr['hidden'][t, u]:+.2f}" if shown else "")
            _, y_text = d.nodes[f"y{slot}"]
            y_text.set_text(f"{_token(tr['top'][t][0])} {tr['top_probs'][t][0]:.0%}"
                            if shown and t < T - 1 else "")
            l_patch, l_text = d.nodes[f"L{slot}"]
            l_text.set_text(f"{tr['losses'][t]:.2f}" if shown and t < T - 1 else "")
            l_patch.set_linewidth(3.0 if t == k else 1.0)
            d.edges[f"dL{slot}"].set_visible(t == k)
            if slot > 1:
                edge = d.edges[f"bptt{slot - 1}"]
                norm = tr["grad_norm"][t - 1] if 1 <= t <= k else 0.0
                edge.set_linewidth(_edge_width(norm, scale))
                edge.set_visible(norm > 0)
        target = _token(tr["tokens"][k + 1])
        d.ax.set_title(f"hidden unit {u} in the boxes; loss at step {k}: −log p(“{target}”) "
                       f"= {tr['losses'][k]:.2f}; dashed width: ‖∂L/∂h‖ (log scale)", fontsize=11)
        norms = ", ".join(f"t={t}: {tr['grad_norm'][t]:.1e}" for t in steps if 0 <= t <= k)
        # every text and width depends on the three controls: together they are the picture's key
        plot.image.value = blit.show(key=(k, end.value, u))
        info.value = f"‖∂L<sup>({k})</sup>/∂h<sup>(t)</sup>‖ — {norms}"   # after the image: painted first

    for control in (loss_step, end, unit_box):
        control.observe(redraw, names="value")
    redraw()
    return dashboard("graph-rnn", [widgets.HBox([loss_step, end, unit_box]), plot.image, info],
                     title="Your RNN, unrolled: values forward, gradients back")


def lstm_graph_trace(params: dict, vocab, text: str, loss_step: int | None = None) -> dict:
    """The LSTM LM over `<bos>` + text, and backpropagation from the loss at `loss_step`.

    Returns "tokens", the per-step gate activations "i", "f", "g", "o" and states "c", "h"
    (each (T, H)), "losses", "loss_step", and the size of the gradient on each path of the cell at
    every step t <= k (each (T,), zero after k): "dh" ‖∂L/∂h^(t)‖, "dc" ‖∂L/∂c^(t)‖ (everything that
    reaches the cell state), "highway" ‖∂L/∂c^(t) ⊙ f‖ (what passes to c^(t-1) along the top line),
    and "df", "di", "dg", "do" (what reaches each gate's output).
    """
    fn = "lstm_graph_trace"
    chars, ids = _ids_of(fn, vocab, text)
    T = len(ids)
    k = _loss_step(fn, loss_step, T)
    W_e, W_h, b = (params[name].astype(np.float64) for name in ("W_e", "W_h", "b"))
    H = W_h.shape[1]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    record = {name: [] for name in ("i", "f", "g", "o", "c", "h", "c_prev", "a")}
    log_probs = []
    for t in range(T):
        x = params["E"][ids[t:t + 1]].astype(np.float64)
        a = x @ W_e.T + h @ W_h.T + b
        record["c_prev"].append(c[0])
        h, c, _ = lstm_step_forward(x, h, c, W_e, W_h, b)
        for gate, fn_ in (("i", _sigmoid), ("f", _sigmoid), ("g", np.tanh), ("o", _sigmoid)):
            record[gate].append(fn_(a[0, gate_slice(gate, H)]))
        record["c"].append(c[0])
        record["h"].append(h[0])
        if t < T - 1:
            log_probs.append(_output(params, h, ids[t + 1])[0])
    trace = {name: np.array(values) for name, values in record.items() if name != "a"}
    log_probs = np.array(log_probs)
    norms = {name: np.zeros(T) for name in ("dh", "dc", "highway", "df", "di", "dg", "do")}
    dh = _output(params, trace["h"][k][None, :], ids[k + 1])[1][0]
    dc = np.zeros(H)
    for t in range(k, -1, -1):
        i, f, g, o = (trace[gate][t] for gate in "ifgo")
        tanh_c = np.tanh(trace["c"][t])
        dc = dc + dh * o * (1 - tanh_c**2)                 # h = o ⊙ tanh(c) feeds c too
        grads = {"dh": dh, "dc": dc, "highway": dc * f, "df": dc * trace["c_prev"][t], "di": dc * g,
                 "dg": dc * i, "do": dh * tanh_c}
        for name, value in grads.items():
            norms[name][t] = np.linalg.norm(value)
        da = np.concatenate([grads["di"] * i * (1 - i), grads["df"] * f * (1 - f),
                             grads["dg"] * (1 - g**2), grads["do"] * o * (1 - o)])
        dh, dc = da @ W_h, dc * f                           # to step t-1: through the gates, and the top line
    trace.update(norms)
    trace.update({"tokens": ["<bos>"] + chars, "loss_step": k,
                  "losses": -log_probs[np.arange(T - 1), ids[1:]]})
    return trace


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


# Which gradient each edge of the cell diagram carries (see lstm_graph_trace).
LSTM_EDGE_GRADIENTS = {
    "c_prev-mul_f": "highway", "mul_f-add": "highway", "add-c": "dc", "mul_i-add": "dc",
    "f-mul_f": "df", "i-mul_i": "di", "g-mul_i": "dg", "o-mul_o": "do", "mul_o-h": "dh",
    "tanh_c-mul_o": "dh", "add-tanh_c": "dh",
}


def lstm_graph_view(params: dict, vocab, text: str, unit: int = 0):
    """The LSTM cell of the learner's model at one step: the chosen unit's gate values on the
    nodes, and the size of ∂L^(k)/∂(·) on each path (edge widths, log scale).

    Controls: `cu-graph-lstm-step` (the step t shown), `cu-graph-lstm-loss-step` (k),
    `cu-graph-lstm-unit`.
    """
    import ipywidgets as widgets

    trace = lstm_graph_trace(params, vocab, text)
    T, H = trace["h"].shape
    plot = PlotImage(5.6)   # the width of every dashboard; the diagram keeps its 9 : 5 shape
    plot.fig.clear()
    d = draw_lstm_cell(ax=plot.fig.add_subplot(), title=False)
    d.ax.set_title(" ", fontsize=11)
    freeze_layout(plot.fig, plot.dpi)
    plot.axes = [d.ax]
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)   # a picture per state: going back is free
    step = with_class(widgets.IntSlider(value=T - 2, min=0, max=T - 1, description="step t",
                                        style={"description_width": "initial"}), "cu-graph-lstm-step")
    loss_step = with_class(widgets.IntSlider(value=T - 2, min=0, max=T - 2, description="loss at step k",
                                             style={"description_width": "initial"}),
                           "cu-graph-lstm-loss-step")
    unit_box = with_class(widgets.BoundedIntText(value=unit, min=0, max=H - 1, description="unit",
                                                 layout=widgets.Layout(width="150px")), "cu-graph-lstm-unit")
    info = readout("graph-lstm")
    state = {"trace": trace}
    names = {"f": "forget f", "i": "input i", "g": "candidate g", "o": "output o"}

    def redraw(_=None):
        if state["trace"]["loss_step"] != loss_step.value:
            state["trace"] = lstm_graph_trace(params, vocab, text, loss_step.value)
        tr = state["trace"]
        t, k, u = step.value, tr["loss_step"], unit_box.value
        for gate in "figo":
            patch, label = d.nodes[gate]
            value = tr[gate][t, u]
            label.set_text(f"{names[gate]}\n{value:.2f}")
            patch.set_facecolor(_colour(value if gate == "g" else 2 * value - 1))
        h_prev = tr["h"][t - 1, u] if t > 0 else 0.0
        for name, value in (("c_prev", tr["c_prev"][t, u]), ("c", tr["c"][t, u]), ("h_prev", h_prev),
                            ("h", tr["h"][t, u])):
            d.nodes[name][1].set_text(f"{name[0]}: {value:+.2f}")
        d.nodes["x"][1].set_text(f"“{_token(tr['tokens'][t])}”")
        scale = max(max(tr[g].max() for g in set(LSTM_EDGE_GRADIENTS.values())), 1e-12)
        for edge, gradient in LSTM_EDGE_GRADIENTS.items():
            norm = tr[gradient][t] if t <= k else 0.0
            d.edges[edge].set_linewidth(_edge_width(norm, scale))
            d.edges[edge].set_color(GRADIENT if norm > 0 else FORWARD)
        after = " (after the scored step: no gradient)" if t > k else ""
        d.ax.set_title(f"unit {u} at step {t}; loss at step {k} = {tr['losses'][k]:.2f}{after}; "
                       "edge width: gradient size", fontsize=11)
        # every text and width depends on the three controls: together they are the picture's key
        plot.image.value = blit.show(key=(t, k, u))
        info.value = (f"‖∂L/∂c<sup>({t})</sup>‖ = {tr['dc'][t]:.1e} · along the cell state to step {t - 1}: "
                      f"{tr['highway'][t]:.1e} · ‖∂L/∂h<sup>({t})</sup>‖ = {tr['dh'][t]:.1e}")

    for control in (step, loss_step, unit_box):
        control.observe(redraw, names="value")
    redraw()
    return dashboard("graph-lstm", [widgets.HBox([step, loss_step, unit_box]), plot.image, info],
                     title="Your LSTM cell: values forward, gradients back")


