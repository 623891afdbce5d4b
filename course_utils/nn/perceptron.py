"""One unit, Rosenblatt's perceptron rule, and lesson 01's two results about layers.

    z, a = unit(x, w, b)                      z = w·x + b, a = σ(z); x is (n,) or a batch (N, n)
    w, b = perceptron_update(w, b, x, y, lr)  one example: ŷ = [z > 0], then
                                              w ← w + η (y − ŷ) x,  b ← b + η (y − ŷ)
    W, b = collapse_linear(layers)            a stack of linear layers is one linear layer
    y = xor_network(X)                        XOR, which no single unit computes, with two layers
"""

import numpy as np

from course_utils.nn.activations import sigmoid

__all__ = ["unit", "step", "perceptron_update", "collapse_linear", "xor_network"]


def unit(x, w, b):
    """z = w·x + b and a = σ(z).   x: (n,) -> scalars, or (N, n) rows -> z, a: (N,)."""
    z = np.asarray(x) @ np.asarray(w) + b
    return z, sigmoid(z)


def step(z):
    """The perceptron's prediction ŷ = [z > 0] (0 at exactly z = 0), element-wise, as ints."""
    return (np.asarray(z) > 0).astype(int)


def perceptron_update(w, b, x, y, lr):
    """One example (x: (n,), label y in {0, 1}): predict ŷ = [w·x + b > 0]; if it is wrong, move
    the line towards the example. Returns the new (w, b); a right answer changes nothing."""
    error = y - step(np.asarray(x) @ np.asarray(w) + b)   # 0 if right, +1 or -1 if wrong
    return w + lr * error * np.asarray(x), b + lr * error


def collapse_linear(layers):
    """The one linear layer (W, b) that computes what the stack `layers` = [(W₁, b₁), (W₂, b₂), ...]
    computes (applied in that order, x ↦ W x + b each): W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂)."""
    W, b = layers[0]
    for W_next, b_next in layers[1:]:
        W, b = W_next @ W, W_next @ b + b_next
    return W, b


def xor_network(X):
    """XOR of the two columns of X (N, 2) with two layers of step units, weights chosen by hand:
    hidden units OR and NAND, and an output unit that is their AND.   -> (N,) of 0 and 1."""
    W_hidden = np.array([[1.0, 1.0],     # OR:   x1 + x2 − 0.5 > 0
                         [-1.0, -1.0]])  # NAND: 1.5 − x1 − x2 > 0
    b_hidden = np.array([-0.5, 1.5])
    hidden = step(np.asarray(X) @ W_hidden.T + b_hidden)   # (N, 2)
    return step(hidden @ np.array([1.0, 1.0]) - 1.5)       # AND of the two
