"""Annotate files of text with a pipeline: ``python -m spacy_bts.annotate``, or :func:`annotate`.

    python -m spacy_bts.annotate PIPELINE INPUT [INPUT ...] --output OUT.jsonl

Modules: ``job`` (:func:`annotate`; its doc describes inputs, outputs, engines
and bad input), ``local_engine`` (``nlp.pipe`` in this process or in worker
processes), ``ray_engine`` (Ray Data), ``files`` (which files are read),
``inputs`` and ``sniff`` (the documents in them), ``records`` (pipeline
loading, one record per Doc), ``writers`` (all-or-nothing JSONL/Parquet/DocBin
output), ``reporting`` (bad-input policy, progress), ``signals`` (SIGINT and
SIGTERM), ``errors`` and ``__main__`` (the command line and its exit codes).
"""

from .errors import AnnotateError, Interrupted, UsageError
from .inputs import DEFAULT_MAX_CHARS, FORMATS, InputError
from .job import ENGINES, AnnotateResult, annotate
from .records import load_pipeline
from .reporting import ON_ERROR

__all__ = [
    "DEFAULT_MAX_CHARS",
    "ENGINES",
    "FORMATS",
    "ON_ERROR",
    "AnnotateError",
    "AnnotateResult",
    "InputError",
    "Interrupted",
    "UsageError",
    "annotate",
    "load_pipeline",
]
