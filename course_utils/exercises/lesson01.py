"""Checks for lesson 01's exercises: one unit (z, a), the sigmoid's derivative, collapsing a
stack of linear layers, the perceptron update and XOR with a hidden layer.

The unit, σ′ and the collapsed stack are compared with torch (float64); the perceptron update
with one SGD step that torch's autograd takes on the perceptron criterion; XOR with its truth
table. The hints name the equation or the idea, never the code.
"""

from __future__ import annotations

import numpy as np

from course_utils.exercises._core import (
    Wrong,
    call,
    cases_rng,
    exercise,
    expect_close,
    expect_shape,
    torch_float64,
    unpack,
)

__all__ = ["check_unit", "check_sigmoid_prime", "check_collapse_linear", "check_perceptron_update",
           "check_xor_network"]

Z_HINT = "z = w·x + b = Σ_j w_j x_j + b: one number per input (one per row of a batch)"
A_HINT = "a = σ(z) = 1 / (1 + e^(−z)), applied to z"


@exercise("unit", success="z and a match torch.nn.functional.linear and torch.sigmoid on 4 random cases")
def check_unit(unit):
    import torch

    rng = cases_rng("lesson01.unit")
    cases = [(rng.standard_normal(3), "for one input of 3 features"),
             (rng.standard_normal(5) * 2, "for one input of 5 features"),
             (rng.standard_normal((4, 3)), "for a batch of 4 inputs (the rows of x, shape (4, 3))"),
             (rng.standard_normal((1, 6)), "for a batch of 1 input (shape (1, 6))")]
    for x, where in cases:
        w, b = rng.standard_normal(x.shape[-1]), float(rng.standard_normal())
        try:
            z, a = unpack("unit", call("unit", unit, x.copy(), w.copy(), b), ("z", "a"))
        except Wrong as wrong:
            if x.ndim == 1 or "not implemented" in str(wrong):
                raise
            raise Wrong(f"{wrong} {where}. Hint: with the inputs as the rows of x, the product of x (N, n) "
                        "and w (n,) gives one z per row") from None
        x_t, w_t = torch_float64(x, w)
        want_z = torch.nn.functional.linear(x_t, w_t[None, :], torch.tensor([b], dtype=torch.float64))[..., 0]
        want_a = torch.sigmoid(want_z).numpy()
        want_z = want_z.numpy()
        expect_close("z", z, want_z, where=where, hint=Z_HINT, mistakes={
            "b is not added": want_z - b,
            "b is subtracted": want_z - 2 * b,
        })
        expect_close("a", a, want_a, where=where, hint=A_HINT, mistakes={
            "a is z itself: σ is not applied": want_z,
            "the sign of the exponent is lost: that is σ(−z) = 1 / (1 + e^z)": 1 - want_a,
            "tanh is used where the unit uses σ": np.tanh(want_z),
        })


SIGMOID_PRIME_HINT = "σ′(z) = σ(z) (1 − σ(z)): the sigmoid's derivative, written with the sigmoid itself"


@exercise("sigmoid_prime", success="matches torch autograd's derivative of torch.sigmoid, even at z = ±800")
def check_sigmoid_prime(sigmoid_prime):
    import torch

    cases = [(np.linspace(-6, 6, 13) + 0.1, "on 13 points from −5.9 to 6.1"),
             (np.array(0.0), "at z = 0 (a 0-dimensional array)"),
             (np.array([-800.0, -40.0, 40.0, 800.0]),
              "for large |z| (z = −800, −40, 40, 800), where e^(−z) overflows")]
    for z, where in cases:
        got = call("sigmoid_prime", sigmoid_prime, z.copy())
        z_t = torch_float64(z, grad=True)
        torch.sigmoid(z_t).sum().backward()
        want = z_t.grad.numpy()
        s = torch.sigmoid(torch_float64(z)).numpy()
        expect_close("σ′(z)", got, want, where=where, hint=SIGMOID_PRIME_HINT, atol=1e-12, mistakes={
            "a sign is flipped: σ(z) (1 + σ(z))": s * (1 + s),
            "it is 1 − σ(z)², the form of tanh′, not of σ′": 1 - s**2,
            "σ(z) (1 − σ(z)) is applied to z itself, not to σ(z): z (1 − z)": z * (1 - z),
            "the factor (1 − σ(z)) is missing: that is σ(z) itself": s,
            "the factor σ(z) is missing: that is 1 − σ(z)": 1 - s,
        })


