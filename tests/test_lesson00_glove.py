"""Lesson 00's pretrained vectors, both paths, never the internet.

Online: a real HTTP server on 127.0.0.1 serves a small file in the format of gensim-data's
`glove-wiki-gigaword-50.gz` (a `count dim` header, then `word v1 ... v50` lines, gzipped). Its
words are the lecture's analogy words, built so that 3CosAdd solves each analogy by construction
(king − man + woman = queen up to noise), and the words of the shipped benchmarks with random
vectors, so that every evaluation in the lesson has pairs and questions to score.
`wordvec.load_pretrained` fetches it (checksum verified, cached); the whole lesson then runs on it.

Offline: a port on 127.0.0.1 that is bound but not listening refuses the connection; the
loader says so in one sentence and returns None, and the lesson carries on with the Lee vectors
(that path is the one tools/run_notebooks.py runs against the pins).
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import re
import socket
import threading
from functools import partial

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from course_utils import data, download, wordvec

from conftest import ROOT

NAME = "glove-wiki-gigaword-50"
FILE = "glove-wiki-gigaword-50.gz"
NOTEBOOK = ROOT / "notebooks" / "00_word_vectors_recap.ipynb"
# The lecture's analogies, as the lesson asks them (cell `lecture-analogies`)
ANALOGIES = [("man", "woman", "king", "queen"), ("paris", "france", "rome", "italy"),
             ("brussels", "belgium", "canberra", "australia"), ("walking", "walked", "swimming", "swam"),
             ("good", "better", "bad", "worse")]


def fixture_vectors(dim: int = 50, seed: int = 0) -> dict[str, np.ndarray]:
    """Each analogy a : b :: c : d gets two 'entity' directions (for a, b and for c, d) and two
    'relation' directions (for a, c and for b, d): a = e₁ + r₁, b = e₁ + r₂, c = e₂ + r₁,
    d = e₂ + r₂, so b − a + c = d exactly before the small noise. The benchmark words get random
    vectors."""
    rng = np.random.default_rng(seed)
    vectors = {}
    words = sorted({w for w1, w2, _ in data.load_word_similarity("wordsim353") for w in (w1, w2)}
                   | {w for w1, w2, _ in data.load_word_similarity("simlex999") for w in (w1, w2)}
                   | {w for qs in data.load_analogies().values() for q in qs[:40] for w in q}
                   | {"police", "fire", "bank", "arafat", "monday", "officers"})   # the lesson's examples
    for word in words:
        vectors[word] = rng.standard_normal(dim)
    for a, b, c, d in ANALOGIES:
        e1, e2, r1, r2 = rng.standard_normal((4, dim))
        for word, vector in ((a, e1 + r1), (b, e1 + r2), (c, e2 + r1), (d, e2 + r2)):
            vectors[word] = vector + 0.05 * rng.standard_normal(dim)
    return vectors


def write_fixture(path, vectors: dict[str, np.ndarray]) -> str:
    """gensim-data's format: gzipped word2vec text. Returns the file's sha256."""
    dim = len(next(iter(vectors.values())))
    lines = [f"{len(vectors)} {dim}"]
    lines += [f"{word} " + " ".join(f"{x:.5f}" for x in vector) for word, vector in vectors.items()]
    with gzip.open(path, "wt", encoding="utf8") as f:
        f.write("\n".join(lines) + "\n")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def glove_server(tmp_path, monkeypatch):
    """(base url, sha256 of the served file, the requests seen); a server on 127.0.0.1."""
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    served = tmp_path / "served"
    served.mkdir()
    sha256 = write_fixture(served / FILE, fixture_vectors())
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(served)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", sha256, seen
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_UTILS_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def point_at(monkeypatch, url: str, checksum: str) -> None:
    spec = dict(download.PRETRAINED_VECTORS[NAME], url=url, checksum=checksum)
    monkeypatch.setitem(download.PRETRAINED_VECTORS, NAME, spec)


def test_the_fixture_solves_the_lecture_analogies_by_construction(tmp_path):
    write_fixture(tmp_path / FILE, fixture_vectors())
    wv = wordvec.load_word2vec_text(tmp_path / FILE)
    assert wv.dim == 50 and len(wv) > 1000
    for a, b, c, d in ANALOGIES:
        assert wordvec.solve_analogy(wv, a, b, c)[0][0] == d


def test_online_it_downloads_verifies_caches_and_loads(glove_server, cache, monkeypatch, capsys):
    base, sha256, seen = glove_server
    point_at(monkeypatch, f"{base}/{FILE}", f"sha256:{sha256}")
    glove = wordvec.load_pretrained(NAME, limit=500, label="GloVe")
    assert glove is not None and glove.name == "GloVe" and len(glove) == 500 and glove.dim == 50
    assert glove.vectors.dtype == np.float32
    assert sorted(p.name for p in cache.iterdir()) == [FILE]
    assert "Offline" not in capsys.readouterr().out
    again = wordvec.load_pretrained(NAME, limit=None)          # the cached copy: no second request
    assert seen == [f"/{FILE}"] and len(again) > 1000
    assert wordvec.solve_analogy(again, "man", "woman", "king")[0][0] == "queen"


def test_a_wrong_checksum_falls_back_and_keeps_nothing(glove_server, cache, monkeypatch, capsys):
    base, sha256, _ = glove_server
    point_at(monkeypatch, f"{base}/{FILE}", "sha256:" + "0" * 64)
    assert wordvec.load_pretrained(NAME, what="the Lee vectors") is None
    out = capsys.readouterr().out
    assert out.startswith(f"Download failed: could not get {FILE}") and "checksum" in out
    assert out.rstrip().endswith("Carrying on with the Lee vectors.")
    assert not cache.exists() or list(cache.iterdir()) == []


def test_offline_a_refused_connection_falls_back_with_one_sentence(cache, monkeypatch, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))                             # bound, not listening: refused
        point_at(monkeypatch, f"http://127.0.0.1:{sock.getsockname()[1]}/{FILE}", "md5:" + "0" * 32)
        assert wordvec.load_pretrained(NAME, what="the vectors trained on the Lee corpus", timeout=5) is None
    out = capsys.readouterr().out
    assert out.startswith(f"Offline: could not get {FILE} (cannot connect to 127.0.0.1")
    assert out.rstrip().endswith("Carrying on with the vectors trained on the Lee corpus.")


def test_the_offline_switch_skips_even_the_announcement(cache, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_UTILS_OFFLINE", "1")
    assert wordvec.load_pretrained(NAME) is None
    captured = capsys.readouterr()
    assert captured.out.startswith(f"Offline: could not get {FILE} (COURSE_UTILS_OFFLINE is set")
    assert "Downloading" not in captured.out + captured.err


def test_unknown_name_is_named():
    with pytest.raises(ValueError, match="unknown name='glove-9000'.*glove-wiki-gigaword-50"):
        wordvec.load_pretrained("glove-9000")


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def run_lesson(tmp_path, first_cell: str):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    patch = nbformat.v4.new_code_cell(first_cell)
    patch["id"] = "test-online-patch"
    nb.cells.insert(0, patch)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return {cell.get("id"): cell for cell in nb.cells}


@pytest.mark.slow
def test_the_whole_lesson_runs_online_on_glove(glove_server, tmp_path):
    base, sha256, seen = glove_server
    cells = run_lesson(tmp_path, f"""
