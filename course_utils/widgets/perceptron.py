"""Perceptron explorer (lesson 01): move w and b, watch the decision boundary and z, a = σ(z).

    perceptron_data(w, b, point, x, y, grid)   pure: a over the plane, the boundary line,
                                               z and a at the chosen point, points correct
    perceptron_explorer(w, b, datasets)        the dashboard, starting at the learner's w, b

One unit computes z = w·x + b and a = σ(z). The boundary z = 0 (a = 0.5) is a straight line
perpendicular to w, and w points towards the side the unit calls class 1: no choice of w
and b separates XOR's two classes, which is what the dataset menu lets a learner find out.
"""

from __future__ import annotations

import numpy as np

from course_utils.nn.activations import sigmoid
from course_utils.plots import (
    CLASS_COLOURS,
    CLASS_MARKERS,
    Blitter,
    freeze_layout,
    grid_2d,
    nice_bound,
    plot_decision_boundary,
)
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class

__all__ = ["TRUTH_TABLES", "perceptron_data", "perceptron_explorer"]

_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TRUTH_TABLES = {
    "AND": (_CORNERS, np.array([0, 0, 0, 1])),
    "OR": (_CORNERS, np.array([0, 1, 1, 1])),
    "NAND": (_CORNERS, np.array([1, 1, 1, 0])),
    "XOR": (_CORNERS, np.array([0, 1, 1, 0])),
}
ARROW_LENGTH = 0.3   # the w arrow, in units of x


def _as_vector(value, size, name):
    array = np.asarray(value, dtype=np.float64)
    if array.shape != (size,):
        raise ValueError(f"perceptron_data: {name} must have shape ({size},), got {array.shape}")
    return array


def perceptron_data(w, b, point, x, y, grid) -> dict:
    """What the explorer draws (no widgets). `grid` = grid_2d(...)'s (points, extent, shape).

    Returns a dict: "a_grid" σ(w·x + b) over the grid (shape); "line" (2, 2) two points of
    the boundary w·x + b = 0, as [[x1, x1'], [x2, x2']], or NaNs when w = 0; "arrow" (2, 2)
    tail and tip of a short arrow along w, starting on the boundary (its point nearest the
    grid's centre) or, when that point is near or outside the grid's edge, as close to it as
    the arrow fits inside the grid; "z", "a", "predicted" at `point`; "z_data" (N,) w·x + b
    of every point of x; "correct" how many of them the unit puts in their class y (z ≥ 0
    means class 1), out of "total".
    """
    w = _as_vector(w, 2, "w")
    point = _as_vector(point, 2, "point")
    b = float(b)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2 or y.shape != (len(x),):
        raise ValueError(f"perceptron_data: x must be (N, 2) and y (N,), got x {x.shape} and y {y.shape}")
    points, extent, shape = grid
    a_grid = sigmoid(points @ w + b).reshape(shape)
    centre = np.array([(extent[0] + extent[1]) / 2, (extent[2] + extent[3]) / 2])
    norm2 = float(w @ w)
    if norm2 == 0.0:
        line = np.full((2, 2), np.nan)
        arrow = np.full((2, 2), np.nan)
    else:
        # The point of the boundary nearest the centre, and the line's direction (⊥ w).
        foot = centre - (w @ centre + b) / norm2 * w
        along = np.array([-w[1], w[0]]) / np.sqrt(norm2)
        reach = 2 * max(extent[1] - extent[0], extent[3] - extent[2])
        ends = np.stack([foot - reach * along, foot + reach * along])  # (2 points, 2 coords)
        line = ends.T
        room = ARROW_LENGTH + 0.2        # the arrow and its label stay inside the window
        tail = np.clip(foot, [extent[0] + room, extent[2] + room], [extent[1] - room, extent[3] - room])
        arrow = np.stack([tail, tail + ARROW_LENGTH * w / np.sqrt(norm2)])
    z = float(w @ point + b)
    z_data = x @ w + b
    correct = int(np.sum((z_data >= 0).astype(int) == y))
    return {"a_grid": a_grid, "line": line, "arrow": arrow, "z": z, "a": float(sigmoid(z)),
            "predicted": int(z >= 0), "z_data": z_data, "correct": correct, "total": len(x)}


