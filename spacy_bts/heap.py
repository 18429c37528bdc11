"""Giving the heap memory of freed tensors back to the operating system.

Training reads batches of varying shape, and glibc's allocator keeps the pages
of freed CPU tensors for reuse; across such batches that retained heap grows
with every update. A 60,000-update NER run on a 24 GiB machine was killed for
memory after about 42,000 updates (24 GB resident); with ``malloc_trim``, which
returns the free pages, it completed at a 4.0 GB peak. ``bench/training_memory.py``
measures the effect.
"""

import ctypes
import ctypes.util
import itertools
import sys
from typing import Callable, Optional

# Updates between trims: a trim takes a few milliseconds, 100 updates about 11 s.
TRIM_INTERVAL = 100


def _find_malloc_trim() -> Optional[Callable[[int], int]]:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return None
    # musl and other non-glibc C libraries have no malloc_trim.
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _find_malloc_trim()


def release_free_heap() -> bool:
    """Return the heap's free pages to the system; False where the C library cannot."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True


# One count per process, like the heap it trims: every pipe's updates add to it.
_updates = itertools.count(1)


def after_update() -> None:
    """Count one training update; every ``TRIM_INTERVAL``-th releases the free heap."""
    count = next(_updates)
    if TRIM_INTERVAL > 0 and count % TRIM_INTERVAL == 0:
        release_free_heap()
