"""Cached, checksummed, offline-safe downloads (re-exported by `course_utils.data`).

The lessons run offline on the data that gensim ships. Where a runtime is online (Colab,
Binder), a lesson may fetch something larger with

    path = download(url, checksum="sha256:…")                  # raises DownloadError
    path = download_or_fallback(url, checksum, fallback=None)  # prints why, returns fallback

The transfer is pooch's (`pooch.retrieve`): the bytes go to a temporary file in the cache
folder and are renamed to their final name only after the checksum matched, so the cache never
holds a half-written or corrupted file under a real name; a second call finds the verified file
and makes no request. This module adds what the lessons need on top: one error type per cause
(`OfflineError`, `ChecksumError`, `DownloadError`), a fallback with one clear sentence instead
of a traceback, `COURSE_UTILS_OFFLINE=1` to skip the network, and `COURSE_UTILS_CACHE` to move
the cache (default: the platform's user cache folder, from platformdirs: `~/.cache/course_utils`
on Linux).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

__all__ = [
    "DownloadError",
    "OfflineError",
    "ChecksumError",
    "PRETRAINED_VECTORS",
    "default_cache_dir",
    "download",
    "download_or_fallback",
]

CACHE_ENV = "COURSE_UTILS_CACHE"
OFFLINE_ENV = "COURSE_UTILS_OFFLINE"

# Larger pretrained vectors for the online cells of lessons 00 and 07. The URLs and their checksums
# come from gensim-data's published index (list.json in github.com/RaRe-Technologies/gensim-data,
# entries "glove-wiki-gigaword-50" and "-100": file_name, checksum), the same pairs that
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
    "glove-wiki-gigaword-100": {
        "url": "https://github.com/RaRe-Technologies/gensim-data/releases/download/"
               "glove-wiki-gigaword-100/glove-wiki-gigaword-100.gz",
        "checksum": "md5:40ec481866001177b8cd4cb0df92924f",
        "size": "128 MB",
        "description": "GloVe (Pennington, Socher & Manning 2014): 400,000 lower-cased words x 100 "
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


def default_cache_dir() -> Path:
    """`$COURSE_UTILS_CACHE` if set, else the user's cache folder for `course_utils`."""
    import platformdirs

    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_cache_dir("course_utils", appauthor=False))


_DIGEST_LENGTHS = {"sha256": 64, "md5": 32}


def _parse_checksum(checksum: str) -> str:
    """'sha256:<64 hex>' (or the bare 64 hex digits) or 'md5:<32 hex>' -> pooch's 'alg:hex'.

    Checked here, before any transfer, so that a mistyped checksum is named at once rather than
    reported as a corrupted 66 MB download."""
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
    return f"{algorithm}:{digest}"


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url must be an http:// or https:// address with a host, got {url!r}")


def _offline(url, output_file, pooch, check_only=False):
    """A pooch downloader for COURSE_UTILS_OFFLINE=1: called only when the cache cannot serve."""
    raise OfflineError(f"{OFFLINE_ENV} is set, so no download was tried")


def _could_not_connect(error) -> bool:
    """requests wraps every failure to open a connection (no route, no name, refused, connect
    timeout) in urllib3's MaxRetryError; a failure after the server answered is not wrapped so."""
    import requests
    import urllib3

    return (isinstance(error, requests.ConnectionError) and bool(error.args)
            and isinstance(error.args[0], urllib3.exceptions.MaxRetryError))


def download(url: str, checksum: str, filename: str | None = None,
             cache_dir: str | Path | None = None, timeout: float = 10.0,
             progress: bool = True) -> Path:
    """Download `url` into the cache (once) and return the path of the verified file.

    checksum: 'sha256:<64 hex digits>' (or just the digits) or 'md5:<32 hex digits>', as
        published by whoever publishes the file; the file is kept only if it matches.
    filename: the name in the cache (default: the last part of the url's path).
    timeout: seconds allowed to connect, and for each read.
    Raises OfflineError when the host cannot be reached, ChecksumError when the bytes are
    wrong, DownloadError for any other failure; the cache is left as it was.
    """
    import pooch
    import requests

    known_hash = _parse_checksum(checksum)
    _check_url(url)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    filename = filename or Path(urllib.parse.urlsplit(url).path).name
    if not filename or filename in (".", "..") or "/" in filename or "\\" in filename:
        raise ValueError(f"filename must be a plain file name (no folders), got {filename!r} for url {url!r}")
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()

    if os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes"):
        if not (cache / filename).is_file():   # nothing to verify: say so before pooch announces a download
            raise OfflineError(f"{OFFLINE_ENV} is set, so no download was tried")
        downloader = _offline
    else:
        downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
    try:
        path = pooch.retrieve(url, known_hash, fname=filename, path=cache, downloader=downloader)
    except requests.HTTPError as error:
        raise DownloadError(f"{url}: the server answered HTTP {error.response.status_code} "
                            f"{error.response.reason}") from None
    except requests.RequestException as error:  # before OSError: requests' errors are OSErrors
        if _could_not_connect(error):
            raise OfflineError(f"cannot connect to {urllib.parse.urlsplit(url).netloc} "
                               f"({type(error).__name__}): are you offline?") from error
        raise DownloadError(f"the transfer of {url} was interrupted ({type(error).__name__}: {error}); "
                            "nothing was saved, try again") from error
    except ValueError as error:  # the arguments were checked above: this is pooch's hash mismatch
        raise ChecksumError(f"{url} does not have the {known_hash.split(':')[0]} checksum "
                            f"{known_hash.split(':')[1]}; the file was discarded (a changed file "
                            f"upstream, or a proxy that altered it). pooch said: {error}") from None
    except DownloadError:
        raise
    except OSError as error:
        raise DownloadError(f"cannot write to the cache folder {cache} ({error.strerror or error}); "
                            f"point {CACHE_ENV} to a writable folder") from error
    return Path(path)


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
