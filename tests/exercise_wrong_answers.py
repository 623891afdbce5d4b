"""Plausible wrong answers to the lessons' exercises: (lesson, exercise) -> a list of
(text in the solution, what a learner might write instead, regex the ✗ line must match).

Each is a mistake learners make (a transposed product, a missing term, a sum instead of a
mean, a gradient through the wrong path); tests/test_exercises.py applies it to the appendix
solution and checks that the exercise's check catches it and says what is wrong.
"""

L02 = "02_feedforward_network"
L03 = "03_neural_language_model"
L07 = "07_bidirectional_and_deep_rnns"

WRONG_ANSWERS: dict[tuple[str, str], list[tuple[str, str, str]]] = {
    # ---- lesson 00: word vectors ----
    ("00_word_vectors_recap", "cosine_similarity"): [
        ("return float(u @ v / lengths)", "return float(u @ v)", "not divided by the lengths"),
        ("np.linalg.norm(u) * np.linalg.norm(v)", "np.linalg.norm(u) + np.linalg.norm(v)",
         "added, not multiplied"),
        ("np.linalg.norm(u) * np.linalg.norm(v)", "np.linalg.norm(u) ** 2 * np.linalg.norm(v) ** 2",
         "squared lengths"),
        ("np.linalg.norm(u) * np.linalg.norm(v)", "np.linalg.norm(u)", r"only ‖u‖"),
        ("return float(u @ v / lengths)", "return 1 - float(u @ v / lengths)", "cosine distance"),
    ],
    ("00_word_vectors_recap", "average_ranks"): [
        ("np.arange(1, len(x) + 1)", "np.arange(len(x))", "count from 0"),
        ("ranks[tied] = ranks[tied].mean()", "pass", "keep different ranks"),
        ("ranks[tied] = ranks[tied].mean()", "ranks[tied] = ranks[tied].min()", "lowest of their ranks"),
        ("np.argsort(x, kind=\"stable\")", "np.argsort(-x, kind=\"stable\")", "largest value has rank 1"),
    ],
    ("00_word_vectors_recap", "spearman_rho"): [
        ("rank_x, rank_y = average_ranks(x), average_ranks(y)",
         "rank_x, rank_y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)",
         "Pearson's correlation of the values themselves"),
        ("return float(cov / (rank_x.std() * rank_y.std()))",
         "return float(1 - 6 * np.sum((rank_x - rank_y) ** 2) / (len(x) * (len(x) ** 2 - 1)))",
         "textbook shortcut"),
        ("return float(cov / (rank_x.std() * rank_y.std()))", "return float(cov)",
         "not divided by their standard deviations"),
        ("np.mean((rank_x - rank_x.mean()) * (rank_y - rank_y.mean()))", "np.cov(rank_x, rank_y)[0, 1]",
         r"n − 1 but the standard deviations by n"),
    ],
    ("00_word_vectors_recap", "solve_analogy"): [
        ("cos[[wv.index[a], wv.index[b], wv.index[c]]] = -np.inf", "pass", "not left out"),
        ("unit[wv.index[b]] - unit[wv.index[a]] + unit[wv.index[c]]",
         "unit[wv.index[a]] - unit[wv.index[b]] + unit[wv.index[c]]", "offset is reversed"),
        ("cos = unit @ target / np.linalg.norm(target)", "cos = unit @ target", "not cosines"),
        ("target = unit[wv.index[b]] - unit[wv.index[a]] + unit[wv.index[c]]",
         "target = wv.vectors[wv.index[b]] - wv.vectors[wv.index[a]] + wv.vectors[wv.index[c]]",
         "not scaled to length 1"),
        ("best = np.argsort(-cos)[:k]", "best = np.argsort(-cos)[1:k + 1]", "answer 1 is"),
        ("return [(wv.words[i], float(cos[i])) for i in best]", "return [wv.words[i] for i in best]",
         r"\(word, score\) pairs"),
    ],
    # ---- lesson 01: the perceptron ----
    ("01_perceptron", "unit"): [
        ("z = x @ w + b", "z = x @ w", "b is not added"),
        ("a = sigmoid(z)", "a = z", "σ is not applied"),
        ("a = sigmoid(z)", "a = sigmoid(-z)", "sign of the exponent"),
        ("a = sigmoid(z)", "a = np.tanh(z)", "tanh is used"),
        ("z = x @ w + b", "z = w @ x + b", r"raised ValueError.*batch"),
    ],
    ("01_perceptron", "sigmoid_prime"): [
        ("return s * (1 - s)", "return s * (1 + s)", "sign is flipped"),
        ("return s * (1 - s)", "return 1 - s ** 2", "tanh′"),
        ("return s * (1 - s)", "return z * (1 - z)", "applied to z itself"),
        ("return s * (1 - s)", "return s", r"factor \(1 − σ\(z\)\) is missing"),
        ("return s * (1 - s)", "return np.exp(-z) / (1 + np.exp(-z)) ** 2", "NaN or inf.*800"),
    ],
    ("01_perceptron", "collapse_linear"): [
        ("W, b = W_next @ W, W_next @ b + b_next", "W, b = W @ W_next, W_next @ b + b_next", "wrong order"),
        ("W, b = W_next @ W, W_next @ b + b_next", "W, b = W_next @ W, b + b_next", "simply added"),
        ("W, b = W_next @ W, W_next @ b + b_next", "W, b = W_next @ W, b_next", "only the last layer's bias"),
    ],
    ("01_perceptron", "perceptron_update"): [
        ("w = w + lr * (y - y_hat) * x", "w = w + lr * (y_hat - y) * x", "sign is flipped"),
        ("w = w + lr * (y - y_hat) * x", "w = w + (y - y_hat) * x", "learning rate"),
        ("w = w + lr * (y - y_hat) * x", "w = w + lr * y * x", "although the prediction is right"),
        ("b = b + lr * (y - y_hat)", "b = b", "bias is not updated"),
        ("y_hat = step(w @ x + b)", "y_hat = sigmoid(w @ x + b)", "delta rule"),
        ("y_hat = step(w @ x + b)", "y_hat = int(w @ x + b >= 0)", r"\[z ≥ 0\]"),
    ],
    ("01_perceptron", "xor_network"): [
        ("[-1.0, -1.0]])", "[1.0, 1.0]])", "computes OR"),
        ("return step(h @ w_out + b_out)", "return 1 - step(h @ w_out + b_out)", "computes XNOR"),
        ("w_out, b_out = np.array([1.0, 1.0]), -1.5", "w_out, b_out = np.array([1.0, 1.0]), -0.5",
         r"wrong on the four inputs for the input\(s\) \[\(0, 0\), \(1, 1\)\]"),
    ],
    # ---- lesson 04: the RNN language model ----
    ("04_rnn_language_model", "rnn_step_forward"): [
        ("a = h_prev @ W_h.T + x @ W_e.T + b", "a = h_prev @ W_h.T + x @ W_e.T", "b is not added"),
        ("h = np.tanh(a)", "h = a", "tanh is missing"),
        ("h = np.tanh(a)", "h = 1 / (1 + np.exp(-a))", "sigmoid is used"),
        ("a = h_prev @ W_h.T + x @ W_e.T + b", "a = h_prev @ W_h + x @ W_e.T + b", "without its transpose"),
        ("a = h_prev @ W_h.T + x @ W_e.T + b", "a = x @ W_e.T + b", r"h is wrong.*relative error"),
    ],
    ("04_rnn_language_model", "rnn_step_backward"): [
        ("delta = dh * (1 - h**2)", "delta = dh", r"dx is wrong.*derivative \(1 − h²\) is left out"),
        ("dh_prev = delta @ W_h ", "dh_prev = delta @ W_h.T ", r"dh_prev is wrong.*W_h is transposed"),
        ("dW_h = delta.T @ h_prev", "dW_h = h_prev.T @ delta", r"dW_h is wrong.*product is transposed"),
        ("db = delta.sum(axis=0)", "db = delta.mean(axis=0)", r"db is wrong.*averaged over the batch"),
        ("delta = dh * (1 - h**2)", "delta = dh * (1 - np.tanh(h)**2)", r"dx is wrong.*already tanh\(a\)"),
        ("dW_e = delta.T @ x ", "dW_e = x.T @ delta ", r"dW_e has shape.*transposed"),
    ],
    ("04_rnn_language_model", "rnn_backward"): [
        ("rnn_step_backward(dhs[:, t] + dh_next, caches[t])", "rnn_step_backward(dhs[:, t], caches[t])",
         "sends no gradient to the first input"),
        ("dW_e + dW_e_t, dW_h + dW_h_t, db + db_t", "dW_e_t, dW_h_t, db_t",
         r"dW_e is wrong.*replaced the sum"),
        ("for t in reversed(range(T)):", "for t in range(T):", r"no gradient to the first input|dx is wrong"),
        ("return np.stack(dxs, axis=1), dh_next,", "return np.stack(dxs, axis=0), dh_next,",
         r"dx has shape"),
    ],
    ("04_rnn_language_model", "sample_token"): [
        ("z = np.asarray(logits, dtype=np.float64) / temperature",
         "z = np.asarray(logits, dtype=np.float64) * temperature", r"do not follow softmax\(z / τ\)"),
        ("z = np.asarray(logits, dtype=np.float64) / temperature", "z = np.asarray(logits, dtype=np.float64)",
         r"too (peaked|flat)"),
        ("return int(rng.choice(len(probs), p=probs))", "return int(np.argmax(probs))", "same token"),
        ("return int(rng.choice(len(probs), p=probs))", "return int(np.random.choice(len(probs), p=probs))",
         "same seed drew different tokens"),
        ("return int(np.argmax(logits))", "return int(np.argmin(logits))", "most probable token"),
    ],
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
    # ---- lesson 06: the LSTM ----
    ("06_lstm", "lstm_step_forward"): [
        ("i = sigmoid(a[:, :H])                     # input gate\n    f = sigmoid(a[:, H:2 * H])",
         "i = sigmoid(a[:, H:2 * H])                     # input gate\n    f = sigmoid(a[:, :H])",
         r"c is wrong.*i and f trade places"),
        ("h = o * tanh_c", "h = o * c", r"h is wrong.*h uses c itself"),
        ("g = np.tanh(a[:, 2 * H:3 * H])", "g = sigmoid(a[:, 2 * H:3 * H])", r"c is wrong.*squashed by σ"),
        ("c = i * g + f * c_prev", "c = i * g", r"c is wrong.*c_prev is not kept"),
        ("g = np.tanh(a[:, 2 * H:3 * H])            # candidate\n    o = sigmoid(a[:, 3 * H:])",
         "g = np.tanh(a[:, 3 * H:])            # candidate\n    o = sigmoid(a[:, 2 * H:3 * H])",
         r"blocks of g and o are swapped"),
        ("h = o * tanh_c", "h = tanh_c", r"not multiplied by the output gate"),
        ("h_prev @ W_h.T", "h_prev @ W_h", r"raised ValueError"),
    ],
    ("06_lstm", "lstm_step_backward"): [
        ("dc = dc + dh * o * (1 - tanh_c**2)", "dc = dc + dh * o",
         r"dc_prev is wrong with a gradient only at h.*misses tanh′"),
        ("[di * i * (1 - i),    # back through σ and tanh, blocks in the order i, f, g, o\n"
         "                         df * f * (1 - f),",
         "[df * f * (1 - f),    # back through σ and tanh, blocks in the order i, f, g, o\n"
         "                         di * i * (1 - i),",
         r"db is wrong.*i and f blocks are swapped"),
        ("dc_prev = dc * f", "dc_prev = dc", r"dc_prev is wrong.*not multiplied by the forget gate"),
        ("dg * (1 - g**2)", "dg * g * (1 - g)", r"db is wrong.*candidate's derivative"),
        ("di, df, dg = dc * g, dc * c_prev, dc * i", "di, df, dg = dc * i, dc * c_prev, dc * g",
         r"db in the rows of the input gate i .*∂L/∂i = ∂L/∂c ⊙ g"),
        ("do = dh * tanh_c", "do = dh",
         r"db in the rows of the output gate o .*is wrong with a gradient only at h"),
        ("dW_h = da.T @ h_prev", "dW_h = h_prev.T @ da", r"dW_h has shape .*transposed"),
        ("db = da.sum(axis=0)", "db = da.sum(axis=1)", r"db has shape"),
        ("dx = da @ W_e ", "dx = da[:, :W_e.shape[0] // 4] @ W_e[:W_e.shape[0] // 4] ",
         r"dx is wrong.*all four gates read x"),
    ],
    # ---- lesson 07: bidirectional and deep RNNs ----
    (L07, "bidirectional_lstm"): [
        ("np.where(real, lengths[:, None] - 1 - steps, steps)", "T - 1 - steps + 0 * lengths[:, None]",
         r"whole padded row was reversed.*own length"),
        ("hs_bwd = hs_rev[rows, source]", "hs_bwd = hs_rev", r"not put back in the sentence's order"),
        ("[hs_fwd, hs_bwd]", "[hs_bwd, hs_fwd]", r"halves are in the wrong order"),
        (" * real[:, :, None]", "", r"padded steps are not zero"),
        ('bwd["W_e"], bwd["W_h"], bwd["b"]', 'fwd["W_e"], fwd["W_h"], fwd["b"]',
         r"forward direction's weights"),
        # both directions read the reversed rows: no named mistake, the message says where and hints
        ("lstm_forward(x, None", "lstm_forward(x[rows, source], None",
         r"hs is wrong for a batch .* relative error .*Hint: →h\^\(t\) reads x\^\(1\.\.t\)"),
    ],
    (L07, "stacked_lstm"): [
        ("lstm_forward(h,", "lstm_forward(x,", r"every layer read the input x"),
        ("for params in layers:", "for params in layers[::-1]:", r"applied top first"),
        ("for params in layers:", "for params in layers[:1]:", r"result is layer 1's states"),
        ("h, _, _ = lstm_forward", "_, h, _ = lstm_forward", r"cell states"),
    ],
}
