"""A text as the model reads it: UTF-8 bytes, exact maps to characters, the input alphabet.

Input ids: the 256 byte values, then GO (the seq2seq decoder's start), DROP
(byte-dropout's replacement) and PAD (filler past a text's end).

Every Python ``str`` can be read, lone surrogates included: they are encoded
with ``surrogatepass`` (three bytes each, as UTF-8 would encode the code point),
so each character owns 1-4 bytes and the maps are exact in both directions.

Snapping rule: a byte span ``[start, end)`` whose ends fall inside a multi-byte
character is *expanded* to the nearest character boundaries, i.e. a character
belongs to the span if any of its bytes does. A non-empty byte span therefore
always maps to a non-empty character span; nothing is shifted.

Memory: the maps are int32 (texts up to 2 GiB), about 9 bytes per byte of text
for ASCII; the bytes themselves are shared, not copied, by ``as_array``.
"""

from typing import Tuple

import numpy

N_BYTES = 256
GO = 256
DROP = 257
PAD = 258
N_SPECIAL_INPUTS = 259

_ENCODING_ERRORS = "surrogatepass"


def encode_text(text: str) -> bytes:
    """UTF-8 bytes of any Python string (lone surrogates included)."""
    return text.encode("utf-8", _ENCODING_ERRORS)


def char_byte_widths(text: str) -> numpy.ndarray:
    """Number of UTF-8 bytes of each character of ``text`` (uint8)."""
    code_points = numpy.frombuffer(text.encode("utf-32-le", _ENCODING_ERRORS), dtype="<u4")
    widths = numpy.ones(len(code_points), dtype=numpy.uint8)
    for threshold in (0x80, 0x800, 0x10000):
        widths += code_points >= threshold
    return widths


class ByteText:
    """A text with its UTF-8 bytes and exact byte <-> character offset maps."""

    __slots__ = ("text", "data", "char_starts", "byte_owner")

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = encode_text(text)
        widths = char_byte_widths(text)
        # char_starts[i] is the byte offset of character i; char_starts[-1] == n_bytes.
        if len(self.data) >= 2**31:
            raise ValueError(f"text of {len(self.data)} UTF-8 bytes: at most 2**31 - 1 are supported")
        self.char_starts = numpy.zeros(len(text) + 1, dtype=numpy.int32)
        numpy.cumsum(widths, out=self.char_starts[1:], dtype=numpy.int32)
        # byte_owner[b] is the character holding byte b; byte_owner[n_bytes] == n_chars.
        self.byte_owner = numpy.empty(len(self.data) + 1, dtype=numpy.int32)
        self.byte_owner[:-1] = numpy.repeat(numpy.arange(len(text), dtype=numpy.int32), widths)
        self.byte_owner[-1] = len(text)

    def __len__(self) -> int:
        return len(self.data)

    def as_array(self) -> numpy.ndarray:
        """The bytes as a read-only uint8 array (no copy)."""
        return numpy.frombuffer(self.data, dtype=numpy.uint8)

    def chars_to_bytes(self, starts: numpy.ndarray, ends: numpy.ndarray) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """Map character spans to byte spans (exact)."""
        return (
            self.char_starts[starts].astype(numpy.int64),
            self.char_starts[ends].astype(numpy.int64),
        )

    def bytes_to_chars(self, starts: numpy.ndarray, ends: numpy.ndarray) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """Map byte spans to character spans, expanding to character boundaries.

        ``starts``/``ends`` must satisfy ``0 <= start < end <= len(self)``.
        """
        starts = numpy.asarray(starts, dtype=numpy.int64)
        ends = numpy.asarray(ends, dtype=numpy.int64)
        char_starts = self.byte_owner[starts].astype(numpy.int64)
        char_ends = self.byte_owner[ends - 1].astype(numpy.int64) + 1
        return char_starts, char_ends

    def is_char_boundary(self, offsets: numpy.ndarray) -> numpy.ndarray:
        """Whether each byte offset falls on a character boundary."""
        offsets = numpy.asarray(offsets, dtype=numpy.int64)
        return self.char_starts[self.byte_owner[offsets]] == offsets
