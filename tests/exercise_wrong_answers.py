"""Plausible wrong answers to the lessons' exercises: (lesson, exercise) -> a list of
(text in the solution, what a learner might write instead, regex the ✗ line must match).

Each is a mistake learners make (a transposed product, a missing term, a sum instead of a
mean, a gradient through the wrong path); tests/test_exercises.py applies it to the appendix
solution and checks that the exercise's check catches it and says what is wrong.
"""

L02 = "02_feedforward_network"
L03 = "03_neural_language_model"

WRONG_ANSWERS: dict[tuple[str, str], list[tuple[str, str, str]]] = {
    (L02, "softmax"): [
        # no shift: e^1000 overflows
        ("shifted = z - z.max(axis=1, keepdims=True)", "shifted = z",
         r"NaN or inf.*near 1000.*largest logit"),
        # normalised down the columns
        ("e / e.sum(axis=1, keepdims=True)", "e / e.sum(axis=0, keepdims=True)", r"down the columns"),
        # shifted in place: the caller's z changes
        ("shifted = z - z.max(axis=1, keepdims=True)", "z -= z.max(axis=1, keepdims=True)\n    shifted = z",
         r"changed its input z"),
    ],
    (L02, "cross_entropy_forward"): [
        ("].mean()", "].sum()", r"summed over the batch instead of averaged"),
        # the log of the softmax: log 0 = -inf when the logits are far apart
        ("log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
         "log_probs = np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))",
         r"NaN or inf.*800 apart"),
        ("return loss, (log_probs, targets)", "return loss, (np.exp(log_probs), targets)",
         r"cache holds ŷ instead of log ŷ"),
        ("loss = -log_probs", "loss = log_probs", r"minus sign is missing"),
    ],
    (L02, "cross_entropy_backward"): [
        ("return dloss * dz / N", "return dloss * dz", r"not divided by N"),
        ("dz[np.arange(N), targets] -= 1.0", "dz[np.arange(N), targets] -= 0.0",
         r"one-hot target is not subtracted"),
        ("return dloss * dz / N", "return dz / N", r"dloss is not multiplied in"),
        # exp of the cache in place: the cache changes
        ("dz = np.exp(log_probs)", "dz = np.exp(log_probs, out=log_probs)", r"changed its input"),
    ],
    (L02, "ffn_forward"): [
        ('a = x @ params["W"].T + params["b"]', 'a = x @ params["W"].T', r"b is not added"),
        ("hidden = phi(a)", "hidden = a", r"activation φ is missing"),
        ("phi, _ = ACTIVATIONS[activation]", 'phi, _ = ACTIVATIONS["sigmoid"]',
         r"activation argument is ignored"),
        ("return z, (x", "return softmax(z), (x", r"softmax is applied"),
        ('a = x @ params["W"].T', 'a = x @ params["W"]', r"raised ValueError.*Hint: a = W x \+ b"),
    ],
    (L02, "ffn_backward"): [
        ("da = dhidden * phi_prime(a)", "da = dhidden", r"∂L/∂b is wrong.*φ′\(a\) is left out"),
        ("phi_prime(a)", "phi_prime(hidden)", r"evaluated at h"),
        ("db = da.sum(axis=0)", "db = da.mean(axis=0)", r"averaged over the rows instead of summed"),
        ("dU = dz.T @ hidden", "dU = hidden.T @ dz", r"∂L/∂U has shape .*transposed"),
        ("dU = dz.T @ hidden", "dU = dz.T @ a", r"pre-activation a is used"),
        ('return {"W": dW, "b": db, "U": dU}', 'return dW, db, dU', r"must return a dict"),
    ],
    (L02, "sgd_step"): [
        ("params[name] -= lr * grads[name]", "params[name] += lr * grads[name]", r"goes up the gradient"),
        ("params[name] -= lr * grads[name]", "params[name] -= grads[name]", r"learning rate η is not used"),
        ("params[name] -= lr * grads[name]", "params = {**params, name: params[name] - lr * grads[name]}",
         r"returned a new dict and left params as it was"),
        ("    return params", "    return None", r"returned None"),
    ],
    (L02, "adam_step"): [
        ("m_hat = state[\"m\"][name] / (1 - beta1 ** t)", "m_hat = state[\"m\"][name]",
         r"after step 1 .*bias correction of m is missing"),
        ("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)", r"ε is added inside the square root"),
        ('    state["t"] += 1\n', "", r"state\['t'\] is 0"),
        ('state["m"][name] = beta1', "m = beta1", r"state\['m'\] is still zero"),
        ("(np.sqrt(v_hat) + eps)", "(v_hat + eps)", r"square root of v̂ is missing"),
    ],
    (L03, "window_lm_forward"): [
        ('hidden @ params["U"].T + params["c"]', 'hidden @ params["U"].T',
         r"b_y \(params\['c'\]\) is not added"),
        ('e @ params["W"].T + params["b"]', 'e @ params["W"].T', r"b is not added"),
        ("hidden = np.tanh(a)", "hidden = a", r"tanh is missing"),
        ('params["E"][contexts].reshape(N, -1)', 'params["E"][contexts].transpose(0, 2, 1).reshape(N, -1)',
         r"interleaved coordinate by coordinate"),
        # the window read newest word first: only the lookup is wrong
        ('params["E"][contexts]', 'params["E"][contexts[:, ::-1]]',
         r"right when W = 0.*lookup or the concatenation"),
        # the n embeddings summed instead of concatenated: W does not fit
        ('params["E"][contexts].reshape(N, -1)', 'params["E"][contexts].sum(axis=1)',
         r"raised ValueError.*Hint: e = \[E"),
    ],
    (L03, "window_lm_backward"): [
        ("np.add.at(dE, contexts, de)", "dE[contexts] += de", r"occur more than once.*indexed `\+=`"),
        ("* (1 - hidden ** 2)", "", r"∂L/∂b is wrong.*tanh's derivative"),
        ("dU = dz.T @ hidden", "dU = hidden.T @ dz", r"∂L/∂U has shape .*transposed"),
        ("dc = dz.sum(axis=0)", "dc = dz.mean(axis=0)", r"∂L/∂b_y is wrong.*divided by N twice"),
        ("np.add.at(dE, contexts, de)", "dE += 0.01", r"rows of words that are not in any window"),
        ('return {"E": dE, "W": dW, "b": db, "U": dU, "c": dc}',
         'return {"E": dE, "W": dW, "b": db, "U": dU}',
         r"must return a dict"),
    ],
    (L03, "window_lm_param_count"): [
        ("output_layer = V * H + V", "output_layer = V * H", r"b_y is left out"),
        ("hidden_layer = H * n * D + H", "hidden_layer = H * D + H", r"W is counted for one position"),
        ("embeddings = V * D", "embeddings = n * V * D", r"E is counted once per position"),
        ("return embeddings + hidden_layer + output_layer",
         "return (embeddings + hidden_layer + output_layer) / 1",
         r"whole number"),
    ],
}
