"""Byte-to-Span (Gillick et al. 2016) as spaCy components: ``bts_ner``, ``bts_pos``."""

from .corpus import example_from_spans, reference_doc
from .encoders.bilstm import bilstm_encoder, bilstm_encoder_v2
from .encoders.conv import conv_encoder
from .heads.seq2seq import build_byte_to_span, build_encoder_byte_to_span, build_positional_byte_to_span
from .heads.tagging import build_byte_tagger, build_byte_tagger_v2, build_shared_encoder_tagger
from .pipeline import (
    ByteEncoderPipe,
    ByteToSpanNER,
    ByteToSpanPOS,
    ByteToSpanTagger,
    make_bts_encoder,
    make_bts_ner,
    make_bts_pos,
)
from .pretraining import load_pretrained_encoder, masked_bytes
from .shared_encoder.listener import build_listener
from .shared_encoder.model import build_byte_encoder

__version__ = "0.1.0"
__all__ = [
    "ByteEncoderPipe",
    "ByteToSpanNER",
    "ByteToSpanPOS",
    "ByteToSpanTagger",
    "bilstm_encoder",
    "build_byte_encoder",
    "build_listener",
    "build_shared_encoder_tagger",
    "make_bts_encoder",
    "bilstm_encoder_v2",
    "build_byte_tagger",
    "build_byte_tagger_v2",
    "build_encoder_byte_to_span",
    "conv_encoder",
    "example_from_spans",
    "build_byte_to_span",
    "build_positional_byte_to_span",
    "make_bts_ner",
    "make_bts_pos",
    "masked_bytes",
    "load_pretrained_encoder",
    "reference_doc",
]
