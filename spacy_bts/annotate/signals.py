"""SIGINT and SIGTERM: the job stops at once, cleans up, and its process exits 130 or 143.

:func:`stop_on_signals` (the command line uses it around the job) turns both
signals into :class:`~.errors.Interrupted`, raised in the main thread wherever
it is; the ``with``/``finally`` blocks on the way up stop the workers and
remove the temporary outputs. Code that must not be cut in half (creating or
moving the temporary files, forking workers, stopping workers or a Ray
cluster) runs under :func:`deferred`: a signal that arrives meanwhile is
raised when it ends. :func:`checkpoint` raises it again where Python dropped
it. A second SIGINT (Ctrl-C twice) while the first is handled ends the
process at once, for a cleanup that hangs; the workers die with it, and its
temporary files are removed by the next run.
"""

import contextlib
import os
import signal
import sys
import threading
from typing import Callable, Iterator, List, Optional

from .errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)

_depth = 0
_pending: Optional[int] = None
_raised = False


# Seconds the cleanup after a signal may take before the job gives up on it and exits.
GRACE = 6.0
# What to undo if the job gives up on its cleanup: quick, thread-safe callables.
_abandon_hooks: List[Callable[[], None]] = []


def _handler(signum: int, frame) -> None:
    global _pending, _raised
    if _pending is not None:
        # Another signal while the first one's cleanup runs. A second Ctrl-C is a person who
        # wants out now; other repeats (Ray's processes signal their group too) change nothing.
        if _raised and signum == _pending == signal.SIGINT:
            _abandon(signum, "interrupted again")
        return
    _pending = signum
    if _depth == 0:
        _raised = True
        raise Interrupted(signum)


def _abandon(signum: int, why: str) -> None:
    """Undo what must not outlive the job (temporary files, workers) and exit now."""
    for hook in list(_abandon_hooks):
        try:
            hook()
        except Exception:
            pass
    try:
        os.write(2, f"{why} ({signal.Signals(signum).name}); exiting without waiting for the cleanup\n".encode())
    finally:
        os._exit(128 + signum)


def on_abandon(hook: Callable[[], None]) -> None:
    """Run ``hook`` if the job exits without its cleanup (until :func:`not_on_abandon`)."""
    _abandon_hooks.append(hook)


def not_on_abandon(hook: Callable[[], None]) -> None:
    if hook in _abandon_hooks:
        _abandon_hooks.remove(hook)


@contextlib.contextmanager
def if_abandoned(hook: Callable[[], None]) -> Iterator[None]:
    """Run ``hook`` if the job exits without its cleanup while this block runs."""
    on_abandon(hook)
    try:
        yield
    finally:
        not_on_abandon(hook)


def checkpoint() -> None:
    """Raise the pending :class:`Interrupted` again if it was lost.

    A handler's exception raised inside a ``__del__``, a callback or a native
    module's initialisation is printed and dropped by Python; the main loops
    call this so that the job still stops.
    """
    global _raised
    if _pending is not None and _depth == 0:
        _raised = True
        raise Interrupted(_pending)


@contextlib.contextmanager
def stop_on_signals(grace: float = GRACE) -> Iterator[None]:
    """Raise :class:`Interrupted` on SIGINT and SIGTERM in this block (main thread only).

    A SIGINT that the process ignores (a background job of a shell) stays
    ignored. A watchdog thread, woken by the signal itself, ends the process
    if the cleanup has not finished ``grace`` seconds after the signal: the
    main thread may be stuck in native code (Ray waiting for a cluster that
    the same signal killed), where Python handlers do not run.
    """
    global _pending, _raised
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in SIGNALS}
    _pending, _raised = None, False
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    finished = threading.Event()
    watchdog = threading.Thread(target=_watch, args=(wake_read, finished, grace), name="annotate-signals", daemon=True)
    watchdog.start()
    wakeup_before = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    for sig in SIGNALS:
        if before[sig] is not signal.SIG_IGN:
            signal.signal(sig, _handler)
    try:
        yield
    finally:
        finished.set()
        for sig, handler in before.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(wakeup_before)
        os.close(wake_write)  # the watchdog reads EOF and ends
        # Handled: a later job in this process starts afresh.
        _pending, _raised = None, False


def _watch(wake_read: int, finished: threading.Event, grace: float) -> None:
    with os.fdopen(wake_read, "rb", buffering=0) as wake:
        while True:
            data = wake.read(64)
            if not data:
                return
            received = [n for n in data if n in SIGNALS and signal.getsignal(n) is _handler]
            if received:
                if not finished.wait(grace):
                    _abandon(received[0], "interrupted, and the cleanup takes too long")
                return


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends (an Interrupted is raised then)."""
    global _depth, _raised
    _depth += 1
    try:
        yield
    except BaseException:
        # Already on the way out: the exception (or an Interrupted) propagates as it is.
        _depth -= 1
        raise
    _depth -= 1
    if _depth == 0 and _pending is not None and not _raised:
        _raised = True
        raise Interrupted(_pending)


@contextlib.contextmanager
def handlers_kept() -> Iterator[None]:
    """Put back the SIGINT and SIGTERM handlers when the block ends (Ray's init replaces them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in before.items():
            if handler is not None:
                signal.signal(sig, handler)


def in_child_process(parent: int) -> None:
    """Signal handling for a worker forked by ``parent``: ignore SIGINT (the parent stops it),
    die on SIGTERM and when the parent dies (Linux), so that no worker outlives its job."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)  # the parent's watchdog is not this process's
    _abandon_hooks.clear()
    if _pending is not None:
        # Forked while a signal was held back: the parent is stopping.
        os._exit(128 + _pending)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    # The parent may have died before prctl took effect.
    if os.getppid() != parent:
        os._exit(1)
