"""Matplotlib pieces that lessons and dashboards share.

Each helper draws on an `Axes` it is given (a notebook's `plt.subplots()` or a dashboard's
`PlotImage`) and returns its artists, so that a dashboard can draw once and then update the
artists in place (`update_*`), which keeps a redraw within tens of milliseconds. Nothing here
calls pyplot.

Two-class pictures use one convention everywhere: class 0 red circles, class 1 blue
triangles, and a background of P(class 1) on the diverging map RdBu (white at 0.5, which is
where the decision boundary lies).
"""

from __future__ import annotations

import io

import numpy as np

__all__ = [
    "CLASS_COLOURS", "CLASS_MARKERS",
    "grid_2d", "scatter_classes", "plot_decision_boundary", "update_decision_boundary", "boundary_lines",
    "plot_loss_curve", "update_loss_curve", "freeze_layout", "Blitter",
]

CLASS_COLOURS = ("#b2182b", "#2166ac")  # the two ends of RdBu: class 0, class 1
CLASS_MARKERS = ("o", "^")


def grid_2d(x, n: int = 80, margin: float = 0.25, extent=None):
    """A square-ish n × n grid of points covering the 2-D inputs `x` (N, 2) plus a margin.

    Returns (points, extent, shape): points (n*n, 2) row by row from the bottom left,
    extent (x_min, x_max, y_min, y_max) for `imshow`, shape (n, n) to reshape scores with.
    Pass `extent` to fix the window instead of deriving it from `x`.
    """
    if extent is None:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
            raise ValueError(f"grid_2d: x must have shape (N, 2) with N >= 1, got {x.shape}")
        low, high = x.min(axis=0) - margin, x.max(axis=0) + margin
        extent = (float(low[0]), float(high[0]), float(low[1]), float(high[1]))
    if len(extent) != 4 or extent[0] >= extent[1] or extent[2] >= extent[3]:
        raise ValueError(f"grid_2d: extent must be (x_min, x_max, y_min, y_max) with min < max, "
                         f"got {extent}")
    xs = np.linspace(extent[0], extent[1], n)
    ys = np.linspace(extent[2], extent[3], n)
    grid_x, grid_y = np.meshgrid(xs, ys)  # (n, n) each, row i is y = ys[i]
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    return points, tuple(extent), (n, n)


