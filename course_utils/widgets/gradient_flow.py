"""Gradient-flow explorer (lesson 05): how ∂h^(T)/∂h^(t) shrinks or grows with the distance T − t.

    jacobian_norms(hs, W_h, activation, h0)           pure: ‖∂h^(T)/∂h^(t)‖ for every t
    gradient_flow(params, ids, radius, activation,    pure: the norms on the learner's RNN with
                  seq_len, ...)                        W_h = radius · Q, and a short training run
                                                       with and without gradient clipping
    gradient_flow_view(params, ids)                   the dashboard

For h^(t) = σ(a^(t)), a^(t) = W_h h^(t-1) + W_e x^(t) + b, one step back multiplies by the
Jacobian J_t = ∂h^(t)/∂h^(t-1) = diag(σ'(a^(t))) W_h, so

    ∂h^(T)/∂h^(t) = J_T J_{T-1} ··· J_{t+1},

a product of T − t matrices. Its norm behaves roughly like (γ ρ)^(T−t), with ρ the spectral
radius of W_h and γ a typical σ': it vanishes when γρ < 1 and explodes when γρ > 1. The view
keeps the *directions* of the learner's trained W_h (its orthogonal factor Q, from the polar
decomposition W_h = Q P) and sets the radius by hand: W_h = ρ Q has every singular value ρ.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from course_utils.nn._fast import rnn_backward, rnn_forward
from course_utils.nn.activations import prime_from_output
from course_utils.nn.layers import cross_entropy_backward, cross_entropy_forward
from course_utils.nn.optim import clip_grad_norm, global_norm
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class

__all__ = ["orthogonal_factor", "jacobian_norms", "gradient_flow", "gradient_flow_view",
           "FLOW_ACTIVATIONS"]

FLOW_ACTIVATIONS = ("tanh", "relu", "identity")
TRAIN_STEPS = 8        # the short training run
TRAIN_LENGTH = 30      # at most this many steps per training window
TRAIN_ROWS = 3         # text windows per batch
TRAIN_LR = 0.5         # plain gradient descent, so that a huge gradient is a huge step
MAX_NORM = 1.0         # clipping threshold (global norm)
NORM_DECADES = 60      # the norms' axis spans at most 1e-60 ... 1e60
JACOBIAN_HTML = "∂<i>h</i><sup>(<i>T</i>)</sup>/∂<i>h</i><sup>(<i>t</i>)</sup>"


def orthogonal_factor(W):
    """Q of the polar decomposition W = Q P (Q orthogonal, P symmetric positive semi-definite):
    the rotation part of W, with every singular value set to 1."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"orthogonal_factor: W must be square, got shape {W.shape}")
    u, _, vt = np.linalg.svd(W)
    return u @ vt


def jacobian_norms(hs, W_h, activation="tanh"):
    """‖∂h^(T)/∂h^(t)‖₂ (largest singular value) for one sequence.

    hs: (T, H) hidden states h^(1) … h^(T) of one sequence; W_h: (H, H).
    Returns norms (T,) where norms[k] belongs to distance k = T − t: norms[0] = ‖I‖ = 1,
    norms[k] = ‖J_T ··· J_{T-k+1}‖. Non-finite products (an explosion past float range)
    give inf.
    """
    hs = np.asarray(hs, dtype=np.float64)
    W_h = np.asarray(W_h, dtype=np.float64)
    if hs.ndim != 2 or W_h.shape != (hs.shape[1], hs.shape[1]):
        raise ValueError(f"jacobian_norms: hs must be (T, H) and W_h (H, H); got {hs.shape} and {W_h.shape}")
    if activation not in (*FLOW_ACTIVATIONS, "sigmoid"):
        raise ValueError(f"jacobian_norms: activation must be one of {FLOW_ACTIVATIONS}, got {activation!r}")
    T, H = hs.shape
    derivatives = prime_from_output(hs, activation)           # (T, H): σ'(a^(t)) per step
    products = np.empty((T, H, H))
    product = np.eye(H)
    products[0] = product
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, T):
            # J_t = diag(σ'(a^(t))) W_h with t = T − k + 1; right-multiplying walks back in time.
            product = product @ (derivatives[T - k][:, None] * W_h)
            products[k] = product
        finite = np.all(np.isfinite(products), axis=(1, 2)) & (np.abs(products).max(axis=(1, 2)) < 1e150)
        norms = np.full(T, np.inf)
        if finite.any():
            # ‖P‖₂ = √(largest eigenvalue of PᵀP): a symmetric eigenproblem, cheaper than an SVD.
            chosen = products[finite]
            gram = chosen.transpose(0, 2, 1) @ chosen
            norms[finite] = np.sqrt(np.maximum(np.linalg.eigvalsh(gram)[:, -1], 0.0))
    return norms


