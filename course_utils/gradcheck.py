"""Gradient checks: numerical gradients, relative error, comparison with torch autograd, and
torch's recurrent modules holding our weights.

The rule of thumb used throughout the course (in float64): a relative error around 1e-8 or
less means the gradient is right; 1e-5 deserves a second look; 1e-2 or more is a bug.

torch is imported only by the functions that use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "GradReport", "compare_with_torch", "torch_weights",
           "torch_recurrent"]


def rel_error(a, b) -> float:
    """Largest element-wise relative error, as in cs231n: max |a - b| / max(1e-8, |a| + |b|)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: a has shape {a.shape} but b has shape {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(
    f: Callable[[np.ndarray], object], x: np.ndarray, h: float = 1e-5, df: np.ndarray | None = None
) -> np.ndarray:
    """Central-difference gradient of `f` at `x`, one element at a time.

    `x` is changed in place while the function is evaluated and restored afterwards, so
    `f` may read `x` through a closure (as layer parameters are); any memory layout works,
    a view such as `W.T` included (then W itself is nudged). If `f` returns a scalar, the
    result is d f / d x. If it returns an array, pass the upstream gradient `df` (same shape
    as `f(x)`) and the result is d (sum(f(x) * df)) / d x.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"numerical_gradient: x must be a NumPy array, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient: x must be a float array, got dtype {x.dtype}")
    if h <= 0:
        raise ValueError(f"numerical_gradient: step h must be positive, got {h}")
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):  # index x itself: x.reshape(-1) would copy a non-contiguous x
        old = x[i]
        try:
            x[i] = old + h
            plus = np.array(f(x), dtype=np.float64)
            x[i] = old - h
            minus = np.array(f(x), dtype=np.float64)
        finally:
            x[i] = old
        if df is None:
            if plus.size != 1:
                raise ValueError(
                    f"numerical_gradient: f returned an array of shape {plus.shape}; "
                    "pass its upstream gradient as df= (same shape), or return a scalar"
                )
            grad[i] = (plus.item() - minus.item()) / (2 * h)
        else:
            if np.shape(df) != plus.shape:
                raise ValueError(
                    f"numerical_gradient: df has shape {np.shape(df)} but f returned {plus.shape}"
                )
            grad[i] = np.sum((plus - minus) * df) / (2 * h)
    return grad


@dataclass
class GradReport:
    """Relative error of each parameter's gradient against a reference, worst named."""

    errors: dict[str, float]
    tolerance: float

    @property
    def worst(self) -> tuple[str, float]:
        name = max(self.errors, key=self.errors.get)
        return name, self.errors[name]

    @property
    def ok(self) -> bool:
        return self.worst[1] <= self.tolerance

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        name, error = self.worst
        status = "✓" if self.ok else "✗"
        lines = [f"{status} worst relative error: {error:.2e} in {name!r} "
                 f"(tolerance {self.tolerance:.0e})"]
        lines += [f"    {k:>12s}: {v:.2e}" for k, v in self.errors.items()]
        return "\n".join(lines)

    __repr__ = __str__


def compare_with_torch(
    loss_fn_torch: Callable[[Mapping[str, object]], object],
    params: Mapping[str, np.ndarray],
    numpy_grads: Mapping[str, np.ndarray],
    tolerance: float = 1e-7,
) -> GradReport:
    """Compare NumPy gradients with torch autograd on the same numbers, in float64.

    `loss_fn_torch(tensors)` receives a dict of float64 leaf tensors (one per entry of
    `params`, same names) and returns a scalar loss tensor. Every name in `numpy_grads`
    must be a parameter name. Returns a `GradReport`; `print` it to see the worst one.
    """
    import torch

    missing = sorted(set(numpy_grads) - set(params))
    if missing:
        raise ValueError(
            f"compare_with_torch: numpy_grads has {missing} that are not in params "
            f"(params: {sorted(params)})"
        )
    tensors = {
        name: torch.tensor(np.asarray(value, dtype=np.float64), requires_grad=True)
        for name, value in params.items()
    }
    loss = loss_fn_torch(tensors)
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError("compare_with_torch: loss_fn_torch must return a scalar torch tensor")
    loss.backward()
    errors = {}
    for name, grad in numpy_grads.items():
        torch_grad = tensors[name].grad
        reference = np.zeros_like(grad) if torch_grad is None else torch_grad.detach().numpy()
        if np.shape(grad) != reference.shape:
            raise ValueError(
                f"compare_with_torch: gradient {name!r} has shape {np.shape(grad)}, "
                f"torch's has {reference.shape}"
            )
        errors[name] = rel_error(grad, reference)
    return GradReport(errors=errors, tolerance=tolerance)


def torch_weights(layers, bidirectional=False, step=False):
    """torch's names for our recurrent weights: {"weight_ih_l0": W_e, "weight_hh_l0": W_h,
    "bias_ih_l0": b, "bias_hh_l0": 0, ...} as float64 tensors.

    layers: one params dict {'W_e', 'W_h', 'b'}, or a list with one per layer (a (fwd, bwd)
    pair per layer when `bidirectional`; "_reverse" names the backward direction). NumPy
    values are copied; torch tensors are used as they are, so autograd reaches them (e.g. the
    tensors `compare_with_torch` passes). torch adds its two biases; ours is the one, the other
    is zero. `step`: the names of torch.nn.RNNCell / LSTMCell (no layer suffix).
    """
    import torch

    layers = [layers] if isinstance(layers, dict) else list(layers)
    if not layers or (step and (len(layers) != 1 or bidirectional)):
        raise ValueError("torch_weights: pass one layer or a non-empty list of layers (step=True: "
                         "exactly one, not bidirectional)")

    def tensor(value):
        return value if isinstance(value, torch.Tensor) else torch.tensor(np.asarray(value, dtype=np.float64))

    state = {}
    for number, layer in enumerate(layers):
        directions = layer if bidirectional else (layer,)
        if bidirectional and not (isinstance(layer, tuple) and len(layer) == 2):
            raise TypeError(f"torch_weights: with bidirectional=True, layers[{number}] must be a pair "
                            f"(fwd, bwd), got {type(layer).__name__}")
        for k, params in enumerate(directions):
            if not isinstance(params, dict) or any(key not in params for key in ("W_e", "W_h", "b")):
                raise TypeError(f"torch_weights: layers[{number}] must hold dicts with keys "
                                f"['W_e', 'W_h', 'b'], got {type(params).__name__}")
            suffix = "" if step else f"_l{number}" + ("_reverse" if k == 1 else "")
            b = tensor(params["b"])
            state[f"weight_ih{suffix}"] = tensor(params["W_e"])
            state[f"weight_hh{suffix}"] = tensor(params["W_h"])
            state[f"bias_ih{suffix}"] = b
            state[f"bias_hh{suffix}"] = torch.zeros_like(b)
    return state


def torch_recurrent(cell, layers, bidirectional=False, activation="tanh", step=False):
    """A float64 torch.nn.RNN / torch.nn.LSTM (batch_first=True) holding copies of our weights.

    cell: "rnn" or "lstm"; layers as for `torch_weights` (its number of layers and directions
    make num_layers and bidirectional); activation: the RNN's nonlinearity ("tanh" or "relu").
    With `step=True`: torch.nn.RNNCell / LSTMCell for one step of one layer. Call the module as
    usual, or with `torch.func.functional_call(module, torch_weights(tensors), args)` to let
    autograd reach tensors of your own.
    """
    import torch

    if cell not in ("rnn", "lstm"):
        raise ValueError(f"torch_recurrent: cell must be 'rnn' or 'lstm', got {cell!r}")
    weights = torch_weights(layers, bidirectional, step)
    first = "" if step else "_l0"
    hidden, input_size = weights[f"weight_hh{first}"].shape[1], weights[f"weight_ih{first}"].shape[1]
    num_layers = 1 if step else sum(name.startswith("weight_ih_l") and not name.endswith("reverse")
                                    for name in weights)
    options = {} if cell == "lstm" else {"nonlinearity": activation}
    if step:
        module = (torch.nn.LSTMCell if cell == "lstm" else torch.nn.RNNCell)(input_size, hidden, **options)
    else:
        module = (torch.nn.LSTM if cell == "lstm" else torch.nn.RNN)(
            input_size, hidden, num_layers=num_layers, batch_first=True, bidirectional=bidirectional,
            **options)
    module = module.double()
    with torch.no_grad():
        module.load_state_dict({name: value.detach().clone() for name, value in weights.items()})
    return module
