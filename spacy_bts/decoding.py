"""From decoder outputs to document-level byte spans.

Parsing: decoding is grammar-constrained (start, length, label, repeated, then
STOP), so a segment's outputs before its first STOP are whole triples; a triple
cut off by the step limit is dropped. A span's probability is the product of
the probabilities of its three outputs.

Stitching (paper, section 5): inference segments of ``k`` bytes start every
``k - overlap`` bytes, the last one moved back to end at the text's end. Each
byte position is *owned* by exactly one segment: the first segment owns
``[0, k)``, each later segment the bytes past the end of its predecessor (its
last ``k - overlap`` bytes, or fewer for the last segment). A predicted span is
kept only from the segment owning its last byte. So a span that straddles the
boundary between two segments is kept from the later segment, which sees it
whole whenever it is at most ``overlap + 1`` bytes long (31 for ``k = 60``). A segment
emitting the same span twice keeps one copy with the higher probability; spans
that overlap with different offsets or labels are all kept (``doc.ents``
resolves such conflicts by probability).
"""
from dataclasses import dataclass
from typing import List, Sequence

import numpy

from .segments import inference_offsets
from .span_vocab import SpanVocab


@dataclass
class ByteSpans:
    """Spans of one text in byte offsets, with label ids and probabilities."""

    starts: numpy.ndarray
    ends: numpy.ndarray
    labels: numpy.ndarray
    probs: numpy.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def empty(cls) -> "ByteSpans":
        z = numpy.zeros((0,), dtype=numpy.int64)
        return cls(z, z.copy(), z.copy(), numpy.zeros((0,), dtype=numpy.float32))


@dataclass
class SegmentSpans:
    """Triples parsed from decoder outputs, flattened over segments."""

    segment: numpy.ndarray
    starts: numpy.ndarray  # segment-local
    lengths: numpy.ndarray
    labels: numpy.ndarray
    probs: numpy.ndarray


def parse_outputs(
    outputs: numpy.ndarray, probs: numpy.ndarray, vocab: SpanVocab
) -> SegmentSpans:
    """Triples before the first STOP of each row of ``outputs`` (n_segments, n_steps)."""
    n_seg, n_steps = outputs.shape
    is_stop = outputs == vocab.stop
    first_stop = numpy.where(is_stop.any(axis=1), is_stop.argmax(axis=1), n_steps)
    n_triples = first_stop // 3
    width = n_steps // 3
    triples = outputs[:, : 3 * width].reshape(n_seg, width, 3)
    triple_probs = probs[:, : 3 * width].reshape(n_seg, width, 3).prod(axis=2)
    valid = numpy.arange(width)[None, :] < n_triples[:, None]
    segment = numpy.nonzero(valid)[0]
    decoded = vocab.decode_triples(triples[valid])
    return SegmentSpans(
        segment=segment.astype(numpy.int64),
        starts=decoded[:, 0],
        lengths=decoded[:, 1],
        labels=decoded[:, 2],
        probs=triple_probs[valid].astype(numpy.float32),
    )


def ownership(offsets: numpy.ndarray, k: int) -> "tuple[numpy.ndarray, numpy.ndarray]":
    """Owned byte range ``[lo, hi)`` of each segment of one text."""
    hi = offsets + k
    lo = numpy.zeros_like(hi)
    lo[1:] = hi[:-1]
    return lo, hi


def central_ownership(offsets: numpy.ndarray, k: int, n_bytes: int) -> "tuple[numpy.ndarray, numpy.ndarray]":
    """Owned byte range ``[lo, hi)`` of each segment when every byte is read from
    the segment in which it is most central (nearest segment centre; ties: the
    later segment). The ranges tile ``[0, n_bytes)``."""
    offsets = numpy.asarray(offsets, dtype=numpy.int64)
    if not len(offsets):
        return offsets.copy(), offsets.copy()
    bounds = (offsets[:-1] + offsets[1:] + k) // 2
    lo = numpy.concatenate([[0], bounds]).astype(numpy.int64)
    hi = numpy.concatenate([bounds, [n_bytes]]).astype(numpy.int64)
    return lo, hi


@dataclass
class SegmentPlan:
    """The inference segments of a batch of texts, flattened: each one's text,
    start offset and owned byte range ``[own_lo, own_hi)``."""

    doc: numpy.ndarray
    offset: numpy.ndarray
    own_lo: numpy.ndarray
    own_hi: numpy.ndarray

    def __len__(self) -> int:
        return len(self.doc)


def plan_segments(lengths: Sequence[int], k: int, overlap: int, central: bool) -> SegmentPlan:
    """Segments of texts of ``lengths`` bytes (``inference_offsets``), owned by the
    last-byte rule (``ownership``) or, with ``central``, by ``central_ownership``."""
    parts = []
    for i, n_bytes in enumerate(lengths):
        offsets = inference_offsets(n_bytes, k, overlap)
        lo, hi = central_ownership(offsets, k, n_bytes) if central else ownership(offsets, k)
        parts.append((numpy.full(len(offsets), i, dtype=numpy.int64), offsets, lo, hi))
    if not parts:
        return SegmentPlan(*(numpy.zeros((0,), dtype=numpy.int64) for _ in range(4)))
    return SegmentPlan(*(numpy.concatenate(column) for column in zip(*parts)))


def stitch(
    spans: SegmentSpans,
    seg_doc: numpy.ndarray,
    seg_offset: numpy.ndarray,
    seg_own_lo: numpy.ndarray,
    seg_own_hi: numpy.ndarray,
    n_docs: int,
) -> List[ByteSpans]:
    """Document-level spans from segment-level ones, by the ownership rule."""
    starts = seg_offset[spans.segment] + spans.starts
    ends = starts + spans.lengths
    last = ends - 1
    keep = (last >= seg_own_lo[spans.segment]) & (last < seg_own_hi[spans.segment])
    doc = seg_doc[spans.segment][keep]
    starts, ends = starts[keep], ends[keep]
    labels, probs = spans.labels[keep], spans.probs[keep]
    # Order by document, then position; most probable first among exact duplicates.
    order = numpy.lexsort((-probs, labels, ends, starts, doc))
    doc, starts, ends, labels, probs = (
        a[order] for a in (doc, starts, ends, labels, probs)
    )
    key = numpy.stack([doc, starts, ends, labels], axis=1)
    first = numpy.ones(len(key), dtype=bool)
    first[1:] = (key[1:] != key[:-1]).any(axis=1)
    doc, starts, ends, labels, probs = (
        a[first] for a in (doc, starts, ends, labels, probs)
    )
    bounds = numpy.searchsorted(doc, numpy.arange(n_docs + 1))
    return [
        ByteSpans(
            starts[bounds[i] : bounds[i + 1]],
            ends[bounds[i] : bounds[i + 1]],
            labels[bounds[i] : bounds[i + 1]],
            probs[bounds[i] : bounds[i + 1]],
        )
        for i in range(n_docs)
    ]