def _lm_loss_and_grads(params, inputs, targets, activation):
    """Mean cross-entropy of an RNN LM with any activation, and its gradients."""
    E, W_e, W_h, b, U, c = (params[k] for k in ("E", "W_e", "W_h", "b", "U", "c"))
    N, T = inputs.shape
    with np.errstate(over="ignore", invalid="ignore"):
        hs, cache = rnn_forward(E[inputs], np.zeros((N, W_h.shape[0])), W_e, W_h, b, activation)
        logits = hs @ U.T + c
        loss, ce_cache = cross_entropy_forward(logits, targets)
        dlogits = cross_entropy_backward(1.0, ce_cache)
        dhs = dlogits @ U
        dx, _, dW_e, dW_h, db = rnn_backward(dhs, cache)
        dE = np.zeros_like(E)
        np.add.at(dE, inputs.reshape(-1), dx.reshape(-1, E.shape[1]))
        grads = {"E": dE, "W_e": dW_e, "W_h": dW_h, "b": db,
                 "U": dlogits.reshape(N * T, -1).T @ hs.reshape(N * T, -1),
                 "c": dlogits.reshape(N * T, -1).sum(axis=0)}
    return float(loss), grads


def _short_training_run(params, inputs, targets, activation, clip):
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    losses, grad_norms, step_norms = [], [], []
    for _ in range(TRAIN_STEPS):
        loss, grads = _lm_loss_and_grads(params, inputs, targets, activation)
        with np.errstate(over="ignore", invalid="ignore"):
            norm = global_norm(grads)
            if clip and np.isfinite(norm):
                grads, _ = clip_grad_norm(grads, MAX_NORM)
            losses.append(loss)
            grad_norms.append(norm)
            step_norms.append(TRAIN_LR * (min(norm, MAX_NORM) if clip else norm))
            if not np.isfinite(loss) or not np.isfinite(norm):
                break  # diverged: nothing sensible follows
            for name, grad in grads.items():
                params[name] -= TRAIN_LR * grad
    return np.array(losses), np.array(grad_norms), np.array(step_norms)


def gradient_flow(params, ids, spectral_radius=1.0, activation="tanh", seq_len=50, train=True):
    """What the dashboard draws, for the learner's RNN LM (`params` from `init_lm("rnn", ...)`, untied).

    The model keeps its embeddings, W_e, b and output layer; W_h becomes spectral_radius · Q,
    Q the orthogonal factor of the trained W_h; `activation` replaces tanh. It reads the
    first `seq_len` tokens of `ids` (one sequence) for the Jacobian norms. With `train`, it
    also takes TRAIN_STEPS steps of plain gradient descent (lr TRAIN_LR) on TRAIN_ROWS
    windows of `ids` (each min(seq_len, TRAIN_LENGTH) long), once without and once with
    clipping (global norm ≤ MAX_NORM).

    Returns a dict: "distances" (seq_len,), "norms" (seq_len,) ‖∂h^(T)/∂h^(t)‖ by distance,
    "radius_line" ρ^distance, "mean_derivative" the mean σ' along the sequence, and with
    `train`: "loss_plain", "loss_clipped", "grad_norm_plain", "grad_norm_clipped",
    "step_plain", "step_clipped" (per training step; a run that diverged stops early).
    """
    fn = "gradient_flow"
    if activation not in FLOW_ACTIVATIONS:
        raise ValueError(f"{fn}: activation must be one of {FLOW_ACTIVATIONS}, got {activation!r}")
    if not (np.isfinite(spectral_radius) and spectral_radius > 0):
        raise ValueError(f"{fn}: spectral_radius must be a positive number, got {spectral_radius!r}")
    if "U" not in params:
        raise ValueError(f"{fn}: expects an untied RNN LM (with a 'U' matrix)")
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < (seq_len + 1) * TRAIN_ROWS:
        raise ValueError(f"{fn}: ids must be 1-D with at least (seq_len + 1) * {TRAIN_ROWS} = "
                         f"{(seq_len + 1) * TRAIN_ROWS} tokens, got shape {ids.shape}")
    model = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    model["W_h"] = spectral_radius * orthogonal_factor(model["W_h"])
    H = model["W_h"].shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        hs, _ = rnn_forward(model["E"][ids[None, :seq_len]], np.zeros((1, H)), model["W_e"],
                            model["W_h"], model["b"], activation)
    hs = hs[0]
    distances = np.arange(seq_len)
    result = {
        "distances": distances,
        "norms": jacobian_norms(hs, model["W_h"], activation),
        "radius_line": float(spectral_radius) ** distances,
        "mean_derivative": float(np.nanmean(prime_from_output(hs, activation))),
    }
    if train:
        window = min(seq_len, TRAIN_LENGTH) + 1
        windows = ids[: TRAIN_ROWS * window].reshape(TRAIN_ROWS, window)
        inputs, targets = windows[:, :-1], windows[:, 1:]
        for name, clip in (("plain", False), ("clipped", True)):
            loss, grad_norm, step = _short_training_run(model, inputs, targets, activation, clip)
            result[f"loss_{name}"], result[f"grad_norm_{name}"] = loss, grad_norm
            result[f"step_{name}"] = step
    return result


