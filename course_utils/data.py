"""Corpora, vocabularies, language-model batching and word-vector benchmarks.

Everything here works offline: the default data are files that the pinned `gensim` package
ships in its test data (the Lee news corpus, WordSim353, SimLex-999, the Google analogy
questions and a small sentence-polarity set), and public-domain text that this package ships
itself in `course_utils/data_files/` (H. G. Wells's *The Time Machine*). Every random step takes
a seed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "Corpus",
    "Vocab",
    "SPECIAL_TOKENS",
    "CORPORA",
    "load_corpus",
    "prepare_like_d2l",
    "tokenize_words",
    "lm_batches_contiguous",
    "lm_batches_random",
    "window_examples",
    "load_word_similarity",
    "load_analogies",
    "load_polarity",
    "gensim_data_path",
]

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)


def gensim_data_path(filename: str) -> Path:
    """Path of a file in gensim's shipped test data (no network involved)."""
    from gensim.test.utils import datapath

    path = Path(datapath(filename))
    if not path.is_file():
        raise FileNotFoundError(
            f"gensim's test data has no file {filename!r} (looked in {path.parent}); "
            "reinstall gensim (`pip install --force-reinstall gensim`)"
        )
    return path


# --------------------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """A text corpus split into training and validation documents.

    `train` and `valid` are the documents joined by newlines, ready for a character-level
    model; `train_docs` and `valid_docs` keep the documents apart. `source` says where the
    text came from.
    """

    name: str
    train_docs: tuple[str, ...]
    valid_docs: tuple[str, ...]
    source: str

    @property
    def train(self) -> str:
        return "\n".join(self.train_docs)

    @property
    def valid(self) -> str:
        return "\n".join(self.valid_docs)

    def __repr__(self) -> str:
        return (
            f"Corpus({self.name!r}: {len(self.train_docs)} train docs / {len(self.train):,} chars, "
            f"{len(self.valid_docs)} valid docs / {len(self.valid):,} chars; from {self.source})"
        )


def _read_documents(path: Path) -> list[str]:
    """One document per non-empty line, exact duplicates dropped (first occurrence kept)."""
    text = path.read_text(encoding="utf8")
    docs = (line.strip() for line in text.splitlines() if line.strip())
    return list(dict.fromkeys(docs))


DATA_FILES = Path(__file__).resolve().parent / "data_files"

# name -> (file, where it is, description); "gensim": its shipped test data, "package": DATA_FILES
CORPORA = {
    "lee": ("lee_background.cor", "gensim", "Lee news corpus (293 distinct Australian news articles)"),
    "timemachine": ("timemachine.txt", "package",
                    "The Time Machine by H. G. Wells (public domain; Project Gutenberg's text as d2l "
                    "distributes it), one document per paragraph"),
}


def _read_paragraphs(path: Path) -> list[str]:
    """One document per paragraph (blank-line separated), its line breaks turned into spaces."""
    text = path.read_text(encoding="utf8")
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]


def load_corpus(name: str = "lee", valid_fraction: float = 0.1) -> Corpus:
    """Load a shipped corpus with a deterministic train/validation split.

    The split is by document: the last `valid_fraction` of the documents (in file order)
    are held out, so the same call always gives the same split, and no document is cut
    in half. For "lee" a document is an article; exact duplicate articles are dropped first
    (the Lee file repeats 7 of its 300), so no held-out text is also training text. For
    "timemachine" a document is a paragraph of the novel (chapter headings included), so
    the held-out text is the end of the book.

    >>> corpus = load_corpus("lee")
    >>> len(corpus.train_docs), len(corpus.valid_docs)
    (264, 29)
    >>> corpus = load_corpus("timemachine")
    >>> len(corpus.train_docs), len(corpus.valid_docs)
    (290, 32)
    """
    if name not in CORPORA:
        known = ", ".join(repr(k) for k in sorted(CORPORA))
        raise ValueError(f"load_corpus: unknown corpus name={name!r}; known corpora: {known}")
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(
            f"load_corpus: valid_fraction must be between 0 and 1 (exclusive), got {valid_fraction}"
        )
    filename, where, description = CORPORA[name]
    if where == "gensim":
        path = gensim_data_path(filename)
        docs = _read_documents(path)
        source = f"{description}, shipped with gensim: {path.name}"
    else:
        path = DATA_FILES / filename
        if not path.is_file():
            raise FileNotFoundError(f"load_corpus: the package file {path} is missing; "
                                    "reinstall course_utils (it ships in course_utils/data_files)")
        docs = _read_paragraphs(path)
        source = f"{description}, shipped with course_utils: data_files/{path.name}"
    n_valid = max(1, round(len(docs) * valid_fraction))
    return Corpus(
        name=name,
        train_docs=tuple(docs[:-n_valid]),
        valid_docs=tuple(docs[-n_valid:]),
        source=source,
    )


def prepare_like_d2l(text: str) -> str:
    """d2l's preparation of The Time Machine (Zhang et al., *Dive into Deep Learning*, 9.2):
    every run of non-letters becomes one space and letters are lower-cased, so a character
    model sees only the 26 letters and the space.

    >>> prepare_like_d2l("The Time Traveller (for so it will be convenient...")
    'the time traveller for so it will be convenient '
    """
    if not isinstance(text, str):
        raise TypeError(f"prepare_like_d2l: text must be a str, got {type(text).__name__}")
    return re.sub("[^A-Za-z]+", " ", text).lower()


_WORD_RE = re.compile(r"[a-z0-9]+(?:['.\-][a-z0-9]+)*|[^\sa-z0-9]", re.IGNORECASE)


def tokenize_words(text: str, lowercase: bool = True) -> list[str]:
    """Split text into words and punctuation marks.

    >>> tokenize_words("The bank is on the river, isn't it?")
    ['the', 'bank', 'is', 'on', 'the', 'river', ',', "isn't", 'it', '?']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize_words: text must be a str, got {type(text).__name__}")
    return _WORD_RE.findall(text.lower() if lowercase else text)


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------


