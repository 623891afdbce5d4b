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
    "plot_loss_curve", "update_loss_curve", "freeze_layout", "pin_axis_labels", "Blitter",
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

    `reference` draws a dotted horizontal line, e.g. log K, the loss of a uniform guess, named
    just above its right end (a legend box there would cover it). Returns the Line2D for
    update_loss_curve.
    """
    from matplotlib.transforms import blended_transform_factory

    losses = np.asarray(losses, dtype=np.float64)
    steps = np.arange(len(losses))
    (line,) = ax.plot(steps, losses, color="#3b528b", linewidth=1.8, label=label)
    if reference is not None:
        ax.axhline(reference, color="0.35", linestyle=":", linewidth=1.2)
        ax.text(0.99, reference, reference_label or f"reference {reference:.3g}", color="0.3",
                fontsize="small", ha="right", va="bottom",
                transform=blended_transform_factory(ax.transAxes, ax.transData))
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    if label is not None:
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


def pin_axis_labels(ax) -> None:
    """Keep `ax`'s axis titles where the last layout put them (call after freeze_layout):
    matplotlib moves them with the tick labels at every draw, so removing or changing tick
    labels later would slide a title onto what is drawn beside the axes."""
    to_axes = ax.transAxes.inverted()
    x_top = ax.xaxis.label.get_window_extent().y1                  # va="top"
    ax.xaxis.set_label_coords(0.5, to_axes.transform((0, x_top))[1])
    y_right = ax.yaxis.label.get_window_extent().x1                # rotated, anchored at its right
    ax.yaxis.set_label_coords(to_axes.transform((y_right, 0))[0], 0.5)


class Blitter:
    """Redraw a dashboard's figure in milliseconds: everything static (axes, ticks, labels,
    fixed curves) is drawn once and kept as a picture; each frame restores that picture,
    draws only the artists that move, and encodes the PNG.

        blit = Blitter(plot.fig, dpi=plot.dpi)
        blit.add(point, tangent)                  # the artists that move, drawn in zorder
        ...                                       # set everything: limits, titles, artists
        plot.image.value = blit.show(key=name)    # the figure as it stands now

    A kept picture is right only for the static state it was drawn in. That state is `key`
    (whatever the caller changes besides limits: a title, a curve, tick labels) together with
    every axes' limits and scales, which `show` reads itself: a picture is reused only when
    both match, so a dashboard cannot show new artists on an old picture's axes. A new state
    costs what savefig costs (the picture is drawn and kept, up to `keep` of them); a known one
    skips all text, which is most of a redraw. `layout=False` keeps the figure's own
    positions (set by hand) instead of laying it out once on the first draw.

    `Blitter.reuse = False` (for tests) draws every frame in full, reusing nothing.
    """

    reuse = True

    def __init__(self, fig, dpi: float = 90, compress_level: int = 1, layout: bool = True,
                 keep: int = 16):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = fig
        self.dpi = dpi
        self.compress_level = compress_level  # PNG: fast over small, the bytes stay local
        self.layout = layout
        self.keep = keep  # how many static pictures are remembered
        self.artists: list = []
        self._background = None
        self._state = None
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

    def static_state(self, key=None) -> tuple:
        """`key` with every axes' limits and scales: what a kept picture depends on."""
        return (key, tuple((ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
                            ax.get_visible()) for ax in self.fig.axes))

    def show(self, key=None) -> bytes:
        """The figure as it stands, as PNG bytes: the kept picture of this static state (see
        the class) with the moving artists drawn on it, or a new picture, drawn and kept."""
        state = self.static_state(key)
        if not (self.reuse and self._laid_out):
            return self._draw(state)
        if state != self._state:
            if state not in self._saved:
                return self._draw(state)
            self._background, self._state = self._saved[state], state
        return self._frame()

    def full(self, relayout: bool = False, key=None) -> bytes:
        """Draw the static picture anew (laying out the figure again on request, which forgets
        the kept pictures: the axes may have moved) and keep it, then a frame on it."""
        if relayout and self.layout:
            self._laid_out = False
        return self._draw(self.static_state(key))

    def frame(self) -> bytes:
        """After moving only the added artists: the same as `show` with the last key."""
        return self.show(self._state[0] if self._state else None)

    def _draw(self, state) -> bytes:
        if not self._laid_out:
            freeze_layout(self.fig, self.dpi)
            self._laid_out = True
            self._saved.clear()
            state = self.static_state(state[0])   # the layout may have moved the limits
        canvas = self.fig.canvas
        canvas.draw()
        self._background, self._state = canvas.copy_from_bbox(self.fig.bbox), state
        self._saved.pop(state, None)
        self._saved[state] = self._background
        while len(self._saved) > self.keep:
            self._saved.pop(next(iter(self._saved)))  # the oldest
        return self._frame()

    def _frame(self) -> bytes:
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
# Tokens, axis limits and labels (the dashboards of lessons 01-07)
# --------------------------------------------------------------------------------------


