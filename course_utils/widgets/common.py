"""What every dashboard shares: a figure shown as an image widget, CSS classes, layout.

Conventions (the browser tests and the benchmarks rely on them):

- a dashboard is a `widgets.VBox` with the classes `cu-dashboard` and `cu-<name>`;
- each control carries `cu-<name>-<control>` (e.g. `cu-activation-z`);
- the plot is a `widgets.Image` (an `<img>` in the page) with the class `cu-plot`;
- a text readout (numbers the plot shows) is a `widgets.HTML` with the class `cu-readout`.

The figure is a plain `matplotlib.figure.Figure` (not pyplot), drawn once and then updated
artist by artist; `PlotImage.refresh()` renders it to PNG bytes and hands them to the image
widget. That is core ipywidgets + Agg only, so it renders in JupyterLab, Notebook 7, VS Code,
Voilà and Colab alike, and the redraw is one `savefig` (tens of milliseconds).
"""

from __future__ import annotations

import io
from collections.abc import Callable

from matplotlib.figure import Figure

__all__ = ["PlotImage", "figure_to_png", "with_class", "dashboard", "readout"]


def figure_to_png(fig: Figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class PlotImage:
    """A matplotlib figure shown through an ipywidgets Image (class `cu-plot`)."""

    def __init__(self, figsize=(7.0, 3.6), dpi: int = 90, ncols: int = 1, nrows: int = 1,
                 **subplot_kw):
        import ipywidgets as widgets

        self.fig = Figure(figsize=figsize, layout="constrained")
        axes = self.fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
        self.axes = list(axes.ravel())
        self.dpi = dpi
        # Shown at its natural size (not stretched to the output's width, which blurs it).
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            width=f"{int(figsize[0] * dpi)}px", max_width="100%", height="auto"))
        self.image.add_class("cu-plot")

    @property
    def ax(self):
        return self.axes[0]

    def render(self) -> bytes:
        return figure_to_png(self.fig, self.dpi)

    def refresh(self) -> None:
        self.image.value = self.render()


def with_class(widget, css_class: str):
    """Add a CSS class to a widget and return it (for one-line construction)."""
    widget.add_class(css_class)
    return widget


def readout(name: str):
    import ipywidgets as widgets

    label = widgets.HTML()
    label.add_class("cu-readout")
    label.add_class(f"cu-{name}-readout")
    return label


def dashboard(name: str, children, title: str | None = None):
    """The outer box of a dashboard, with `cu-dashboard` and `cu-<name>`."""
    import ipywidgets as widgets

    items = list(children)
    if title:
        items.insert(0, widgets.HTML(f"<b>{title}</b>"))
    box = widgets.VBox(items)
    box.add_class("cu-dashboard")
    box.add_class(f"cu-{name}")
    return box


def without_reentry(redraw: Callable[[], object]) -> Callable:
    """An observer that calls `redraw()`, except while a call is under way: the changes a
    redraw makes to the dashboard's own controls (a slider's new range) do not redraw again."""
    busy = False

    def update(_=None):
        nonlocal busy
        if busy:
            return
        busy = True
        try:
            redraw()
        finally:
            busy = False

    return update
