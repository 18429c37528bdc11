"""What a job tells its user while it runs: bad input, and progress, always on stderr (not stdout).

Bad input never disappears: :class:`ErrorPolicy` prints each bad document with
its file and line and skips it (``--on-error skip``), or stops the job with an
:class:`AnnotateError` (``--on-error stop``). :class:`Progress` counts the
documents and characters done; once started, a thread prints a line every few
seconds, also while one long document keeps the pipeline busy for minutes
(the line then shows what is in progress). Its counts and times become the
job's :class:`AnnotateResult`. Both engines report through these, on the
driver, so their messages are the same.
"""

import sys
import threading
import time
from typing import List, Optional, TextIO

from .errors import AnnotateError, UsageError
from .inputs import InputError

ON_ERROR = ("skip", "stop")

# One line at a time: the progress thread and the main thread write to the same stream.
_LOCK = threading.Lock()


def emit(stream: TextIO, line: str) -> None:
    """Write one whole line to ``stream``."""
    with _LOCK:
        stream.write(line + "\n")
        stream.flush()


class ErrorPolicy:
    """Reports each bad document (file and line) and skips it, or stops the job."""

    def __init__(self, on_error: str = "skip", stream: TextIO = sys.stderr) -> None:
        if on_error not in ON_ERROR:
            raise UsageError(f"--on-error must be one of {ON_ERROR}, got {on_error!r}")
        self.on_error = on_error
        self.stream = stream
        self.errors: List[InputError] = []

    def handle(self, error: InputError) -> None:
        if self.on_error == "stop":
            raise AnnotateError(f"{error}; stopped (--on-error stop)")
        self.errors.append(error)
        emit(self.stream, f"skipped {error}")


class Progress:
    """Documents and characters done, docs/s and problems, printed every ``every`` seconds (<= 0: never)."""

    def __init__(self, stream: TextIO = sys.stderr, every: float = 5.0) -> None:
        self.stream = stream
        self.every = every
        self.start = time.perf_counter()
        self.docs = 0
        self.chars = 0
        self.errors = 0
        # Handed to the pipeline and not back yet.
        self.busy_docs = 0
        self.busy_chars = 0
        # Seconds until the first document was done: startup (workers, pipeline loading).
        self.first_doc_seconds: Optional[float] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def started(self, docs: int, chars: int) -> None:
        """``docs`` documents of ``chars`` characters were handed to the pipeline."""
        self.busy_docs += docs
        self.busy_chars += chars

    def add(self, docs: int = 0, errors: int = 0, chars: int = 0) -> None:
        """``docs`` documents of ``chars`` characters are done, ``errors`` skipped."""
        self.docs += docs
        self.chars += chars
        self.errors += errors
        self.busy_docs = max(0, self.busy_docs - docs)
        self.busy_chars = max(0, self.busy_chars - chars)
        if docs and self.first_doc_seconds is None:
            self.first_doc_seconds = time.perf_counter() - self.start

    def begin(self) -> None:
        """Start printing a line every ``every`` seconds (call after forking workers: it is a thread)."""
        if self.every > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="annotate-progress", daemon=True)
            self._thread.start()

    def end(self) -> None:
        """Stop the progress lines."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.print("annotating")

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    @property
    def docs_per_s(self) -> float:
        return self.docs / max(self.seconds, 1e-9)

    def print(self, what: str) -> None:
        line = (
            f"{what}: {self.docs:,} documents ({self.chars:,} characters), {self.docs_per_s:,.1f} docs/s, "
            f"{self.errors:,} skipped, {self.seconds:,.1f} s"
        )
        if self.busy_docs and what != "done":
            line += f"; in progress: {self.busy_docs:,} documents ({self.busy_chars:,} characters)"
        emit(self.stream, line)
