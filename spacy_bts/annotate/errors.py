"""The one exception of an annotation job, in a module of its own.

Every other module of the package raises it (inputs, records, writers, both
engines), so it lives below all of them and none needs another just for it.
"""


class AnnotateError(Exception):
    """A job-level problem: no input, an unreadable file, a stopped job."""
