"""Activation explorer (lesson 01): pick g, move z, see a = g(z) and a' = g'(z) at the point.

    activation_data(g, g_prime, z)      pure: curves, the point, the tangent, saturation
    activation_explorer(activations)    the dashboard, on the learner's own (g, g') pairs

The tangent line on a(z) has slope g'(z): where the curve is flat (a saturated sigmoid or
tanh, a ReLU below 0) the slope, and so every gradient that passes through the unit, is ~0.
"""

from __future__ import annotations

import numpy as np

from course_utils.plots import Blitter
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class

__all__ = ["activation_data", "activation_explorer"]

Z_RANGE = (-6.0, 6.0)
SATURATED_BELOW = 0.1  # g'(z) under 10 % of its largest value counts as saturated


def activation_data(g, g_prime, z, z_range=Z_RANGE, n: int = 241) -> dict:
    """Everything the explorer draws for activation g at the point z (no widgets).

    Returns a dict: "z_grid", "a_grid", "da_grid" (n,) the curves; "z", "a", "da" the point;
    "tangent_z", "tangent_a" (2,) the tangent segment at z; "da_max" the largest g' on the
    grid; "saturation" = g'(z) / da_max (1 = full gradient, 0 = none passes).
    """
    if not (callable(g) and callable(g_prime)):
        raise TypeError(f"activation_data: g and g_prime must be functions, got {type(g).__name__} "
                        f"and {type(g_prime).__name__}")
    z = float(z)
    if not np.isfinite(z):
        raise ValueError(f"activation_data: z must be a finite number, got {z}")
    z_grid = np.linspace(z_range[0], z_range[1], n)
    a_grid = np.asarray(g(z_grid), dtype=np.float64)
    da_grid = np.asarray(g_prime(z_grid), dtype=np.float64)
    if a_grid.shape != z_grid.shape or da_grid.shape != z_grid.shape:
        raise ValueError(f"activation_data: g and g_prime must work element-wise; on z of shape "
                         f"{z_grid.shape} they returned {a_grid.shape} and {da_grid.shape}")
    a = float(np.asarray(g(np.array([z])))[0])
    da = float(np.asarray(g_prime(np.array([z])))[0])
    half_width = 1.5
    tangent_z = np.array([z - half_width, z + half_width])
    da_max = float(np.max(np.abs(da_grid)))
    return {
        "z_grid": z_grid, "a_grid": a_grid, "da_grid": da_grid,
        "z": z, "a": a, "da": da,
        "tangent_z": tangent_z, "tangent_a": a + da * (tangent_z - z),
        "da_max": da_max,
        "saturation": abs(da) / da_max if da_max > 0 else 0.0,
    }


def _readout_html(name: str, data: dict) -> str:
    note = ""
    if data["saturation"] == 0.0:
        note = "no gradient passes this unit (g′ = 0)"
    elif data["saturation"] < SATURATED_BELOW:
        note = f"saturated: g′ is {100 * data['saturation']:.1f}% of its maximum, gradients shrink"
    else:
        note = f"g′ is {100 * data['saturation']:.0f}% of its maximum {data['da_max']:.3g}"
    return (f"<b>{name}</b>: z = {data['z']:.2f} &rarr; a = g(z) = {data['a']:.4f}, "
            f"g′(z) = {data['da']:.4f} &nbsp;·&nbsp; {note}")


def activation_explorer(activations=None, function: str | None = None, z: float = 0.87):
    """The dashboard. `activations` maps a name to (g, g_prime), e.g. the learner's own
    {"sigmoid": (sigmoid, sigmoid_prime), ...}; default: course_utils.nn's sigmoid, tanh, ReLU.

    Controls: function (cu-activation-function), z (cu-activation-z).
    """
    import ipywidgets as widgets

    if activations is None:
        from course_utils.nn.activations import ACTIVATIONS
        activations = {k: v for k, v in ACTIVATIONS.items() if k != "identity"}
    if not activations:
        raise ValueError("activation_explorer: activations is empty; expected {name: (g, g_prime)}")
    for name, pair in activations.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(callable(f) for f in pair)):
            raise TypeError(f"activation_explorer: activations[{name!r}] must be a pair (g, g_prime) "
                            f"of functions, got {pair!r}")
    names = list(activations)
    function = function or names[0]
    if function not in activations:
        raise ValueError(f"activation_explorer: function={function!r} is not one of {names}")

    choose = with_class(widgets.Dropdown(options=names, value=function, description="g"),
                        "cu-activation-function")
    z_slider = with_class(widgets.FloatSlider(value=z, min=Z_RANGE[0], max=Z_RANGE[1], step=0.01,
                                              description="z", readout_format=".2f",
                                              continuous_update=True,
                                              layout=widgets.Layout(width="640px")),  # 0.02 per px
                        "cu-activation-z")
    label = readout("activation")

    plot = PlotImage(3.2, ncols=2)
    ax_a, ax_da = plot.axes
    # Fixed margins (room for "−1.0" tick labels), so that every function's picture shares one
    # layout and can be kept and reused when the learner switches back to it.
    plot.fig.set_layout_engine("none")
    ax_a.get_gridspec().update(left=0.085, right=0.985, bottom=0.15, top=0.9, wspace=0.28)
    for ax in plot.axes:
        ax.set_position(ax.get_subplotspec().get_position(plot.fig))
    data = activation_data(*activations[function], z_slider.value)
    (curve_a,) = ax_a.plot(data["z_grid"], data["a_grid"], color="#3b528b", linewidth=2, label="a = g(z)")
    (tangent,) = ax_a.plot(data["tangent_z"], data["tangent_a"], color="#e08214", linestyle="--",
                           linewidth=2, label="tangent, slope g′(z)")
    (point_a,) = ax_a.plot([data["z"]], [data["a"]], "o", color="#b2182b", markersize=8, zorder=3,
                           label="the point z")
    (curve_da,) = ax_da.plot(data["z_grid"], data["da_grid"], color="#3b528b", linewidth=2)
    (point_da,) = ax_da.plot([data["z"]], [data["da"]], "o", color="#b2182b", markersize=8, zorder=3)
    for ax, ylabel in ((ax_a, "a = g(z)"), (ax_da, "g′(z)")):
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.axvline(0, color="0.6", linewidth=0.8)
        ax.set_xlabel("pre-activation z")
        ax.set_ylabel(ylabel)
        ax.set_xlim(Z_RANGE[0] - 0.3, Z_RANGE[1] + 0.3)   # room for the point at either end
        ax.grid(True, alpha=0.3)
    ax_a.legend(loc="upper left", fontsize="small")
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    blit.add(tangent, point_a, point_da)  # what moves with z; the curves change only with g
    shown = {"name": None}

    saturated_spans: list = []

    def set_function_axes(name, data):
        for span in saturated_spans:  # the previous function's saturated zones
            span.remove()
        saturated_spans.clear()
        flat = data["da_grid"] < SATURATED_BELOW * data["da_max"]
        for ax in (ax_a, ax_da):
            saturated_spans.append(ax.fill_between(
                data["z_grid"], 0, 1, where=flat, transform=ax.get_xaxis_transform(), color="0.5",
                alpha=0.15, linewidth=0, label=f"saturated: g′ < {SATURATED_BELOW:.0%} of max"))
        ax_da.legend(handles=[saturated_spans[-1]], loc="upper right", fontsize="small")
        low, high = data["a_grid"].min(), data["a_grid"].max()
        pad = 0.1 * (high - low)
        ax_a.set_ylim(low - pad, high + pad)
        ax_da.set_ylim(-0.1 * data["da_max"], 1.15 * data["da_max"])
        ax_a.set_title(f"{name}: a = g(z)")
        ax_da.set_title("its derivative g′(z)")

    def update(_=None):
        name = choose.value
        g, g_prime = activations[name]
        data = activation_data(g, g_prime, z_slider.value)
        tangent.set_data(data["tangent_z"], data["tangent_a"])
        point_a.set_data([data["z"]], [data["a"]])
        point_da.set_data([data["z"]], [data["da"]])
        if shown["name"] != name:  # a new g: new curves, limits and titles
            curve_a.set_data(data["z_grid"], data["a_grid"])
            curve_da.set_data(data["z_grid"], data["da_grid"])
            set_function_axes(name, data)
            shown["name"] = name
        plot.image.value = blit.show(key=name)  # a picture per function: z moves only the point
        label.value = _readout_html(name, data)   # after the image: the page paints that first

    choose.observe(update, names="value")
    z_slider.observe(update, names="value")
    update()
    return dashboard("activation", [widgets.HBox([choose, z_slider]), plot.image, label],
                     title="Activation explorer: a = g(z) and its slope g′(z)")