@dataclass
class Vocab:
    """Maps tokens to integer ids and back, with `<pad>`, `<bos>`, `<eos>`, `<unk>`.

    `level="char"` treats a string as a sequence of characters; `level="word"` expects a
    list of tokens (or a string, which is split on whitespace). Ids: the four special
    tokens first (`<pad>` is 0), then tokens by decreasing frequency, ties broken
    alphabetically, so the same text always gives the same ids. Tokens seen fewer than
    `min_freq` times map to `<unk>`.

    >>> vocab = Vocab.build("hello world", level="char")
    >>> vocab.decode(vocab.encode("hello"))
    'hello'
    """

    tokens: list[str]
    level: str = "char"
    counts: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.level not in ("char", "word"):
            raise ValueError(f"Vocab: level must be 'char' or 'word', got {self.level!r}")
        if list(self.tokens[: len(SPECIAL_TOKENS)]) != list(SPECIAL_TOKENS):
            raise ValueError(
                f"Vocab: tokens must start with the special tokens {list(SPECIAL_TOKENS)}, "
                f"got {list(self.tokens[:4])}"
            )
        if len(set(self.tokens)) != len(self.tokens):
            dupes = sorted(t for t, c in Counter(self.tokens).items() if c > 1)
            raise ValueError(f"Vocab: tokens must be unique, these repeat: {dupes[:10]}")
        self._index = {tok: i for i, tok in enumerate(self.tokens)}

    @classmethod
    def build(
        cls,
        data: str | Iterable[str],
        level: str = "char",
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> Vocab:
        """Build a vocabulary from a text (char level) or a token sequence (word level)."""
        if level not in ("char", "word"):
            raise ValueError(f"Vocab.build: level must be 'char' or 'word', got {level!r}")
        if not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq must be an integer >= 1, got {min_freq!r}")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise ValueError(f"Vocab.build: max_size must be None or >= 1, got {max_size!r}")
        counts = Counter(cls._split(data, level))
        for special in SPECIAL_TOKENS:
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max_size]
        return cls(list(SPECIAL_TOKENS) + kept, level=level, counts=dict(counts))

    @staticmethod
    def _split(data: str | Iterable[str], level: str) -> list[str]:
        if level == "char":
            if not isinstance(data, str):
                raise TypeError(
                    f"Vocab(level='char') expects a str of text, got {type(data).__name__}"
                )
            return list(data)
        if isinstance(data, str):
            return data.split()
        return list(data)

    # special ids -------------------------------------------------------------------
    @property
    def pad_id(self) -> int:
        return self._index[PAD]

    @property
    def bos_id(self) -> int:
        return self._index[BOS]

    @property
    def eos_id(self) -> int:
        return self._index[EOS]

    @property
    def unk_id(self) -> int:
        return self._index[UNK]

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._index

    def token_to_id(self, token: str) -> int:
        return self._index.get(token, self.unk_id)

    def id_to_token(self, idx: int) -> str:
        self._check_id(idx)
        return self.tokens[int(idx)]

    def _check_id(self, idx: int) -> None:
        if not (0 <= int(idx) < len(self.tokens)):
            raise ValueError(
                f"Vocab.decode: id {int(idx)} is outside the vocabulary "
                f"(size {len(self.tokens)}, valid ids 0..{len(self.tokens) - 1})"
            )

    def encode(self, data: str | Sequence[str], add_bos: bool = False,
               add_eos: bool = False) -> list[int]:
        """Token ids for a text (char level) or a token list (word level)."""
        ids = [self.token_to_id(t) for t in self._split(data, self.level)]
        if add_bos:
            ids.insert(0, self.bos_id)
        if add_eos:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> str:
        """Text for a sequence of ids: characters joined directly, words with spaces."""
        out = []
        for idx in ids:
            self._check_id(idx)
            token = self.tokens[int(idx)]
            if skip_special and token in SPECIAL_TOKENS:
                continue
            out.append(token)
        return ("" if self.level == "char" else " ").join(out)


