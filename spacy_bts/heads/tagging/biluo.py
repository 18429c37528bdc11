"""BILUO tags over bytes: gold spans to per-byte tags, and constrained Viterbi back to spans.

Tag ids for ``n`` labels, in blocks so each kind is one slice::

    0            O (outside)
    1 + l        B-label l (first byte of a span of two or more bytes)
    1 + n + l    I-label l (inside)
    1 + 2n + l   L-label l (last byte)
    1 + 3n + l   U-label l (a one-byte span)

Decoding finds the most probable tag sequence of a whole document under the
BILUO grammar (a span opens with B or U, continues with I of the same label,
closes with L), so every output is a well-formed, non-overlapping span set of
any length. The grammar has a shape that makes each step O(labels): every
O/B/U tag may only follow an "ended" tag (O, L or U, or the text's start), and
I/L-label-l only B/I-label-l.
"""

from typing import List, Sequence

import numpy

from ...spans import ByteSpans

IGNORE_TAG = -1


def n_tags(n_labels: int) -> int:
    return 1 + 4 * n_labels


def spans_to_tags(
    n_bytes: int, starts: numpy.ndarray, ends: numpy.ndarray, labels: numpy.ndarray, n_labels: int
) -> numpy.ndarray:
    """Per-byte BILUO tags (int64) of non-overlapping byte spans."""
    tags = numpy.zeros(n_bytes, dtype=numpy.int64)
    starts, ends, labels = (numpy.asarray(a, dtype=numpy.int64) for a in (starts, ends, labels))
    lengths = ends - starts
    inner = numpy.repeat(labels, lengths)
    position = numpy.arange(int(lengths.sum())) - numpy.repeat(numpy.cumsum(lengths) - lengths, lengths)
    tags[numpy.repeat(starts, lengths) + position] = 1 + n_labels + inner  # I
    multi = lengths > 1
    tags[starts[multi]] = 1 + labels[multi]  # B
    tags[ends[multi] - 1] = 1 + 2 * n_labels + labels[multi]  # L
    tags[starts[~multi]] = 1 + 3 * n_labels + labels[~multi]  # U
    return tags


def viterbi(log_probs: Sequence[numpy.ndarray], n_labels: int) -> List[numpy.ndarray]:
    """Best well-formed tag sequence of each text, from per-byte log-probabilities.

    ``log_probs[i]`` is (n_bytes_i, n_tags). Texts are decoded together, one
    step per byte of the longest, so a batch of short texts costs one pass.
    """
    n_docs = len(log_probs)
    if n_docs == 0:
        return []
    n, t = n_labels, n_tags(n_labels)
    lengths = numpy.asarray([len(lp) for lp in log_probs], dtype=numpy.int64)
    # Longest first, so the texts still running at a step are a prefix.
    order = numpy.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    flat = numpy.concatenate([log_probs[i] for i in order.tolist()] + [numpy.zeros((0, t), numpy.float32)])
    first_row = numpy.concatenate([[0], numpy.cumsum(sorted_lengths)[:-1]])
    n_steps = int(sorted_lengths[0])
    # Past its end a text may only be O, so at the final (virtual) step every
    # path ends in an ended tag.
    outside = numpy.full(t, -numpy.inf, dtype=numpy.float32)
    outside[0] = 0.0
    e = numpy.tile(outside, (n_docs, 1))
    from_ended = numpy.zeros((n_steps + 1, n_docs), dtype=numpy.int16)  # tag before an O/B/U
    from_inside = numpy.zeros((n_steps + 1, n_docs, n), dtype=bool)  # I (True) or B before an I/L
    rows = numpy.arange(n_docs)
    ended_ids = numpy.concatenate([[0], numpy.arange(1 + 2 * n, 1 + 4 * n)])  # O, L-*, U-*
    b, i_, l_, u = slice(1, 1 + n), slice(1 + n, 1 + 2 * n), slice(1 + 2 * n, 1 + 3 * n), slice(1 + 3 * n, t)
    previous = numpy.tile(outside, (n_docs, 1))  # the start acts as O
    running = n_docs
    for s in range(n_steps + 1):
        still = int(numpy.searchsorted(-sorted_lengths, -s, side="left"))  # texts longer than s
        if still < running:
            e[still:running] = outside
            running = still
        if running:
            e[:running] = flat[first_row[:running] + s]
        candidates = previous[:, ended_ids]
        best = candidates.argmax(axis=1)
        ended = candidates[rows, best]
        from_ended[s] = ended_ids[best]
        use_i = previous[:, i_] > previous[:, b]
        from_inside[s] = use_i
        inside = numpy.where(use_i, previous[:, i_], previous[:, b])
        current = numpy.empty_like(previous)
        current[:, 0] = ended + e[:, 0]
        current[:, b] = ended[:, None] + e[:, b]
        current[:, i_] = inside + e[:, i_]
        current[:, l_] = inside + e[:, l_]
        current[:, u] = ended[:, None] + e[:, u]
        previous = current
    # The final step is O; walk back from it.
    tags = numpy.zeros((n_steps + 1, n_docs), dtype=numpy.int64)
    state = numpy.zeros(n_docs, dtype=numpy.int64)
    for s in range(n_steps, 0, -1):
        tags[s] = state
        is_in = (state >= 1 + n) & (state < 1 + 3 * n)  # I or L
        label = (state - 1) % max(n, 1)
        was_i = from_inside[s, rows, numpy.where(is_in, label, 0)] if n else numpy.zeros(n_docs, bool)
        state = numpy.where(is_in, numpy.where(was_i, 1 + n + label, 1 + label), from_ended[s])
    tags[0] = state
    result: List[numpy.ndarray] = [None] * n_docs  # type: ignore[list-item]
    for j, doc in enumerate(order.tolist()):
        result[doc] = tags[: sorted_lengths[j], j].copy()
    return result


def tags_to_spans(tags: numpy.ndarray, log_probs: numpy.ndarray, n_labels: int) -> ByteSpans:
    """Spans of a well-formed tag sequence; a span's score is the geometric mean of
    its bytes' tag probabilities."""
    n = n_labels
    kind = numpy.where(tags == 0, 0, (tags - 1) // max(n, 1) + 1)  # 0 O, 1 B, 2 I, 3 L, 4 U
    starts = numpy.flatnonzero((kind == 1) | (kind == 4))
    ends = numpy.flatnonzero((kind == 3) | (kind == 4)) + 1
    labels = (tags[starts] - 1) % max(n, 1)
    chosen = log_probs[numpy.arange(len(tags)), tags] if len(tags) else numpy.zeros(0)
    cumulative = numpy.concatenate([[0.0], numpy.cumsum(chosen, dtype=numpy.float64)])
    mean = (cumulative[ends] - cumulative[starts]) / numpy.maximum(ends - starts, 1)
    return ByteSpans(
        starts.astype(numpy.int64),
        ends.astype(numpy.int64),
        labels.astype(numpy.int64),
        numpy.exp(mean).astype(numpy.float32),
    )
