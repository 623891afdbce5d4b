"""The downloader against a real HTTP server on 127.0.0.1 (never the internet, never DNS).

Each test serves a temporary folder from a server in a background thread (stopped with
`shutdown()` when the test ends), downloads into a fresh cache folder, and checks what the
server was asked for and what the cache holds afterwards: the verified file, or nothing.
"Offline" is a port on 127.0.0.1 that is bound but not listening, so the connection is refused
at once, every time.
"""

import hashlib
import http.server
import socket
import sys
import threading
from functools import partial

import pytest
import requests

from course_utils import data, download
from course_utils.download import ChecksumError, DownloadError, OfflineError

PAYLOAD = bytes(range(256)) * 4096 + b"the end"  # about 1 MB: many chunks
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder, and misbehaves on request: /cut/<name> drops the connection halfway
    through a body of announced length, /chunked-cut/<name> drops it inside a chunk,
    /nolength-cut/<name> sends half a body without a Content-Length, /stall/<name> sends the
    headers and then nothing until the test is over."""

    requests: list  # set per server

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def do_GET(self):
        self.requests.append(self.path)
        kind, _, name = self.path.strip("/").rpartition("/")
        if kind == "":
            return super().do_GET()
        body = (self.directory_path / name).read_bytes()
        half = body[: len(body) // 2]
        self.send_response(200)
        if kind == "chunked-cut":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(f"{len(half):x}\r\n".encode() + half + b"\r\n")
            self.wfile.write(f"{len(half):x}\r\n".encode() + half[:1000])  # cut inside a chunk
        elif kind == "nolength-cut":
            self.end_headers()
            self.wfile.write(half)
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if kind == "stall":
                self.wfile.flush()
                self.stop.wait(30)
                return
            self.wfile.write(half)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-body
        self.close_connection = True


@pytest.fixture
def server(tmp_path, monkeypatch):
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    served = tmp_path / "served"
    served.mkdir()
    (served / "vectors.bin").write_bytes(PAYLOAD)
    requests_seen, stop = [], threading.Event()
    handler = type("H", (Handler,), {"requests": requests_seen, "directory_path": served, "stop": stop})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(served)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests_seen, served
    stop.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def refused_url():
    """A URL whose port is bound but not listening: connecting is refused, deterministically."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/vectors.bin"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_UTILS_OFFLINE", raising=False)
    return tmp_path / "cache"


def cache_contents(cache):
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def get(url, cache, **kwargs):
    return download.download(url, SHA256, cache_dir=cache, progress=False, **kwargs)


# ---- success and caching -------------------------------------------------------------------

@pytest.mark.parametrize("checksum", [SHA256, f"sha256:{SHA256}", f"SHA256:{SHA256.upper()}", f"md5:{MD5}"])
def test_success_writes_verified_file(server, cache, checksum):
    base, requests_seen, _ = server
    path = download.download(f"{base}/vectors.bin", checksum, cache_dir=cache, progress=False)
    assert path == cache / "vectors.bin"
    assert path.read_bytes() == PAYLOAD
    assert cache_contents(cache) == ["vectors.bin"]  # no temporary file left behind
    assert requests_seen == ["/vectors.bin"]


def test_second_call_uses_cache_without_a_request(server, cache):
    base, requests_seen, served = server
    first = get(f"{base}/vectors.bin", cache)
    (served / "vectors.bin").unlink()  # even a vanished source does not matter now
    second = get(f"{base}/vectors.bin", cache)
    assert first == second and second.read_bytes() == PAYLOAD
    assert requests_seen == ["/vectors.bin"]


def test_a_partial_file_in_the_cache_is_downloaded_again(server, cache):
    base, requests_seen, _ = server
    cache.mkdir()
    (cache / "vectors.bin").write_bytes(PAYLOAD[:1000])  # e.g. copied in by hand, cut short
    assert get(f"{base}/vectors.bin", cache).read_bytes() == PAYLOAD
    assert requests_seen == ["/vectors.bin"]
    assert cache_contents(cache) == ["vectors.bin"]