def printable_token(token: str) -> str:
    """A token as it can be shown on an axis or in a readout: space ␣, newline ⏎, tab ⇥."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥", "": "∅"}.get(token, token)


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


def place_labels(ax, points, labels, font_px: float, gap_px: float = 7.0) -> list[tuple]:
    """Where to write a label beside each point of `points` (n, 2, data coordinates) so that no
    label overlaps another label or point, or leaves the axes: for each label in turn, the first
    free place of right, left, above, below and the four diagonals (else the least crowded).
    Returns (dx, dy, ha, va) per label: an offset in pixels from its point and the alignment
    (label sizes are estimated from the number of characters, about 0.6 em each)."""
    inside = ax.get_window_extent()
    places = [(gap_px, 0, "left", "center"), (-gap_px, 0, "right", "center"),
              (0, gap_px, "center", "bottom"), (0, -gap_px, "center", "top"),
              (gap_px, gap_px, "left", "bottom"), (-gap_px, gap_px, "right", "bottom"),
              (gap_px, -gap_px, "left", "top"), (-gap_px, -gap_px, "right", "top")]
    where = ax.transData.transform(np.asarray(points, dtype=float))
    taken = [(x - gap_px, y - gap_px, x + gap_px, y + gap_px) for x, y in where]   # the points themselves
    chosen = []
    for (x, y), text in zip(where, labels, strict=True):
        width, height = 0.62 * font_px * len(text) + 4, 1.2 * font_px
        best, best_overlap = places[0], np.inf
        for dx, dy, ha, va in places:
            left = x + dx - {"left": 0, "center": width / 2, "right": width}[ha]
            bottom = y + dy - {"bottom": 0, "center": height / 2, "top": height}[va]
            box = (left, bottom, left + width, bottom + height)
            outside = (box[0] < inside.x0 or box[2] > inside.x1 or box[1] < inside.y0 or box[3] > inside.y1)
            overlap = sum(max(0, min(box[2], b[2]) - max(box[0], b[0]))
                          * max(0, min(box[3], b[3]) - max(box[1], b[1])) for b in taken)
            overlap += 1e6 if outside else 0
            if overlap < best_overlap:
                best, best_overlap, best_box = (dx, dy, ha, va), overlap, box
            if overlap == 0:
                break
        taken.append(best_box)
        chosen.append(best)
    return chosen


def nice_limits(low: float, high: float, bins: int = 6) -> tuple[float, float]:
    """Limits on round tick values (steps 1, 2, 2.5, 5 × 10^k) that hold [low, high] with a
    little room: an axis fitted to what it shows, in few distinct settings."""
    from matplotlib.ticker import MaxNLocator

    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high)):
        return -1.0, 1.0
    pad = 0.02 * (high - low) or 0.5 * max(abs(low), 1e-3)
    low, high = low - pad, high + pad
    ticks = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return float(ticks[ticks <= low].max()), float(ticks[ticks >= high].min())


def fixed_width_labels(axis, width: int = 5) -> None:
    """Tick labels of `axis` (e.g. ax.yaxis) as %g, right-aligned in `width` digit widths (padded
    with figure spaces): the label column keeps its width whatever the limits, so a layout made
    once still fits when a dashboard changes the limits."""
    from matplotlib.ticker import FuncFormatter

    def label(value, _position):
        return f"{value:g}".replace("-", "\u2212").rjust(width, "\u2007")

    axis.set_major_formatter(FuncFormatter(label))


__all__ += ["printable_token", "nice_bound", "nice_limits",
            "fixed_width_labels", "place_labels"]


# --------------------------------------------------------------------------------------
# Heatmaps of many units (time × unit): which rows to show, in which order
# --------------------------------------------------------------------------------------


def _correlations(states):
    """(H, H) correlation of the units' values over time; a constant unit correlates 0."""
    states = np.asarray(states, dtype=np.float64)
    centred = states - states.mean(axis=0)
    norms = np.sqrt((centred ** 2).sum(axis=0))
    scaled = centred / np.where(norms > 1e-12, norms, np.inf)
    return scaled.T @ scaled


