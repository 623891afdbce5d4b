"""Architecture diagrams drawn by code: the pictures the lecture draws, in the lecture's notation.

    draw_unit(x, w, b)             a single unit: z = w·x + b, a = σ(z)            (lesson 01)
    draw_ffn()                     the 2-layer network x → h → z → ŷ              (lesson 02)
    draw_window_lm(n)              the fixed-window neural LM                      (lesson 03)
    draw_unrolled_rnn(steps)       the RNN unrolled in time, with the BPTT paths   (lessons 04-05)
    draw_lstm_cell()               the LSTM cell: four gates on the cell-state highway (lesson 06)
    draw_bidirectional(steps)      two directions, outputs concatenated            (lesson 07)
    draw_stacked(layers, steps)    a deep RNN: each layer reads the one below      (lesson 07)

Every function draws on a matplotlib `Axes` it is given (or a new figure) and returns a
`Diagram`: the figure, the axes, and the artists of every node and edge by name, so that a
dashboard can recolour nodes and thicken edges with the values of the learner's own model
(`course_utils.widgets.graph` does that for the unrolled RNN and the LSTM cell).

One vocabulary of glyphs everywhere (as d2l draws its figures): rounded boxes are vectors,
coloured by what they hold (inputs orange, hidden states blue, outputs green, gates purple or
sky blue); circles are element-wise operations (⊙, +, tanh); solid arrows carry the forward
computation and are labelled with their weight matrix; dashed vermilion arrows are gradients
flowing back. The colours are the Okabe-Ito palette, which colour-blind readers tell apart.
Drawn with code, the pictures never go stale and can show the learner's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

__all__ = [
    "Diagram", "STYLE",
    "draw_unit", "draw_ffn", "draw_window_lm", "draw_unrolled_rnn", "draw_lstm_cell",
    "draw_bidirectional", "draw_stacked",
]

# Okabe-Ito colours: (edge, fill) per kind of node.
STYLE = {
    "input": ("#E69F00", "#FCE9C2"),
    "hidden": ("#0072B2", "#CCE3F2"),
    "output": ("#009E73", "#C8EDE1"),
    "gate": ("#CC79A7", "#F3DCEA"),       # sigmoid gates f, i, o
    "candidate": ("#56B4E9", "#DDF0FB"),  # tanh candidate g
    "op": ("#555555", "#FFFFFF"),
    "loss": ("#D55E00", "#F9DCC8"),
}
FORWARD = "#333333"
GRADIENT = "#D55E00"
FONT = 12


@dataclass
class Diagram:
    """A drawn diagram: `nodes[name]` is (patch, text), `edges[name]` an arrow patch."""

    fig: Figure
    ax: object
    nodes: dict = field(default_factory=dict)
    edges: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    def _repr_png_(self):  # a notebook shows the diagram when it is a cell's last value
        import io

        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


# --------------------------------------------------------------------------------------
# Glyphs
# --------------------------------------------------------------------------------------


def _canvas(ax, figsize, xlim, ylim, title):
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)  # its own canvas: savefig and text measurement without pyplot
        ax = fig.add_subplot()
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=FONT + 1)
    return Diagram(fig=ax.figure, ax=ax)


def _box(d, name, xy, label, kind="hidden", width=1.0, height=0.6, fontsize=FONT):
    edge, fill = STYLE[kind]
    x, y = xy
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                           boxstyle="round,pad=0.02,rounding_size=0.12",
                           linewidth=1.6, edgecolor=edge, facecolor=fill, zorder=2)
    d.ax.add_patch(patch)
    text = d.ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, zorder=3)
    d.nodes[name] = (patch, text)
    return patch


def _circle(d, name, xy, label, radius=0.22, kind="op", fontsize=FONT):
    edge, fill = STYLE[kind]
    patch = Circle(xy, radius, linewidth=1.4, edgecolor=edge, facecolor=fill, zorder=2)
    d.ax.add_patch(patch)
    text = d.ax.text(*xy, label, ha="center", va="center", fontsize=fontsize, zorder=3)
    d.nodes[name] = (patch, text)
    return patch


def _arrow(d, name, start, end, label=None, gradient=False, rad=0.0, label_offset=(0.0, 0.0),
           fontsize=FONT - 1, width=1.4):
    """An arrow between two nodes (by name) or two points; the label sits at its middle.

    The ends are put on the nodes' borders here, once (matplotlib's patchA/patchB clipping
    would redo that geometry on every draw, which makes a live diagram slow)."""
    patch_a = d.nodes[start][0] if isinstance(start, str) else None
    patch_b = d.nodes[end][0] if isinstance(end, str) else None
    a = _centre(patch_a) if patch_a is not None else start
    b = _centre(patch_b) if patch_b is not None else end
    tail = _border(patch_a, a, b) if patch_a is not None else a
    head = _border(patch_b, b, a) if patch_b is not None else b
    arrow = FancyArrowPatch(tail, head, arrowstyle="-|>", mutation_scale=12,
                            connectionstyle=f"arc3,rad={rad}", linewidth=width, zorder=1,
                            color=GRADIENT if gradient else FORWARD,
                            linestyle=(0, (4, 2.5)) if gradient else "solid", shrinkA=2, shrinkB=2)
    d.ax.add_patch(arrow)
    d.edges[name] = arrow
    if label:
        mx, my = (a[0] + b[0]) / 2 + label_offset[0], (a[1] + b[1]) / 2 + label_offset[1]
        d.labels[name] = d.ax.text(mx, my, label, ha="center", va="center", fontsize=fontsize,
                                   color=GRADIENT if gradient else FORWARD, zorder=4,
                                   bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                                         "alpha": 0.85})
    return arrow


def _centre(patch):
    if isinstance(patch, Circle):
        return tuple(patch.center)
    return (patch.get_x() + patch.get_width() / 2, patch.get_y() + patch.get_height() / 2)


def _border(patch, centre, towards):
    """Where the line from `centre` towards `towards` leaves the node `patch`."""
    direction = np.subtract(towards, centre)
    length = float(np.hypot(*direction))
    if length == 0:
        return centre
    direction = direction / length
    if isinstance(patch, Circle):
        reach = patch.get_radius()
    else:
        half_w, half_h = patch.get_width() / 2, patch.get_height() / 2
        reach = min(half_w / abs(direction[0]) if direction[0] else np.inf,
                    half_h / abs(direction[1]) if direction[1] else np.inf)
    return tuple(np.add(centre, direction * min(reach, length)))


def _check_count(fn, name, value, low=1, high=12):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{fn}: {name} must be an integer from {low} to {high} (a picture, not a model), "
                         f"got {value!r}")


def _sup(symbol, t):
    """A symbol with a time superscript in the lecture's notation: h^{(t)} for t = 1, 2, ..."""
    return rf"$\mathbf{{{symbol}}}^{{({t})}}$"


