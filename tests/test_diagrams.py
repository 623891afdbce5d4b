"""Architecture diagrams (course_utils.diagrams): the right structure, the lecture's numbers,
and a legible picture (nothing clipped, no two labels on top of each other)."""

import itertools

import numpy as np
import pytest

from course_utils import diagrams

ALL = {
    "unit": lambda: diagrams.draw_unit([0.5, 0.6, 0.1], [0.2, 0.3, 0.9], 0.5),
    "ffn": lambda: diagrams.draw_ffn((3, 4, 2)),
    "window_lm": lambda: diagrams.draw_window_lm(3, words=["the", "cat", "sat"]),
    "unrolled_rnn": lambda: diagrams.draw_unrolled_rnn(4),
    "lstm_cell": lambda: diagrams.draw_lstm_cell(),
    "bidirectional": lambda: diagrams.draw_bidirectional(4, tokens=["the", "bank", "is", "on"]),
    "stacked": lambda: diagrams.draw_stacked(2, 4),
}


def _text_boxes(d):
    renderer = d.fig.canvas.get_renderer()
    return [(t, t.get_window_extent(renderer)) for t in d.ax.texts + [d.ax.title] if t.get_text()]


@pytest.mark.parametrize("name", ALL)
def test_nothing_is_clipped_and_no_labels_overlap(name):
    d = ALL[name]()
    d.fig.canvas.draw()
    renderer = d.fig.canvas.get_renderer()
    figure_box = d.fig.bbox
    for patch in d.ax.patches:
        box = patch.get_window_extent(renderer)
        inside = (figure_box.x0 - 1 <= box.x0 and box.x1 <= figure_box.x1 + 1
                  and figure_box.y0 - 1 <= box.y0 and box.y1 <= figure_box.y1 + 1)
        assert inside, f"{name}: a patch leaves the figure"
    boxes = _text_boxes(d)
    for text, box in boxes:
        assert figure_box.contains(box.x0, box.y0) and figure_box.contains(box.x1, box.y1), \
            f"{name}: {text.get_text()!r} is cut off"
        assert text.get_fontsize() * d.fig.dpi / 72 >= 10, f"{name}: {text.get_text()!r} is below 10 px"
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"{name}: {a.get_text()!r} overlaps {b.get_text()!r}"


def test_the_unit_shows_the_lectures_worked_example():
    d = diagrams.draw_unit([0.5, 0.6, 0.1], [0.2, 0.3, 0.9], 0.5)
    texts = " ".join(t.get_text() for t in d.ax.texts)
    z = 0.2 * 0.5 + 0.3 * 0.6 + 0.9 * 0.1 + 0.5
    assert f"{z:.2f}" == "0.87" and "$z$ = 0.87" in texts
    assert f"≈ {1 / (1 + np.exp(-z)):.2f}" in texts and "0.70" in texts


def test_the_unrolled_rnn_has_one_node_per_step_and_the_bptt_paths():
    d = diagrams.draw_unrolled_rnn(5)
    for t in range(1, 6):
        assert {f"x{t}", f"h{t}", f"y{t}", f"L{t}"} <= set(d.nodes)
        assert {f"Wh{t}", f"We{t}", f"U{t}", f"dL{t}"} <= set(d.edges)
    assert {f"bptt{t}" for t in range(1, 5)} == {e for e in d.edges if e.startswith("bptt")}
    without = diagrams.draw_unrolled_rnn(5, show_bptt=False)
    assert not any(e.startswith(("bptt", "dL")) for e in without.edges)


def test_the_lstm_cell_has_four_gates_on_the_highway():
    d = diagrams.draw_lstm_cell()
    assert {"f", "i", "g", "o", "mul_f", "add", "c_prev", "c", "h_prev", "h"} <= set(d.nodes)
    highway = [d.edges[name] for name in ("c_prev-mul_f", "mul_f-add", "add-c")]
    assert all(edge.get_linewidth() > d.edges["f-mul_f"].get_linewidth() for edge in highway)


@pytest.mark.parametrize("call, message", [
    (lambda: diagrams.draw_unrolled_rnn(0), "steps must be an integer from 1 to 10"),
    (lambda: diagrams.draw_unrolled_rnn(3, tokens=["a"]), "tokens must hold steps = 3"),
    (lambda: diagrams.draw_ffn((3, 4)), r"sizes must be \(n0, n1, n2\)"),
    (lambda: diagrams.draw_unit([1.0, 2.0], [1.0], 0.0), "x and w must be 1-D of the same length"),
    (lambda: diagrams.draw_stacked(True, 3), "layers must be an integer"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
