"""Cutting byte strings into fixed-length segments (paper, sections 3.2, 3.3, 5).

Training: windows of ``k`` bytes slide through the whole document (not sentence
by sentence) at a fixed stride, or start at random offsets with the same
expected coverage. A window may begin or end mid-word and mid-character. Its
targets are the spans lying wholly inside it, as ``[start, length, label]``
triples ordered by end position, last-ending first (ties: the later start
first), then STOP. A document shorter than ``k`` bytes gives one padded window.

Inference: segments of ``k`` bytes overlapping by ``overlap`` bytes; see
``stitching.py`` for which segment's predictions are kept.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy
from numpy.lib.stride_tricks import sliding_window_view
from spacy.util import registry

from .span_vocab import IGNORE, PAD, SpanVocab


@dataclass
class SegmentBatch:
    """Segments of ``k`` bytes (PAD-filled past ``n_valid``) and optional targets."""

    inputs: numpy.ndarray  # (n_segments, k) int64
    n_valid: numpy.ndarray  # (n_segments,) int64
    targets: Optional[numpy.ndarray] = None  # (n_segments, n_steps) int64, IGNORE-padded
    max_spans: Optional[int] = None  # decoding bound per segment (None: segment length)

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def select(self, index) -> "SegmentBatch":
        targets = None if self.targets is None else self.targets[index]
        if targets is not None and targets.shape[0]:
            # Drop columns that are padding for every selected row.
            width = int((targets != IGNORE).sum(axis=1).max())
            targets = targets[:, :width]
        return SegmentBatch(self.inputs[index], self.n_valid[index], targets)

    @classmethod
    def concat(cls, batches: Sequence["SegmentBatch"], k: int) -> "SegmentBatch":
        if not batches:
            empty = numpy.zeros((0, k), dtype=numpy.int64)
            return cls(empty, numpy.zeros((0,), dtype=numpy.int64))
        inputs = numpy.concatenate([b.inputs for b in batches])
        n_valid = numpy.concatenate([b.n_valid for b in batches])
        if batches[0].targets is None:
            return cls(inputs, n_valid)
        width = max(b.targets.shape[1] for b in batches)
        targets = numpy.full((len(inputs), width), IGNORE, dtype=numpy.int64)
        row = 0
        for b in batches:
            targets[row : row + len(b), : b.targets.shape[1]] = b.targets
            row += len(b)
        return cls(inputs, n_valid, targets)


def _windows(data: numpy.ndarray, offsets: numpy.ndarray, k: int):
    # Copy only the stretch of data the windows cover, plus PAD past its end.
    lo = int(offsets.min(initial=0))
    hi = min(len(data), int(offsets.max(initial=0)) + k)
    stretch = numpy.concatenate([data[lo:hi], numpy.full(k, PAD, dtype=numpy.int64)])
    inputs = sliding_window_view(stretch, k)[offsets - lo]
    n_valid = numpy.minimum(k, len(data) - offsets)
    return numpy.ascontiguousarray(inputs), n_valid.astype(numpy.int64)


def window_batch(data: numpy.ndarray, offsets: numpy.ndarray, k: int) -> SegmentBatch:
    """Segments of ``data`` starting at ``offsets`` (no targets)."""
    return SegmentBatch(*_windows(data, offsets, k))


def segment_inputs(
    arrays: List[numpy.ndarray], seg_doc: numpy.ndarray, seg_offset: numpy.ndarray, k: int
) -> SegmentBatch:
    """Materialize only the given segments' bytes: memory scales with the batch."""
    bounds = numpy.flatnonzero(numpy.diff(seg_doc)) + 1
    parts = [
        window_batch(arrays[int(docs[0])], offsets, k)
        for docs, offsets in zip(numpy.split(seg_doc, bounds), numpy.split(seg_offset, bounds))
        if len(docs)
    ]
    return SegmentBatch.concat(parts, k)


