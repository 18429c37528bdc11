"""The byte tagger head: a BILUO tag per byte, decoded by constrained Viterbi."""

from .architectures import DEFAULT_TAGGER_MODEL, TagBatch, build_byte_tagger, build_byte_tagger_v2
from .head import TaggingHead
from .shared import SharedTaggingHead, build_shared_encoder_tagger

__all__ = [
    "DEFAULT_TAGGER_MODEL",
    "SharedTaggingHead",
    "TagBatch",
    "TaggingHead",
    "build_byte_tagger",
    "build_byte_tagger_v2",
    "build_shared_encoder_tagger",
]
