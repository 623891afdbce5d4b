"""How many threads NumPy's matrix products use, set while the program runs.

The course's models multiply small matrices (a batch of 64 rows by a 192 × 192 weight
matrix, thousands of times). For products this small, a second BLAS thread saves little,
and on a machine whose cores are busy with other work (a shared server, Binder, a laptop
running a browser) the threads wait for each other and training becomes many times slower.
One thread is the robust choice for these loops.

The usual way is the environment variable OPENBLAS_NUM_THREADS=1 before NumPy is imported;
`set_blas_threads` does the same from inside a running notebook by calling the BLAS
library's own setter (OpenBLAS, including the copy NumPy's wheels ship, or MKL). Where no
such library is found (macOS Accelerate, Windows), it changes nothing and returns None.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

__all__ = ["set_blas_threads", "get_blas_threads", "blas_threads"]

# (setter, getter) symbol names, tried in order.
_OPENBLAS_SYMBOLS = [
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
]


def _loaded_blas_libraries() -> list[str]:
    """Paths of loaded shared libraries that look like OpenBLAS or MKL (Linux only)."""
    import numpy  # noqa: F401  (make sure NumPy's BLAS is loaded)

    try:
        with open("/proc/self/maps", encoding="utf8") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return []
    return sorted(p for p in paths
                  if ("openblas" in os.path.basename(p).lower() or "mkl_rt" in os.path.basename(p))
                  and ".so" in p)


def _controls() -> list[tuple[object, object]]:
    controls = []
    for path in _loaded_blas_libraries():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for setter, getter in _OPENBLAS_SYMBOLS:
            if hasattr(library, setter) and hasattr(library, getter):
                controls.append((getattr(library, setter), getattr(library, getter)))
                break
    return controls


def get_blas_threads() -> int | None:
    """Threads NumPy's BLAS uses now, or None when it cannot be told."""
    controls = _controls()
    if not controls:
        return None
    _, getter = controls[0]
    getter.restype = ctypes.c_int
    return int(getter())


def set_blas_threads(n: int) -> int | None:
    """Use n threads for NumPy's matrix products from now on. Returns the previous number.

    Returns None (and changes nothing) when no OpenBLAS/MKL library can be found.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_blas_threads: n must be a positive integer, got {n!r}")
    controls = _controls()
    if not controls:
        return None
    previous = get_blas_threads()
    for setter, _ in controls:
        setter.argtypes = [ctypes.c_int]
        setter(n)
    return previous


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[int | None]:
    """Within the block, NumPy's BLAS uses n threads; the previous number is restored after."""
    previous = set_blas_threads(n)
    try:
        yield previous
    finally:
        if previous is not None:
            set_blas_threads(previous)