# --------------------------------------------------------------------------------------
# Lesson 01: one unit
# --------------------------------------------------------------------------------------


def draw_unit(x=None, w=None, b=None, activation="σ", ax=None, inputs=3):
    """A single unit: inputs x_j, weights w_j on the edges, z = w·x + b, a = σ(z).

    With numbers (x, w, b as in the lecture's worked example) the nodes show the values, so
    the picture is the computation: x = [0.5, 0.6, 0.1], w = [0.2, 0.3, 0.9], b = 0.5 give
    z = 0.87 and a = σ(0.87) ≈ 0.70.
    """
    if x is not None:
        x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
        if x.ndim != 1 or w.shape != x.shape or b is None:
            raise ValueError(f"draw_unit: x and w must be 1-D of the same length and b a number; got x "
                             f"{x.shape}, w {np.shape(w)}, b {b!r}")
        inputs = len(x)
    _check_count("draw_unit", "inputs", inputs, 1, 6)
    spread = 0.55 * (inputs - 1)
    d = _canvas(ax, (7.5, 1.2 + 0.75 * inputs), (-0.6, 7.4), (-spread - 1.25, spread + 0.5), None)
    ys = np.linspace(0.55 * (inputs - 1), -0.55 * (inputs - 1), inputs) if inputs > 1 else [0.0]
    z_value = a_value = None
    if x is not None:
        z_value = float(w @ x + b)
        a_value = {"σ": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
                   "ReLU": lambda z: max(z, 0.0)}.get(activation, lambda z: 1 / (1 + np.exp(-z)))(z_value)
    _circle(d, "sum", (3.6, 0), "Σ", radius=0.38, kind="hidden", fontsize=FONT + 4)
    _box(d, "act", (5.4, 0), activation, kind="hidden", width=0.9, height=0.7, fontsize=FONT + 2)
    for j, y in enumerate(ys):
        label = rf"$x_{j + 1}$" + (f" = {x[j]:g}" if x is not None else "")
        _box(d, f"x{j}", (0.4, y), label, kind="input", width=1.5 if x is not None else 0.8, height=0.5)
        weight = rf"$w_{j + 1}$" + (f" = {w[j]:g}" if x is not None else "")
        _arrow(d, f"w{j}", f"x{j}", "sum", weight, label_offset=(-0.25, 0.18))
    bias = "$b$" + (f" = {b:g}" if x is not None else "")
    d.ax.text(3.6, -0.95, bias, ha="center", va="center", fontsize=FONT - 1)
    _arrow(d, "b", (3.6, -0.78), "sum")
    z_label = "$z$" + (f" = {z_value:.2f}" if z_value is not None else "")
    _arrow(d, "z", "sum", "act", z_label, label_offset=(0, 0.3))
    a_label = "$a$" + (f" ≈ {a_value:.2f}" if a_value is not None else "")
    _arrow(d, "a", "act", (7.2, 0), a_label, label_offset=(0, 0.3))
    d.ax.set_title(r"One unit: $z = \mathbf{w}\cdot\mathbf{x} + b$,  $a = \sigma(z)$", fontsize=FONT + 1)
    return d


