"""Cached, checksummed, offline-safe downloads (re-exported by `course_utils.data`).

The lessons run offline on the data that gensim ships. Where a runtime is online (Colab,
Binder), a lesson may fetch something larger with

    path = download(url, checksum="sha256:…")              # raises DownloadError
    path = download_or_fallback(url, checksum, fallback=None)  # prints why, returns fallback

What a download promises:

- the expected checksum is a required argument: nothing unverified ever reaches the cache;
- the bytes go to a hidden temporary file in the cache folder and are renamed to their
  final name (an atomic `os.replace`) only after the checksum matched, so the cache never
  holds a half-written or corrupted file, whether the transfer was cut, the checksum was
  wrong, or the user pressed Ctrl-C; a file left by a killed process is only ever a
  `.part` file, removed by a later download of the same name;
- a second call finds the verified file in the cache and makes no request;
- offline is detected quickly: the host is resolved and connected to within `timeout`
  seconds (name resolution runs in a helper thread, because socket timeouts do not cover
  it), and reading stalls for at most `timeout` seconds; `OfflineError` says so plainly;
- `COURSE_UTILS_OFFLINE=1` skips the network altogether; `COURSE_UTILS_CACHE` moves the
  cache (default: `~/.cache/course_utils` on Linux, the platform's cache folder elsewhere).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import os
import re
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = [
    "DownloadError",
    "OfflineError",
    "ChecksumError",
    "PRETRAINED_VECTORS",
    "default_cache_dir",
    "file_checksum",
    "is_online",
    "download",
    "download_or_fallback",
]

CACHE_ENV = "COURSE_UTILS_CACHE"
OFFLINE_ENV = "COURSE_UTILS_OFFLINE"
CHUNK_BYTES = 1 << 20
STALE_PART_SECONDS = 3600  # a .part file untouched this long belongs to a dead download

# Larger pretrained vectors for the online cell of lesson 00. The URL and its checksum come
# from gensim-data's published index (list.json in github.com/RaRe-Technologies/gensim-data,
# entry "glove-wiki-gigaword-50": file_name, checksum), the same pair that
# `gensim.downloader.load("glove-wiki-gigaword-50")` verifies. gensim-data publishes MD5
# checksums only, hence the "md5:" prefix; SHA-256 is the default for every other file.
PRETRAINED_VECTORS = {
    "glove-wiki-gigaword-50": {
        "url": "https://github.com/RaRe-Technologies/gensim-data/releases/download/"
               "glove-wiki-gigaword-50/glove-wiki-gigaword-50.gz",
        "checksum": "md5:c289bc5d7f2f02c6dc9f2f9b67641813",
        "size": "66 MB",
        "description": "GloVe (Pennington, Socher & Manning 2014): 400,000 lower-cased words x 50 "
                       "dimensions, trained on Wikipedia 2014 + Gigaword 5 (6 billion tokens); "
                       "public domain (ODC PDDL); word2vec text format, gzipped",
        "checksum_source": "gensim-data list.json (github.com/RaRe-Technologies/gensim-data)",
    },
}


class DownloadError(OSError):
    """A download failed; nothing was written to the cache."""


class OfflineError(DownloadError):
    """The host could not be reached: no network, no name resolution, or no answer in time."""


class ChecksumError(DownloadError):
    """The downloaded bytes do not have the expected checksum; they were discarded."""


# --------------------------------------------------------------------------------------
# Cache folder and checksums
# --------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """`$COURSE_UTILS_CACHE` if set, else the user's cache folder + `course_utils`."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "course_utils"


_DIGEST_LENGTHS = {"sha256": 64, "md5": 32}


