import re

import numpy as np
import pytest

from course_utils import data
from course_utils.data import SPECIAL_TOKENS, Vocab

# ---- corpus ------------------------------------------------------------------------------

def test_lee_corpus_split_is_deterministic_and_disjoint():
    first, second = data.load_corpus("lee"), data.load_corpus("lee")
    assert first == second
    assert len(first.train_docs) == 264 and len(first.valid_docs) == 29  # 7 duplicates dropped
    assert not set(first.train_docs) & set(first.valid_docs)
    assert first.train.startswith("Hundreds of people have been forced to vacate their homes")
    assert 300_000 < len(first.train) + len(first.valid) < 400_000
    assert "gensim" in first.source and "lee_background.cor" in first.source


def test_valid_fraction_changes_split():
    corpus = data.load_corpus("lee", valid_fraction=0.2)
    assert len(corpus.valid_docs) == 59


def test_unknown_corpus_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown corpus name='wiki'.*'lee'"):
        data.load_corpus("wiki")


@pytest.mark.parametrize("fraction", [0, 1, -0.5, 1.5])
def test_bad_valid_fraction(fraction):
    with pytest.raises(ValueError, match="valid_fraction"):
        data.load_corpus("lee", valid_fraction=fraction)


def test_tokenize_words():
    assert data.tokenize_words("The U.S. bank's 4:00pm fire-fighters!") == [
        "the", "u.s", ".", "bank's", "4", ":", "00pm", "fire-fighters", "!"]
    assert data.tokenize_words("Hello World", lowercase=False) == ["Hello", "World"]
    with pytest.raises(TypeError, match="text must be a str"):
        data.tokenize_words(["a"])


# ---- vocabulary --------------------------------------------------------------------------

def test_char_vocab_round_trip_and_order():
    vocab = Vocab.build("abracadabra", level="char")
    assert vocab.tokens[:4] == list(SPECIAL_TOKENS)
    assert vocab.tokens[4:] == ["a", "b", "r", "c", "d"]  # by frequency, ties alphabetical
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    ids = vocab.encode("cadabra")
    assert vocab.decode(ids) == "cadabra"
    assert vocab.encode("ab", add_bos=True, add_eos=True) == [1, 4, 5, 2]
    assert vocab.decode([1, 4, 2], skip_special=True) == "a"


def test_word_vocab_min_freq_and_unk():
    words = "the cat sat on the mat the end".split()
    vocab = Vocab.build(words, level="word", min_freq=2)
    assert vocab.tokens == list(SPECIAL_TOKENS) + ["the"]
    assert vocab.encode(["the", "dog"]) == [4, vocab.unk_id]
    assert vocab.decode([4, 3]) == "the <unk>"
    assert "the" in vocab and "dog" not in vocab
    assert len(Vocab.build(words, level="word", max_size=2)) == 6


def test_vocab_round_trip_on_whole_corpus():
    corpus = data.load_corpus("lee")
    vocab = Vocab.build(corpus.train, level="char")
    assert vocab.decode(vocab.encode(corpus.train)) == corpus.train
    word_vocab = Vocab.build(data.tokenize_words(corpus.train), level="word")
    tokens = data.tokenize_words(corpus.train)[:500]
    assert word_vocab.decode(word_vocab.encode(tokens)).split() == tokens


def test_decode_out_of_range_names_id_and_size():
    vocab = Vocab.build("abc", level="char")
    with pytest.raises(ValueError, match=r"id 99 is outside the vocabulary \(size 7"):
        vocab.decode([4, 99])
    with pytest.raises(ValueError, match="id -1"):
        vocab.decode([-1])


def test_vocab_bad_arguments():
    with pytest.raises(ValueError, match="level must be 'char' or 'word', got 'byte'"):
        Vocab.build("abc", level="byte")
    with pytest.raises(ValueError, match="min_freq must be an integer >= 1, got 0"):
        Vocab.build("abc", min_freq=0)
    with pytest.raises(TypeError, match="expects a str"):
        Vocab.build(["a", "b"], level="char")
    with pytest.raises(ValueError, match="must start with the special tokens"):
        Vocab(["a", "b"])


# ---- batching ----------------------------------------------------------------------------

