"""Training data from character offsets, in any script: Examples, the JSONL reader, ``.spacy``
conversion, and several corpora mixed by size."""

from .examples import example_from_spans, reference_doc
from .reader import JsonlSpansCorpus, create_jsonl_spans_reader
from .sampling import SampledCorpora, create_sampled_corpora

__all__ = [
    "JsonlSpansCorpus",
    "SampledCorpora",
    "create_jsonl_spans_reader",
    "create_sampled_corpora",
    "example_from_spans",
    "reference_doc",
]
