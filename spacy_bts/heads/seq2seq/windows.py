"""The seq2seq head's training windows and their targets (paper, sections 3.2, 3.3).

Windows of ``k`` bytes slide through the whole document (not sentence by
sentence) at a fixed stride, or start at random offsets with the same expected
coverage. A window may begin or end mid-word and mid-character. Its targets are
the spans lying wholly inside it, as ``[start, length, label]`` triples ordered
by end position, last-ending first (ties: the later start first), then STOP. A
document shorter than ``k`` bytes gives one padded window.
"""

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy
from spacy.util import registry

from ...segmenting import windows
from .vocab import IGNORE, SpanVocab


@dataclass
class SegmentBatch:
    """Segments of ``k`` bytes (PAD-filled past ``n_valid``) and optional targets."""

    inputs: numpy.ndarray  # (n_segments, k) int64
    n_valid: numpy.ndarray  # (n_segments,) int64
    targets: Optional[numpy.ndarray] = None  # (n_segments, n_steps) int64, IGNORE-padded
    max_spans: Optional[int] = None  # decoding bound per segment (None: segment length)

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def torch_args(self):
        if self.targets is not None:
            kwargs = {"targets": self.targets}
        else:
            kwargs = {} if self.max_spans is None else {"max_spans": self.max_spans}
        return (self.inputs, self.n_valid), kwargs

    def select(self, index) -> "SegmentBatch":
        targets = None if self.targets is None else trim_targets(self.targets[index])
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
        return cls(inputs, n_valid, stack_targets([b.targets for b in batches]))


def trim_targets(targets: numpy.ndarray) -> numpy.ndarray:
    """``targets`` without the columns that are padding in every row."""
    if not targets.shape[0]:
        return targets
    return targets[:, : int((targets != IGNORE).sum(axis=1).max())]


def stack_targets(parts: Sequence[numpy.ndarray]) -> numpy.ndarray:
    """Target rows of several batches in one array, IGNORE-padded to the widest."""
    width = max(part.shape[1] for part in parts)
    targets = numpy.full((sum(len(part) for part in parts), width), IGNORE, dtype=numpy.int64)
    row = 0
    for part in parts:
        targets[row : row + len(part), : part.shape[1]] = part
        row += len(part)
    return targets


def windows_with_known_bytes(offsets: numpy.ndarray, k: int, known: Optional[numpy.ndarray]) -> numpy.ndarray:
    """The window offsets whose ``k`` bytes all have annotation (``known``; None: all do).
    A window holding bytes with missing annotation has unknown targets."""
    if known is None:
        return offsets
    unknown_before = numpy.concatenate([[0], numpy.cumsum(~known)])
    ends = numpy.minimum(offsets + k, len(known))
    return offsets[unknown_before[ends] == unknown_before[offsets]]


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
        triples = vocab.encode_triples(starts[span] - offsets[win], ends[span] - starts[span], labels[span])
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
    segments = windows(data, offsets, vocab.k)
    targets = window_targets(offsets, starts, ends, labels, vocab)
    return SegmentBatch(segments.inputs, segments.n_valid, targets)


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
    """Windows at uniformly random offsets, ``rate`` windows per possible offset;
    each one, with probability ``past_end``, starts instead in the text's last
    ``k - 1`` bytes, so that it runs past the end (as a text shorter than a window does)."""

    rate: float = 1.0
    past_end: float = 0.0

    def __call__(self, n_bytes: int, k: int, rng: numpy.random.Generator) -> numpy.ndarray:
        n_positions = max(n_bytes - k, 0) + 1
        expected = self.rate * n_positions
        count = int(expected) + int(rng.random() < expected - int(expected))
        count = max(count, 1)
        offsets = rng.integers(0, n_positions, size=count)
        if self.past_end > 0 and n_bytes >= k:
            tail = rng.random(count) < self.past_end
            offsets[tail] = rng.integers(n_bytes - k + 1, n_bytes, size=int(tail.sum()))
        return numpy.sort(offsets).astype(numpy.int64)


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


@registry.misc("spacy-bts.random_windows.v2")
def random_windows_v2(rate: float = 1.0, past_end: float = 0.0) -> WindowSampler:
    """As v1, and with probability ``past_end`` a window starts in the text's last
    window-length bytes and runs past its end: practice for texts shorter than a
    window (single sentences), which windows inside a long text never give.
    """
    if rate <= 0 or not 0 <= past_end <= 1:
        raise ValueError(f"random_windows: need rate > 0 and 0 <= past_end <= 1, got {rate}, {past_end}")
    return RandomWindows(rate, past_end)
