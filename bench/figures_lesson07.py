"""Figures of lesson 07: bidirectional explorer latency, NumPy-vs-torch agreement, extrinsic scores.

    .venv/bin/python bench/figures_lesson07.py

- Widget: the whole path that choosing another sentence triggers on a headless view (the
  bidirectional LSTM over the sentence in NumPy, the classifier, the heatmaps and word labels,
  the PNG handed to the image widget), median and 90th percentile over distinct polarity
  sentences, and the median CPU time of that path (which other programs on a busy machine
  inflate much less than the wall clock). The encoder has the lesson's shape (character
  embeddings of size 32, H = 64 per direction); latency does not depend on whether it was
  trained, so its weights are random.
- Agreement: max |NumPy − torch| of a 2-layer bidirectional LSTM on a padded batch (float64).
- Extrinsic evaluation (not quick): 5-fold accuracy of averaged PPMI+SVD Lee vectors on the
  lesson's topic task (newsgroup sentences, folds by post) and on its news-vs-review control,
  and on the polarity set alone (deterministic).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from threadpoolctl import threadpool_limits  # noqa: E402

from course_utils import data, wordvec  # noqa: E402
from course_utils.gradcheck import torch_recurrent  # noqa: E402
from course_utils.nn.bidirectional import init_bidirectional  # noqa: E402
from course_utils.nn.encoders import (  # noqa: E402
    average_word_vectors,
    cross_validate,
    lstm_sentence_vectors,
    pad_ids,
    train_softmax_classifier,
)
from course_utils.nn.stacked import init_stacked, stacked_forward  # noqa: E402

from widget_latency import find_control, latency_figures  # noqa: E402


def widget_figures(repeats: int) -> list[tuple[str, float, str]]:
    from course_utils.widgets.bidirectional import bidirectional_explorer

    sentences, labels = data.load_polarity()
    vocab = data.Vocab.build(data.load_corpus("lee").train, level="char")
    fwd, bwd = init_bidirectional(32, 64, seed=0)
    encoder = {"vocab": vocab, "E": np.random.default_rng(0).standard_normal((len(vocab), 32)),
               "fwd": fwd, "bwd": bwd}
    ids, lengths = pad_ids([vocab.encode(s) for s in sentences])
    features, _ = lstm_sentence_vectors(encoder["E"][ids], lengths, fwd, bwd)
    head, _ = train_softmax_classifier(features, labels)
    box = bidirectional_explorer(encoder, head, sentences, labels)
    choose = find_control(box, "cu-bidirectional-sentence")
    # distinct sentences in a fixed order (a stride coprime with 200 visits each once)
    return latency_figures("bidirectional_update",
                           lambda i: setattr(choose, "value", (1 + 37 * i) % len(sentences)), repeats)


def agreement_figures() -> list[tuple[str, float, str]]:
    import torch

    rng = np.random.default_rng(0)
    N, T, D, H = 8, 30, 16, 32
    layers = init_stacked(D, H, num_layers=2, bidirectional=True, seed=1)
    x = rng.standard_normal((N, T, D))
    lengths = rng.integers(1, T + 1, N)
    ours, _ = stacked_forward(x, layers, bidirectional=True, lengths=lengths)
    module = torch_recurrent("lstm", layers, bidirectional=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(x), torch.from_numpy(lengths),
                                                     batch_first=True, enforce_sorted=False)
    theirs = torch.nn.utils.rnn.pad_packed_sequence(module(packed)[0], batch_first=True,
                                                    total_length=T)[0].detach().numpy()
    return [("bilstm2_numpy_vs_torch_max_abs_diff", float(np.max(np.abs(ours - theirs))), "")]


def extrinsic_figures() -> list[tuple[str, float, str]]:
    """(a) of the lesson: averaged PPMI+SVD vectors, 5-fold accuracy (seed 0), two tasks."""
    import re

    corpus = data.load_corpus("lee")
    vectors = wordvec.ppmi_svd_vectors([data.tokenize_words(d) for d in corpus.train_docs],
                                       dim=50, window=5, min_count=2, seed=0)
    sentences, labels = data.load_polarity()
    features, coverage = average_word_vectors([data.tokenize_words(s) for s in sentences], vectors)
    sentiment, _ = cross_validate(features, labels, k=5, seed=0)
    news = [" ".join(data.tokenize_words(part)) for doc in corpus.valid_docs
            for part in re.split(r"(?<=[.!?])\s+", doc) if len(part.split()) >= 4 and len(part) <= 260]
    news = [news[i] for i in np.random.default_rng(0).choice(len(news), 200, replace=False)]
    news_features, _ = average_word_vectors([data.tokenize_words(s) for s in news], vectors)
    domain, _ = cross_validate(np.concatenate([features, news_features]),
                               np.r_[np.zeros(200, np.int64), np.ones(200, np.int64)], k=5, seed=0)
    posts, post_labels, _ = data.load_newsgroups()
    topic_sentences, topic_labels, post_of = [], [], []
    for number, (post, label) in enumerate(zip(posts, post_labels, strict=True)):
        for sentence in re.split(r"(?<=[.!?])\s+", post):
            if 5 <= len(sentence.split()) <= 40 and "@" not in sentence:   # as the lesson selects them
                topic_sentences.append(sentence)
                topic_labels.append(label)
                post_of.append(number)
    topic_features, _ = average_word_vectors([data.tokenize_words(s) for s in topic_sentences], vectors)
    _, predictions = cross_validate(topic_features, np.array(topic_labels), k=5, seed=0, groups=post_of)
    topic = float(np.mean(predictions == np.array(topic_labels)))
    return [("newsgroup_topic_accuracy_avg_lee_vectors_5fold_by_post", topic, ""),
            ("polarity_token_coverage_lee_vectors", coverage, ""),
            ("polarity_accuracy_avg_lee_vectors_5fold", float(sentiment.mean()), ""),
            ("news_vs_review_accuracy_avg_lee_vectors_5fold", float(domain.mean()), "")]


def figures(quick: bool) -> list[tuple[str, float, str]]:
    with threadpool_limits(limits=1, user_api="blas"):    # as the lesson runs: one BLAS thread
        results = widget_figures(repeats=15 if quick else 40)
        results += agreement_figures()
        if not quick:
            results += extrinsic_figures()
    return results


if __name__ == "__main__":
    [print(f"{n}: {v:.4g} {u}") for n, v, u in figures(quick=True)]