# --------------------------------------------------------------------------------------
# Lesson 02: the 2-layer network
# --------------------------------------------------------------------------------------


def draw_ffn(sizes=(3, 4, 2), ax=None):
    """The 2-layer network of lesson 02: x → h = σ(Wx + b) → z = Uh → ŷ = softmax(z).

    `sizes` = (n0, n1, n2) units per layer (small: it is a picture). Every unit of one layer
    feeds every unit of the next; the matrices W (n1×n0) and U (n2×n1) hold those weights.
    """
    if len(sizes) != 3:
        raise ValueError(f"draw_ffn: sizes must be (n0, n1, n2), got {sizes!r}")
    for name, n in zip(("n0", "n1", "n2"), sizes, strict=True):
        _check_count("draw_ffn", name, n, 1, 8)
    d = _canvas(ax, (8.0, 3.8), (-0.8, 9.6), (-2.6, 2.6), None)
    columns = {"x": (0.6, sizes[0], "input", "x"), "h": (3.6, sizes[1], "hidden", "h"),
               "z": (6.6, sizes[2], "output", "z")}
    for key, (cx, n, kind, symbol) in columns.items():
        for k, y in enumerate(np.linspace(0.6 * (n - 1), -0.6 * (n - 1), n) if n > 1 else [0.0]):
            _circle(d, f"{key}{k}", (cx, y), rf"${symbol}_{k + 1}$", radius=0.26, kind=kind)
    for a_key, b_key, n_a, n_b in (("x", "h", sizes[0], sizes[1]), ("h", "z", sizes[1], sizes[2])):
        for i in range(n_a):
            for j in range(n_b):
                arrow = _arrow(d, f"{a_key}{i}-{b_key}{j}", f"{a_key}{i}", f"{b_key}{j}", width=0.8)
                arrow.set_alpha(0.55)
    _box(d, "softmax", (8.6, 0), "softmax", kind="output", width=1.3, height=0.6)
    for j in range(sizes[2]):
        _arrow(d, f"z{j}-softmax", f"z{j}", "softmax", width=0.8)
    d.ax.text(2.1, 2.25, r"$W \in \mathbb{R}^{n_1 \times n_0}$, $\mathbf{b}$", ha="center", fontsize=FONT)
    d.ax.text(5.1, 2.25, r"$U \in \mathbb{R}^{n_2 \times n_1}$", ha="center", fontsize=FONT)
    d.ax.text(0.6, -2.35, "input $\\mathbf{x}$", ha="center", fontsize=FONT - 1)
    d.ax.text(3.6, -2.35, r"$\mathbf{h} = \sigma(W\mathbf{x} + \mathbf{b})$", ha="center", fontsize=FONT - 1)
    d.ax.text(6.6, -2.35, r"$\mathbf{z} = U\mathbf{h}$", ha="center", fontsize=FONT - 1)
    d.ax.text(8.6, -2.35, r"$\hat{\mathbf{y}}$", ha="center", fontsize=FONT)
    d.ax.set_title("A 2-layer feed-forward network", fontsize=FONT + 1)
    return d


