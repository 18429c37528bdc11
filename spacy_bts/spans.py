"""Predicted spans, from the head's byte offsets to the character offsets a Doc holds.

A head returns ``ByteSpans`` per text; the pipe maps them to ``CharSpans``
(``to_chars``: a byte span ending inside a multi-byte character takes the whole
character) and keeps those a user sees (``kept_spans``): at or above the
threshold, trimmed of whitespace (as gold spans are for training), and
de-duplicated.
"""
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy

from .byte_text import ByteText


@dataclass
class ByteSpans:
    """Spans of one text in byte offsets, with label ids and probabilities."""

    starts: numpy.ndarray
    ends: numpy.ndarray
    labels: numpy.ndarray
    probs: numpy.ndarray

    def __len__(self) -> int:
        return len(self.starts)


@dataclass
class CharSpans:
    """Spans of one text in character offsets, with label ids and probabilities."""

    starts: numpy.ndarray
    ends: numpy.ndarray
    labels: numpy.ndarray
    probs: numpy.ndarray

    def __len__(self) -> int:
        return len(self.starts)


def to_chars(text: ByteText, spans: ByteSpans) -> CharSpans:
    starts, ends = text.bytes_to_chars(spans.starts, spans.ends)
    return CharSpans(starts, ends, spans.labels, spans.probs)


def trim_whitespace(
    text: str, starts: numpy.ndarray, ends: numpy.ndarray
) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Strip leading/trailing whitespace off each span.

    Returns the new starts and ends and a mask of spans left non-empty (spans
    of only whitespace are dropped: no token sequence can hold them).
    """
    new_starts = numpy.array(starts, dtype=numpy.int64, copy=True)
    new_ends = numpy.array(ends, dtype=numpy.int64, copy=True)
    for i, (start, end) in enumerate(zip(new_starts.tolist(), new_ends.tolist())):
        piece = text[start:end]
        stripped = piece.lstrip()
        new_starts[i] = start + len(piece) - len(stripped)
        new_ends[i] = new_starts[i] + len(stripped.rstrip())
    return new_starts, new_ends, new_ends > new_starts


def kept_spans(text: str, pred: CharSpans, threshold: float) -> CharSpans:
    """Spans at or above ``threshold``, trimmed of whitespace (all-space ones
    dropped), then de-duplicated: of spans equal after trimming (offsets and
    label), the most probable is kept."""
    keep = pred.probs >= threshold
    starts, ends, nonempty = trim_whitespace(text, pred.starts[keep], pred.ends[keep])
    labels, probs = pred.labels[keep], pred.probs[keep]
    best: Dict[Tuple[int, int, int], int] = {}
    for i in numpy.flatnonzero(nonempty).tolist():
        key = (int(starts[i]), int(ends[i]), int(labels[i]))
        if key not in best or probs[i] > probs[best[key]]:
            best[key] = i
    index = numpy.asarray(sorted(best.values()), dtype=numpy.int64)
    return CharSpans(starts[index], ends[index], labels[index], probs[index])