COLLAPSE_HINT = ("substitute one layer into the next: W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂), and "
                 "repeat with each further layer")


@exercise("collapse_linear", success="one (W, b) computes the same map as torch.nn.Sequential on 4 stacks")
def check_collapse_linear(collapse_linear):
    import torch

    rng = cases_rng("lesson01.collapse_linear")
    stacks = [(3, 3, 3, 3), (3, 4, 2), (5, 2), (5, 2, 6, 3, 1)]   # the widths, input first
    for widths in stacks:
        layers = [(rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out))
                  for n_in, n_out in zip(widths[:-1], widths[1:], strict=True)]
        where = f"for {len(layers)} layer{'s' * (len(layers) > 1)} of widths {' → '.join(map(str, widths))}"
        copies = [(W.copy(), b.copy()) for W, b in layers]
        W, b = unpack("collapse_linear", call("collapse_linear", collapse_linear, copies), ("W", "b"))
        expect_shape("W", W, (widths[-1], widths[0]), where)
        expect_shape("b", b, (widths[-1],), where)
        # torch's own layers, applied to the unit vectors and to 0, give the map's W and b
        network = torch.nn.Sequential(*[torch.nn.Linear(W_i.shape[1], W_i.shape[0], dtype=torch.float64)
                                        for W_i, _ in layers])
        with torch.no_grad():
            for linear, (W_i, b_i) in zip(network, layers, strict=True):
                linear.weight.copy_(torch_float64(W_i))
                linear.bias.copy_(torch_float64(b_i))
            want_b = network(torch.zeros(1, widths[0], dtype=torch.float64))[0].numpy()
            want_W = (network(torch.eye(widths[0], dtype=torch.float64)).numpy() - want_b).T
        W_mistakes = {}
        if len(layers) > 1 and len(set(widths)) == 1:   # square layers: the wrong order still runs
            W_mistakes["the matrices are multiplied in the wrong order (the first layer's W acts first, "
                       "so it stands rightmost)"] = np.linalg.multi_dot([W_i for W_i, _ in layers])
        expect_close("W", W, want_W, where=where, hint=COLLAPSE_HINT, mistakes=W_mistakes)
        b_mistakes = {"only the last layer's bias is kept": layers[-1][1]}
        if len({b_i.shape for _, b_i in layers}) == 1:
            b_mistakes["the biases are simply added: each bias also passes through the layers after it"] = \
                sum(b_i for _, b_i in layers)
        expect_close("b", b, want_b, where=where, hint=COLLAPSE_HINT, mistakes=b_mistakes)


UPDATE_HINT = ("predict ŷ = [w·x + b > 0]; then w ← w + η (y − ŷ) x and b ← b + η (y − ŷ), "
               "which changes nothing when ŷ = y")


@exercise("perceptron_update", success="equals one step of torch autograd on the perceptron criterion, "
                                       "in all 4 situations and 6 random cases")
