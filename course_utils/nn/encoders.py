"""Sentence encoders and a softmax classifier for extrinsic evaluation (lesson 07).

A sentence becomes one vector s; a linear classifier trained on labelled sentences reads s.
How well it does on held-out sentences measures how much of what the task needs the
representation already holds (extrinsic evaluation, as in SentEval):

    mean:    s = (1/|K|) Σ_{t ∈ K} v_{w_t}        the average of the word vectors; K: the words
                                                   that have one                           (d,)
    lstm:    s = →h^(T)                            a left-to-right LSTM's state after the last
                                                   token                                   (H,)
    bilstm:  s = [→h^(T) ; ←h^(1)]                 the forward state after the last token and
                                                   the backward state after reading back to
                                                   the first one                           (2H,)
    head:    p(y | s) = softmax(W ŝ + b)           ŝ = (s − μ) / σ, standardised with the mean
                                                   and spread of the training sentences; with
                                                   K = 2 classes this is logistic regression

The head is trained by full-batch Adam on the average cross-entropy plus (λ/2)‖W‖²; the
encoders stay fixed. `cross_validate` runs seeded, stratified k-fold cross-validation: every
sentence is predicted once, by a classifier that never saw it.

Word vectors are passed as any object with `.index` (word -> row) and `.vectors` (V, d),
e.g. `course_utils.wordvec.WordVectors`; token ids as lists of integers (e.g. from
`course_utils.data.Vocab.encode`).
"""

import numpy as np

from course_utils.nn import _validate
from course_utils.nn.bidirectional import bidirectional_forward, direction_forward
from course_utils.nn.layers import cross_entropy_backward, cross_entropy_forward, softmax
from course_utils.nn.optim import adam_step, init_adam

__all__ = [
    "average_word_vectors",
    "pad_ids",
    "final_states_forward",
    "final_states_backward",
    "lstm_sentence_vectors",
    "encode_sentences",
    "init_softmax_classifier",
    "softmax_classifier_forward",
    "softmax_classifier_backward",
    "train_softmax_classifier",
    "classifier_probabilities",
    "stratified_k_fold",
    "cross_validate",
]


def _check_word_vectors(fn, word_vectors):
    if not (hasattr(word_vectors, "index") and hasattr(word_vectors, "vectors")):
        raise TypeError(f"{fn}: word_vectors must have .index (word -> row) and .vectors (V, d), "
                        f"e.g. a course_utils.wordvec.WordVectors; got {type(word_vectors).__name__}")


def _check_sequences(fn, sequences, name):
    if isinstance(sequences, (str, np.ndarray)) or not all(isinstance(s, (list, tuple))
                                                          for s in sequences):
        raise TypeError(f"{fn}: {name} must be a list of lists, got {type(sequences).__name__}")
    if len(sequences) == 0:
        raise ValueError(f"{fn}: {name} is empty; expected at least one sentence")
    empty = [i for i, s in enumerate(sequences) if len(s) == 0]
    if empty:
        raise ValueError(f"{fn}: {name}{empty[:5]} are empty; every sentence needs at least one token")


# --------------------------------------------------------------------------------------
# Sentences -> vectors
# --------------------------------------------------------------------------------------


def average_word_vectors(token_lists, word_vectors, normalise=True):
    """s = the mean of the vectors of the words that have one: (N, d), and the token coverage.

    With `normalise`, every word vector is scaled to length 1 first, so frequent words with
    long vectors do not dominate. A sentence none of whose words has a vector gets zeros.
    Coverage: the share of all tokens that have a vector.
    """
    fn = "average_word_vectors"
    _check_word_vectors(fn, word_vectors)
    _check_sequences(fn, token_lists, "token_lists")
    vectors = np.asarray(word_vectors.vectors, dtype=np.float64)
    if normalise:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms > 0, norms, 1.0)
    features = np.zeros((len(token_lists), vectors.shape[1]))
    known = total = 0
    for n, sentence in enumerate(token_lists):
        rows = [word_vectors.index[w] for w in sentence if w in word_vectors.index]
        if rows:
            features[n] = vectors[rows].mean(axis=0)
        known += len(rows)
        total += len(sentence)
    return features, known / total