def _finite(values, cap=1e300):
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values), np.minimum(values, cap), np.nan)


def _readout_html(data, radius, activation, clip):
    norms = data["norms"]
    far = len(norms) - 1
    text = (f"<i>W<sub>h</sub></i> = {radius:.2f} · <i>Q</i>, activation {activation}: mean σ′ along "
            f"the text {data['mean_derivative']:.2f}; ‖{JACOBIAN_HTML}‖ at distance {far}: "
            f"<b>{norms[far]:.2e}</b> (ρ<sup>{far}</sup> = {data['radius_line'][far]:.2e})")
    if "loss_plain" in data:
        plain = data["grad_norm_plain"]
        diverged = not np.all(np.isfinite(data["loss_plain"])) or len(plain) < TRAIN_STEPS
        largest = np.nanmax(_finite(plain, cap=np.inf))
        largest = f"{largest:.2e}" if np.isfinite(largest) else "beyond float range"
        final = _finite(data["loss_plain"])[-1]
        text += (f"<br>training without clipping: largest gradient norm {largest}; "
                 + ("<b>diverged</b> (the loss overflowed)" if diverged else f"final loss {final:.3f}"))
        if clip:
            text += (f"<br>with clipping (global norm ≤ {MAX_NORM:g}): every step ≤ "
                     f"{TRAIN_LR * MAX_NORM:g} long; final loss {_finite(data['loss_clipped'])[-1]:.3f}")
    return text