def check_perceptron_update(perceptron_update):
    rng = cases_rng("lesson01.perceptron_update")
    w2 = np.array([1.0, -2.0])
    cases = [  # (w, b, x, y, lr, what)
        (w2, 0.5, np.array([1.0, 0.0]), 1, 0.5, "for a positive example already on the positive side"),
        (w2, 0.5, np.array([0.0, 1.0]), 1, 0.5, "for a positive example on the wrong side (z < 0)"),
        (w2, 0.5, np.array([1.0, 0.0]), 0, 0.5, "for a negative example on the wrong side (z > 0)"),
        (w2, 0.0, np.array([2.0, 1.0]), 1, 0.5, "for a positive example exactly on the line (z = 0: ŷ = 0)"),
    ]
    for n in (2, 3, 5, 2, 4, 3):
        cases.append((rng.standard_normal(n), float(rng.standard_normal()), rng.standard_normal(n),
                      int(rng.integers(0, 2)), float(rng.choice([0.1, 0.5, 1.0])),
                      f"for a random case with n = {n}"))
    for w, b, x, y, lr, where in cases:
        got_w, got_b = unpack("perceptron_update",
                              call("perceptron_update", perceptron_update, w.copy(), b, x.copy(), y, lr),
                              ("w", "b"))
        # The rule is one SGD step on L = (ŷ − y) z with the prediction ŷ held fixed (the
        # perceptron criterion): ∂L/∂w = (ŷ − y) x, ∂L/∂b = ŷ − y.
        w_t, b_t = torch_float64(w, np.array(b), grad=True)
        z = w_t @ torch_float64(x) + b_t
        y_hat = (z > 0).double().detach()
        ((y_hat - y) * z).backward()
        want_w = (w_t - lr * w_t.grad).detach().numpy()
        want_b = (b_t - lr * b_t.grad).detach().numpy()
        z_value = float(z.detach())
        error = y - float(z_value > 0)
        error_at_or_above = y - float(z_value >= 0)        # with ŷ = [z ≥ 0] instead of [z > 0]
        delta = y - 1 / (1 + np.exp(-z_value))             # the delta rule's error, y − σ(z)
        where = f"{where} (η = {lr})"
        expect_close("the new w", got_w, want_w, where=where, hint=UPDATE_HINT, mistakes={
            "the sign is flipped: the line moves away from the example (ŷ − y instead of y − ŷ)":
                w - lr * error * x,
            "the learning rate η is left out": w + error * x,
            "the weights move although the prediction is right (y x instead of (y − ŷ) x)": w + lr * y * x,
            "the error uses a = σ(z) instead of the prediction ŷ (that is the delta rule of lesson 02)":
                w + lr * delta * x,
            "ŷ is taken as [z ≥ 0]: at exactly z = 0 the perceptron predicts 0":
                w + lr * error_at_or_above * x,
        })
        expect_close("the new b", got_b, want_b, where=where, hint=UPDATE_HINT, mistakes={
            "ŷ is taken as [z ≥ 0]: at exactly z = 0 the perceptron predicts 0": b + lr * error_at_or_above,
            "the bias is not updated": b,
            "the sign is flipped (ŷ − y instead of y − ŷ)": b - lr * error,
            "the learning rate η is left out": b + error,
        })


XOR_TRUTH = {"OR": lambda x1, x2: x1 | x2, "AND": lambda x1, x2: x1 & x2,
             "NAND": lambda x1, x2: 1 - (x1 & x2), "XNOR (XOR inverted)": lambda x1, x2: 1 - (x1 ^ x2)}


@exercise("xor_network", success="returns XOR on all four inputs, in any order")
def check_xor_network(xor_network):
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    for X, where in ((corners, "on the four inputs"),
                     (corners[[3, 1, 0, 2, 2, 3]], "on the inputs in another order, with repeats")):
        got = expect_shape("xor_network(X)", call("xor_network", xor_network, X.copy()), (len(X),), where)
        x1, x2 = X[:, 0].astype(int), X[:, 1].astype(int)
        want = x1 ^ x2
        if np.array_equal(got, want):
            continue
        for name, table in XOR_TRUTH.items():
            if np.array_equal(got, table(x1, x2)):
                raise Wrong(f"xor_network computes {name} {where}, not XOR. Hint: XOR(x₁, x₂) = "
                            "AND(OR(x₁, x₂), NAND(x₁, x₂)): the output unit fires only where both hidden "
                            "units fire")
        wrong = [tuple(int(v) for v in row) for row, g, t in zip(X, got, want, strict=True) if g != t]
        raise Wrong(f"xor_network is wrong {where} for the input(s) {sorted(set(wrong))}. Hint: each "
                    "step unit fires where z = w·x + b > 0: choose w and b so that its line z = 0 "
                    "separates the corners where it must fire from the others")