def test_filename_names_the_file_in_the_cache(server, cache):
    base, _, _ = server
    path = get(f"{base}/vectors.bin", cache, filename="glove.bin")
    assert path == cache / "glove.bin" and cache_contents(cache) == ["glove.bin"]


def test_the_progress_bar_does_not_change_the_result(server, cache, capsys):
    base, _, _ = server
    path = download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache, progress=True)
    assert path.read_bytes() == PAYLOAD
    assert "100%" in capsys.readouterr().err  # pooch's tqdm bar, on stderr


def test_cache_folder_follows_the_environment(server, tmp_path, monkeypatch):
    base, _, _ = server
    monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "custom"))
    assert download.default_cache_dir() == tmp_path / "custom"
    path = download.download(f"{base}/vectors.bin", SHA256, progress=False)
    assert path == tmp_path / "custom" / "vectors.bin"


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CACHE_HOME is the Linux convention")
def test_default_cache_folder_is_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_UTILS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert download.default_cache_dir() == tmp_path / "xdg" / "course_utils"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert download.default_cache_dir() == download.Path.home() / ".cache" / "course_utils"


# ---- failures leave nothing in the cache ---------------------------------------------------

def test_checksum_mismatch_leaves_nothing(server, cache):
    base, requests_seen, _ = server
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ChecksumError, match=f"does not have the sha256 checksum {wrong}.*discarded"):
        download.download(f"{base}/vectors.bin", wrong, cache_dir=cache, progress=False)
    assert cache_contents(cache) == []
    assert requests_seen == ["/vectors.bin"]  # no retry


def test_checksum_mismatch_keeps_an_older_verified_file_untouched(server, cache):
    base, _, served = server
    get(f"{base}/vectors.bin", cache)
    (served / "other.bin").write_bytes(b"other")
    with pytest.raises(ChecksumError):
        get(f"{base}/other.bin", cache, filename="vectors2.bin")
    assert cache_contents(cache) == ["vectors.bin"]
    assert (cache / "vectors.bin").read_bytes() == PAYLOAD


@pytest.mark.parametrize("path", ["cut", "chunked-cut"])
def test_interrupted_transfer_leaves_nothing(server, cache, path):
    base, requests_seen, _ = server
    with pytest.raises(DownloadError, match="interrupted.*IncompleteRead.*nothing was saved") as info:
        get(f"{base}/{path}/vectors.bin", cache)
    assert not isinstance(info.value, (ChecksumError, OfflineError))
    assert cache_contents(cache) == []
    assert requests_seen == [f"/{path}/vectors.bin"]


def test_cut_without_a_length_is_caught_by_the_checksum(server, cache):
    base, _, _ = server
    with pytest.raises(ChecksumError, match="discarded"):
        get(f"{base}/nolength-cut/vectors.bin", cache)
    assert cache_contents(cache) == []


def test_stalled_transfer_times_out_and_leaves_nothing(server, cache):
    base, _, _ = server
    with pytest.raises(DownloadError, match="interrupted") as info:
        get(f"{base}/stall/vectors.bin", cache, timeout=0.5)
    assert not isinstance(info.value, OfflineError)  # the server answered: not an offline case
    assert cache_contents(cache) == []


