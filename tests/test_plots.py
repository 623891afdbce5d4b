"""course_utils.plots: the Blitter's kept pictures, and the helpers that keep dashboards legible."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from course_utils.plots import (
    Blitter,
    cached_heatmap_rows,
    clustered_units,
    heatmap_rows,
    nice_limits,
    place_labels,
    similar_units,
)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_blitter_reuses_a_picture_only_for_the_limits_it_was_drawn_with(monkeypatch):
    """The bug of issue 19: a picture kept for one y range reused after the range changed."""
    def figure():
        fig = Figure(figsize=(3, 2))
        ax = fig.subplots()
        (line,) = ax.plot([0, 1], [0, 1])
        return fig, ax, line

    fig, ax, line = figure()
    blit = Blitter(fig, dpi=60)
    blit.add(line)
    shown = []
    for top, y in [(1, 0.5), (10, 5.0), (1, 0.5), (10, 9.0)]:   # back to an earlier range, twice
        ax.set_ylim(0, top)
        line.set_data([0, 1], [0, y])
        shown.append(blit.show())
    monkeypatch.setattr(Blitter, "reuse", False)
    fresh_fig, fresh_ax, fresh_line = figure()
    fresh = Blitter(fresh_fig, dpi=60)
    fresh.add(fresh_line)
    for picture, (top, y) in zip(shown, [(1, 0.5), (10, 5.0), (1, 0.5), (10, 9.0)], strict=True):
        fresh_ax.set_ylim(0, top)
        fresh_line.set_data([0, 1], [0, y])
        np.testing.assert_array_equal(pixels(picture), pixels(fresh.show()))
    assert len(blit._saved) == 2   # one kept picture per y range


def test_blitter_key_separates_static_states():
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    blit = Blitter(fig, dpi=60)
    ax.set_title("one")
    first = blit.show(key="one")
    ax.set_title("two")
    second = blit.show(key="two")
    ax.set_title("one")
    assert not np.array_equal(pixels(first), pixels(second))
    np.testing.assert_array_equal(pixels(blit.show(key="one")), pixels(first))


def test_similar_units_put_the_chosen_unit_first_then_followers_then_mirrors(rng):
    T = 200
    signal = rng.standard_normal(T)
    states = 0.05 * rng.standard_normal((T, 6))
    states[:, 2] += signal            # the chosen unit
    states[:, 4] += 0.9 * signal      # follows it
    states[:, 0] -= 0.8 * signal      # mirrors it
    ids, correlation = similar_units(states, 2, k=3)
    assert ids.tolist() == [2, 4, 0]
    assert correlation[0] == 1.0 and correlation[1] > 0.9 and correlation[2] < -0.9
    with pytest.raises(ValueError, match="unit must be in 0..5"):
        similar_units(states, 6, 3)


def test_clustered_units_keep_each_planted_group_together(rng):
    T = 300
    groups = [rng.standard_normal(T) for _ in range(3)]
    members = [0, 1, 2, 0, 1, 2, 0, 1, 2]             # unit -> group, interleaved
    states = np.stack([groups[g] + 0.1 * rng.standard_normal(T) for g in members], axis=1)
    order = clustered_units(states)
    assert sorted(order.tolist()) == list(range(9))
    in_order = [members[u] for u in order]
    assert sum(a != b for a, b in zip(in_order, in_order[1:], strict=False)) == 2   # three blocks


def test_place_labels_avoid_each_other():
    fig = Figure(figsize=(4, 3), dpi=96)
    ax = fig.subplots()
    ax.set(xlim=(0, 10), ylim=(0, 10))
    points = np.array([[5, 5], [5.3, 5.1], [5.1, 4.8], [1, 1]])
    labels = ["first pair", "second pair", "third", "far away"]
    spots = place_labels(ax, points, labels, font_px=11)
    boxes = []
    for (x, y), (dx, dy, ha, va), text in zip(ax.transData.transform(points), spots, labels, strict=True):
        width, height = 0.62 * 11 * len(text) + 4, 1.2 * 11
        left = x + dx - {"left": 0, "center": width / 2, "right": width}[ha]
        bottom = y + dy - {"bottom": 0, "center": height / 2, "top": height}[va]
        boxes.append((left, bottom, left + width, bottom + height))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1])


def test_nice_limits_hold_the_range_on_round_numbers():
    for low, high in [(0, 0.71), (-1.7, 1.6), (-30, 75), (0.001, 0.02), (3, 3)]:
        lo, hi = nice_limits(low, high)
        assert lo <= low and hi >= high and lo < hi
        assert float(f"{lo:.2g}") == pytest.approx(lo) and float(f"{hi:.2g}") == pytest.approx(hi)  # round


def test_cached_heatmap_rows_keeps_the_unit_free_orders_per_text(monkeypatch):
    """"clustered" and "index" are computed once per text and reused for every unit; "similar"
    follows the chosen unit. Each equals heatmap_rows on the same states."""
    import course_utils.plots as plots

    rng = np.random.default_rng(0)
    texts = {"ab": rng.standard_normal((12, 9)), "cd": rng.standard_normal((15, 9))}
    calls = []
    original = plots.heatmap_rows
    monkeypatch.setattr(plots, "heatmap_rows", lambda *a, **kw: calls.append(a[2]) or original(*a, **kw))
    cache: dict = {}
    for text, states in texts.items():
        for unit in (0, 4, 7):
            for rows in ("clustered", "index", "similar"):
                got = cached_heatmap_rows(cache, text, states, unit, rows, k=5)
                np.testing.assert_array_equal(got, heatmap_rows(states, unit, rows, 5))
    # Per text: "clustered" and "index" once each, "similar" once per unit.
    assert sorted(calls) == sorted(["clustered", "index"] * 2 + ["similar"] * 6)
    assert set(cache) == {(t, r) for t in texts for r in ("clustered", "index")}
