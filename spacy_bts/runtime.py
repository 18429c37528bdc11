"""Process-wide runtime policy: torch threads, and freed heap handed back to the system.

Threads: torch gets ``n`` threads per process; a multiprocessing child (e.g. of
``nlp.pipe(n_process=...)``) gets one, since a forked child inherits the parent's
OpenMP pool state and can deadlock in its first parallel op, and n children with
all cores each would oversubscribe the CPU. ``torch_threads`` also sets
``OMP_NUM_THREADS`` so that spawned workers read the same number.

Heap: training reads batches of varying shape, and glibc's allocator keeps the
pages of freed CPU tensors for reuse; across such batches that retained heap grows
with every update. A 60,000-update NER run on a 24 GiB machine was killed for
memory after about 42,000 updates (24 GB resident); with ``malloc_trim``, which
returns the free pages, it completed at a 4.0 GB peak. ``bench/training_memory.py``
measures the effect.
"""

import contextlib
import ctypes
import ctypes.util
import itertools
import multiprocessing
import os
import sys
from typing import Callable, Iterator, Optional

import torch

# Updates between trims: a trim takes a few milliseconds, 100 updates about 11 s.
TRIM_INTERVAL = 100


def set_torch_threads(n: int) -> int:
    """Give torch ``n`` CPU threads in this process; returns the previous number."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    return before


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch threads, also in worker processes started meanwhile."""
    env_before = os.environ.get("OMP_NUM_THREADS")
    before = set_torch_threads(n)
    # Forked workers inherit the setting; spawned ones read the variable.
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        yield
    finally:
        set_torch_threads(before)
        if env_before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = env_before


# The process whose torch thread count has been checked.
_threads_checked_in: Optional[int] = None


def limit_threads_in_child_process() -> None:
    """One torch thread in a multiprocessing child; checked once per process."""
    global _threads_checked_in
    if _threads_checked_in == os.getpid():
        return
    _threads_checked_in = os.getpid()
    if multiprocessing.parent_process() is not None:
        set_torch_threads(1)


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