def _log_limits(values, step: int = 1, least: int = 1):
    """(10^a, 10^b): whole decades, multiples of `step`, around every positive finite value, at
    least `least` decades apart (few distinct limits: the dashboard keeps a picture per set)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return 10.0 ** -least, 1.0
    low = step * np.floor(np.log10(values.min()) / step)
    high = step * np.ceil(np.log10(values.max()) / step)
    if high - low < least:
        high = low + least
    return 10.0 ** low, 10.0 ** high


def _training_note(loss_plain, loss_clipped, clip) -> str:
    """What the training panel cannot draw: losses past float range."""
    notes = []
    for name, loss, shown in (("without clipping", loss_plain, True), ("with clipping", loss_clipped, clip)):
        finite = np.isfinite(loss)
        if shown and (len(loss) < TRAIN_STEPS or not finite.all()):
            last = int(np.argmin(finite)) if not finite.all() else len(loss)
            notes.append(f"✗ {name}, the loss overflowed at step {last}: nothing to draw after it")
    return "\n".join(notes)


def gradient_flow_view(params, ids, spectral_radius=1.0, activation="tanh", seq_len=50):
    """The dashboard on the learner's trained RNN LM and a token-id sequence (e.g. held-out text).

    Controls: spectral radius ρ of W_h (cu-gradflow-radius), activation (cu-gradflow-activation),
    sequence length T (cu-gradflow-length), gradient clipping on/off (cu-gradflow-clip).
    """
    import ipywidgets as widgets

    from course_utils.plots import Blitter, freeze_layout

    radius = with_class(widgets.FloatSlider(value=spectral_radius, min=0.5, max=2.0, step=0.05,
                                            description="ρ(W_h)", continuous_update=False,
                                            readout_format=".2f"), "cu-gradflow-radius")
    act = with_class(widgets.Dropdown(options=list(FLOW_ACTIVATIONS), value=activation,
                                      description="activation", layout=widgets.Layout(width="190px")),
                     "cu-gradflow-activation")
    length = with_class(widgets.IntSlider(value=seq_len, min=10, max=100, step=10, description="T",
                                          continuous_update=False), "cu-gradflow-length")
    clip = with_class(widgets.ToggleButton(value=False, description="clip gradients (‖g‖ ≤ 1)",
                                           icon="scissors", layout=widgets.Layout(width="220px")),
                      "cu-gradflow-clip")
    label = readout("gradflow")

    plot = PlotImage(3.9, ncols=2)
    ax_norm, ax_loss = plot.axes
    ax_norm.set_yscale("log")
    ax_norm.set_xlabel("distance T − t (steps back)")
    ax_norm.set_ylabel(r"$\|\partial h^{(T)} / \partial h^{(t)}\|_2$")
    ax_norm.set_title("Gradient flow back through time")
    ax_norm.grid(True, which="major", alpha=0.3)
    ax_loss.set_xlabel(f"training step (plain gradient descent, lr {TRAIN_LR:g})")
    ax_loss.set_ylabel("training loss (nats, log scale)")
    ax_loss.set_yscale("log")
    ax_loss.set_title("A short training run")
    ax_loss.set_xlim(-0.5, TRAIN_STEPS - 0.5)
    ax_loss.grid(True, which="major", alpha=0.3)
    for ax in plot.axes:   # whole decades only: tick labels keep their width
        ax.yaxis.set_minor_formatter(NullFormatter())
    norm_line, = ax_norm.plot([], [], color="#3b528b", linewidth=2, label="your RNN, this text")
    radius_line, = ax_norm.plot([], [], color="#5ec962", linestyle="--",
                                label=r"$\rho^{\,T-t}$ (a linear RNN)")
    plain_line, = ax_loss.plot([], [], color="#e08214", marker="o", markersize=4, label="no clipping")
    clipped_line, = ax_loss.plot([], [], color="#440154", marker="s", markersize=4,
                                 label="clipped (global norm ≤ 1)")
    # One legend under both panels: inside either it would cover a line somewhere.
    plot.fig.legend(handles=[norm_line, radius_line, plain_line, clipped_line], loc="outside lower center",
                    ncols=4, fontsize=9, frameon=False)
    norm_note = ax_norm.text(0.5, 0.5, "", transform=ax_norm.transAxes, ha="center", va="center",
                             color="#b2182b", bbox={"facecolor": "white", "edgecolor": "#b2182b"})
    loss_note = ax_loss.text(0.5, 0.5, "", transform=ax_loss.transAxes, ha="center", va="center",
                             color="#b2182b", wrap=True, bbox={"facecolor": "white", "edgecolor": "#b2182b"})
    # Laid out once with the widest tick labels the axes will show (limits are clamped to them).
    ax_norm.set_ylim(10.0 ** -NORM_DECADES, 10.0 ** NORM_DECADES)
    ax_loss.set_ylim(1e-10, 1e10)
    freeze_layout(plot.fig, plot.dpi)
    blit = Blitter(plot.fig, dpi=plot.dpi, layout=False)
    blit.add(norm_line, radius_line, plain_line, clipped_line, norm_note, loss_note)
    cache = {}

    def compute(key):
        if key not in cache:
            if len(cache) > 64:
                cache.pop(next(iter(cache)))
            cache[key] = gradient_flow(params, ids, key[0], key[1], key[2])
        return cache[key]

    def update(_=None):
        key = (round(radius.value, 4), act.value, length.value)
        data = compute(key)
        norms, line = _finite(data["norms"]), _finite(data["radius_line"])
        norm_line.set_data(data["distances"], norms)
        radius_line.set_data(data["distances"], line)
        overflow = np.flatnonzero(~np.isfinite(norms))
        norm_note.set_text(f"beyond float range from distance {overflow[0]}" if overflow.size else "")
        loss_plain, loss_clipped = _finite(data["loss_plain"]), _finite(data["loss_clipped"])
        plain_line.set_data(np.arange(len(loss_plain)), loss_plain)
        clipped_line.set_data(np.arange(len(loss_clipped)), loss_clipped)
        clipped_line.set_visible(clip.value)
        loss_note.set_text(_training_note(data["loss_plain"], data["loss_clipped"], clip.value)
                           .replace(": nothing", ":\nnothing"))
        # Axes fitted to what is drawn, in coarse steps (6 decades for the norms, whole decades
        # for the loss): most changes reuse a kept picture and redraw just the lines.
        ax_norm.set_xlim(0, key[2] - 1)
        low, high = _log_limits(np.concatenate([norms, line]), step=6, least=6)
        ax_norm.set_ylim(max(low, 10.0 ** -NORM_DECADES), min(high, 10.0 ** NORM_DECADES))
        shown = np.concatenate([loss_plain, loss_clipped if clip.value else []])
        low, high = _log_limits(shown)
        ax_loss.set_ylim(max(low, 1e-10), min(high, 1e10))
        plot.image.value = blit.show()
        label.value = _readout_html(data, radius.value, act.value, clip.value)   # after: painted first

    for control in (radius, act, length, clip):
        control.observe(update, names="value")
    update()
    return dashboard("gradflow", [widgets.HBox([radius, act, length, clip]), plot.image, label],
                     title=f"Gradient flow explorer: {JACOBIAN_HTML} on your RNN with "
                           "<i>W<sub>h</sub></i> = ρ·<i>Q</i>")
