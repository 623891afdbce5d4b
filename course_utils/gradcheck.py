"""Gradient checks: numerical gradients, relative error, and comparison with torch autograd.

The rule of thumb used throughout the course (in float64): a relative error around 1e-8 or
less means the gradient is right; 1e-5 deserves a second look; 1e-2 or more is a bug.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "GradReport", "compare_with_torch"]


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
    `f` may read `x` through a closure (as layer parameters are). If `f` returns a scalar,
    the result is d f / d x. If it returns an array, pass the upstream gradient `df`
    (same shape as `f(x)`) and the result is d (sum(f(x) * df)) / d x.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"numerical_gradient: x must be a NumPy array, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient: x must be a float array, got dtype {x.dtype}")
    if h <= 0:
        raise ValueError(f"numerical_gradient: step h must be positive, got {h}")
    grad = np.zeros_like(x, dtype=np.float64)
    flat_x = x.reshape(-1)  # a view: writing to it writes to x
    flat_grad = grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        try:
            flat_x[i] = old + h
            plus = np.array(f(x), dtype=np.float64)
            flat_x[i] = old - h
            minus = np.array(f(x), dtype=np.float64)
        finally:
            flat_x[i] = old
        if df is None:
            if plus.size != 1:
                raise ValueError(
                    f"numerical_gradient: f returned an array of shape {plus.shape}; "
                    "pass its upstream gradient as df= (same shape), or return a scalar"
                )
            flat_grad[i] = (plus.item() - minus.item()) / (2 * h)
        else:
            if np.shape(df) != plus.shape:
                raise ValueError(
                    f"numerical_gradient: df has shape {np.shape(df)} but f returned {plus.shape}"
                )
            flat_grad[i] = np.sum((plus - minus) * df) / (2 * h)
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