# --------------------------------------------------------------------------------------
# Lesson 03: the fixed-window language model
# --------------------------------------------------------------------------------------


def draw_window_lm(n=3, ax=None, words=None):
    """Bengio et al.'s fixed-window LM: the n previous words are looked up in E, their vectors
    concatenated into e (n·D numbers), h = tanh(W e + b), and ŷ = softmax(U h + b_y) is the
    distribution of the next word (b_y is the output bias, params["c"] in the code). A longer
    window means a wider W: the limitation lesson 03 measures."""
    _check_count("draw_window_lm", "n", n, 1, 6)
    if words is not None and len(words) != n:
        raise ValueError(f"draw_window_lm: words must hold n = {n} words, got {len(words)}")
    width = max(8.0, 1.7 * n + 4)
    d = _canvas(ax, (width * 0.95, 4.6), (-0.9, width - 0.6), (-0.7, 5.2), None)
    xs = [1.0 + 1.7 * k for k in range(n)]
    for k, x in enumerate(xs):
        t = f"t-{n - k}"
        label = f"“{words[k]}”" if words is not None else rf"$x^{{({t})}}$"
        _box(d, f"w{k}", (x, 0.0), label, kind="input", width=1.45, height=0.55)
        _box(d, f"e{k}", (x, 1.5), rf"$E[x^{{({t})}}]$", kind="input", width=1.45, height=0.55)
        _arrow(d, f"lookup{k}", f"w{k}", f"e{k}", "lookup" if k == 0 else None, label_offset=(-0.45, 0))
    middle = (xs[0] + xs[-1]) / 2
    concat = 1.7 * n - 0.25
    d.ax.add_patch(FancyBboxPatch((xs[0] - 0.85, 1.1), concat, 0.8, boxstyle="round,pad=0.02",
                                  linewidth=1.0, edgecolor="#999999", facecolor="none", linestyle="--",
                                  zorder=1))
    d.ax.text(xs[-1] + 0.95, 1.5, r"$\mathbf{e}$: concatenated ($nD$)", ha="left", va="center",
              fontsize=FONT - 1)
    _box(d, "h", (middle, 3.0), r"$\mathbf{h} = \tanh(W\mathbf{e} + \mathbf{b})$", kind="hidden",
         width=3.6, height=0.6)
    for k in range(n):
        _arrow(d, f"e{k}-h", f"e{k}", "h", "$W$" if k == n - 1 else None, label_offset=(0.3, 0))
    _box(d, "y", (middle, 4.4), r"$\hat{\mathbf{y}} = \mathrm{softmax}(U\mathbf{h} + \mathbf{b}_y)$",
         kind="output", width=4.2, height=0.6)
    _arrow(d, "h-y", "h", "y", "$U$", label_offset=(0.25, 0))
    d.ax.text(middle, 5.0, r"$P(x^{(t)} \mid x^{(t-n)}, \dots, x^{(t-1)})$", ha="center", fontsize=FONT)
    return d


# --------------------------------------------------------------------------------------
# Lessons 04-05: the RNN unrolled in time
# --------------------------------------------------------------------------------------