def pad_ids(sequences, pad_id=0):
    """A batch of token-id lists of different lengths -> (ids (N, T), lengths (N,)).

    Rows are padded at the end with `pad_id` up to T, the longest length.
    """
    fn = "pad_ids"
    _check_sequences(fn, sequences, "sequences")
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    ids = np.full((len(sequences), int(lengths.max())), pad_id, dtype=np.int64)
    for n, sequence in enumerate(sequences):
        ids[n, : len(sequence)] = sequence
    return ids, lengths


def final_states_forward(hs, lengths=None, bidirectional=False):
    """The sentence vector read off the states hs (N, T, H), or (N, T, 2H) when bidirectional.

    Forward direction: its state at the last real step, hs[n, L_n - 1, :H]. Backward
    direction: its state at step 0, hs[n, 0, H:], which has read the whole sentence from
    right to left. Returns (s, cache) with s (N, H) or (N, 2H) = [→h^(L) ; ←h^(1)].
    """
    fn = "final_states_forward"
    hs = np.asarray(hs)
    if hs.ndim != 3:
        raise ValueError(f"{fn}: hs must be 3-D (N, T, H), got shape {hs.shape}")
    N, T, width = hs.shape
    if bidirectional and width % 2:
        raise ValueError(f"{fn}: bidirectional states must have an even last axis (2H), got shape "
                         f"{hs.shape}")
    lengths = _validate.lengths(fn, lengths, N, T)
    H = width // 2 if bidirectional else width
    parts = [hs[np.arange(N), lengths - 1, :H]]      # →h after the last real step
    if bidirectional:
        parts.append(hs[:, 0, H:])                    # ←h after reading back to step 0
    return np.concatenate(parts, axis=1), (hs.shape, lengths, bidirectional)


def final_states_backward(ds, cache):
    """Gradient of `final_states_forward`: ds (N, F) -> dhs, zero except where s was read."""
    shape, lengths, bidirectional = cache
    N, _, width = shape
    H = width // 2 if bidirectional else width
    ds = np.asarray(ds)
    if ds.shape != (N, width):
        raise ValueError(f"final_states_backward: ds has shape {ds.shape}, expected {(N, width)}")
    dhs = np.zeros(shape, ds.dtype)
    dhs[np.arange(N), lengths - 1, :H] = ds[:, :H]
    if bidirectional:
        dhs[:, 0, H:] = ds[:, H:]
    return dhs


def lstm_sentence_vectors(x, lengths, params_fwd, params_bwd=None):
    """Sentence vectors from a trained LSTM (params_bwd None) or bidirectional LSTM.

    x: (N, T, D) the embedded tokens, padded; lengths: (N,). Returns (s, hs): s (N, H) =
    →h^(L), or (N, 2H) = [→h^(L) ; ←h^(1)]; hs the states at every step, (N, T, H or 2H).
    """
    _validate.weights("lstm_sentence_vectors", params_fwd, "params_fwd")
    if params_bwd is None:
        hs, _ = direction_forward(x, params_fwd, "lstm", lengths=lengths)
    else:
        hs, _ = bidirectional_forward(x, params_fwd, params_bwd, "lstm", lengths=lengths)
    s, _ = final_states_forward(hs, lengths, bidirectional=params_bwd is not None)
    return s, hs


