"""Activation functions a = g(z) and their derivatives g'(z), element-wise (lesson 01)."""

import numpy as np

__all__ = ["sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime",
           "identity", "identity_prime", "ACTIVATIONS",
           "prime_from_output", "activation_forward", "activation_backward"]


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}), computed without overflow for large |z|."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    # For z < 0 use e^z / (1 + e^z): e^{-z} would overflow.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))[()]  # [()]: a scalar stays a scalar


def sigmoid_prime(z):
    """σ'(z) = σ(z) (1 − σ(z)); at most 0.25, at z = 0."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    return np.tanh(z)


def tanh_prime(z):
    """tanh'(z) = 1 − tanh(z)²; at most 1, at z = 0."""
    t = np.tanh(z)
    return 1.0 - t * t


def relu(z):
    return np.maximum(z, 0.0)


def relu_prime(z):
    """1 where z > 0, else 0 (the subgradient at 0 is taken as 0, as torch does)."""
    return (np.asarray(z) > 0).astype(np.result_type(z, np.float32))


def identity(z):
    return np.asarray(z)


def identity_prime(z):
    return np.ones_like(np.asarray(z, dtype=np.result_type(z, np.float32)))


# name -> (g, g')
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "identity": (identity, identity_prime),
}


def prime_from_output(h, activation):
    """g'(a) written with the output h = g(a): σ' = h(1 − h), tanh' = 1 − h², ReLU' = [h > 0],
    identity' = 1. A backward pass that kept only the outputs needs nothing else."""
    h = np.asarray(h)
    if activation == "sigmoid":
        return h * (1.0 - h)
    if activation == "tanh":
        return 1.0 - h * h
    if activation == "relu":
        return (h > 0).astype(h.dtype)
    if activation == "identity":
        return np.ones_like(h)
    raise ValueError(f"prime_from_output: unknown activation={activation!r}; expected one of "
                     f"{sorted(ACTIVATIONS)}")


def activation_forward(a, activation="sigmoid"):
    """h = g(a) element-wise, with g named by `activation` (a key of ACTIVATIONS)."""
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation_forward: unknown activation={activation!r}; expected one of {sorted(ACTIVATIONS)}"
        )
    g, _ = ACTIVATIONS[activation]
    return g(a), (a, activation)


def activation_backward(dh, cache):
    """dL/da = dL/dh ⊙ g'(a): the local derivative of an element-wise function is diagonal."""
    a, activation = cache
    if np.shape(dh) != np.shape(a):
        raise ValueError(f"activation_backward: dh has shape {np.shape(dh)} but a has shape {np.shape(a)}")
    _, g_prime = ACTIVATIONS[activation]
    return dh * g_prime(a)
