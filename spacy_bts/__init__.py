"""Byte-to-Span (Gillick et al. 2016) as spaCy components: ``bts_ner``, ``bts_pos``."""

from .corpus import example_from_spans, reference_doc
from .encoders.bilstm import bilstm_encoder, bilstm_encoder_v2
from .encoders.conv import conv_encoder
from .heads.seq2seq import build_byte_to_span, build_encoder_byte_to_span, build_positional_byte_to_span
from .heads.tagging import build_byte_tagger, build_byte_tagger_v2
from .pipeline import ByteToSpanNER, ByteToSpanPOS, ByteToSpanTagger, make_bts_ner, make_bts_pos
from .pretraining import load_pretrained_encoder, masked_bytes

__version__ = "0.1.0"
__all__ = [
    "ByteToSpanNER",
    "ByteToSpanPOS",
    "ByteToSpanTagger",
    "bilstm_encoder",
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
