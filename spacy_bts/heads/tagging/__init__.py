"""The byte tagger head: a BILUO tag per byte, decoded by constrained Viterbi."""

from .architectures import DEFAULT_TAGGER_MODEL, TagBatch, build_byte_tagger, build_byte_tagger_v2
from .head import TaggingHead

__all__ = ["DEFAULT_TAGGER_MODEL", "TagBatch", "TaggingHead", "build_byte_tagger", "build_byte_tagger_v2"]
