"""The character streams the LM figures train on: the Lee split, or any text file (--corpus).

A text file is prepared the way d2l prepares The Time Machine (Zhang et al., *Dive into Deep
Learning*, section 9.2): every run of non-letters becomes one space and letters are lower-cased,
so the vocabulary is the 26 letters and the space (plus the course vocabulary's specials). The
first 90 % of the characters are for training and the last 10 % are held out. d2l reports
perplexity per character; 2 ** (bits per character) is the same quantity.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from course_utils.data import Vocab, load_corpus

HELD_OUT_FRACTION = 0.1


def lee_stream() -> tuple[np.ndarray, np.ndarray, int, str]:
    """(train ids, held-out ids, vocabulary size, name) of the Lee split, characters as they are."""
    corpus = load_corpus("lee")
    vocab = Vocab.build(corpus.train, level="char")
    return np.array(vocab.encode(corpus.train)), np.array(vocab.encode(corpus.valid)), len(vocab), "lee"


def text_file_stream(path) -> tuple[np.ndarray, np.ndarray, int, str]:
    """The same for a plain-text file, prepared as d2l prepares The Time Machine."""
    path = Path(path)
    text = re.sub("[^A-Za-z]+", " ", path.read_text(encoding="utf-8", errors="replace")).lower().strip()
    if len(text) < 1000:
        raise ValueError(f"--corpus: {path} has {len(text)} letters and spaces; expected at least 1000")
    cut = int(len(text) * (1 - HELD_OUT_FRACTION))
    vocab = Vocab.build(text[:cut], level="char")
    return np.array(vocab.encode(text[:cut])), np.array(vocab.encode(text[cut:])), len(vocab), path.stem
