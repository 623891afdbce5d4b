"""Training explorer (lesson 02), in the spirit of TensorFlow Playground.

    loss_and_gradients(params, x, y, ...)           pure: the loss and ∂L/∂W, ∂L/∂b, ∂L/∂U
    train_steps(params, x, y, n_steps, lr, ...)    pure: n steps of gradient descent and the
                                                    loss before each
    gradient_norms(grads)                           ‖∂L/∂W‖, ‖∂L/∂b‖, ‖∂L/∂U‖
    boundary_grid(params, grid, ...)                P(class 1) over a grid of the plane
    training_explorer(params, x, y, forward, backward, ...)   the dashboard

The network is the learner's own: `forward(params, x, activation) -> (z, cache)` and
`backward(dz, cache) -> {"W", "b", "U"}` as built in lesson 02 (course_utils.nn.ffn has the
same signatures and is the default). The loss is the mean cross-entropy of softmax(z). The
dashboard trains its own copy of the weights: the learner's dict is never changed.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from course_utils.data import TOY_2D, make_toy_2d
from course_utils.nn import _validate
from course_utils.nn.ffn import ffn_backward, ffn_forward, init_ffn
from course_utils.nn.layers import cross_entropy_backward, cross_entropy_forward, softmax
from course_utils.nn.optim import sgd_step
from course_utils.plots import (
    Blitter,
    grid_2d,
    plot_decision_boundary,
    plot_loss_curve,
    update_decision_boundary,
)
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class

__all__ = ["loss_and_gradients", "train_steps", "gradient_norms", "boundary_grid", "accuracy",
           "training_explorer"]

ACTIVATION_CHOICES = ("sigmoid", "tanh", "relu")
PLAY_STEPS_PER_FRAME = 10
TOY_EXTENT = (-1.5, 1.5, -1.5, 1.5)
YOURS = "notebook data"


def loss_and_gradients(params, x, y, activation="sigmoid", forward=ffn_forward, backward=ffn_backward):
    """Mean cross-entropy of softmax(forward(x)) against y, and its gradients (a dict)."""
    z, cache = forward(params, x, activation)  # (N, K) logits
    loss, ce_cache = cross_entropy_forward(z, y)
    dz = cross_entropy_backward(1.0, ce_cache)  # (softmax(z) − onehot(y)) / N
    return float(loss), backward(dz, cache)


def train_steps(params, x, y, n_steps, lr, activation="sigmoid", forward=ffn_forward,
                backward=ffn_backward, update=sgd_step):
    """`n_steps` of full-batch gradient descent on the mean cross-entropy.

    Returns (params, losses): the new parameters and the loss before each step, (n_steps,).
    The steps update a copy, so the input dict and its arrays are not changed.
    """
    _validate.positive_int("train_steps", "n_steps", n_steps)
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    losses = np.empty(n_steps)
    for step in range(n_steps):
        losses[step], grads = loss_and_gradients(params, x, y, activation, forward, backward)
        params = update(params, grads, lr)
    return params, losses


def gradient_norms(grads) -> dict:
    """The Frobenius norm of each gradient, by parameter name (W, b: layer 1; U: layer 2)."""
    return {name: float(np.linalg.norm(value)) for name, value in grads.items()}


def boundary_grid(params, grid, activation="sigmoid", forward=ffn_forward):
    """P(class 1) = softmax(z)[:, 1] at every point of `grid` (grid_2d's triple), as (n, n)."""
    points, _, shape = grid
    z, _ = forward(params, points, activation)
    return softmax(z)[:, 1].reshape(shape)


def accuracy(params, x, y, activation="sigmoid", forward=ffn_forward) -> float:
    """Fraction of points whose most probable class is their label."""
    z, _ = forward(params, x, activation)
    return float(np.mean(np.argmax(z, axis=1) == y))


def _nice_limit(n_steps):
    """The x range of the loss plot grows in steps 50, 100, 200, 500, 1000, ..."""
    limit = 50
    while limit < n_steps:
        limit *= 2.5 if str(limit)[0] == "2" else 2
        limit = int(limit)
    return limit


def _decades(values):
    """(10^a, 10^b), a < b: the whole decades that hold every positive finite value (zeros and
    overflows cannot be drawn on a log axis; the panels say so in a note instead)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return 0.1, 1.0
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    return 10.0 ** low, 10.0 ** max(high, low + 1)


def _loss_note(history) -> str:
    """What the loss panel cannot draw: an overflow, or losses of exactly 0."""
    finite = np.isfinite(history)
    if len(history) and not finite.all():
        step = int(np.argmin(finite))
        return f"the loss overflowed at step {step}:\nη is too large, press Reset"
    zero = np.flatnonzero(history == 0)
    if zero.size:
        return f"loss exactly 0 (below float64's\nresolution) from step {zero[0]}"
    return ""


def training_explorer(params=None, x=None, y=None, forward=ffn_forward, backward=ffn_backward,
                      activation="sigmoid", lr=1.0, losses=None, init=init_ffn, update=sgd_step,
                      seed=0, n_steps=100):
    """The dashboard, on the learner's network (`forward`, `backward`) and, when given, the
    parameters they trained on (x, y), with that training's loss history `losses`.

    Controls (CSS classes): dataset (cu-training-dataset), hidden width (cu-training-width),
    activation (cu-training-activation), learning rate (cu-training-lr), N
    (cu-training-steps), Step (cu-training-step), Run N steps (cu-training-run), Reset
    (cu-training-reset), play/pause (cu-training-play: 10 steps per frame). A new dataset,
    width or activation starts again from a fresh random initialisation (seeded).
    """
    import ipywidgets as widgets

    if (x is None) != (y is None):
        raise ValueError("training_explorer: pass both x and y (the data params were trained on) or neither")
    if params is not None and x is None:
        raise ValueError("training_explorer: params were given without the x, y they were trained on")
    if activation not in ACTIVATION_CHOICES:
        raise ValueError(f"training_explorer: activation={activation!r} is not one of {ACTIVATION_CHOICES}")
    datasets = {}
    if x is not None:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y)
        if x.ndim != 2 or x.shape[1] != 2 or y.shape != (len(x),):
            raise ValueError(f"training_explorer: x must be (N, 2) and y (N,), got x {x.shape} "
                             f"and y {y.shape}")
        datasets[YOURS] = (x, y, grid_2d(x, n=50, margin=0.3))
    for name in TOY_2D:
        toy_x, toy_y = make_toy_2d(name, n=200, seed=seed)
        datasets[name] = (toy_x, toy_y, grid_2d(None, n=50, extent=TOY_EXTENT))
    first = YOURS if x is not None else "xor"
    width = 8 if params is None else int(np.shape(params["W"])[0])
    if params is not None:  # fail early, with the learner's own error, if forward does not fit
        forward(params, datasets[first][0][:2], activation)

    dataset_menu = with_class(widgets.Dropdown(options=list(datasets), value=first, description="data"),
                              "cu-training-dataset")
    width_slider = with_class(widgets.IntSlider(value=width, min=1, max=32, description="hidden n1",
                                                continuous_update=False), "cu-training-width")
    activation_menu = with_class(widgets.Dropdown(options=ACTIVATION_CHOICES, value=activation,
                                                  description="g"), "cu-training-activation")
    lr_slider = with_class(widgets.FloatLogSlider(value=lr, base=10, min=-3, max=1, step=0.1,
                                                  description="lr η", readout_format=".3g",
                                                  continuous_update=False), "cu-training-lr")
    steps_box = with_class(widgets.BoundedIntText(value=n_steps, min=1, max=20000, description="N",
                                                  layout=widgets.Layout(width="150px")), "cu-training-steps")
    step_button = with_class(widgets.Button(description="Step", tooltip="one gradient step"),
                             "cu-training-step")
    run_button = with_class(widgets.Button(description="Run N steps", button_style="primary"),
                            "cu-training-run")
    reset_button = with_class(widgets.Button(description="Reset", tooltip="new random weights"),
                              "cu-training-reset")
    play = with_class(widgets.Play(value=0, min=0, max=10**6, interval=250, show_repeat=False,
                                   description="play"), "cu-training-play")
    label = readout("training")

    state = {"params": params, "losses": list(losses) if losses is not None else [], "grads": None}
    if params is None:
        state["params"] = init(2, width, 2, seed=seed)

    # ---- the figure: decision boundary | loss curve | gradient norms --------------------
    plot = PlotImage(3.7, ncols=3)
    ax_boundary, ax_loss, ax_grads = plot.axes
    data_x, data_y, grid = datasets[first]
    scores = boundary_grid(state["params"], grid, activation, forward)
    boundary = plot_decision_boundary(ax_boundary, scores, grid[1], data_x, data_y, legend=False,
                                      title="Decision boundary")
    boundary["colorbar"].set_label("P(class 1); black line: 0.5")
    ax_boundary.set_aspect("equal")
    loss_line = plot_loss_curve(ax_loss, [np.log(2)], title="Training loss", reference=np.log(2),
                                reference_label="uniform guess, log 2")
    names = ["W", "b", "U"]
    bars = ax_grads.bar([0, 1, 2], [1, 1, 1], color=["#3b528b", "#3b528b", "#5ec962"], edgecolor="black")
    ax_grads.set_xticks([0, 1, 2], ["∂L/∂W\nlayer 1", "∂L/∂b\nlayer 1", "∂L/∂U\nlayer 2"])
    ax_grads.set_yscale("log")
    ax_grads.set_ylabel("gradient norm ‖·‖ at these weights")
    ax_grads.set_title("Gradient norm per layer")
    ax_grads.grid(True, axis="y", which="major", alpha=0.3)
    for ax in (ax_loss, ax_grads):  # label whole decades only, so tick labels keep their width
        ax.yaxis.set_minor_formatter(NullFormatter())
    notes = {ax: ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", color="#b2182b",
                         bbox={"facecolor": "white", "edgecolor": "#b2182b", "alpha": 0.9})
             for ax in (ax_loss, ax_grads)}
    blit = Blitter(plot.fig, dpi=plot.dpi)
    blit.add(boundary["image"], boundary["contour"], *boundary["points"], loss_line, *bars,
             *notes.values())

    def current_data():
        return datasets[dataset_menu.value]

    def draw():
        data_x, data_y, grid = current_data()
        scores = boundary_grid(state["params"], grid, activation_menu.value, forward)
        update_decision_boundary(boundary, scores, data_x, data_y, extent=grid[1])
        history = np.asarray(state["losses"]) if state["losses"] else np.array([np.nan])
        loss_line.set_data(np.arange(len(history)), history)
        norms = gradient_norms(state["grads"])
        for bar, name in zip(bars, names, strict=True):
            bar.set_height(norms[name])   # 0 or inf: nothing drawn, the note says why
        notes[ax_loss].set_text(_loss_note(history[np.arange(len(history)) < len(state["losses"])]))
        flat = [f"∂L/∂{name} = 0" for name in names if norms[name] == 0]
        broken = [f"∂L/∂{name} overflowed" for name in names if not np.isfinite(norms[name])]
        notes[ax_grads].set_text("\n".join(
            flat + broken + (["these weights stop changing"] if flat else [])))
        # The static picture depends only on the axes limits, which change rarely (the loss
        # axis grows 50, 100, 200, 500, ... steps; the log axes by whole decades): the Blitter
        # keeps one picture per set of limits and redraws everything only for a new set.
        limits = (
            grid[1],
            _nice_limit(len(history)),
            _decades(np.concatenate([history, [np.log(2)]])),
            _decades(list(norms.values())),
        )
        ax_loss.set_xlim(0, limits[1])
        ax_loss.set_ylim(*limits[2])
        ax_grads.set_ylim(*limits[3])
        ax_boundary.set_xlim(grid[1][:2])
        ax_boundary.set_ylim(grid[1][2:])
        plot.image.value = blit.show()
        label.value = _readout_html(state, data_x, data_y, activation_menu.value, forward,
                                    width_slider.value, lr_slider.value)

    def measure():  # the loss and gradients at the current weights (what the next step uses)
        data_x, data_y, _ = current_data()
        state["loss"], state["grads"] = loss_and_gradients(
            state["params"], data_x, data_y, activation_menu.value, forward, backward)

    def run(n):
        data_x, data_y, _ = current_data()
        state["params"], new_losses = train_steps(
            state["params"], data_x, data_y, n, lr_slider.value, activation_menu.value,
            forward, backward, update)
        state["losses"].extend(new_losses.tolist())
        measure()
        draw()

    def reset(_=None):
        play.playing = False
        state["params"] = init(2, width_slider.value, 2, seed=seed)
        state["losses"] = []
        measure()
        draw()

    step_button.on_click(lambda _: run(1))
    run_button.on_click(lambda _: run(steps_box.value))
    reset_button.on_click(reset)
    for control in (dataset_menu, width_slider, activation_menu):
        control.observe(reset, names="value")
    lr_slider.observe(lambda _: draw(), names="value")  # a new η applies from the next step
    play.observe(lambda change: run(PLAY_STEPS_PER_FRAME) if change["new"] > change["old"] else None,
                 names="value")
    measure()
    draw()
    controls = widgets.VBox([
        widgets.HBox([dataset_menu, width_slider, activation_menu]),
        widgets.HBox([lr_slider, steps_box, step_button, run_button, reset_button, play]),
    ])
    return dashboard("training", [controls, plot.image, label],
                     title="Training explorer: gradient descent on your 2-layer network")


def _readout_html(state, x, y, activation, forward, width, lr):
    norms = gradient_norms(state["grads"])
    norms_text = " &nbsp; ".join(f"‖∂L/∂{k}‖ = {v:.2e}" for k, v in norms.items())
    return (f"step {len(state['losses'])} · loss {state['loss']:.4f} · training accuracy "
            f"<b>{100 * accuracy(state['params'], x, y, activation, forward):.1f}%</b> · "
            f"n1 = {width}, g = {activation}, η = {lr:.3g}<br>gradient at these weights: {norms_text}")
