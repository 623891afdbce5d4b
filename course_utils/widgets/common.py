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

__all__ = ["PlotImage", "figure_to_png", "with_class", "dashboard", "readout", "DPI",
           "WIDTH_PX"]


# Every plot is WIDTH_PX wide: the width of a notebook's output area in JupyterLab at 1400 px
# with the file browser open (about 965 px). Text of 8 points or more is then at least 10.7 px
# high on screen; the image is shown at 100 % of the output's width (up to 1.25 times its
# natural size in a wider output, where it stays sharp enough).
DPI = 96
WIDTH_IN = 10.0
WIDTH_PX = int(WIDTH_IN * DPI)
MIN_FONT_PT = 8.0   # the smallest text a dashboard draws (10.7 px at DPI)


def figure_to_png(fig: Figure, dpi: int = DPI) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class PlotImage:
    """A matplotlib figure shown through an ipywidgets Image (class `cu-plot`).

    `height` in inches; the width is WIDTH_IN for every dashboard (see WIDTH_PX)."""

    def __init__(self, height: float = 3.6, ncols: int = 1, nrows: int = 1, dpi: int = DPI,
                 **subplot_kw):
        import ipywidgets as widgets

        self.fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
        axes = self.fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
        self.axes = list(axes.ravel())
        self.dpi = dpi
        natural = int(WIDTH_IN * dpi)
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            width="100%", max_width=f"{int(1.25 * natural)}px", height="auto"))
        self.image.add_class("cu-plot")
        self.image.figure = self.fig  # tests and benchmarks reach the figure through the widget

    @property
    def ax(self):
        return self.axes[0]

    def render(self) -> bytes:
        return figure_to_png(self.fig, self.dpi)

    def refresh(self) -> None:
        self.image.value = self.render()


def with_class(widget, css_class: str):
    """Add a CSS class to a widget and return it (for one-line construction). A control's
    description gets the width its text needs (ipywidgets cuts longer ones at 80 px)."""
    widget.add_class(css_class)
    style = getattr(widget, "style", None)
    if style is not None and hasattr(style, "description_width"):
        style.description_width = "initial"
    return widget


def example_options(texts, width: int = 64) -> list[tuple[str, str]]:
    """(label, text) options for a menu of example texts: each shown on one line, cut at about
    `width` characters with "…" (the text box below the menu shows the whole text)."""
    def short(text):
        flat = " ".join(text.split())
        return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"

    return [(f"{number}: {short(text)}", text) for number, text in enumerate(texts, start=1)]


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
