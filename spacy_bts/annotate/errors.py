"""The exceptions of an annotation job, in a module of their own.

Every other module of the package raises them (inputs, records, writers, both
engines), so they live below all of them and none needs another just for them.
The command's exit status follows the class: 1 for an :class:`AnnotateError`,
2 for a :class:`UsageError`, 128 + the signal number for :class:`Interrupted`.
"""

import signal


class AnnotateError(Exception):
    """A job-level problem: nothing annotated, a stopped job, a worker that died."""

    exit_code = 1


class UsageError(AnnotateError):
    """A problem with what the job was asked to do: an option, an input, the pipeline or the output."""

    exit_code = 2


class Interrupted(BaseException):
    """The job was stopped by SIGINT or SIGTERM.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except
    Exception`` on the way up mistakes it for a bad document.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.output_written = False
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum
