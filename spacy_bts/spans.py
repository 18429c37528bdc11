"""Predicted spans, from the head's byte offsets to the character offsets a Doc holds.

A head returns ``ByteSpans`` per text; the pipe maps them to ``CharSpans``
(``to_chars``: a byte span ending inside a multi-byte character takes the whole
character) and keeps those a user sees (``kept_spans``): at or above the
threshold, trimmed of whitespace (as gold spans are for training), and
de-duplicated. A component stores them in ``doc.spans[spans_key]`` with their
exact offsets and scores in the group's attrs (``stored_spans`` reads them back;
``span._.bts_score`` gives the score of any span of the Doc, e.g. of ``doc.ents``).
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc, Span

from .byte_text import ByteText


@dataclass
class _Spans:
    starts: numpy.ndarray
    ends: numpy.ndarray
    labels: numpy.ndarray  # label ids
    probs: numpy.ndarray

    def __len__(self) -> int:
        return len(self.starts)


class ByteSpans(_Spans):
    """Spans of one text in byte offsets, with label ids and probabilities."""


@dataclass
class CharSpans(_Spans):
    """Spans of one text in character offsets, with label ids and probabilities;
    ``text``, where known, is that text (``Doc.text`` joins every token's text anew)."""

    text: Optional[str] = None


def to_chars(text: ByteText, spans: ByteSpans) -> CharSpans:
    starts, ends = text.bytes_to_chars(spans.starts, spans.ends)
    return CharSpans(starts, ends, spans.labels, spans.probs, text.text)


def trim_span(text: str, start: int, end: int) -> Tuple[int, int]:
    """``[start, end)`` without leading/trailing whitespace (empty if only whitespace)."""
    piece = text[start:end]
    stripped = piece.lstrip()
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


def trim_whitespace(
    text: str, starts: numpy.ndarray, ends: numpy.ndarray
) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """``trim_span`` of each span: the new starts and ends and a mask of spans left
    non-empty (spans of only whitespace are dropped: no token sequence can hold them)."""
    new_starts = numpy.array(starts, dtype=numpy.int64, copy=True)
    new_ends = numpy.array(ends, dtype=numpy.int64, copy=True)
    for i, (start, end) in enumerate(zip(new_starts.tolist(), new_ends.tolist())):
        new_starts[i], new_ends[i] = trim_span(text, start, end)
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
    return CharSpans(starts[index], ends[index], labels[index], probs[index], text)


def stored_spans(doc: Doc, key: Optional[str]) -> List[Tuple[int, int, Optional[float], Span]]:
    """``(start_char, end_char, score, span)`` of each span in ``doc.spans[key]``; [] without one.

    A BTS component's group holds the exact predicted offsets (``attrs["char_spans"]``;
    its spans are cut to tokens) and scores (``attrs["scores"]``); another component's
    spans give their own offsets and no score.
    """
    if key is None or key not in doc.spans:
        return []
    group = doc.spans[key]
    offsets = group.attrs.get("char_spans") or [(span.start_char, span.end_char) for span in group]
    scores = group.attrs.get("scores") or [None] * len(group)
    return [(int(s), int(e), score, span) for (s, e), score, span in zip(offsets, scores, group)]


def span_score(span: Span) -> Optional[float]:
    """The score a BTS component gave ``span`` (same tokens and label) in one of its span groups."""
    for key, group in span.doc.spans.items():
        if "scores" not in group.attrs:
            continue
        for _, _, score, member in stored_spans(span.doc, key):
            if member.start == span.start and member.end == span.end and member.label == span.label:
                return score
    return None


if not Span.has_extension("bts_score"):
    Span.set_extension("bts_score", getter=span_score)


def overlap_free(starts: Sequence[int], ends: Sequence[int], keys: Sequence) -> Tuple[List[int], List[Tuple[int, int]]]:
    """Span indices by start, longer first (then by ``keys``): those kept overlap no span kept
    before them; each dropped one comes with the end of the span it overlaps."""
    kept: List[int] = []
    dropped: List[Tuple[int, int]] = []
    reach = -1
    for i in sorted(range(len(starts)), key=lambda i: (starts[i], -ends[i], keys[i])):
        if starts[i] < reach:
            dropped.append((i, reach))
            continue
        kept.append(i)
        reach = ends[i]
    return kept, dropped