import os
os.environ.pop("COURSE_UTILS_OFFLINE", None)
os.environ["COURSE_UTILS_CACHE"] = {str(tmp_path / "kernel-cache")!r}
from course_utils import download
download.PRETRAINED_VECTORS[{NAME!r}] = dict(download.PRETRAINED_VECTORS[{NAME!r}],
                                             url={f"{base}/{FILE}"!r}, checksum={f"sha256:{sha256}"!r})
""")
    assert seen == [f"/{FILE}"]
    assert "Offline" not in printed(cells["pretrained"])
    used = printed(cells["vectors-used"])
    assert re.search(r"GloVe: glove-wiki-gigaword-50, the 2,\d\d\d most frequent words x 50 dimensions", used)
    evaluation = printed(cells["evaluate"])
    assert "GloVe     WordSim353" in evaluation and "GloVe     SimLex-999" in evaluation
    analogies = printed(cells["lecture-analogies"])
    for a, b, c, d in ANALOGIES:
        block = analogies.split(f"{a} : {b} :: {c} : ?")[1].split(" : ?")[0]
        assert f"GloVe ✓ rank of '{d}':    1 of" in block, block
    assert "GloVe: " in printed(cells["analogy-accuracy"])


@pytest.mark.slow
def test_the_whole_lesson_runs_offline_when_the_connection_is_refused(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/{FILE}"
        cells = run_lesson(tmp_path, f"""
import os
os.environ.pop("COURSE_UTILS_OFFLINE", None)
os.environ["COURSE_UTILS_CACHE"] = {str(tmp_path / "kernel-cache")!r}
from course_utils import download
download.PRETRAINED_VECTORS[{NAME!r}] = dict(download.PRETRAINED_VECTORS[{NAME!r}], url={url!r})
""")
    assert f"Offline: could not get {FILE} (cannot connect" in printed(cells["pretrained"])
    assert "GloVe: not loaded" in printed(cells["vectors-used"])
    assert "GloVe" not in printed(cells["evaluate"])