def test_ctrl_c_during_transfer_leaves_nothing(server, cache, monkeypatch):
    base, _, _ = server

    def first_chunk_then_ctrl_c(response, *args, **kwargs):
        yield b"\x00" * 1024
        raise KeyboardInterrupt

    monkeypatch.setattr(requests.Response, "iter_content", first_chunk_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        get(f"{base}/vectors.bin", cache)
    assert cache_contents(cache) == []


def test_http_error_is_reported(server, cache):
    base, _, _ = server
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        get(f"{base}/missing.bin", cache)
    assert not isinstance(info.value, OfflineError)
    assert cache_contents(cache) == []


def test_unwritable_cache_is_a_download_error_with_a_hint(server, tmp_path, capsys):
    base, requests_seen, _ = server
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(DownloadError, match="cannot write to the cache folder.*COURSE_UTILS_CACHE"):
        get(f"{base}/vectors.bin", blocker / "cache")
    assert download.download_or_fallback(f"{base}/vectors.bin", SHA256, fallback=0,
                                         cache_dir=blocker / "cache") == 0
    assert "Download failed: could not get vectors.bin" in capsys.readouterr().out
    assert requests_seen == []


# ---- no network ----------------------------------------------------------------------------

def test_connection_refused_is_offline_with_a_fallback(refused_url, cache, capsys):
    with pytest.raises(OfflineError, match="cannot connect to 127.0.0.1:.*are you offline"):
        get(refused_url, cache)
    result = download.download_or_fallback(refused_url, SHA256, fallback="local",
                                           what="the local vectors", cache_dir=cache)
    assert result == "local"
    out = capsys.readouterr().out
    assert out.startswith("Offline: could not get vectors.bin (cannot connect")
    assert out.rstrip().endswith("Carrying on with the local vectors.")
    assert cache_contents(cache) == []


def test_offline_switch_makes_no_request(server, cache, monkeypatch, capsys):
    base, requests_seen, _ = server
    monkeypatch.setenv("COURSE_UTILS_OFFLINE", "1")
    with pytest.raises(OfflineError, match="COURSE_UTILS_OFFLINE"):
        get(f"{base}/vectors.bin", cache)
    assert download.download_or_fallback(f"{base}/vectors.bin", SHA256, fallback="local",
                                         cache_dir=cache) == "local"
    assert capsys.readouterr().out.startswith("Offline: could not get vectors.bin")
    assert requests_seen == [] and cache_contents(cache) == []


def test_cached_file_is_used_even_offline(server, refused_url, cache, monkeypatch):
    base, requests_seen, _ = server
    get(f"{base}/vectors.bin", cache)
    monkeypatch.setenv("COURSE_UTILS_OFFLINE", "1")
    assert get(f"{base}/vectors.bin", cache).read_bytes() == PAYLOAD
    monkeypatch.delenv("COURSE_UTILS_OFFLINE")
    assert get(refused_url, cache).read_bytes() == PAYLOAD  # same name: served from the cache
    assert requests_seen == ["/vectors.bin"]


# ---- bad arguments -------------------------------------------------------------------------

@pytest.mark.parametrize("checksum, message", [
    ("abc", "sha256 checksum is 64 hexadecimal digits, got 3"),
    ("md5:" + SHA256, "md5 checksum is 32 hexadecimal digits, got 64"),
    ("sha1:" + "0" * 40, "unknown algorithm 'sha1'"),
    ("z" * 64, "64 hexadecimal digits"),
])
def test_bad_checksum_is_named(checksum, message, refused_url, cache):
    with pytest.raises(ValueError, match=f"checksum=.*{message}"):
        download.download(refused_url, checksum, cache_dir=cache)


def test_bad_arguments(refused_url, cache):
    with pytest.raises(TypeError, match="checksum must be a str"):
        download.download(refused_url, None, cache_dir=cache)
    with pytest.raises(ValueError, match="url must be an http"):
        download.download("ftp://example.org/x.bin", SHA256, cache_dir=cache)
    with pytest.raises(ValueError, match="filename must be a plain file name"):
        download.download(refused_url.rsplit("/", 1)[0] + "/", SHA256, cache_dir=cache)
    with pytest.raises(ValueError, match="filename must be a plain file name"):
        download.download(refused_url, SHA256, filename="../x.bin", cache_dir=cache)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        download.download(refused_url, SHA256, timeout=0, cache_dir=cache)
    assert cache_contents(cache) == []


def test_reexported_by_data():
    assert data.download is download.download and data.OfflineError is OfflineError
    assert "download_or_fallback" in data.__all__


def test_pretrained_entry_is_well_formed():
    for spec in download.PRETRAINED_VECTORS.values():
        assert download._parse_checksum(spec["checksum"]).startswith("md5:")
        download._check_url(spec["url"])
        assert spec["url"].endswith(".gz") and spec["checksum_source"]