def scatter_classes(ax, x, y, size: float = 28, labels=("class 0", "class 1")):
    """The points of each class with its colour and marker; returns one artist per class."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2 or y.shape != (len(x),):
        raise ValueError(f"scatter_classes: x must be (N, 2) and y (N,), got x {x.shape} and y {y.shape}")
    artists = []
    for k in (0, 1):
        artists.append(ax.scatter(x[y == k, 0], x[y == k, 1], s=size, c=CLASS_COLOURS[k],
                                  marker=CLASS_MARKERS[k], edgecolors="black", linewidths=0.6,
                                  label=labels[k], zorder=3))
    return artists


def plot_decision_boundary(ax, scores, extent, x=None, y=None, title: str = "Decision boundary",
                           colorbar: bool = True, contour: bool = True, xlabel: str = "$x_1$",
                           ylabel: str = "$x_2$", point_size: float = 28, legend: bool = True,
                           boundary_label: str = "boundary, P = 0.5"):
    """Background of P(class 1) on an (n, n) grid, the P = 0.5 line, and the points.

    `scores` has the grid's shape (see grid_2d) and values in [0, 1]. Returns a dict of
    artists for update_decision_boundary: "image", "contour" (a LineCollection, or None
    without contour), "points" (or []), "legend" and "colorbar" (or None).
    """
    from matplotlib.collections import LineCollection

    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"plot_decision_boundary: scores must be a 2-D grid (n, n), got {scores.shape}")
    image = ax.imshow(scores, origin="lower", extent=extent, cmap="RdBu", vmin=0.0, vmax=1.0,
                      alpha=0.65, aspect="auto", interpolation="bilinear")
    artists = {"image": image, "contour": None, "points": [], "colorbar": None, "legend": None,
               "extent": extent}
    if contour:
        artists["contour"] = ax.add_collection(LineCollection(
            boundary_lines(scores, extent), colors="black", linewidths=1.5, zorder=2),
            autolim=False)
    if x is not None and y is not None:
        artists["points"] = scatter_classes(ax, x, y, size=point_size)
        if legend:
            handles = list(artists["points"])
            if contour:  # a stand-in line: the collection has no legend entry of its own
                handles += ax.plot([], [], color="black", linewidth=1.5, label=boundary_label)
            artists["legend"] = ax.legend(handles=handles, loc="upper right", fontsize="small",
                                          framealpha=0.9)
            artists["legend"].set_zorder(5)
    if colorbar:
        artists["colorbar"] = ax.figure.colorbar(image, ax=ax, label="P(class 1)", shrink=0.9)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return artists


def boundary_lines(scores, extent, level: float = 0.5) -> list:
    """The level-0.5 lines of an (n, n) grid of scores over `extent`, as a list of (k, 2)
    arrays of points (empty where one class holds the whole window)."""
    import contourpy

    scores = np.asarray(scores, dtype=np.float64)
    ny, nx = scores.shape
    xs = np.linspace(extent[0], extent[1], nx)
    ys = np.linspace(extent[2], extent[3], ny)
    return list(contourpy.contour_generator(xs, ys, scores, line_type="Separate").lines(level))


def update_decision_boundary(artists, scores, x=None, y=None, extent=None):
    """Give plot_decision_boundary's artists new scores (and, with `x`, `y`, new points;
    with `extent`, a new window for the same grid size)."""
    scores = np.asarray(scores)
    if extent is not None:
        artists["extent"] = extent
        artists["image"].set_extent(extent)
    artists["image"].set_data(scores)
    if artists["contour"] is not None:
        artists["contour"].set_segments(boundary_lines(scores, artists["extent"]))
    if x is not None and y is not None:
        x, y = np.asarray(x), np.asarray(y)
        for k, points in enumerate(artists["points"]):
            points.set_offsets(x[y == k] if np.any(y == k) else np.empty((0, 2)))


def plot_loss_curve(ax, losses, title: str = "Training loss", xlabel: str = "step",
                    ylabel: str = "cross-entropy loss", log: bool = True, reference=None,
                    reference_label: str | None = None, label: str | None = None):
    """Loss per step as a line (log scale by default: late progress stays visible).

    `reference` draws a dotted horizontal line, e.g. log K, the loss of a uniform guess.
    Returns the Line2D for update_loss_curve.
    """
    losses = np.asarray(losses, dtype=np.float64)
    steps = np.arange(len(losses))
    (line,) = ax.plot(steps, losses, color="#3b528b", linewidth=1.8, label=label)
    if reference is not None:
        ax.axhline(reference, color="0.35", linestyle=":", linewidth=1.2,
                   label=reference_label or f"reference {reference:.3g}")
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    if reference is not None or label is not None:
        ax.legend(loc="upper right", fontsize="small")
    _rescale_loss_axes(ax, losses, reference)
    return line


def update_loss_curve(line, losses, reference=None):
    """Give the line new losses and rescale its axes to fit them."""
    losses = np.asarray(losses, dtype=np.float64)
    line.set_data(np.arange(len(losses)), losses)
    _rescale_loss_axes(line.axes, losses, reference)


def _rescale_loss_axes(ax, losses, reference=None):
    finite = losses[np.isfinite(losses)]
    values = np.concatenate([finite, [reference]]) if reference is not None else finite
    ax.set_xlim(0, max(len(losses) - 1, 1))
    if values.size == 0:
        return
    low, high = float(values.min()), float(values.max())
    if ax.get_yscale() == "log":
        low = max(low, 1e-12)
        ax.set_ylim(low / 1.5, high * 1.5)
    else:
        pad = 0.05 * (high - low) or 0.1
        ax.set_ylim(low - pad, high + pad)


def freeze_layout(fig, dpi: float | None = None) -> None:
    """Prepare a figure for many quick redraws (a dashboard's): lay it out once, keep it.

    Gives the figure its own Agg canvas (so the renderer, and its cache of laid-out text,
    survives from one savefig to the next), sets the dpi it will be saved at, runs the
    constrained layout once and then switches layout off, so that later redraws skip the
    layout pass. Together these halve a redraw. Call again after a change that moves tick
    labels or titles a lot (e.g. a new y range).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    if dpi is not None and fig.dpi != dpi:
        fig.set_dpi(dpi)
    if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.set_layout_engine("constrained")
    fig.draw_without_rendering()
    fig.set_layout_engine("none")


class Blitter:
    """Redraw a dashboard's figure in milliseconds: everything static (axes, ticks, labels,
    fixed curves) is drawn once and kept as a picture; each frame restores that picture,
    draws only the artists that move, and encodes the PNG.

        blit = Blitter(plot.fig, dpi=plot.dpi)
        blit.add(point, tangent)            # the artists that move, drawn in zorder
        plot.image.value = blit.full()      # after a static change (limits, title, a curve)
        plot.image.value = blit.frame()     # after moving only the added artists

    A full redraw costs what savefig costs; a frame skips all text, which is most of it.
    `full(key=...)` also keeps the static picture under a key (e.g. the axes limits it was
    drawn with); `use(key)` brings it back later without drawing. `layout=False` keeps the
    figure's own positions (set by hand with subplots_adjust) instead of laying it out once.
    """

    def __init__(self, fig, dpi: float = 90, compress_level: int = 1, layout: bool = True,
                 keep: int = 16):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = fig
        self.dpi = dpi
        self.compress_level = compress_level  # PNG: fast over small, the bytes stay local
        self.layout = layout
        self.keep = keep  # how many static pictures `full(key=...)` remembers
        self.artists: list = []
        self._background = None
        self._saved: dict = {}
        self._laid_out = not layout
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)  # its own canvas: the renderer and its text cache persist
        fig.set_dpi(dpi)

    def add(self, *artists):
        """Mark artists as moving: drawn on every frame, left out of the static picture."""
        for artist in artists:
            if artist is None:
                continue
            artist.set_animated(True)
            self.artists.append(artist)
        return artists[0] if len(artists) == 1 else artists

    def discard(self, artist) -> None:
        """Remove a moving artist from the figure (e.g. a contour about to be replaced)."""
        if artist is None:
            return
        self.artists = [a for a in self.artists if a is not artist]
        artist.remove()

    def full(self, relayout: bool = False, key=None) -> bytes:
        """Draw the static picture anew (laying out the figure the first time or on request,
        which forgets the kept pictures: the axes may have moved), then a frame on it."""
        if self.layout and (relayout or not self._laid_out):
            freeze_layout(self.fig, self.dpi)
            self._laid_out = True
            self._saved.clear()
        canvas = self.fig.canvas
        canvas.draw()
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        if key is not None:
            self._saved.pop(key, None)
            self._saved[key] = self._background
            while len(self._saved) > self.keep:
                self._saved.pop(next(iter(self._saved)))  # the oldest
        return self.frame()

    def use(self, key) -> bool:
        """Take the static picture kept under `key` (True), or report there is none (False).
        The caller must have put the static artists back into that picture's state."""
        if key not in self._saved:
            return False
        self._background = self._saved[key]
        return True

    def frame(self) -> bytes:
        """The static picture with the moving artists drawn on it, as PNG bytes."""
        if self._background is None:
            return self.full()
        canvas = self.fig.canvas
        canvas.restore_region(self._background)
        for artist in sorted(self.artists, key=lambda a: a.get_zorder()):
            if artist.axes is not None:
                artist.axes.draw_artist(artist)
            else:
                self.fig.draw_artist(artist)
        from PIL import Image

        rgb = np.asarray(canvas.buffer_rgba())[..., :3]  # the figure is opaque: alpha adds nothing
        png = io.BytesIO()
        Image.fromarray(rgb).save(png, "PNG", compress_level=self.compress_level)
        return png.getvalue()


