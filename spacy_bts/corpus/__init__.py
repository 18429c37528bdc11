"""Training data from character offsets, in any script: Examples, the JSONL reader, ``.spacy`` conversion."""

from .examples import example_from_spans, reference_doc
from .reader import JsonlSpansCorpus, create_jsonl_spans_reader

__all__ = ["JsonlSpansCorpus", "create_jsonl_spans_reader", "example_from_spans", "reference_doc"]