def encode_sentences(E, ids, lengths, params_fwd, params_bwd=None, batch_size=128):
    """`lstm_sentence_vectors` of many sentences, `batch_size` at a time in order of length.

    E: (V, D) the embeddings; ids (N, T), lengths (N,) as `pad_ids` returns them. Sentences of
    similar length share a batch, so little padding is computed, and memory grows with
    batch_size, not with N. Returns s (N, H) or (N, 2H), its rows in the order of `ids`.
    """
    fn = "encode_sentences"
    ids, lengths = np.asarray(ids), np.asarray(lengths)
    if ids.ndim != 2 or lengths.shape != (ids.shape[0],):
        raise ValueError(f"{fn}: ids must be (N, T) and lengths (N,), got shapes {ids.shape} and "
                         f"{lengths.shape}")
    _validate.positive_int(fn, "batch_size", batch_size)
    order = np.argsort(lengths, kind="stable")
    parts = []
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        x = np.asarray(E)[ids[rows, :int(lengths[rows].max())]]      # (batch, longest, D)
        s, _ = lstm_sentence_vectors(x, lengths[rows], params_fwd, params_bwd)
        parts.append(s)
    s = np.concatenate(parts)
    out = np.empty_like(s)
    out[order] = s
    return out


# --------------------------------------------------------------------------------------
# The classifier head: softmax regression on standardised sentence vectors
# --------------------------------------------------------------------------------------


def init_softmax_classifier(feature_dim, num_classes=2, dtype=np.float64):
    """{'W': (K, F) zeros, 'b': (K,) zeros}: the untrained head predicts 1/K for everything."""
    _validate.positive_int("init_softmax_classifier", "feature_dim", feature_dim)
    _validate.positive_int("init_softmax_classifier", "num_classes", num_classes)
    return {"W": np.zeros((num_classes, feature_dim), dtype), "b": np.zeros(num_classes, dtype)}


def softmax_classifier_forward(params, features, labels, weight_decay=0.0):
    """loss = mean_n −log softmax(W s_n + b)[y_n] + (λ/2)‖W‖².  features: (N, F), labels: (N,).

    Returns (loss, cache).
    """
    features = np.asarray(features)
    W, b = params["W"], params["b"]
    if features.ndim != 2 or features.shape[1] != W.shape[1]:
        raise ValueError(f"softmax_classifier_forward: features has shape {features.shape} but W has "
                         f"shape {W.shape}; expected features of shape (N, {W.shape[1]})")
    logits = features @ W.T + b                       # (N, K)
    loss, ce_cache = cross_entropy_forward(logits, np.asarray(labels))
    loss = loss + 0.5 * weight_decay * float(np.sum(W * W))
    return loss, (features, W, ce_cache, weight_decay)


def softmax_classifier_backward(cache):
    """Gradients {'W', 'b'} of `softmax_classifier_forward`."""
    features, W, ce_cache, weight_decay = cache
    dlogits = cross_entropy_backward(1.0, ce_cache)   # (N, K): (p − onehot(y)) / N
    return {"W": dlogits.T @ features + weight_decay * W, "b": dlogits.sum(axis=0)}


def _check_features_labels(fn, features, labels):
    features, labels = np.asarray(features, dtype=np.float64), np.asarray(labels)
    if features.ndim != 2:
        raise ValueError(f"{fn}: features must be 2-D (N, F), got shape {features.shape}")
    if labels.shape != (features.shape[0],):
        raise ValueError(f"{fn}: features has shape {features.shape} but labels has shape "
                         f"{labels.shape}; expected labels of shape ({features.shape[0]},)")
    if not np.issubdtype(labels.dtype, np.integer) or (labels.size and labels.min() < 0):
        raise ValueError(f"{fn}: labels must be class ids 0, 1, ..., got {labels[:5]!r}")
    return features, labels


def train_softmax_classifier(features, labels, epochs=300, lr=0.05, weight_decay=1e-2,
                             num_classes=None):
    """Standardise the features, then train the head by full-batch Adam for `epochs` steps.

    The objective is convex and the start is fixed (zeros), so no seed is needed. Returns
    (model, losses): model = {'W', 'b', 'mean', 'scale'} (mean and scale of the training
    features, applied to any features the model later reads), losses one per epoch.
    """
    fn = "train_softmax_classifier"
    features, labels = _check_features_labels(fn, features, labels)
    num_classes = num_classes or max(2, int(labels.max()) + 1)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)      # a constant feature stays 0 after centring
    standardised = (features - mean) / scale
    params = init_softmax_classifier(features.shape[1], num_classes)
    state = init_adam(params)
    losses = np.empty(epochs)
    for epoch in range(epochs):
        losses[epoch], cache = softmax_classifier_forward(params, standardised, labels, weight_decay)
        adam_step(params, softmax_classifier_backward(cache), state, lr=lr)
    return {**params, "mean": mean, "scale": scale}, losses