# --------------------------------------------------------------------------------------
# Text coloured character by character (lessons 05-06 dashboards)
# --------------------------------------------------------------------------------------


def printable_token(token: str) -> str:
    """A token as it can be shown on an axis or in a readout: space ␣, newline ⏎, tab ⇥."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥", "": "∅"}.get(token, token)


def text_spans_html(tokens, values, cmap: str = "RdBu_r", vmax: float = 1.0, highlight=None,
                    underline=None, joiner: str = "") -> str:
    """Tokens as HTML spans on a background coloured by their values.

    A value v is drawn with the colour map at 0.5 + 0.5·clip(v / vmax, −1, 1), so on a diverging
    map 0 is white; pass values in [−1, 1] for a sequential map (−1 its first colour). The
    token at index `highlight` is outlined; where the boolean array `underline` is true the
    token is underlined in orange. Newlines are shown as ⏎ followed by a line break. The text
    colour is black or white, whichever reads better on the background.
    """
    import html

    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    values = np.asarray(values, dtype=np.float64)
    if len(values) != len(tokens):
        raise ValueError(f"text_spans_html: {len(tokens)} tokens but {len(values)} values")
    rgba = colormaps[cmap](0.5 + 0.5 * np.clip(values / vmax, -1, 1))          # (T, 4)
    light = rgba[:, :3] @ np.array([0.2126, 0.7152, 0.0722]) > 0.5
    underline = np.zeros(len(tokens), bool) if underline is None else np.asarray(underline, bool)
    spans = []
    for index, token in enumerate(tokens):
        style = (f"background:{to_hex(rgba[index])};color:{'#000' if light[index] else '#fff'};"
                 "white-space:pre-wrap;font-family:monospace;")
        if underline[index]:
            style += "border-bottom:2px solid #e08214;"
        if index == highlight:
            style += "outline:2px solid #222;"
        shown = "⏎<br>" if token == "\n" else html.escape(token)
        spans.append(f'<span title="{values[index]:+.2f}" style="{style}">{shown}</span>')
    return joiner.join(spans)


def nice_bound(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50, ... (times powers of ten) that is at least `value`:
    axis limits in a few steps, so that a dashboard can keep one static picture per step."""
    value = abs(float(value))
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exponent = np.floor(np.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * 10.0 ** exponent >= value * (1 - 1e-12):
            return float(step * 10.0 ** exponent)
    return float(10.0 ** (exponent + 1))


__all__ += ["printable_token", "text_spans_html", "nice_bound"]
