"""Byte-to-Span (Gillick et al. 2016) as spaCy components: ``bts_ner``, ``bts_pos``."""
from .bts_model import build_byte_to_span, build_positional_byte_to_span
from .encoders import bilstm_encoder, bilstm_encoder_v2, conv_encoder
from .tagger_model import build_byte_tagger
from .ner_component import ByteToSpanNER, make_bts_ner
from .pos_component import ByteToSpanTagger, make_bts_pos

__version__ = "0.1.0"
__all__ = [
    "ByteToSpanNER",
    "ByteToSpanTagger",
    "bilstm_encoder",
    "bilstm_encoder_v2",
    "build_byte_tagger",
    "conv_encoder",
    "build_byte_to_span",
    "build_positional_byte_to_span",
    "make_bts_ner",
    "make_bts_pos",
]