def classifier_probabilities(model, features):
    """p(y | s) for every row of features (N, F): (N, K), with the model's standardisation."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim == 1:
        features = features[None, :]
    if features.ndim != 2 or features.shape[1] != model["W"].shape[1]:
        raise ValueError(f"classifier_probabilities: features has shape {features.shape} but the "
                         f"model reads {model['W'].shape[1]} numbers per sentence")
    return softmax((features - model["mean"]) / model["scale"] @ model["W"].T + model["b"])


# --------------------------------------------------------------------------------------
# Evaluation: seeded, stratified k-fold cross-validation
# --------------------------------------------------------------------------------------


def stratified_k_fold(labels, k=5, seed=0):
    """k (train_index, test_index) pairs; every example is in exactly one test fold.

    Each class is shuffled (seeded) and dealt round-robin into the k folds, so every fold
    has the classes in the same proportions as the whole set.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"stratified_k_fold: labels must be a 1-D array of class ids, got shape "
                         f"{labels.shape} and dtype {labels.dtype}")
    _validate.integer("stratified_k_fold", "k", k, 2)
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < k:
        raise ValueError(f"stratified_k_fold: k={k} folds need at least {k} examples of every class; "
                         f"class {classes[np.argmin(counts)]} has {counts.min()}")
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=np.int64)
    dealt = 0
    for label in classes:
        members = rng.permutation(np.flatnonzero(labels == label))
        fold_of[members] = (dealt + np.arange(len(members))) % k
        dealt += len(members)                          # the next class continues the deal
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]


def _group_folds(labels, groups, k, seed):
    """stratified_k_fold over groups (all the examples of a group share one label), as
    (train_index, test_index) pairs of examples: a group is never split between folds."""
    fn = "cross_validate"
    groups = np.asarray(groups)
    if groups.shape != labels.shape:
        raise ValueError(f"{fn}: groups must have one entry per example, shape {labels.shape}, got "
                         f"shape {groups.shape}")
    names, first, group_of = np.unique(groups, return_index=True, return_inverse=True)
    group_labels = labels[first]
    if np.any(group_labels[group_of] != labels):
        bad = names[group_of[np.flatnonzero(group_labels[group_of] != labels)[0]]]
        raise ValueError(f"{fn}: every example of a group must have the same label; group {bad.item()!r} "
                         "has two")
    folds = stratified_k_fold(group_labels, k, seed)
    return [(np.flatnonzero(np.isin(group_of, train)), np.flatnonzero(np.isin(group_of, test)))
            for train, test in folds]


def cross_validate(features, labels, k=5, seed=0, groups=None, **train_kwargs):
    """Accuracy on each held-out fold of `stratified_k_fold(labels, k, seed)`.

    For each fold a new head is trained (`train_softmax_classifier(**train_kwargs)`) on the
    other k − 1 folds, standardised with their statistics only. Returns (accuracies (k,),
    predictions (N,)): each sentence's predicted class from the one model that did not see it.

    `groups` (N,), optional: examples that belong together (the sentences of one document,
    which share its label) go to the same fold, so no test sentence has a sibling in training;
    the folds are then stratified over the groups.
    """
    features, labels = _check_features_labels("cross_validate", features, labels)
    accuracies = np.empty(k)
    predictions = np.empty(len(labels), dtype=np.int64)
    folds = stratified_k_fold(labels, k, seed) if groups is None else _group_folds(labels, groups, k, seed)
    for fold, (train, test) in enumerate(folds):
        model, _ = train_softmax_classifier(features[train], labels[train], **train_kwargs)
        predictions[test] = classifier_probabilities(model, features[test]).argmax(axis=1)
        accuracies[fold] = np.mean(predictions[test] == labels[test])
    return accuracies, predictions
