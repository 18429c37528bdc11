"""The spaCy components and what they share: from Docs to the head and back."""

from .base import ByteToSpanPipe
from .encoder import ByteEncoderPipe, make_bts_encoder
from .ner import ByteToSpanNER, make_bts_ner
from .pos import ByteToSpanPOS, ByteToSpanTagger, make_bts_pos

__all__ = [
    "ByteEncoderPipe",
    "ByteToSpanNER",
    "ByteToSpanPOS",
    "ByteToSpanPipe",
    "ByteToSpanTagger",
    "make_bts_encoder",
    "make_bts_ner",
    "make_bts_pos",
]