def inference_offsets(n_bytes: int, k: int, overlap: int) -> numpy.ndarray:
    """Start offsets of the overlapping inference segments of a text.

    Segments start every ``k - overlap`` bytes; the last one is moved back to
    end exactly at the text's end, so that, as in training, only a text shorter
    than ``k`` gives a PAD-filled segment.
    """
    if n_bytes == 0:
        return numpy.zeros((0,), dtype=numpy.int64)
    stride = k - overlap
    n_segments = 1 if n_bytes <= k else -(-(n_bytes - k) // stride) + 1
    offsets = numpy.arange(n_segments, dtype=numpy.int64) * stride
    offsets[-1] = max(n_bytes - k, 0)
    return offsets


def inference_segments(
    data: numpy.ndarray, k: int, overlap: int
) -> "tuple[SegmentBatch, numpy.ndarray]":
    """Segments covering ``data`` and their start offsets."""
    offsets = inference_offsets(len(data), k, overlap)
    return window_batch(data, offsets, k), offsets


def order_spans(starts, ends, labels):
    """Sort spans backward by end position (ties: later start first)."""
    order = numpy.lexsort((-numpy.asarray(starts), -numpy.asarray(ends)))
    return (
        numpy.asarray(starts, dtype=numpy.int64)[order],
        numpy.asarray(ends, dtype=numpy.int64)[order],
        numpy.asarray(labels, dtype=numpy.int64)[order],
    )


def window_targets(
    offsets: numpy.ndarray,
    starts: numpy.ndarray,
    ends: numpy.ndarray,
    labels: numpy.ndarray,
    vocab: SpanVocab,
) -> numpy.ndarray:
    """Target output ids of each window: its contained spans, backward, then STOP."""
    k = vocab.k
    offsets = numpy.asarray(offsets, dtype=numpy.int64)
    # Backward order, reversed: ascending by (end, start). Candidates for a window
    # are the spans ending in (offset, offset + k], a contiguous run.
    starts, ends, labels = (a[::-1] for a in order_spans(starts, ends, labels))
    lo = numpy.searchsorted(ends, offsets, side="right")
    hi = numpy.searchsorted(ends, offsets + k, side="right")
    n_cand = hi - lo
    win = numpy.repeat(numpy.arange(len(offsets)), n_cand)
    run_start = numpy.repeat(numpy.cumsum(n_cand) - n_cand, n_cand)
    span = numpy.arange(len(win)) - run_start + numpy.repeat(lo, n_cand)
    keep = starts[span] >= offsets[win]
    win, span = win[keep], span[keep]
    counts = numpy.bincount(win, minlength=len(offsets))
    n_steps = 3 * int(counts.max(initial=0)) + 1
    targets = numpy.full((len(offsets), n_steps), IGNORE, dtype=numpy.int64)
    if len(win):
        first = numpy.searchsorted(win, win, side="left")
        # Reverse within each window to get last-ending first.
        rank = counts[win] - 1 - (numpy.arange(len(win)) - first)
        triples = vocab.encode_triples(
            starts[span] - offsets[win], ends[span] - starts[span], labels[span]
        )
        for j in range(3):
            targets[win, 3 * rank + j] = triples[:, j]
    targets[numpy.arange(len(offsets)), 3 * counts] = vocab.stop
    return targets


def training_segments(
    data: numpy.ndarray,
    starts: numpy.ndarray,
    ends: numpy.ndarray,
    labels: numpy.ndarray,
    offsets: numpy.ndarray,
    vocab: SpanVocab,
) -> SegmentBatch:
    """Windows of ``data`` at ``offsets`` with their targets."""
    inputs, n_valid = _windows(data, offsets, vocab.k)
    targets = window_targets(offsets, starts, ends, labels, vocab)
    return SegmentBatch(inputs, n_valid, targets)


# Window samplers: (n_bytes, k, rng) -> start offsets. Registered in spacy's
# ``misc`` registry so the choice is a component setting in the config.
WindowSampler = Callable[[int, int, numpy.random.Generator], numpy.ndarray]


@dataclass(frozen=True)
class SlidingWindows:
    """Windows every ``stride`` bytes, the last one at most ``stride - 1`` bytes from the end."""

    stride: int = 1

    def __call__(self, n_bytes: int, k: int, rng: numpy.random.Generator) -> numpy.ndarray:
        return numpy.arange(0, max(n_bytes - k, 0) + 1, self.stride, dtype=numpy.int64)


@dataclass(frozen=True)
class RandomWindows:
    """Windows at uniformly random offsets, ``rate`` windows per possible offset."""

    rate: float = 1.0

    def __call__(self, n_bytes: int, k: int, rng: numpy.random.Generator) -> numpy.ndarray:
        n_positions = max(n_bytes - k, 0) + 1
        expected = self.rate * n_positions
        count = int(expected) + int(rng.random() < expected - int(expected))
        count = max(count, 1)
        return numpy.sort(rng.integers(0, n_positions, size=count)).astype(numpy.int64)


@registry.misc("spacy-bts.sliding_windows.v1")
def sliding_windows(stride: int = 1) -> WindowSampler:
    """Windows every ``stride`` bytes (paper: stride 1)."""
    if stride < 1:
        raise ValueError(f"sliding_windows: stride must be >= 1, got {stride}")
    return SlidingWindows(stride)


@registry.misc("spacy-bts.random_windows.v1")
def random_windows(rate: float = 1.0) -> WindowSampler:
    """Windows at random offsets; ``rate=1/s`` has the expected coverage of stride ``s``.

    Every document gives at least one window.
    """
    if rate <= 0:
        raise ValueError(f"random_windows: rate must be > 0, got {rate}")
    return RandomWindows(rate)


def split_batch(n: int, size: int) -> List[slice]:
    """Slices of at most ``size`` covering ``range(n)``."""
    return [slice(i, min(i + size, n)) for i in range(0, n, max(size, 1))]