# --------------------------------------------------------------------------------------
# Batching for language models
# --------------------------------------------------------------------------------------


def _as_id_array(ids: Sequence[int] | np.ndarray, name: str = "ids") -> np.ndarray:
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of token ids, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer token ids, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def _check_positive_int(value: int, name: str, fn: str) -> None:
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive integer, got {value!r}")


def lm_batches_contiguous(
    ids: Sequence[int] | np.ndarray, batch_size: int, seq_len: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stateful batches for truncated BPTT: row b of batch k+1 continues row b of batch k.

    The id sequence is cut into `batch_size` equal streams laid side by side; each batch
    is the next `seq_len` columns. Yields `(inputs, targets)` of shape (batch_size, seq_len)
    where `targets` is `inputs` shifted one step to the left, so a model may carry its
    hidden state from one batch to the next.
    """
    fn = "lm_batches_contiguous"
    _check_positive_int(batch_size, "batch_size", fn)
    _check_positive_int(seq_len, "seq_len", fn)
    data = _as_id_array(ids)
    stream_len = (len(data) - 1) // batch_size
    if stream_len < seq_len:
        raise ValueError(
            f"{fn}: seq_len={seq_len} is longer than each of the {batch_size} streams "
            f"({stream_len} tokens: {len(data)} tokens in the corpus, batch_size={batch_size}); "
            f"use a shorter seq_len or a smaller batch_size"
        )
    inputs = data[: batch_size * stream_len].reshape(batch_size, stream_len)
    targets = data[1 : batch_size * stream_len + 1].reshape(batch_size, stream_len)
    for start in range(0, stream_len - seq_len + 1, seq_len):
        yield inputs[:, start : start + seq_len], targets[:, start : start + seq_len]


def lm_batches_random(
    ids: Sequence[int] | np.ndarray, batch_size: int, seq_len: int, num_batches: int,
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """`num_batches` batches of windows that start at random offsets (seeded).

    Each row is an independent window, so no hidden state should be carried between
    batches. Yields `(inputs, targets)` of shape (batch_size, seq_len).
    """
    fn = "lm_batches_random"
    _check_positive_int(batch_size, "batch_size", fn)
    _check_positive_int(seq_len, "seq_len", fn)
    _check_positive_int(num_batches, "num_batches", fn)
    data = _as_id_array(ids)
    if len(data) < seq_len + 1:
        raise ValueError(
            f"{fn}: seq_len={seq_len} needs at least {seq_len + 1} tokens, "
            f"but the corpus has {len(data)}"
        )
    rng = np.random.default_rng(seed)
    offsets_in_window = np.arange(seq_len)
    for _ in range(num_batches):
        starts = rng.integers(0, len(data) - seq_len, size=batch_size)
        positions = starts[:, None] + offsets_in_window[None, :]
        yield data[positions], data[positions + 1]


def window_examples(ids: Sequence[int] | np.ndarray, n: int,
                    pad_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-window examples for a window LM: the previous `n` tokens -> the next token.

    Returns `contexts` of shape (num_examples, n) and `targets` of shape (num_examples,).
    With `pad_id`, the first tokens also get examples, their missing context filled with
    `pad_id` (e.g. `vocab.bos_id`); without it, examples start at position n.
    """
    fn = "window_examples"
    _check_positive_int(n, "n", fn)
    data = _as_id_array(ids)
    if pad_id is not None:
        data = np.concatenate([np.full(n, pad_id, dtype=np.int64), data])
    if len(data) <= n:
        raise ValueError(
            f"{fn}: a window of n={n} needs more than {n} tokens, but got {len(data)}"
        )
    num_examples = len(data) - n
    positions = np.arange(num_examples)[:, None] + np.arange(n)[None, :]
    return data[positions], data[n:]


# --------------------------------------------------------------------------------------
# Word-vector benchmarks and the polarity set (all shipped with gensim)
# --------------------------------------------------------------------------------------

SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


def load_word_similarity(name: str = "wordsim353") -> list[tuple[str, str, float]]:
    """Word pairs with their mean human similarity score, e.g. ('tiger', 'cat', 7.35).

    WordSim353 scores run from 0 to 10 (relatedness); SimLex-999 from 0 to 10 (similarity
    proper, so 'coffee'-'cup' scores low). Words are lower-cased.
    """
    if name not in SIMILARITY_FILES:
        known = ", ".join(repr(k) for k in SIMILARITY_FILES)
        raise ValueError(f"load_word_similarity: unknown name={name!r}; known: {known}")
    pairs = []
    for line in gensim_data_path(SIMILARITY_FILES[name]).read_text(encoding="utf8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        first, second, score = line.split("\t")[:3]
        pairs.append((first.lower(), second.lower(), float(score)))
    return pairs


def load_analogies(lowercase: bool = True) -> dict[str, list[tuple[str, str, str, str]]]:
    """The Google analogy questions a : b :: c : d, grouped by category (in file order).

    >>> analogies = load_analogies()
    >>> analogies["capital-common-countries"][0]
    ('athens', 'greece', 'baghdad', 'iraq')
    """
    groups: dict[str, list[tuple[str, str, str, str]]] = {}
    category = None
    path = gensim_data_path("questions-words.txt")
    for line in path.read_text(encoding="utf8").splitlines():
        if line.startswith(":"):
            category = line[1:].strip()
            groups[category] = []
            continue
        words = line.split()
        if len(words) != 4 or category is None:
            continue
        if lowercase:
            words = [w.lower() for w in words]
        groups[category].append(tuple(words))
    return groups


def load_polarity() -> tuple[list[str], np.ndarray]:
    """Movie-review sentences with labels (1 = positive, 0 = negative), in file order."""
    sentences, labels = [], []
    path = gensim_data_path("pang_lee_polarity.cor")
    # The file is Windows-1252 (its dashes are byte 0x97), not UTF-8.
    for line in path.read_text(encoding="cp1252").splitlines():
        if not line.strip():
            continue
        label, _, sentence = line.partition(" ")
        if label not in ("__label__pos", "__label__neg"):
            raise ValueError(f"load_polarity: unexpected label {label!r} in {path.name}")
        sentences.append(sentence.strip())
        labels.append(1 if label == "__label__pos" else 0)
    return sentences, np.array(labels, dtype=np.int64)


def _unpickle_bunch(raw: bytes) -> dict:
    """A pickled scikit-learn Bunch as a plain dict, allowing only the classes such a pickle
    needs (dict, NumPy arrays and dtypes): no other code can run while it loads."""
    import copyreg
    import io
    import pickle

    try:
        from numpy._core.multiarray import _reconstruct  # NumPy 2
    except ImportError:                                         # NumPy 1
        from numpy.core.multiarray import _reconstruct
    allowed = {("copy_reg", "_reconstructor"): copyreg._reconstructor, ("__builtin__", "dict"): dict,
               ("__builtin__", "object"): object, ("numpy", "ndarray"): np.ndarray,
               ("numpy", "dtype"): np.dtype,
               ("numpy.core.multiarray", "_reconstruct"): _reconstruct}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if module.startswith("sklearn.") and name == "Bunch":
                return dict
            if (module, name) in allowed:
                return allowed[(module, name)]
            raise pickle.UnpicklingError(f"load_newsgroups: refusing to load {module}.{name}")

    return Unpickler(io.BytesIO(raw), encoding="latin1").load()


def load_newsgroups() -> tuple[list[str], np.ndarray, list[str]]:
    """200 Usenet posts from two groups of 20 Newsgroups (Lang 1995), 100 each, in file order.

    Returns (texts, labels, names): labels 0 = alt.atheism, 1 = sci.space (names[label]). Each
    text is a post's body with its whitespace collapsed: the header lines are dropped (they
    name the newsgroup, i.e. the answer), and so are quoted lines (starting with ">") and the
    "In article ... writes:" lines that introduce them. gensim ships the posts in its test data
    as `mini_newsgroup`, a compressed pickle of scikit-learn's `fetch_20newsgroups` result; it
    is read without scikit-learn, accepting only plain data.
    """
    import zlib

    bunch = _unpickle_bunch(zlib.decompress(gensim_data_path("mini_newsgroup").read_bytes()))
    texts = []
    for post in bunch["data"]:
        _, _, body = post.partition("\n\n")  # headers end at the first blank line
        lines = [line for line in body.splitlines() if line.strip()
                 and not line.lstrip().startswith(">") and not line.rstrip().endswith("writes:")]
        texts.append(" ".join(" ".join(lines).split()))
    labels = np.asarray(bunch["target"], dtype=np.int64)
    return texts, labels, [str(name) for name in bunch["target_names"]]


__all__ += ["load_newsgroups"]


# ---- 2-D toy classification problems (lessons 01-02) -------------------------------------

TOY_2D = ("gauss", "xor", "circles", "spirals")


def make_toy_2d(name: str = "xor", n: int = 200, noise: float = 0.05,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded 2-D, two-class toy problem (TensorFlow Playground's four datasets).

    - "gauss": two Gaussian blobs, linearly separable (a perceptron can do it);
    - "xor": class = [x1·x2 > 0], one quadrant pair against the other;
    - "circles": a disk (class 1) inside a ring (class 0);
    - "spirals": two interleaved spiral arms, one turn and a half each.

    Points lie roughly in [-1, 1]²; `noise` is the standard deviation of Gaussian jitter
    added to every point. Returns X: (n, 2) float64 and y: (n,) int64 labels in {0, 1},
    n // 2 of class 0 and the rest of class 1, in shuffled order.
    """
    if name not in TOY_2D:
        raise ValueError(f"make_toy_2d: unknown name={name!r}; expected one of {TOY_2D}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"make_toy_2d: n must be an int >= 2 (one point per class), got {n!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"make_toy_2d: noise must be a finite number >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    counts = (n // 2, n - n // 2)
    y = np.repeat(np.array([0, 1], dtype=np.int64), counts)
    if name == "gauss":
        centres = np.array([[-0.5, -0.5], [0.5, 0.5]])
        X = centres[y] + 0.25 * rng.standard_normal((n, 2))
    elif name == "xor":
        # A sign pattern per class, magnitudes kept away from the axes (a margin of 0.1).
        signs = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        second = np.where(y == 1, signs, -signs)  # class 1: same signs (x1·x2 > 0)
        magnitudes = rng.uniform(0.1, 1.0, (n, 2))
        X = magnitudes * np.stack([signs, second], axis=1)
    elif name == "circles":
        radius = np.where(y == 1, rng.uniform(0.0, 0.45, n), rng.uniform(0.7, 1.0, n))
        angle = rng.uniform(0.0, 2 * np.pi, n)
        X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    else:  # spirals
        t = rng.uniform(0.0, 1.0, n)
        radius = 0.1 + 0.9 * t
        angle = 3 * np.pi * t + np.pi * y  # the second arm is the first turned by 180°
        X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X = X + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return X[order].astype(np.float64), y[order]


__all__ += ["TOY_2D", "make_toy_2d"]


# --------------------------------------------------------------------------------------
# Downloads: cached, checksummed, offline-safe (implemented in course_utils.download)
# --------------------------------------------------------------------------------------

from course_utils.download import (  # noqa: E402
    PRETRAINED_VECTORS,
    ChecksumError,
    DownloadError,
    OfflineError,
    default_cache_dir,
    download,
    download_or_fallback,
)

__all__ += [
    "PRETRAINED_VECTORS",
    "ChecksumError",
    "DownloadError",
    "OfflineError",
    "default_cache_dir",
    "download",
    "download_or_fallback",
]


# --------------------------------------------------------------------------------------
# A long-range dependency task (lessons 05-06)
# --------------------------------------------------------------------------------------


def recall_tokens(num_symbols: int = 4) -> list[str]:
    """Names of the ids `recall_task` uses: '?' (the query), '!' (the marker), 'A', 'B', ..."""
    _check_positive_int(num_symbols, "num_symbols", "recall_tokens")
    if num_symbols > 26:
        raise ValueError(f"recall_tokens: num_symbols must be at most 26, got {num_symbols}")
    return ["?", "!"] + [chr(ord("A") + k) for k in range(num_symbols)]


def recall_task(
    num_examples: int, distance: int | tuple[int, int], num_symbols: int = 4,
    prefix: int = 4, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recall the symbol after the marker `!`, asked `distance` steps later by the query `?`.

    Every position holds a random symbol except the marker and the final query, e.g. with
    distance 4 and prefix 2:   `C A ! B D A C ?`  ->  answer `B`  (B is 4 steps before ?).
    The symbols around the one to recall come from the same alphabet, and the state a model
    is in when the marker arrives depends on the random symbols before it, so the model has
    to *write* the symbol when it sees the marker and then *keep* it, unchanged by the
    symbols that follow: the gating that an LSTM's input and forget gates provide.

    Ids (see `recall_tokens`): 0 = `?`, 1 = `!`, 2 .. num_symbols + 1 = the symbols; targets
    are 0 .. num_symbols - 1 (chance accuracy 1 / num_symbols). `distance` is one int, or an
    inclusive range (low, high) drawn uniformly per example. Every sequence has length
    high + 2 + prefix (at least `prefix` random symbols before the marker). Returns
    (inputs (n, T), targets (n,), distances (n,)), all int64.
    """
    fn = "recall_task"
    _check_positive_int(num_examples, "num_examples", fn)
    _check_positive_int(num_symbols, "num_symbols", fn)
    if isinstance(distance, (int, np.integer)) and not isinstance(distance, bool):
        low = high = int(distance)
    elif isinstance(distance, (tuple, list)) and len(distance) == 2:
        low, high = (int(d) for d in distance)
    else:
        raise TypeError(f"{fn}: distance must be an int or a pair (low, high), got {distance!r}")
    if not 1 <= low <= high:
        raise ValueError(f"{fn}: distance must satisfy 1 <= low <= high, got {distance!r}")
    if not isinstance(prefix, (int, np.integer)) or prefix < 0:
        raise ValueError(f"{fn}: prefix must be a non-negative integer, got {prefix!r}")
    seq_len = high + 2 + prefix
    rng = np.random.default_rng(seed)
    distances = rng.integers(low, high + 1, size=num_examples)
    inputs = rng.integers(2, num_symbols + 2, size=(num_examples, seq_len))
    rows = np.arange(num_examples)
    position = seq_len - 1 - distances                  # the symbol to recall
    inputs[rows, position - 1] = 1                      # the marker just before it
    inputs[:, -1] = 0                                   # the query
    targets = inputs[rows, position] - 2
    return inputs, targets, distances


__all__ += ["recall_task", "recall_tokens"]