def draw_unrolled_rnn(steps=4, ax=None, show_bptt=True, tokens=None, title=True):
    """The RNN unrolled over `steps` time steps: the same W_e, W_h, U at every step.

        h^(t) = tanh(W_h h^(t-1) + W_e e^(t) + b),   ŷ^(t) = softmax(U h^(t) + c)

    With `show_bptt` the dashed arrows are backpropagation through time: each loss L^(t)
    sends a gradient into h^(t), and every h^(t) passes its gradient back to h^(t-1) through
    W_h, so ∂L/∂h^(1) collects a term from every later loss. Nodes are named "x1", "h1",
    "y1", "L1", ...; edges "Wh1" (h^(0) → h^(1)), "We1", "U1", and "bptt1" (h^(2) → h^(1)).
    """
    _check_count("draw_unrolled_rnn", "steps", steps, 1, 10)
    if tokens is not None and len(tokens) != steps:
        raise ValueError(f"draw_unrolled_rnn: tokens must hold steps = {steps} strings, got {len(tokens)}")
    gap = 1.9
    d = _canvas(ax, (1.6 * steps + 2.0, 5.2), (-0.8, gap * steps + 1.0), (-0.9, 5.5), None)
    _box(d, "h0", (0.0, 2.0), _sup("h", 0), kind="hidden", width=0.95)
    for t in range(1, steps + 1):
        x = gap * t
        token = f" “{tokens[t - 1]}”" if tokens is not None else ""
        _box(d, f"x{t}", (x, 0.0), _sup("x", t) + token, kind="input",
             width=1.5 if tokens is not None else 0.95)
        _box(d, f"h{t}", (x, 2.0), _sup("h", t), kind="hidden", width=0.95)
        _box(d, f"y{t}", (x, 3.6), rf"$\hat{{\mathbf{{y}}}}^{{({t})}}$", kind="output", width=0.95)
        _box(d, f"L{t}", (x, 5.0), rf"$L^{{({t})}}$", kind="loss", width=0.8, height=0.5)
        _arrow(d, f"We{t}", f"x{t}", f"h{t}", "$W_e$" if t == 1 else None, label_offset=(-0.35, 0))
        _arrow(d, f"Wh{t}", f"h{t - 1}", f"h{t}", "$W_h$", label_offset=(0, 0.28))
        _arrow(d, f"U{t}", f"h{t}", f"y{t}", "$U$" if t == 1 else None, label_offset=(-0.3, 0))
        _arrow(d, f"out{t}", f"y{t}", f"L{t}")
        if show_bptt:
            _arrow(d, f"dL{t}", f"L{t}", f"h{t}", None, gradient=True, rad=-0.35)
            if t > 1:
                _arrow(d, f"bptt{t - 1}", f"h{t}", f"h{t - 1}", None, gradient=True, rad=-0.45)
    if show_bptt:
        d.ax.text(gap * (steps + 1) / 2, -0.7, "dashed: gradients flowing back through time (BPTT)",
                  ha="center", fontsize=FONT - 1, color=GRADIENT)
    if title:
        d.ax.set_title(r"The RNN unrolled: $\mathbf{h}^{(t)} = \tanh(W_h\mathbf{h}^{(t-1)} + "
                       r"W_e\mathbf{e}^{(t)} + \mathbf{b})$", fontsize=FONT + 1)
    return d


# --------------------------------------------------------------------------------------
# Lesson 06: the LSTM cell
# --------------------------------------------------------------------------------------

GATE_LABELS = {"f": ("forget f", "σ", "gate"), "i": ("input i", "σ", "gate"),
               "g": ("candidate g", "tanh", "candidate"), "o": ("output o", "σ", "gate")}


