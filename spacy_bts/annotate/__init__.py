"""Annotate files of text with a pipeline: ``python -m spacy_bts.annotate``, or :func:`annotate`.

    python -m spacy_bts.annotate PIPELINE INPUT [INPUT ...] --output OUT.jsonl

Modules: ``job`` (:func:`annotate`, the local engine; its doc describes inputs,
outputs, engines and bad input), ``ray_engine`` (Ray Data), ``inputs``
(files and documents), ``records`` (pipeline loading, one record per Doc),
``writers`` (all-or-nothing JSONL/Parquet/DocBin output), ``reporting``
(bad-input policy, progress), ``errors`` and ``__main__`` (the command line).
"""

from .errors import AnnotateError
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
    "annotate",
    "load_pipeline",
]
