"""From the seq2seq decoder's outputs to document-level byte spans (paper, section 5).

Parsing: decoding is grammar-constrained (start, length, label, repeated, then
STOP), so a segment's outputs before its first STOP are whole triples; a triple
cut off by the step limit is dropped. A span's probability is the product of
the probabilities of its three outputs.

Stitching: each byte is owned by one inference segment (``segmenting.py``), and
a predicted span is kept only from the segment owning its anchor byte: its last
byte (with the last-byte rule of ownership: the paper's head) or its middle
byte (with the central rule: the span pointer). Either way every span of at
most ``overlap + 1`` bytes is seen whole by the segment that keeps it (31 for
``k = 60``); the middle byte keeps spans away from the segment's edges, where
the span pointer decodes worst (BENCHMARKS.md). A segment emitting the same span
twice keeps one copy with the higher probability; spans that overlap with
different offsets or labels are all kept (``doc.ents`` resolves such conflicts
by probability).
"""

from dataclasses import dataclass
from typing import List, Sequence

import numpy

from ...spans import ByteSpans
from .vocab import SpanVocab

ANCHORS = ("last", "middle")


@dataclass
class SegmentSpans:
    """Triples parsed from decoder outputs, flattened over segments."""

    segment: numpy.ndarray
    starts: numpy.ndarray  # segment-local
    lengths: numpy.ndarray
    labels: numpy.ndarray
    probs: numpy.ndarray

    @classmethod
    def concat(cls, parts: Sequence["SegmentSpans"]) -> "SegmentSpans":
        fields = ("segment", "starts", "lengths", "labels", "probs")
        if not parts:
            return cls(*(numpy.zeros((0,), dtype=numpy.int64) for _ in fields))
        return cls(*(numpy.concatenate([getattr(part, f) for part in parts]) for f in fields))


def parse_outputs(outputs: numpy.ndarray, probs: numpy.ndarray, vocab: SpanVocab) -> SegmentSpans:
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


def stitch(
    spans: SegmentSpans,
    seg_doc: numpy.ndarray,
    seg_offset: numpy.ndarray,
    seg_own_lo: numpy.ndarray,
    seg_own_hi: numpy.ndarray,
    n_docs: int,
    anchor: str = "last",
) -> List[ByteSpans]:
    """Document-level spans from segment-level ones, by the ownership of their
    ``anchor`` byte: "last" or "middle" (``start + (length - 1) // 2``)."""
    if anchor not in ANCHORS:
        raise ValueError(f"anchor must be one of {ANCHORS}, not {anchor!r}")
    starts = seg_offset[spans.segment] + spans.starts
    ends = starts + spans.lengths
    owner = ends - 1 if anchor == "last" else starts + (spans.lengths - 1) // 2
    keep = (owner >= seg_own_lo[spans.segment]) & (owner < seg_own_hi[spans.segment])
    doc = seg_doc[spans.segment][keep]
    starts, ends = starts[keep], ends[keep]
    labels, probs = spans.labels[keep], spans.probs[keep]
    # Order by document, then position; most probable first among exact duplicates.
    order = numpy.lexsort((-probs, labels, ends, starts, doc))
    doc, starts, ends, labels, probs = (a[order] for a in (doc, starts, ends, labels, probs))
    key = numpy.stack([doc, starts, ends, labels], axis=1)
    first = numpy.ones(len(key), dtype=bool)
    first[1:] = (key[1:] != key[:-1]).any(axis=1)
    doc, starts, ends, labels, probs = (a[first] for a in (doc, starts, ends, labels, probs))
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