def draw_lstm_cell(ax=None, title=True):
    """The LSTM cell drawn as the cell-state highway with the gates on it (after Olah 2015).

        f, i, o = σ(W_· x^(t) + U_· h^(t-1) + b_·)     g = tanh(W_g x^(t) + U_g h^(t-1) + b_g)
        c^(t) = f ⊙ c^(t-1) + i ⊙ g                   h^(t) = o ⊙ tanh(c^(t))

    The top line is c: from c^(t-1) it meets only an element-wise product with f and a sum,
    so (with f near 1) its gradient passes back almost unchanged: the additive path.
    Nodes: "c_prev", "h_prev", "x", "f", "i", "g", "o", "mul_f", "mul_i", "add", "tanh_c",
    "mul_o", "c", "h"; edges named by their ends, e.g. "c_prev-mul_f", "add-c".
    """
    d = _canvas(ax, (9.0, 5.0), (-0.6, 11.4), (-0.9, 5.0), None)
    top, bottom = 4.2, 0.0
    _box(d, "c_prev", (0.3, top), _sup("c", "t-1"), kind="hidden", width=1.0)
    _box(d, "h_prev", (0.3, 1.3), _sup("h", "t-1"), kind="hidden", width=1.0)
    _box(d, "x", (2.0, bottom - 0.45), _sup("x", "t"), kind="input", width=0.95)
    _box(d, "c", (10.7, top), _sup("c", "t"), kind="hidden", width=0.95)
    _box(d, "h", (10.7, 1.3), _sup("h", "t"), kind="hidden", width=0.95)
    gate_x = {"f": 3.0, "i": 4.6, "g": 6.0, "o": 7.6}
    for gate, gx in gate_x.items():
        name, fn, kind = GATE_LABELS[gate]
        _box(d, gate, (gx, 1.3), f"{fn}\n{name}", kind=kind, width=1.3, height=0.8, fontsize=FONT - 1)
    _circle(d, "mul_f", (3.0, top), "⊙")
    _circle(d, "mul_i", (5.3, 2.8), "⊙")
    _circle(d, "add", (5.3, top), "+")
    _circle(d, "tanh_c", (8.8, 3.2), "tanh", radius=0.34, fontsize=FONT - 2)
    _circle(d, "mul_o", (8.8, 1.3), "⊙")
    # the highway
    _arrow(d, "c_prev-mul_f", "c_prev", "mul_f", width=2.6)
    _arrow(d, "mul_f-add", "mul_f", "add", width=2.6)
    _arrow(d, "add-c", "add", "c", width=2.6)
    d.ax.text(7.0, top + 0.35, "cell state: the additive path", ha="center", fontsize=FONT - 1,
              color=STYLE["hidden"][0])
    # the gates read [h^(t-1), x^(t)]
    d.ax.plot([0.3, 8.2], [0.45, 0.45], color=FORWARD, linewidth=1.2, zorder=1)
    _arrow(d, "h_prev-bus", "h_prev", (0.3, 0.5), width=1.2)
    _arrow(d, "x-bus", "x", (2.0, 0.47), width=1.2)
    for gate, gx in gate_x.items():
        _arrow(d, f"bus-{gate}", (gx, 0.45), gate, width=1.2)
    _arrow(d, "f-mul_f", "f", "mul_f")
    _arrow(d, "i-mul_i", "i", "mul_i")
    _arrow(d, "g-mul_i", "g", "mul_i")
    _arrow(d, "mul_i-add", "mul_i", "add")
    _arrow(d, "add-tanh_c", (9.6, top), "tanh_c", rad=0.0)
    _arrow(d, "tanh_c-mul_o", "tanh_c", "mul_o")
    _arrow(d, "o-mul_o", "o", "mul_o")
    _arrow(d, "mul_o-h", "mul_o", "h")
    d.ax.text(6.4, -0.45, r"every gate reads $[\mathbf{h}^{(t-1)};\, \mathbf{x}^{(t)}]$ through its own "
              r"weights", ha="center", fontsize=FONT - 1)
    if title:
        d.ax.set_title(r"The LSTM cell: $\mathbf{c}^{(t)} = \mathbf{f}\odot\mathbf{c}^{(t-1)} + "
                       r"\mathbf{i}\odot\mathbf{g}$,  $\mathbf{h}^{(t)} = \mathbf{o}\odot"
                       r"\tanh(\mathbf{c}^{(t)})$", fontsize=FONT + 1)
    return d


# --------------------------------------------------------------------------------------
# Lesson 07: bidirectional and stacked RNNs
# --------------------------------------------------------------------------------------


