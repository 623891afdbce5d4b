"""Legible dashboards: every text at least 10 px high on screen, every plot as wide as the
output area, no text over another text, no legend over data, no empty panel without a note.

Each dashboard (the cases of test_widgets_equivalence) is drawn in its first state and after
each candidate value of each control. The draw is recorded artist by artist (every Text,
Legend and data artist that matplotlib actually draws, with its box on screen), and the
checks run on what was drawn. One image per control value goes to test-artifacts/legibility/
(git-ignored), to be looked at.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.collections import Collection
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from test_widgets_equivalence import CASES, apply, random_sequence, shown_png

from course_utils.plots import Blitter
from course_utils.widgets.common import DPI, WIDTH_PX

from conftest import ROOT
from widget_latency import find_control

ARTIFACTS = ROOT / "test-artifacts" / "legibility"
OUTPUT_WIDTH_PX = 964   # JupyterLab's output area at 1400 × 1000, file browser open
MIN_TEXT_PX = 10.0


class DrawLog:
    """What one draw put on the canvas: texts, legends and data artists, with their boxes."""

    def __init__(self):
        self.texts, self.legends, self.data = [], [], []

    def install(self, patch):
        log = self

        def wrap(cls, store):
            original = cls.draw

            def draw(self, renderer, *args, **kwargs):
                result = original(self, renderer, *args, **kwargs)
                if self.get_visible():
                    store(self, renderer)
                return result

            patch.setattr(cls, "draw", draw)

        def text(artist, renderer):
            if artist.get_text().strip():
                log.texts.append((artist, artist.get_window_extent(renderer)))

        wrap(Text, text)
        wrap(Legend, lambda artist, renderer: log.legends.append(
            (artist, artist.get_window_extent(renderer))))
        wrap(Line2D, lambda artist, renderer: log.data.append(artist))
        wrap(Collection, lambda artist, renderer: log.data.append(artist))
        wrap(Rectangle, lambda artist, renderer: log.data.append(artist))


def text_name(artist) -> str:
    return f"{type(artist).__name__} {artist.get_text()[:40]!r}"


def in_legend(artist, legends) -> bool:
    return any(artist in legend.texts or artist is legend.get_title() for legend, _ in legends)


def data_points(artist) -> np.ndarray:
    """Display coordinates of the points a data artist draws (line vertices, scatter points,
    bar corners), or an empty array for artists that are not data (axes frames, legend keys)."""
    if artist.axes is None or artist.get_animated() is None:
        return np.empty((0, 2))
    if isinstance(artist, Line2D):
        xy = artist.get_xydata()
        unnamed = artist.get_label().startswith("_")
        spanning = not artist.get_transform().contains_branch(artist.axes.transData)  # axhline, axvline
        if len(xy) < 1 or (unnamed and (artist.get_linestyle() == "None" or spanning)):
            return np.empty((0, 2))      # tick marks and unnamed reference lines (zero, 0.5)
        points = artist.get_transform().transform(xy[np.all(np.isfinite(xy), axis=1)])
        if artist.get_linestyle() in ("None", "") or len(points) < 2:
            return points
        steps = np.linspace(0, 1, 16)[:, None, None]      # points along each segment, not just its ends
        return (points[:-1] + steps * (points[1:] - points[:-1])).reshape(-1, 2)
    if isinstance(artist, Collection) and hasattr(artist, "get_offsets"):
        offsets = np.asarray(artist.get_offsets())
        if len(offsets) > 1 or (len(offsets) == 1 and np.any(offsets)):
            return artist.get_offset_transform().transform(offsets)
    return np.empty((0, 2))


def problems(fig, log: DrawLog) -> list[str]:
    found = []
    scale = min(1.0, OUTPUT_WIDTH_PX / (fig.get_figwidth() * fig.dpi))
    for artist, _ in log.texts:
        size = artist.get_fontsize() * fig.dpi / 72 * scale
        if size < MIN_TEXT_PX - 1e-6:
            found.append(f"{text_name(artist)} is {size:.1f} px high (at least {MIN_TEXT_PX:g})")
    boxes = [(text_name(a), box) for a, box in log.texts if not in_legend(a, log.legends)]
    boxes += [("a legend", box) for _, box in log.legends]
    canvas = fig.bbox
    for name, box in boxes:
        if (box.x0 < canvas.x0 - 1 or box.x1 > canvas.x1 + 1
                or box.y0 < canvas.y0 - 1 or box.y1 > canvas.y1 + 1):
            found.append(f"{name} is cut off at the edge of the figure")
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1:]:
            overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
            if overlap_x > 0.5 and overlap_y > 0.5:
                found.append(f"{name_a} overlaps {name_b}")
    for legend, box in log.legends:
        inner = box.padded(-2)
        for artist in log.data:
            own = artist in legend.get_lines() or artist in legend.legend_handles
            if own or artist.axes is not legend.axes:
                continue
            points = data_points(artist)
            inside = ((points[:, 0] > inner.x0) & (points[:, 0] < inner.x1)
                      & (points[:, 1] > inner.y0) & (points[:, 1] < inner.y1)) if len(points) else []
            if np.any(inside):
                found.append(f"a legend covers data ({artist.get_label() or type(artist).__name__})")
                break
    return found


def states(case):
    """(label, control, value): the first state, each candidate value of each control, then a
    random sequence of changes (limits that grow and shrink, texts that come and go)."""
    yield "first", None, None
    for css_class, values in case.controls:
        for value in values:
            yield f"{css_class.removeprefix('cu-')}={value}", css_class, value
    for step, (css_class, value) in enumerate(random_sequence(case, seed=100, steps=12)):
        yield f"random{step:02d}-{css_class.removeprefix('cu-')}={value}", css_class, value


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9=._-]+", "_", text)[:80]


@pytest.mark.parametrize("name", list(CASES))
def test_dashboard_is_legible_in_every_state(name, monkeypatch):
    case = CASES[name]()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures = []
    with monkeypatch.context() as patch:
        patch.setattr(Blitter, "reuse", False, raising=False)   # every frame drawn in full
        view = case.build()
        plot = find_control(view, "cu-plot")
        fig = plot.figure
        assert fig.dpi == DPI and round(fig.get_figwidth() * fig.dpi) == WIDTH_PX, \
            f"{name}: the plot is {fig.get_figwidth() * fig.dpi:.0f} px wide, expected {WIDTH_PX}"
        assert plot.layout.width == "100%", f"{name}: the plot does not fill the output's width"
        log = DrawLog()
        log.install(patch)
        for label, css_class, value in states(case):
            log.__init__()
            if css_class is not None:
                apply(view, css_class, value)
                shown = shown_png(view)
            else:   # drawn before the log was installed: draw it again, moving artists too
                fig.canvas.draw()
                for artist in fig.findobj(lambda a: a.get_animated() and a.get_visible()):
                    (artist.axes or fig).draw_artist(artist)
                shown = shown_png(view)
            (ARTIFACTS / f"{name}-{slug(label)}.png").write_bytes(shown)
            failures += [f"{label}: {problem}" for problem in dict.fromkeys(problems(fig, log))]
    assert not failures, f"{name}:\n  " + "\n  ".join(failures[:30])
