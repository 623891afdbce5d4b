"""Plausible wrong answers to the lessons' exercises: (lesson, exercise) -> a list of
(text in the solution, what a learner might write instead, regex the ✗ line must match).

Each is a mistake learners make (a transposed product, a missing term, a sum instead of a
mean, a gradient through the wrong path); tests/test_exercises.py applies it to the appendix
solution and checks that the exercise's check catches it and says what is wrong.
"""

WRONG_ANSWERS: dict[tuple[str, str], list[tuple[str, str, str]]] = {
    ("05_rnn_limitations", "rnn_step_jacobian"): [
        ("return tanh_prime[:, None] * W_h", "return W_h", "forgot the tanh derivative"),
        ("tanh_prime = 1 - h**2", "tanh_prime = 1 - np.tanh(h)**2", "h is already tanh"),
        ("tanh_prime[:, None] * W_h", "W_h * tanh_prime[None, :]", "columns of W_h"),
        ("tanh_prime = 1 - h**2", "tanh_prime = h * (1 - h)", "sigmoid's derivative"),
        ("tanh_prime[:, None] * W_h", "tanh_prime[:, None] * W_h.T", "transposed"),
    ],
    ("05_rnn_limitations", "jacobian_norms"): [
        ("product @ rnn_step_jacobian(hs[t], W_h)", "rnn_step_jacobian(hs[t], W_h) @ product", "wrong order"),
        ("np.linalg.norm(product, 2)", "np.linalg.norm(product)", "Frobenius norm"),
        ("rnn_step_jacobian(hs[t], W_h)", "rnn_step_jacobian(hs[t - 1], W_h)", "from the state before it"),
        ("norms = [1.0]", "norms = []", "distance 0"),
        ("product = product @ rnn_step_jacobian(hs[t], W_h)", "product = product @ W_h",
         "forgot the tanh derivative"),
        ("product = product @ rnn_step_jacobian(hs[t], W_h)",
         "product = np.linalg.norm(product, 2) * rnn_step_jacobian(hs[t], W_h)", "upper bound"),
    ],
    ("05_rnn_limitations", "clip_grad_norm"): [
        ("return {name: g * scale for name, g in grads.items()}, norm",
         "return {name: g * min(1.0, max_norm / np.linalg.norm(g)) for name, g in grads.items()}, norm",
         "clipped each gradient separately"),
        ("scale = min(1.0, max_norm / (norm + 1e-6))", "scale = max_norm / (norm + 1e-6)",
         "scaled even when below the threshold"),
        ("return {name: g * scale for name, g in grads.items()}, norm",
         "return {name: np.clip(g, -max_norm, max_norm) for name, g in grads.items()}, norm",
         "clipping by value"),
        ("norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))",
         "norm = sum(np.sqrt(np.sum(g**2)) for g in grads.values())", "sum of the arrays' norms"),
        ("return {name: g * scale for name, g in grads.items()}, norm",
         "for g in grads.values():\n        g *= scale\n    return grads, norm", "changed grads"),
        ("}, norm", "}, min(norm, max_norm)", "norm after clipping"),
        ("}, norm", "}", r"must return \(clipped, norm\)"),
    ],
}
