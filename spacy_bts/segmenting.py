"""Cutting texts' bytes into the fixed-length segments both heads read (paper, sections 3.2, 5).

Inference: segments of ``k`` bytes start every ``k - overlap`` bytes, the last
one moved back to end exactly at the text's end, so that only a text shorter
than ``k`` gives a PAD-filled segment. Each byte position is *owned* by exactly
one segment, whose prediction for it is kept:

- last-byte rule (seq2seq head): the first segment owns ``[0, k)``, each later
  segment the bytes past the end of its predecessor; a span is kept from the
  segment owning its last byte (``heads/seq2seq/stitching.py``).
- central rule (tagging head): every byte is read from the segment in which it
  is most central (nearest segment centre; ties: the later segment).

Segments of a batch of texts are planned together (``SegmentPlan``) and their
bytes materialized a slice at a time (``segment_inputs``), so memory scales with
the batch, not with the texts.
"""

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy
from numpy.lib.stride_tricks import sliding_window_view

from .byte_text import PAD


@dataclass
class Segments:
    """Segments of ``k`` bytes, PAD-filled past ``n_valid``."""

    inputs: numpy.ndarray  # (n_segments, k) int64
    n_valid: numpy.ndarray  # (n_segments,) int64

    def __len__(self) -> int:
        return self.inputs.shape[0]

    @classmethod
    def concat(cls, parts: Sequence["Segments"], k: int) -> "Segments":
        if not parts:
            return cls(numpy.zeros((0, k), dtype=numpy.int64), numpy.zeros((0,), dtype=numpy.int64))
        return cls(numpy.concatenate([p.inputs for p in parts]), numpy.concatenate([p.n_valid for p in parts]))


def windows(data: numpy.ndarray, offsets: numpy.ndarray, k: int) -> Segments:
    """Segments of ``data`` starting at ``offsets``."""
    # Copy only the stretch of data the windows cover, plus PAD past its end.
    lo = int(offsets.min(initial=0))
    hi = min(len(data), int(offsets.max(initial=0)) + k)
    stretch = numpy.concatenate([data[lo:hi], numpy.full(k, PAD, dtype=numpy.int64)])
    inputs = sliding_window_view(stretch, k)[offsets - lo]
    n_valid = numpy.minimum(k, len(data) - offsets)
    return Segments(numpy.ascontiguousarray(inputs), n_valid.astype(numpy.int64))


def inference_offsets(n_bytes: int, k: int, overlap: int) -> numpy.ndarray:
    """Start offsets of the overlapping inference segments of a text."""
    if n_bytes == 0:
        return numpy.zeros((0,), dtype=numpy.int64)
    stride = k - overlap
    n_segments = 1 if n_bytes <= k else -(-(n_bytes - k) // stride) + 1
    offsets = numpy.arange(n_segments, dtype=numpy.int64) * stride
    offsets[-1] = max(n_bytes - k, 0)
    return offsets


def ownership(offsets: numpy.ndarray, k: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Owned byte range ``[lo, hi)`` of each segment of one text, by the last-byte rule."""
    hi = offsets + k
    lo = numpy.zeros_like(hi)
    lo[1:] = hi[:-1]
    return lo, hi


def central_ownership(offsets: numpy.ndarray, k: int, n_bytes: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Owned byte range ``[lo, hi)`` of each segment by the central rule; the ranges tile ``[0, n_bytes)``."""
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
    """Segments of texts of ``lengths`` bytes, owned by the last-byte or the central rule."""
    parts = []
    for i, n_bytes in enumerate(lengths):
        offsets = inference_offsets(n_bytes, k, overlap)
        lo, hi = central_ownership(offsets, k, n_bytes) if central else ownership(offsets, k)
        parts.append((numpy.full(len(offsets), i, dtype=numpy.int64), offsets, lo, hi))
    if not parts:
        return SegmentPlan(*(numpy.zeros((0,), dtype=numpy.int64) for _ in range(4)))
    return SegmentPlan(*(numpy.concatenate(column) for column in zip(*parts)))


def scatter_owned(plan: SegmentPlan, part: slice, values: numpy.ndarray, outputs: List[numpy.ndarray]) -> None:
    """Copy each segment's owned byte range of ``values`` (one row per segment of ``part``)
    into its text's per-byte ``outputs``."""
    for row, s in enumerate(range(part.start, part.stop)):
        o, lo, hi = plan.offset[s], plan.own_lo[s], plan.own_hi[s]
        outputs[plan.doc[s]][lo:hi] = values[row, lo - o : hi - o]


def segment_inputs(arrays: List[numpy.ndarray], seg_doc: numpy.ndarray, seg_offset: numpy.ndarray, k: int) -> Segments:
    """Materialize only the given segments' bytes: memory scales with the batch."""
    bounds = numpy.flatnonzero(numpy.diff(seg_doc)) + 1
    parts = [
        windows(arrays[int(docs[0])], offsets, k)
        for docs, offsets in zip(numpy.split(seg_doc, bounds), numpy.split(seg_offset, bounds))
        if len(docs)
    ]
    return Segments.concat(parts, k)


def training_offsets(n_bytes: int, k: int, rng: numpy.random.Generator) -> numpy.ndarray:
    """Training segments tiling the text from a random phase (the first and last moved inside),
    so an epoch reads every byte about once."""
    last = max(n_bytes - k, 0)
    phase = int(rng.integers(k))
    return numpy.unique(numpy.clip(numpy.arange(-phase, n_bytes, k), 0, last))


def byte_rows(offsets: numpy.ndarray, k: int, n_bytes: int, first_row: int) -> numpy.ndarray:
    """Flat state index of each byte of a text read in segments at ``offsets``, from
    the segment in which it is most central; the text's first segment is ``first_row``."""
    lo, hi = central_ownership(offsets, k, n_bytes)
    counts = hi - lo
    segment = numpy.repeat(numpy.arange(len(offsets)), counts)
    byte = numpy.arange(n_bytes)
    return (first_row + segment) * k + byte - offsets[segment]


def tiles(values: numpy.ndarray, offsets: numpy.ndarray, k: int, fill: int) -> numpy.ndarray:
    """Rows of ``k`` values starting at ``offsets``, ``fill`` past the end."""
    padded = numpy.concatenate([values.astype(numpy.int64), numpy.full(k, fill, dtype=numpy.int64)])
    return sliding_window_view(padded, k)[offsets].copy()


def split_batch(n: int, size: int) -> List[slice]:
    """Slices of at most ``size`` covering ``range(n)``."""
    return [slice(i, min(i + size, n)) for i in range(0, n, max(size, 1))]