def _readout_html(name, w, b, point, data):
    verdict = ("all on the correct side" if data["correct"] == data["total"]
               else f"{data['total'] - data['correct']} on the wrong side")
    return (f"x = ({point[0]:.2f}, {point[1]:.2f}): z = w·x + b = {w[0]:.2f}·{point[0]:.2f} + "
            f"{w[1]:.2f}·{point[1]:.2f} + ({b:.2f}) = <b>{data['z']:.3f}</b>, "
            f"a = σ(z) = <b>{data['a']:.3f}</b> &rarr; class {data['predicted']}"
            f"<br>{name}: {data['correct']} of {data['total']} points correct ({verdict})")


def perceptron_explorer(w=(1.0, 1.0), b=-1.5, datasets=None, dataset: str | None = None,
                        point=(0.5, 0.8)):
    """The dashboard, starting at weights `w` and bias `b` (the learner's trained unit).

    `datasets` maps a name to (x (N, 2), y (N,) in {0, 1}); default: the truth tables of
    AND, OR, NAND and XOR. Controls: dataset (cu-perceptron-dataset), w1, w2, b
    (cu-perceptron-w1/-w2/-b), the chosen point x1, x2 (cu-perceptron-x1/-x2).
    """
    import ipywidgets as widgets

    datasets = dict(TRUTH_TABLES if datasets is None else datasets)
    if not datasets:
        raise ValueError("perceptron_explorer: datasets is empty; expected {name: (x, y)}")
    names = list(datasets)
    dataset = dataset or names[0]
    if dataset not in datasets:
        raise ValueError(f"perceptron_explorer: dataset={dataset!r} is not one of {names}")
    w = _as_vector(w, 2, "w")
    everything = np.concatenate([np.asarray(x, dtype=np.float64) for x, _ in datasets.values()])
    grid = grid_2d(everything, n=60, margin=0.5)
    extent = grid[1]

    def slider(name, value, low, high):
        return with_class(widgets.FloatSlider(value=float(np.clip(value, low, high)), min=low, max=high,
                                              step=0.05, description=name, readout_format=".2f",
                                              continuous_update=True), f"cu-perceptron-{name}")

    limit = float(np.ceil(max(4.0, *np.abs(w), abs(b))))
    w1, w2 = slider("w1", w[0], -limit, limit), slider("w2", w[1], -limit, limit)
    b_slider = slider("b", b, -1.5 * limit, 1.5 * limit)
    inset = 0.12  # the chosen point's star stays whole inside the plot
    x1 = slider("x1", point[0], extent[0] + inset, extent[1] - inset)
    x2 = slider("x2", point[1], extent[2] + inset, extent[3] - inset)
    choose = with_class(widgets.Dropdown(options=names, value=dataset, description="data"),
                        "cu-perceptron-dataset")
    label = readout("perceptron")

    plot = PlotImage(4.6, ncols=2, gridspec_kw={"width_ratios": [1.25, 1]})
    ax, ax_z = plot.axes
    x, y = datasets[dataset]
    data = perceptron_data(w, b, point, x, y, grid)
    artists = plot_decision_boundary(ax, data["a_grid"], extent, x, y, contour=False, point_size=90,
                                     legend=False, title="One unit: z = w·x + b, a = σ(z)")
    artists["colorbar"].set_label("a = σ(z)")
    (line,) = ax.plot(*data["line"], color="black", linewidth=2, label="boundary z = 0")
    arrow = ax.annotate("", xy=data["arrow"][1], xytext=data["arrow"][0],
                        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5})
    w_label = ax.text(*data["arrow"][1], " w", fontsize="medium", fontweight="bold")
    star = {"marker": "*", "markersize": 16, "color": "#fde725", "markeredgecolor": "black",
            "linestyle": "none"}
    (chosen,) = ax.plot(*point, **star, label="chosen x", zorder=4)
    # Below the axes, so that it stays in the static picture (the background moves).
    plot.fig.legend(handles=[*artists["points"], line, chosen], loc="outside lower center", ncols=4,
                    fontsize="small", frameon=False)
    ax.set_aspect("equal")
    # Right: every point at its z, on the curve a = σ(z); left of z = 0 is class 0.
    (sigmoid_curve,) = ax_z.plot([], [], color="#3b528b", linewidth=2)
    ax_z.axvline(0, color="black", linewidth=1.5)
    ax_z.axhline(0.5, color="0.5", linewidth=0.8, linestyle=":")
    z_points = [ax_z.scatter([], [], s=90, c=CLASS_COLOURS[k], marker=CLASS_MARKERS[k], edgecolors="black",
                             linewidths=0.6, zorder=3) for k in (0, 1)]
    (z_chosen,) = ax_z.plot([], [], **star, zorder=4)
    ax_z.set(ylim=(-0.08, 1.08), xlabel="z = w·x + b", ylabel="a",
             title="Each point at its z: class 1 where z ≥ 0")
    ax_z.grid(True, alpha=0.3)
    ax_z.xaxis.set_major_formatter("{x:g}")

    def set_z_axis(z_max):   # z_max in 5, 10, 20, 50: one kept picture each
        ax_z.set_xlim(-z_max, z_max)
        ax_z.set_xticks(np.linspace(-z_max, z_max, 5))

    set_z_axis(50)   # lay the figure out once with the widest z tick labels it will show
    freeze_layout(plot.fig, plot.dpi)
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    blit.add(artists["image"], line, arrow, w_label, *artists["points"], chosen, *z_points, z_chosen)

    def update(_=None):
        weights = np.array([w1.value, w2.value])
        chosen_point = np.array([x1.value, x2.value])
        x, y = datasets[choose.value]
        data = perceptron_data(weights, b_slider.value, chosen_point, x, y, grid)
        artists["image"].set_data(data["a_grid"])
        for k, points in enumerate(artists["points"]):
            points.set_offsets(x[y == k] if np.any(y == k) else np.empty((0, 2)))
        line.set_data(*data["line"])
        arrow.xy, arrow.xyann = data["arrow"][1], data["arrow"][0]
        arrow.set_visible(bool(np.all(np.isfinite(data["arrow"]))))
        w_label.set_position(data["arrow"][1])
        w_label.set_visible(arrow.get_visible())
        chosen.set_data([chosen_point[0]], [chosen_point[1]])
        z_max = nice_bound(1.15 * max(4.0, abs(data["z"]), *np.abs(data["z_data"])))   # 5, 10, 20, 50
        z_grid = np.linspace(-z_max, z_max, 201)
        sigmoid_curve.set_data(z_grid, sigmoid(z_grid))
        set_z_axis(z_max)
        for k, points in enumerate(z_points):
            z_k = data["z_data"][y == k]
            points.set_offsets(np.column_stack([z_k, sigmoid(z_k)]) if len(z_k) else np.empty((0, 2)))
        z_chosen.set_data([data["z"]], [data["a"]])
        plot.image.value = blit.show()
        label.value = _readout_html(choose.value, weights, b_slider.value, chosen_point, data)  # painted 2nd

    for control in (choose, w1, w2, b_slider, x1, x2):
        control.observe(update, names="value")
    update()
    controls = widgets.HBox([widgets.VBox([choose, w1, w2, b_slider]), widgets.VBox([x1, x2])])
    return dashboard("perceptron", [controls, plot.image, label],
                     title="Perceptron explorer: the line w·x + b = 0 splits the plane")
