"""What a job tells its user while it runs: bad documents, and progress.

Bad input never disappears: :class:`ErrorPolicy` prints each bad document with
its file and line and skips it (``--on-error skip``), or stops the job with an
:class:`AnnotateError` (``--on-error stop``). :class:`Progress` counts the
documents done and prints a line every few seconds and at the end; its counts
and times become the job's :class:`AnnotateResult`. Both engines report
through these, on the driver, so their messages are the same.
"""

import sys
import time
from typing import List, Optional, TextIO

from .errors import AnnotateError
from .inputs import InputError

ON_ERROR = ("skip", "stop")


class ErrorPolicy:
    """Reports each bad document (file and line) and skips it, or stops the job."""

    def __init__(self, on_error: str = "skip", stream: TextIO = sys.stderr) -> None:
        if on_error not in ON_ERROR:
            raise AnnotateError(f"--on-error must be one of {ON_ERROR}, got {on_error!r}")
        self.on_error = on_error
        self.stream = stream
        self.errors: List[InputError] = []

    def handle(self, error: InputError) -> None:
        if self.on_error == "stop":
            raise AnnotateError(f"{error}; stopped (--on-error stop)")
        self.errors.append(error)
        print(f"skipped {error}", file=self.stream, flush=True)


class Progress:
    """Documents done, docs/s and problems, printed every ``every`` seconds."""

    def __init__(self, stream: TextIO = sys.stderr, every: float = 5.0) -> None:
        self.stream = stream
        self.every = every
        self.start = time.perf_counter()
        self._last = self.start
        self.docs = 0
        self.errors = 0
        # Seconds until the first document was done: startup (workers, pipeline loading).
        self.first_doc_seconds: Optional[float] = None

    def add(self, docs: int = 0, errors: int = 0) -> None:
        self.docs += docs
        self.errors += errors
        now = time.perf_counter()
        if docs and self.first_doc_seconds is None:
            self.first_doc_seconds = now - self.start
        if self.every >= 0 and now - self._last >= self.every:
            self._last = now
            self.print("annotating")

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    @property
    def docs_per_s(self) -> float:
        return self.docs / max(self.seconds, 1e-9)

    def print(self, what: str) -> None:
        print(
            f"{what}: {self.docs:,} documents, {self.docs_per_s:,.1f} docs/s, "
            f"{self.errors:,} skipped, {self.seconds:,.1f} s",
            file=self.stream,
            flush=True,
        )
