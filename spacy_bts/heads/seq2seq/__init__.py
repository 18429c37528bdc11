"""The paper's seq2seq head: one LSTM reads a segment's bytes, then emits its spans."""

from .architectures import build_byte_to_span, build_encoder_byte_to_span, build_positional_byte_to_span
from .head import Seq2SeqHead
from .windows import random_windows, sliding_windows

__all__ = [
    "Seq2SeqHead",
    "build_byte_to_span",
    "build_encoder_byte_to_span",
    "build_positional_byte_to_span",
    "random_windows",
    "sliding_windows",
]