def draw_bidirectional(steps=4, ax=None, tokens=None):
    """A bidirectional layer: →h reads left to right, ←h right to left, with separate weights;
    the output at step t is [→h^(t) ; ←h^(t)], so it knows the whole sentence."""
    _check_count("draw_bidirectional", "steps", steps, 1, 10)
    if tokens is not None and len(tokens) != steps:
        raise ValueError(f"draw_bidirectional: tokens must hold steps = {steps} strings, got {len(tokens)}")
    gap = 1.9
    d = _canvas(ax, (1.6 * steps + 3.0, 5.0), (-0.4, gap * steps + 1.4), (-0.8, 5.0), None)
    for t in range(1, steps + 1):
        x = gap * t
        label = f"“{tokens[t - 1]}”" if tokens is not None else _sup("x", t)
        _box(d, f"x{t}", (x, 0.0), label, kind="input", width=1.45 if tokens is not None else 0.95)
        _box(d, f"f{t}", (x, 1.5), rf"$\overrightarrow{{\mathbf{{h}}}}^{{({t})}}$", kind="hidden", width=0.95)
        _box(d, f"b{t}", (x, 2.8), rf"$\overleftarrow{{\mathbf{{h}}}}^{{({t})}}$", kind="gate", width=0.95)
        both = rf"$[\overrightarrow{{\mathbf{{h}}}};\overleftarrow{{\mathbf{{h}}}}]^{{({t})}}$"
        _box(d, f"y{t}", (x, 4.2), both, kind="output", width=1.5)
        _arrow(d, f"xf{t}", f"x{t}", f"f{t}")
        _arrow(d, f"xb{t}", f"x{t}", f"b{t}", rad=0.45)
        _arrow(d, f"fy{t}", f"f{t}", f"y{t}", rad=-0.45)
        _arrow(d, f"by{t}", f"b{t}", f"y{t}")
        if t > 1:
            _arrow(d, f"ff{t}", f"f{t - 1}", f"f{t}")
            _arrow(d, f"bb{t - 1}", f"b{t}", f"b{t - 1}")
    d.ax.text(gap * (steps + 1) / 2, -0.7, "blue: left to right; purple: right to left (its own weights)",
              ha="center", fontsize=FONT - 1)
    d.ax.set_title("A bidirectional RNN: each output sees the whole sentence", fontsize=FONT + 1)
    return d


def draw_stacked(layers=2, steps=4, ax=None):
    """A deep (stacked) RNN: layer 1 reads the inputs; layer l reads the states of layer l-1.
    Each layer has its own W_e^(l), W_h^(l)."""
    _check_count("draw_stacked", "layers", layers, 1, 4)
    _check_count("draw_stacked", "steps", steps, 1, 10)
    gap = 1.9
    height = 1.5 * layers + 2.2
    d = _canvas(ax, (1.6 * steps + 2.0, 1.0 * height + 0.6), (-0.8, gap * steps + 1.0),
                (-0.6, height), None)
    for l in range(1, layers + 1):
        y = 1.5 * l
        _box(d, f"h{l}_0", (0.0, y), rf"$\mathbf{{h}}_{{{l}}}^{{(0)}}$", kind="hidden", width=0.95)
        for t in range(1, steps + 1):
            _box(d, f"h{l}_{t}", (gap * t, y), rf"$\mathbf{{h}}_{{{l}}}^{{({t})}}$", kind="hidden",
                 width=0.95)
            _arrow(d, f"Wh{l}_{t}", f"h{l}_{t - 1}", f"h{l}_{t}", rf"$W_h^{{({l})}}$" if t == 1 else None,
                   label_offset=(0, 0.28))
    for t in range(1, steps + 1):
        _box(d, f"x{t}", (gap * t, 0.0), _sup("x", t), kind="input", width=0.95)
        _arrow(d, f"in{t}", f"x{t}", f"h1_{t}", "$W_e^{(1)}$" if t == 1 else None, label_offset=(-0.45, 0))
        for l in range(2, layers + 1):
            _arrow(d, f"up{l}_{t}", f"h{l - 1}_{t}", f"h{l}_{t}", rf"$W_e^{{({l})}}$" if t == 1 else None,
                   label_offset=(-0.45, 0))
        _box(d, f"y{t}", (gap * t, 1.5 * layers + 1.4), rf"$\hat{{\mathbf{{y}}}}^{{({t})}}$", kind="output",
             width=0.95)
        _arrow(d, f"out{t}", f"h{layers}_{t}", f"y{t}")
    d.ax.set_title(f"A stacked RNN with {layers} layers: layer $l$ reads the states of layer $l-1$",
                   fontsize=FONT + 1)
    return d
