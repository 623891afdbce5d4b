"""The downloader against a real HTTP server on 127.0.0.1 (never the internet).

Each test serves a temporary folder from a server in a background thread, downloads into a
fresh cache folder and checks what the cache holds afterwards: the verified file, or nothing.
"""

import hashlib
import http.server
import os
import socket
import threading
import time
from functools import partial

import pytest

from course_utils import data, download
from course_utils.download import ChecksumError, DownloadError, OfflineError

from conftest import free_port

PAYLOAD = bytes(range(256)) * 4096 + b"the end"  # about 1 MB: several chunks
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder, and misbehaves on request: /cut/<name> stops halfway through the body,
    /chunked-cut/<name> stops inside a chunk, /nolength-cut/<name> sends half a body without a
    Content-Length, /stall/<name> never sends a body."""

    requests: list  # set per server

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def do_GET(self):
        self.requests.append(self.path)
        if self.path.startswith(("/chunked-cut/", "/nolength-cut/")):
            body = (self.directory_path / self.path.split("/")[-1]).read_bytes()
            half = body[: len(body) // 2]
            self.send_response(200)
            if self.path.startswith("/chunked-cut/"):
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(f"{len(half):x}\r\n".encode() + half + b"\r\n")
                self.wfile.write(f"{len(half):x}\r\n".encode() + half[:1000])   # cut inside a chunk
            else:
                self.end_headers()
                self.wfile.write(half)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if self.path.startswith(("/cut/", "/stall/")):
            body = (self.directory_path / self.path.split("/")[-1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.path.startswith("/cut/"):
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-body
            else:
                self.stop.wait(3)   # stall (until the test is over)
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "vectors.bin").write_bytes(PAYLOAD)
    requests, stop = [], threading.Event()
    handler = type("H", (Handler,), {"requests": requests, "directory_path": served, "stop": stop})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(served)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield base, requests, served
    stop.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_UTILS_OFFLINE", raising=False)
    return tmp_path / "cache"


def cache_contents(cache):
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


# ---- success and caching -------------------------------------------------------------------

@pytest.mark.parametrize("checksum", [SHA256, f"sha256:{SHA256}", f"SHA256:{SHA256.upper()}", f"md5:{MD5}"])
def test_success_writes_verified_file(server, cache, checksum):
    base, requests, _ = server
    path = download.download(f"{base}/vectors.bin", checksum, cache_dir=cache, progress=False)
    assert path == cache / "vectors.bin"
    assert path.read_bytes() == PAYLOAD
    assert cache_contents(cache) == ["vectors.bin"]  # no temporary file left behind
    assert requests == ["/vectors.bin"]


def test_second_call_uses_cache_without_a_request(server, cache):
    base, requests, served = server
    first = download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache, progress=False)
    (served / "vectors.bin").unlink()  # even a vanished source does not matter now
    second = download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache, progress=False)
    assert first == second and second.read_bytes() == PAYLOAD
    assert requests == ["/vectors.bin"]


def test_corrupted_cache_file_is_downloaded_again(server, cache, capsys):
    base, requests, _ = server
    cache.mkdir()
    (cache / "vectors.bin").write_bytes(PAYLOAD[:1000])
    path = download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert requests == ["/vectors.bin"]
    assert "does not match its checksum" in capsys.readouterr().out


def test_filename_and_progress_output(server, cache, capsys):
    base, _, _ = server
    path = download.download(f"{base}/vectors.bin", SHA256, filename="glove.bin", cache_dir=cache)
    assert path.name == "glove.bin" and cache_contents(cache) == ["glove.bin"]
    assert "Downloaded and verified glove.bin: 1.0 MB" in capsys.readouterr().out


def test_default_cache_dir_follows_the_environment(server, tmp_path, monkeypatch):
    base, _, _ = server
    monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "custom"))
    assert download.default_cache_dir() == tmp_path / "custom"
    path = download.download(f"{base}/vectors.bin", SHA256, progress=False)
    assert path == tmp_path / "custom" / "vectors.bin"
    monkeypatch.delenv("COURSE_UTILS_CACHE")
    monkeypatch.setattr(download.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert download.default_cache_dir() == tmp_path / "xdg" / "course_utils"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert download.default_cache_dir() == download.Path.home() / ".cache" / "course_utils"


# ---- failures leave nothing in the cache ---------------------------------------------------

def test_checksum_mismatch_leaves_nothing(server, cache):
    base, _, _ = server
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ChecksumError, match=f"has sha256 {SHA256}, expected {wrong}.*discarded"):
        download.download(f"{base}/vectors.bin", wrong, cache_dir=cache, progress=False)
    assert cache_contents(cache) == []


def test_checksum_mismatch_keeps_an_older_verified_file_untouched(server, cache):
    base, _, served = server
    download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache, progress=False)
    (served / "other.bin").write_bytes(b"other")
    with pytest.raises(ChecksumError):
        download.download(f"{base}/other.bin", SHA256, filename="vectors2.bin", cache_dir=cache,
                          progress=False)
    assert cache_contents(cache) == ["vectors.bin"]
    assert (cache / "vectors.bin").read_bytes() == PAYLOAD


def test_interrupted_transfer_leaves_nothing(server, cache):
    base, requests, _ = server
    half, whole = f"{len(PAYLOAD) // 2:,}", f"{len(PAYLOAD):,}"
    with pytest.raises(DownloadError, match=f"interrupted after {half} of {whole} bytes") as info:
        download.download(f"{base}/cut/vectors.bin", SHA256, cache_dir=cache, progress=False)
    assert not isinstance(info.value, (ChecksumError, OfflineError))
    assert "nothing was saved" in str(info.value)
    assert cache_contents(cache) == []
    assert requests == ["/cut/vectors.bin"]


def test_connection_closed_inside_a_chunk_leaves_nothing(server, cache):
    base, _, _ = server
    with pytest.raises(DownloadError, match="interrupted.*IncompleteRead") as info:
        download.download(f"{base}/chunked-cut/vectors.bin", SHA256, cache_dir=cache, progress=False)
    assert not isinstance(info.value, ChecksumError)
    assert cache_contents(cache) == []


def test_cut_without_a_length_is_caught_by_the_checksum(server, cache):
    base, _, _ = server
    with pytest.raises(ChecksumError, match="discarded"):
        download.download(f"{base}/nolength-cut/vectors.bin", SHA256, cache_dir=cache, progress=False)
    assert cache_contents(cache) == []


def test_unwritable_cache_is_a_download_error_with_a_hint(server, tmp_path, capsys):
    base, requests, _ = server
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(DownloadError, match="cannot write to the cache folder.*COURSE_UTILS_CACHE"):
        download.download(f"{base}/vectors.bin", SHA256, cache_dir=blocker / "cache", progress=False)
    assert download.download_or_fallback(f"{base}/vectors.bin", SHA256, fallback=0,
                                         cache_dir=blocker / "cache") == 0
    assert "Download failed: could not get vectors.bin" in capsys.readouterr().out
    assert requests == []


def test_stalled_transfer_times_out_and_leaves_nothing(server, cache):
    base, _, _ = server
    start = time.monotonic()
    with pytest.raises(DownloadError, match="interrupted"):
        download.download(f"{base}/stall/vectors.bin", SHA256, cache_dir=cache, timeout=0.5,
                          progress=False)
    assert time.monotonic() - start < 2.5
    assert cache_contents(cache) == []


def test_ctrl_c_during_transfer_leaves_nothing(server, cache, monkeypatch):
    base, _, _ = server

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(download, "_copy_stream", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache, progress=False)
    assert cache_contents(cache) == []


def test_http_error_is_reported(server, cache):
    base, _, _ = server
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        download.download(f"{base}/missing.bin", SHA256, cache_dir=cache, progress=False)
    assert not isinstance(info.value, OfflineError)
    assert cache_contents(cache) == []


def test_stale_part_files_of_dead_downloads_are_removed(server, cache):
    base, _, _ = server
    cache.mkdir()
    stale, fresh = cache / ".vectors.bin.abc.part", cache / ".vectors.bin.def.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"in progress elsewhere")
    old = time.time() - 2 * download.STALE_PART_SECONDS
    os.utime(stale, (old, old))
    download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache, progress=False)
    assert cache_contents(cache) == [fresh.name, "vectors.bin"]


# ---- no network ----------------------------------------------------------------------------

def test_connection_refused_is_offline_with_a_fallback(cache, capsys):
    url = f"http://127.0.0.1:{free_port()}/vectors.bin"  # nothing listens there
    with pytest.raises(OfflineError, match="cannot connect to 127.0.0.1.*are you offline"):
        download.download(url, SHA256, cache_dir=cache, timeout=2)
    result = download.download_or_fallback(url, SHA256, fallback="local", what="the local vectors",
                                           cache_dir=cache, timeout=2)
    assert result == "local"
    out = capsys.readouterr().out
    assert out.startswith("Offline: could not get vectors.bin (cannot connect")
    assert out.rstrip().endswith("Carrying on with the local vectors.")
    assert cache_contents(cache) == []


def test_unresolvable_host_is_offline(cache):
    start = time.monotonic()
    with pytest.raises(OfflineError, match="(cannot resolve the host name|did not answer)"):
        download.download("https://course-utils-test.invalid/vectors.bin", SHA256, cache_dir=cache,
                          timeout=2)
    assert time.monotonic() - start < 3
    assert not download.is_online("https://course-utils-test.invalid", timeout=2)


def test_hanging_name_resolution_gives_up_after_the_timeout(cache, monkeypatch):
    def slow_getaddrinfo(*args, **kwargs):
        time.sleep(5)
        raise socket.gaierror("too late")

    monkeypatch.setattr(socket, "getaddrinfo", slow_getaddrinfo)
    start = time.monotonic()
    with pytest.raises(OfflineError, match="did not answer within 0.3 s"):
        download.download("https://example.org/vectors.bin", SHA256, cache_dir=cache, timeout=0.3)
    assert time.monotonic() - start < 1.5


def test_offline_switch_makes_no_request(server, cache, monkeypatch):
    base, requests, _ = server
    monkeypatch.setenv("COURSE_UTILS_OFFLINE", "1")
    with pytest.raises(OfflineError, match="COURSE_UTILS_OFFLINE"):
        download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache)
    assert requests == [] and cache_contents(cache) == []
    assert not download.is_online(base)
    monkeypatch.setenv("COURSE_UTILS_OFFLINE", "0")
    assert download.is_online(base)


def test_cached_file_is_used_even_offline(server, cache, monkeypatch):
    base, _, _ = server
    download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache, progress=False)
    monkeypatch.setenv("COURSE_UTILS_OFFLINE", "1")
    assert download.download(f"{base}/vectors.bin", SHA256, cache_dir=cache).read_bytes() == PAYLOAD


# ---- bad arguments -------------------------------------------------------------------------

@pytest.mark.parametrize("checksum, message", [
    ("abc", "sha256 checksum is 64 hexadecimal digits, got 3"),
    ("md5:" + SHA256, "md5 checksum is 32 hexadecimal digits, got 64"),
    ("sha1:" + "0" * 40, "unknown algorithm 'sha1'"),
    ("z" * 64, "64 hexadecimal digits"),
])
def test_bad_checksum_is_named(checksum, message, cache):
    with pytest.raises(ValueError, match=f"checksum=.*{message}"):
        download.download("http://127.0.0.1:9/x.bin", checksum, cache_dir=cache)


def test_bad_arguments(cache):
    with pytest.raises(TypeError, match="checksum must be a str"):
        download.download("http://127.0.0.1:9/x.bin", None, cache_dir=cache)
    with pytest.raises(ValueError, match="url must be an http"):
        download.download("ftp://example.org/x.bin", SHA256, cache_dir=cache)
    with pytest.raises(ValueError, match="filename must be a plain file name"):
        download.download("http://127.0.0.1:9/", SHA256, cache_dir=cache)
    with pytest.raises(ValueError, match="filename must be a plain file name"):
        download.download("http://127.0.0.1:9/x.bin", SHA256, filename="../x.bin", cache_dir=cache)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        download.download("http://127.0.0.1:9/x.bin", SHA256, timeout=0, cache_dir=cache)
    assert cache_contents(cache) == []


def test_file_checksum_and_reexports(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(PAYLOAD)
    assert download.file_checksum(path) == SHA256
    assert download.file_checksum(path, "md5") == MD5
    assert data.download is download.download and data.OfflineError is OfflineError
    assert "download_or_fallback" in data.__all__


def test_pretrained_entry_is_well_formed():
    for spec in download.PRETRAINED_VECTORS.values():
        download._parse_checksum(spec["checksum"])
        download._host_and_port(spec["url"])
        assert spec["url"].endswith(".gz") and spec["checksum_source"]
