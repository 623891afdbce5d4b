"""Dashboards of lessons 01-02 (activation, perceptron, training) and the plots they share.

Each compute function is tested directly; each view is built headless, its controls are
changed programmatically (value, click), and the plot bytes and the readout must change.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from course_utils import nn
from course_utils.data import make_toy_2d
from course_utils.nn.ffn import ffn_backward, ffn_forward, ffn_loss, init_ffn
from course_utils.nn.optim import sgd_step
from course_utils.plots import (
    Blitter,
    grid_2d,
    plot_decision_boundary,
    plot_loss_curve,
    update_decision_boundary,
    update_loss_curve,
)
from course_utils.widgets.activation import activation_data, activation_explorer
from course_utils.widgets.perceptron import TRUTH_TABLES, perceptron_data, perceptron_explorer
from course_utils.widgets.training import (
    accuracy,
    boundary_grid,
    gradient_norms,
    loss_and_gradients,
    train_steps,
    training_explorer,
)


def find(widget, css_class):
    """The one widget under `widget` that carries `css_class`."""
    found = []

    def walk(w):
        if css_class in getattr(w, "_dom_classes", ()):
            found.append(w)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    assert len(found) == 1, f"{len(found)} widgets with class {css_class}"
    return found[0]


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


class Watch:
    """Plot bytes and readout text of a dashboard, to assert that an action changed both."""

    def __init__(self, box, name):
        self.image = find(box, "cu-plot")
        self.label = find(box, f"cu-{name}-readout")
        self.snapshot()

    def snapshot(self):
        self.png, self.text = bytes(self.image.value), self.label.value

    def changed(self):
        result = (bytes(self.image.value) != self.png, self.label.value != self.text)
        self.snapshot()
        return result


def assert_dashboard(box, name, controls):
    assert {"cu-dashboard", f"cu-{name}"} <= set(box._dom_classes)
    for control in controls:
        find(box, f"cu-{name}-{control}")
    png = bytes(find(box, "cu-plot").value)
    assert png.startswith(b"\x89PNG") and pixels(png).std() > 10  # a real picture, not blank


# ---- plots --------------------------------------------------------------------------------

def test_grid_2d_covers_the_points_with_a_margin():
    x = np.array([[0.0, -1.0], [2.0, 1.0]])
    points, extent, shape = grid_2d(x, n=5, margin=0.5)
    assert extent == (-0.5, 2.5, -1.5, 1.5) and shape == (5, 5) and points.shape == (25, 2)
    np.testing.assert_allclose(points[0], [-0.5, -1.5])  # bottom left first, row by row
    np.testing.assert_allclose(points[4], [2.5, -1.5])
    np.testing.assert_allclose(points[-1], [2.5, 1.5])
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\).*got \(3,\)"):
        grid_2d(np.ones(3))
    with pytest.raises(ValueError, match="extent must be"):
        grid_2d(None, extent=(1, 0, 0, 1))


def test_decision_boundary_and_loss_curve_update_in_place():
    fig = Figure()
    ax_boundary, ax_loss = fig.subplots(1, 2)
    points, extent, shape = grid_2d(None, n=20, extent=(-1, 1, -1, 1))
    scores = (points[:, 0] > 0).astype(float).reshape(shape)
    x, y = np.array([[-0.5, 0.0], [0.5, 0.0]]), np.array([0, 1])
    artists = plot_decision_boundary(ax_boundary, scores, extent, x, y)
    assert artists["contour"] is not None and len(artists["points"]) == 2
    labels = [t.get_text() for t in artists["legend"].get_texts()]
    assert labels == ["class 0", "class 1", "boundary, P = 0.5"]
    (segment,) = artists["contour"].get_segments()
    np.testing.assert_allclose(segment[:, 0], 0.0, atol=0.06)  # the line x1 = 0, within a grid cell
    update_decision_boundary(artists, np.full(shape, 0.9), x[::-1], y)
    assert artists["contour"].get_segments() == []  # one class everywhere: no boundary
    np.testing.assert_allclose(artists["points"][0].get_offsets(), [[0.5, 0.0]])
    line = plot_loss_curve(ax_loss, [0.7, 0.5], reference=np.log(2))
    update_loss_curve(line, [0.7, 0.5, 0.1, 0.01])
    assert len(line.get_xdata()) == 4 and ax_loss.get_ylim()[0] < 0.01 and ax_loss.get_xlim() == (0, 3)


def test_blitter_frame_equals_a_full_redraw():
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_title("static")
    (point,) = ax.plot([0.2], [0.2], "o", markersize=10)
    blit = Blitter(fig, dpi=60)
    blit.add(point)
    first = blit.full()
    point.set_data([0.8], [0.8])
    moved = blit.frame()
    np.testing.assert_array_equal(pixels(moved), np.asarray(fig.canvas.buffer_rgba())[..., :3])
    assert not np.array_equal(pixels(first), pixels(moved))
    np.testing.assert_array_equal(pixels(moved), pixels(blit.full()))


# ---- activation explorer -----------------------------------------------------------------

def test_activation_data_at_the_worked_example():
    data = activation_data(nn.sigmoid, nn.sigmoid_prime, 0.87)
    assert data["a"] == pytest.approx(0.7047, abs=1e-4)
    assert data["da"] == pytest.approx(0.7047 * (1 - 0.7047), abs=1e-4)
    assert data["da_max"] == pytest.approx(0.25)
    assert data["saturation"] == pytest.approx(data["da"] / 0.25)
    slope = np.diff(data["tangent_a"]) / np.diff(data["tangent_z"])
    assert slope[0] == pytest.approx(data["da"])
    assert data["z_grid"].shape == data["a_grid"].shape == data["da_grid"].shape == (241,)


def test_activation_data_saturation():
    assert activation_data(nn.sigmoid, nn.sigmoid_prime, 6.0)["saturation"] < 0.1
    assert activation_data(nn.tanh, nn.tanh_prime, 0.0)["saturation"] == pytest.approx(1.0)
    assert activation_data(nn.relu, nn.relu_prime, -1.0)["saturation"] == 0.0
    with pytest.raises(TypeError, match="must be functions"):
        activation_data(nn.sigmoid, 0.25, 1.0)
    with pytest.raises(ValueError, match="z must be a finite number, got nan"):
        activation_data(nn.sigmoid, nn.sigmoid_prime, float("nan"))
    with pytest.raises(ValueError, match=r"must work element-wise.*\(241,\).*\(\)"):
        activation_data(lambda z: np.sum(z), nn.sigmoid_prime, 1.0)


def test_activation_explorer_responds():
    box = activation_explorer()
    assert_dashboard(box, "activation", ["function", "z"])
    watch = Watch(box, "activation")
    assert "a = g(z) = 0.7047" in watch.text
    find(box, "cu-activation-z").value = 3.0
    assert watch.changed() == (True, True)
    assert "z = 3.00" in watch.text
    find(box, "cu-activation-function").value = "relu"
    assert watch.changed() == (True, True)
    assert "relu" in watch.text


def test_activation_explorer_runs_the_learners_functions():
    calls = []

    def softsign(z):
        calls.append("g")
        return z / (1 + np.abs(z))

    def softsign_prime(z):
        return 1 / (1 + np.abs(z)) ** 2

    box = activation_explorer({"softsign": (softsign, softsign_prime)}, z=1.0)
    assert calls and "a = g(z) = 0.5000" in find(box, "cu-activation-readout").value
    with pytest.raises(TypeError, match=r"activations\['bad'\] must be a pair"):
        activation_explorer({"bad": (softsign,)})


# ---- perceptron explorer -----------------------------------------------------------------

def test_perceptron_data_for_and():
    x, y = TRUTH_TABLES["AND"]
    grid = grid_2d(None, n=30, extent=(-0.5, 1.5, -0.5, 1.5))
    w, b = np.array([1.0, 1.0]), -1.5
    data = perceptron_data(w, b, [1.0, 1.0], x, y, grid)
    assert (data["correct"], data["total"]) == (4, 4)
    assert data["z"] == pytest.approx(0.5) and data["a"] == pytest.approx(1 / (1 + np.exp(-0.5)))
    assert data["predicted"] == 1
    np.testing.assert_allclose(w @ data["line"] + b, 0, atol=1e-12)  # both ends on w·x + b = 0
    direction = data["arrow"][1] - data["arrow"][0]
    assert direction[0] * w[1] - direction[1] * w[0] == pytest.approx(0)  # parallel to w
    assert direction @ w > 0  # and pointing the same way
    assert data["a_grid"].shape == (30, 30)
    assert data["a_grid"][-1, -1] > 0.5 > data["a_grid"][0, 0]  # class 1 at the top right


def test_perceptron_data_xor_and_degenerate_cases():
    x, y = TRUTH_TABLES["XOR"]
    grid = grid_2d(x, n=10)
    assert perceptron_data([1.0, 1.0], -0.5, [0, 0], x, y, grid)["correct"] == 3
    flat = perceptron_data([0.0, 0.0], 1.0, [0, 0], x, y, grid)
    assert np.all(np.isnan(flat["line"])) and flat["correct"] == 2
    with pytest.raises(ValueError, match=r"w must have shape \(2,\), got \(3,\)"):
        perceptron_data([1, 2, 3], 0, [0, 0], x, y, grid)
    with pytest.raises(ValueError, match=r"x must be \(N, 2\) and y \(N,\), got x \(4, 2\) and y \(3,\)"):
        perceptron_data([1, 2], 0, [0, 0], x, y[:3], grid)


def test_perceptron_explorer_responds():
    box = perceptron_explorer(w=(1.063, 0.434), b=-1.18)
    assert_dashboard(box, "perceptron", ["dataset", "w1", "w2", "b", "x1", "x2"])
    watch = Watch(box, "perceptron")
    assert "AND: 4 of 4 points correct" in watch.text
    for control, value in [("w1", -1.0), ("w2", 2.0), ("b", 0.5), ("x1", 0.0), ("x2", 1.2)]:
        find(box, f"cu-perceptron-{control}").value = value
        assert watch.changed() == (True, True), control
    find(box, "cu-perceptron-dataset").value = "XOR"
    assert watch.changed() == (True, True)
    assert "XOR:" in watch.text
    with pytest.raises(ValueError, match=r"dataset='XNOR' is not one of"):
        perceptron_explorer(dataset="XNOR")


# ---- training explorer -------------------------------------------------------------------

@pytest.fixture
def circles():
    return make_toy_2d("circles", n=100, seed=0)


def test_loss_and_gradients_is_the_networks(circles):
    x, y = circles
    params = init_ffn(2, 5, 2, seed=1)
    loss, grads = loss_and_gradients(params, x, y, "tanh")
    reference_loss, reference = ffn_loss(params, x, y, "tanh")
    assert loss == pytest.approx(reference_loss)
    for name in reference:
        np.testing.assert_allclose(grads[name], reference[name])


def test_gradient_norms_after_one_step(circles):
    x, y = circles
    params = init_ffn(2, 6, 2, seed=0)
    after, losses = train_steps(params, x, y, 1, lr=0.5)
    _, grads = ffn_loss(params, x, y)
    for name in ("W", "b", "U"):  # one step moved each parameter by lr * gradient
        np.testing.assert_allclose(after[name], params[name] - 0.5 * grads[name])
    norms = gradient_norms(grads)
    assert set(norms) == {"W", "b", "U"}
    assert norms["W"] == pytest.approx(np.sqrt(np.sum(grads["W"] ** 2)))
    assert losses.shape == (1,) and losses[0] == pytest.approx(ffn_loss(params, x, y)[0])


def test_train_steps_learns_and_leaves_its_input_alone(circles):
    x, y = circles
    params = init_ffn(2, 8, 2, seed=0)
    before = {k: v.copy() for k, v in params.items()}
    trained, losses = train_steps(params, x, y, 800, lr=1.0)
    assert losses.shape == (800,) and losses[-1] < 0.2 * losses[0]
    assert accuracy(trained, x, y) >= 0.95 > accuracy(params, x, y)
    for name in params:
        np.testing.assert_array_equal(params[name], before[name])
    grid = grid_2d(x, n=12)
    scores = boundary_grid(trained, grid)
    assert scores.shape == (12, 12) and np.all((scores >= 0) & (scores <= 1))
    with pytest.raises(ValueError, match="n_steps must be a positive integer, got 0"):
        train_steps(params, x, y, 0, lr=1.0)


def test_training_explorer_responds_and_uses_the_learners_network(circles):
    x, y = circles
    calls = {"forward": 0, "backward": 0}

    def my_forward(params, x, activation="sigmoid"):
        calls["forward"] += 1
        return ffn_forward(params, x, activation)

    def my_backward(dz, cache):
        calls["backward"] += 1
        return ffn_backward(dz, cache)

    params = init_ffn(2, 4, 2, seed=0)
    params, losses = train_steps(params, x, y, 50, lr=1.0)
    learners = {k: v.copy() for k, v in params.items()}
    box = training_explorer(params, x, y, forward=my_forward, backward=my_backward, losses=losses)
    assert_dashboard(box, "training", ["dataset", "width", "activation", "lr", "steps", "step", "run",
                                       "reset", "play"])
    watch = Watch(box, "training")
    assert watch.text.startswith("step 50 ")
    before = dict(calls)

    find(box, "cu-training-step").click()
    assert watch.changed() == (True, True) and watch.text.startswith("step 51 ")
    assert calls["backward"] > before["backward"]  # the learner's backward did the work
    find(box, "cu-training-steps").value = 30
    find(box, "cu-training-run").click()
    assert watch.changed() == (True, True) and watch.text.startswith("step 81 ")
    find(box, "cu-training-play").value += 1
    assert watch.changed() == (True, True) and watch.text.startswith("step 91 ")
    find(box, "cu-training-lr").value = 0.1
    assert watch.changed()[1] and "η = 0.1" in watch.text
    find(box, "cu-training-reset").click()
    assert watch.changed() == (True, True) and watch.text.startswith("step 0 ")
    find(box, "cu-training-width").value = 3
    find(box, "cu-training-run").click()
    assert watch.changed() == (True, True) and "n1 = 3" in watch.text
    find(box, "cu-training-activation").value = "relu"
    assert watch.changed() == (True, True) and "g = relu" in watch.text
    find(box, "cu-training-dataset").value = "spirals"
    assert watch.changed() == (True, True) and watch.text.startswith("step 0 ")
    for name in params:  # the explorer trained its own copy: the learner's weights are as they were
        np.testing.assert_array_equal(params[name], learners[name])


def test_training_explorer_defaults_and_bad_input(circles):
    x, y = circles
    box = training_explorer()
    assert find(box, "cu-training-dataset").value == "xor"
    assert "notebook data" not in find(box, "cu-training-dataset").options
    with pytest.raises(ValueError, match="pass both x and y"):
        training_explorer(x=x)
    with pytest.raises(ValueError, match="params were given without the x, y"):
        training_explorer(init_ffn(2, 3, 2))
    with pytest.raises(ValueError, match=r"activation='softmax' is not one of"):
        training_explorer(activation="softmax")
    with pytest.raises(ValueError, match=r"x must be \(N, 2\) and y \(N,\), got x \(100, 3\)"):
        training_explorer(x=np.ones((100, 3)), y=y)


def test_sgd_step_is_what_the_explorer_uses_by_default(circles):
    x, y = circles
    params = init_ffn(2, 3, 2, seed=2)
    loss, grads = ffn_loss(params, x, y)
    trained, _ = train_steps(params, x, y, 1, lr=0.3)
    expected = sgd_step({k: v.copy() for k, v in params.items()}, grads, 0.3)
    for name in params:
        np.testing.assert_allclose(trained[name], expected[name])
