"""The paper's seq2seq heads: spans emitted as ``[start, length, label]`` triples, by one LSTM
that reads a segment's bytes (``head.py``) or by a pointer over a byte encoder's states
(``pointer.py``)."""

from .architectures import build_byte_to_span, build_encoder_byte_to_span, build_positional_byte_to_span
from .head import Seq2SeqHead
from .pointer import SpanPointerHead, build_encoder_span_pointer
from .windows import random_windows, random_windows_v2, sliding_windows

__all__ = [
    "Seq2SeqHead",
    "SpanPointerHead",
    "build_encoder_span_pointer",
    "build_byte_to_span",
    "build_encoder_byte_to_span",
    "build_positional_byte_to_span",
    "random_windows",
    "random_windows_v2",
    "sliding_windows",
]