def similar_units(states, unit: int, k: int):
    """The `k` units of `states` (T, H) whose values over time follow `unit`'s most closely,
    by the size of their correlation: `unit` first, then the others from the most positively
    to the most negatively correlated (units that mirror it). Returns (ids (k,), correlations)."""
    states = np.asarray(states, dtype=np.float64)
    H = states.shape[1]
    if not 0 <= unit < H:
        raise ValueError(f"similar_units: unit must be in 0..{H - 1}, got {unit}")
    correlation = _correlations(states)[unit]
    correlation[unit] = np.inf                       # the unit itself comes first
    chosen = np.argsort(-np.abs(correlation), kind="stable")[:min(k, H)]
    ids = chosen[np.argsort(-correlation[chosen], kind="stable")]
    correlation[unit] = 1.0
    return ids, correlation[ids]


def clustered_units(states):
    """Every unit of `states` (T, H), ordered so that units whose values move together sit
    next to each other: average-linkage clustering on 1 − correlation, leaves in optimal order.
    A heatmap in this order shows bands where unordered rows look like noise."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    states = np.asarray(states, dtype=np.float64)
    if states.shape[1] < 3:
        return np.arange(states.shape[1])
    distance = np.clip(1.0 - _correlations(states), 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), "average", optimal_ordering=True)
    return leaves_list(tree)


ROW_MODES = {"similar": "the {k} units most like the chosen one",
             "clustered": "all units, similar ones together",
             "index": "all units, by number"}
SIMILAR_ROWS = 24
ROW_AXIS_LABELS = {"similar": "units, most like the chosen first",   # the heatmap's y axis, per mode
                   "clustered": "all {H} units, alike together", "index": "all {H} units, by number"}


def heatmap_rows(states, unit: int, rows: str = "similar", k: int = SIMILAR_ROWS):
    """Which units a heatmap of `states` (T, H) shows, top to bottom.

    "similar": the chosen unit, then the k − 1 units whose values over this text follow it most
    closely (by |correlation|, positive ones first): big enough to read, and neighbours move
    together. "clustered": every unit, similar ones together. "index": every unit in order."""
    if rows not in ROW_MODES:
        raise ValueError(f"heatmap_rows: rows must be one of {list(ROW_MODES)}, got {rows!r}")
    if rows == "similar":
        return similar_units(states, unit, k)[0]
    if rows == "clustered":
        return clustered_units(states)
    return np.arange(np.shape(states)[1])


def cached_heatmap_rows(cache: dict, text, states, unit: int, rows: str, k: int = SIMILAR_ROWS):
    """`heatmap_rows`, kept in `cache` under (text, rows) for the orders that do not depend on the
    chosen unit ("clustered" sorts every unit: a dashboard computes it once per text)."""
    if rows == "similar":
        return heatmap_rows(states, unit, rows, k)
    if (text, rows) not in cache:
        cache[(text, rows)] = heatmap_rows(states, unit, rows)
    return cache[(text, rows)]


def heatmap_rows_html(order, rows: str, what: str = "values") -> str:
    """A readout line naming the heatmap's units top to bottom ("similar" mode only: the other
    modes show every unit)."""
    if rows != "similar":
        return ""
    return (f"<br>Heatmap rows, top to bottom ({what} most like unit {order[0]}'s first): "
            + ", ".join(str(u) for u in order))


__all__ += ["heatmap_rows_html", "similar_units", "clustered_units", "heatmap_rows",
            "ROW_MODES", "SIMILAR_ROWS", "ROW_AXIS_LABELS"]