def _parse_checksum(checksum: str) -> tuple[str, str]:
    """'sha256:<64 hex>' (or the bare 64 hex digits) or 'md5:<32 hex>' -> (algorithm, digest)."""
    if not isinstance(checksum, str):
        raise TypeError("checksum must be a str like 'sha256:<64 hex digits>', "
                        f"got {type(checksum).__name__}")
    algorithm, _, digest = checksum.strip().lower().rpartition(":")
    algorithm = algorithm or "sha256"
    if algorithm not in _DIGEST_LENGTHS:
        raise ValueError(f"checksum={checksum!r}: unknown algorithm {algorithm!r}; "
                         f"expected one of {sorted(_DIGEST_LENGTHS)}, e.g. 'sha256:<64 hex digits>'")
    length = _DIGEST_LENGTHS[algorithm]
    if not re.fullmatch(f"[0-9a-f]{{{length}}}", digest):
        raise ValueError(f"checksum={checksum!r}: a {algorithm} checksum is {length} hexadecimal digits, "
                         f"got {len(digest)} characters {digest[:70]!r}")
    return algorithm, digest


def file_checksum(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks (e.g. to record the checksum of a new file)."""
    if algorithm not in _DIGEST_LENGTHS:
        raise ValueError(f"file_checksum: algorithm must be one of {sorted(_DIGEST_LENGTHS)}, "
                         f"got {algorithm!r}")
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


# --------------------------------------------------------------------------------------
# Reachability
# --------------------------------------------------------------------------------------


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url must be an http:// or https:// address with a host, got {url!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _check_reachable(url: str, timeout: float) -> None:
    """Resolve and connect to the url's host within `timeout` seconds, or raise OfflineError."""
    if os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes"):
        raise OfflineError(f"{OFFLINE_ENV} is set, so no download was tried")
    host, port = _host_and_port(url)
    outcome: dict[str, BaseException | None] = {}

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome["error"] = None
        except BaseException as error:  # reported to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=connect, name=f"reach {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or "error" not in outcome:
        raise OfflineError(f"{host} did not answer within {timeout:g} s: are you offline?")
    error = outcome["error"]
    if isinstance(error, socket.gaierror):
        raise OfflineError(f"cannot resolve the host name {host!r} ({error.strerror or error}): "
                           "are you offline?") from error
    if isinstance(error, OSError):
        raise OfflineError(f"cannot connect to {host}:{port} ({error.strerror or error}): "
                           "are you offline?") from error
    if error is not None:
        raise error


def is_online(url: str = "https://github.com", timeout: float = 3.0) -> bool:
    """Can the url's host be resolved and connected to within `timeout` seconds?"""
    try:
        _check_reachable(url, timeout)
    except OfflineError:
        return False
    return True


# --------------------------------------------------------------------------------------
# The download
# --------------------------------------------------------------------------------------


def _looks_offline(reason) -> bool:
    """Errors that mean "the network is not there", as opposed to a server or TLS problem."""
    unreachable = (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN)
    return isinstance(reason, (socket.gaierror, ConnectionRefusedError, TimeoutError)) or (
        isinstance(reason, OSError) and reason.errno in unreachable)


def _remove_stale_parts(cache_dir: Path, filename: str) -> None:
    now = time.time()
    for part in cache_dir.glob(f".{filename}.*.part"):
        with contextlib.suppress(OSError):
            if now - part.stat().st_mtime > STALE_PART_SECONDS:
                part.unlink()


def _copy_stream(response, out, hasher, label: str, progress: bool) -> int:
    """Copy the body to `out`, hashing as it goes; returns the number of bytes received."""
    received, last_report, total = 0, 0.0, response.headers.get("Content-Length")
    while True:
        chunk = response.read(CHUNK_BYTES)
        if not chunk:
            return received
        out.write(chunk)
        hasher.update(chunk)
        received += len(chunk)
        if progress and time.monotonic() - last_report > 0.5:
            last_report = time.monotonic()
            of_total = f" of {int(total) / 1e6:.1f}" if total and total.isdigit() else ""
            print(f"\rDownloading {label}: {received / 1e6:.1f}{of_total} MB", end="", flush=True)


def download(url: str, checksum: str, filename: str | None = None,
             cache_dir: str | Path | None = None, timeout: float = 10.0,
             progress: bool = True) -> Path:
    """Download `url` into the cache (once) and return the path of the verified file.

    checksum: 'sha256:<64 hex digits>' (or just the digits) or 'md5:<32 hex digits>', as
        published by whoever publishes the file; the file is kept only if it matches.
    filename: the name in the cache (default: the last part of the url's path).
    timeout: seconds allowed to resolve and connect, and for each read.
    Raises OfflineError when the host cannot be reached, ChecksumError when the bytes are
    wrong, DownloadError for any other failure; the cache is left as it was.
    """
    algorithm, expected = _parse_checksum(checksum)
    _host_and_port(url)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    filename = filename or Path(urllib.parse.urlsplit(url).path).name
    if not filename or filename in (".", "..") or "/" in filename or "\\" in filename:
        raise ValueError(f"filename must be a plain file name (no folders), got {filename!r} for url {url!r}")
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = cache / filename

    if target.is_file():
        if file_checksum(target, algorithm) == expected:
            return target
        print(f"The cached {filename} does not match its checksum; downloading it again.")

    _check_reachable(url, timeout)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, part_name = tempfile.mkstemp(dir=cache, prefix=f".{filename}.", suffix=".part")
    except OSError as error:
        raise DownloadError(f"cannot write to the cache folder {cache} ({error.strerror or error}); "
                            f"point {CACHE_ENV} to a writable folder") from error
    part = Path(part_name)
    _remove_stale_parts(cache, filename)
    request = urllib.request.Request(url, headers={"User-Agent": "course_utils (Python urllib)"})
    hasher = hashlib.new(algorithm)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(request, timeout=timeout)
            except urllib.error.HTTPError as error:
                error.close()  # an HTTPError holds the connection open
                raise DownloadError(f"{url}: the server answered HTTP {error.code} {error.reason}") from None
            except urllib.error.URLError as error:
                kind = OfflineError if _looks_offline(error.reason) else DownloadError
                raise kind(f"cannot get {url}: {error.reason}") from error
            except (OSError, http.client.HTTPException) as error:
                kind = OfflineError if _looks_offline(error) else DownloadError
                raise kind(f"cannot get {url}: {error!r}") from error
            with response:
                started = time.monotonic()
                try:
                    received = _copy_stream(response, out, hasher, filename, progress)
                except (OSError, http.client.HTTPException) as error:  # reset, timeout, bad chunk
                    raise DownloadError(f"the transfer of {url} was interrupted ({error!r}); "
                                        "nothing was saved, try again") from error
                length = response.headers.get("Content-Length")
            out.flush()
            os.fsync(out.fileno())
        if length is not None and length.isdigit() and received != int(length):
            raise DownloadError(f"the transfer of {url} was interrupted after {received:,} of "
                                f"{int(length):,} bytes; nothing was saved, try again")
        actual = hasher.hexdigest()
        if actual != expected:
            raise ChecksumError(f"{url} has {algorithm} {actual}, expected {expected}; the file was "
                                "discarded (a changed file upstream, or a proxy that altered it)")
        os.replace(part, target)  # atomic: the final name only ever holds a verified file
        if progress:
            print(f"\rDownloaded and verified {filename}: {received / 1e6:.1f} MB in "
                  f"{time.monotonic() - started:.1f} s" + " " * 10)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
        raise
    return target


def download_or_fallback(url: str, checksum: str, fallback=None, what: str = "the local data",
                         **download_kwargs):
    """`download(...)`, or, if it fails, one clear message and `fallback` instead of an error."""
    try:
        return download(url, checksum, **download_kwargs)
    except DownloadError as error:
        name = download_kwargs.get("filename") or Path(urllib.parse.urlsplit(url).path).name
        kind = "Offline" if isinstance(error, OfflineError) else "Download failed"
        print(f"{kind}: could not get {name} ({error}). Carrying on with {what}.")
        return fallback