def test_contiguous_batches_continue_each_stream():
    ids = np.arange(101)
    batches = list(data.lm_batches_contiguous(ids, batch_size=4, seq_len=5))
    assert len(batches) == 5  # 100 usable tokens / 4 streams = 25 per stream = 5 windows
    x0, y0 = batches[0]
    assert x0.shape == y0.shape == (4, 5)
    np.testing.assert_array_equal(y0, x0 + 1)
    np.testing.assert_array_equal(x0[:, 0], [0, 25, 50, 75])
    x1, _ = batches[1]
    np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)  # row b continues row b


def test_random_batches_seeded_and_shifted():
    ids = np.arange(1000)
    a = list(data.lm_batches_random(ids, batch_size=3, seq_len=7, num_batches=4, seed=5))
    b = list(data.lm_batches_random(ids, batch_size=3, seq_len=7, num_batches=4, seed=5))
    c = list(data.lm_batches_random(ids, batch_size=3, seq_len=7, num_batches=4, seed=6))
    assert all(np.array_equal(x, y) for (x, _), (y, _) in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for (x, _), (y, _) in zip(a, c, strict=True))
    for x, y in a:
        assert x.shape == (3, 7)
        np.testing.assert_array_equal(y, x + 1)
        assert x.max() < 999


def test_seq_len_longer_than_corpus_says_both_numbers():
    with pytest.raises(ValueError, match=r"seq_len=50 needs at least 51 tokens, but the corpus has 20"):
        next(data.lm_batches_random(np.arange(20), 2, 50, 1))
    with pytest.raises(ValueError, match=r"seq_len=30 is longer .* \(9 tokens: 20 tokens in the corpus"):
        next(data.lm_batches_contiguous(np.arange(20), 2, 30))


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_batch_size_must_be_positive_int(bad):
    with pytest.raises(ValueError, match=f"batch_size must be a positive integer, got {bad}"):
        next(data.lm_batches_contiguous(np.arange(100), bad, 5))


def test_ids_must_be_1d_ints():
    with pytest.raises(ValueError, match=r"1-D .* got shape \(2, 2\)"):
        next(data.lm_batches_random(np.zeros((2, 2), dtype=int), 1, 1, 1))
    with pytest.raises(ValueError, match="integer token ids, got dtype float64"):
        data.window_examples(np.zeros(10), 2)


def test_window_examples():
    contexts, targets = data.window_examples([10, 11, 12, 13, 14], n=3)
    np.testing.assert_array_equal(contexts, [[10, 11, 12], [11, 12, 13]])
    np.testing.assert_array_equal(targets, [13, 14])
    contexts, targets = data.window_examples([10, 11], n=2, pad_id=1)
    np.testing.assert_array_equal(contexts, [[1, 1], [1, 10]])
    np.testing.assert_array_equal(targets, [10, 11])
    with pytest.raises(ValueError, match="n=3 needs more than 3 tokens, but got 2"):
        data.window_examples([1, 2], n=3)


# ---- benchmarks --------------------------------------------------------------------------

def test_word_similarity_sets():
    ws = data.load_word_similarity("wordsim353")
    assert ("tiger", "cat", 7.35) in ws
    assert len(ws) == 353
    simlex = data.load_word_similarity("simlex999")
    assert len(simlex) == 999 and ("smart", "intelligent", 9.2) in simlex
    with pytest.raises(ValueError, match=r"unknown name='men'.*'wordsim353'"):
        data.load_word_similarity("men")


def test_analogies_grouped_by_category():
    groups = data.load_analogies()
    assert len(groups) == 14
    assert sum(len(v) for v in groups.values()) == 19544
    assert groups["capital-common-countries"][0] == ("athens", "greece", "baghdad", "iraq")
    assert "gram3-comparative" in groups


def test_polarity_set():
    sentences, labels = data.load_polarity()
    assert len(sentences) == len(labels) == 200
    assert labels.sum() == 100
    assert sentences[0].startswith("simplistic , silly")
    assert labels[0] == 0


def test_newsgroups_posts_without_their_headers():
    texts, labels, names = data.load_newsgroups()
    assert len(texts) == len(labels) == 200 and np.bincount(labels).tolist() == [100, 100]
    assert names == ["alt.atheism", "sci.space"]
    # the headers name the group (the answer): none survives, nor do quoted lines
    assert not any(re.search(r"^(From|Subject|Newsgroups|Organization):", t) for t in texts)
    assert all(t == " ".join(t.split()) for t in texts)
