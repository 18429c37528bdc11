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

from typing import List, Optional, Sequence

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


def open_label_masks(tags: numpy.ndarray, unannotated: Sequence[int]) -> numpy.ndarray:
    """Per byte, the bit mask of the ``unannotated`` label ids where the tag is O (spans of
    those labels may cover it), else 0 (int64, the shape of ``tags``)."""
    mask = sum(1 << int(label) for label in set(unannotated))
    return numpy.where(tags == 0, mask, 0).astype(numpy.int64)


def stack_open_labels(open_labels: Sequence[Optional[numpy.ndarray]], tags: Sequence[numpy.ndarray]):
    """The masks of several batches in one array, zeros for a batch without them
    (``None``: no batch has any)."""
    if all(o is None for o in open_labels):
        return None
    return numpy.concatenate([numpy.zeros_like(t) if o is None else o for o, t in zip(open_labels, tags)])


def _decoding_order(n: int) -> numpy.ndarray:
    """Tag ids in the order Viterbi works in: O, L-*, U-*, B-*, I-*. The tags an
    O/B/U may follow (O, L, U) are then one slice, as are those computed from them
    (U, B) and the inside ones (L, I): a step is a few whole-slice operations."""
    return numpy.concatenate(
        [[0], numpy.arange(1 + 2 * n, 1 + 3 * n), numpy.arange(1 + 3 * n, 1 + 4 * n), numpy.arange(1, 1 + 2 * n)]
    ).astype(numpy.int64)


def viterbi(log_probs: Sequence[numpy.ndarray], n_labels: int) -> List[numpy.ndarray]:
    """Best well-formed tag sequence of each text, from per-byte log-probabilities.

    ``log_probs[i]`` is (n_bytes_i, n_tags). Where each byte's most probable tag
    is unique and together they are well-formed, that sequence is the best one
    and needs no search (most texts, once a model has learned); the others are
    decoded together, one step per byte of the longest, so a batch of short
    texts costs one pass. Ties go to the first tag in id order among those an
    O/B/U may follow, and to B over I before an I/L.
    """
    result: List[numpy.ndarray] = [_argmax_if_well_formed(lp, n_labels) for lp in log_probs]  # type: ignore
    searched = [i for i, path in enumerate(result) if path is None]
    if searched:
        for i, path in zip(searched, _search([log_probs[i] for i in searched], n_labels)):
            result[i] = path
    return result


def _argmax_if_well_formed(log_probs: numpy.ndarray, n_labels: int) -> Optional[numpy.ndarray]:
    """The per-byte most probable tags if each is unique and they are well-formed, else None."""
    if not len(log_probs):
        return numpy.zeros((0,), dtype=numpy.int64)
    tags = log_probs.argmax(axis=1)
    top = numpy.take_along_axis(log_probs, tags[:, None], axis=1)
    if (log_probs == top).sum() != len(tags):
        return None
    n = max(n_labels, 1)
    kind = numpy.where(tags == 0, 0, (tags - 1) // n + 1)  # 0 O, 1 B, 2 I, 3 L, 4 U
    label = (tags - 1) % n
    opened = (kind == 1) | (kind == 2)  # a span continues past this byte
    before = numpy.concatenate([[False], opened[:-1]])
    continues = (kind == 2) | (kind == 3)
    same_label = numpy.concatenate([[False], label[1:] == label[:-1]])
    if (continues != before).any() or (continues & ~same_label).any() or opened[-1]:
        return None
    return tags.astype(numpy.int64)


def _search(log_probs: Sequence[numpy.ndarray], n_labels: int) -> List[numpy.ndarray]:
    """Constrained Viterbi over a batch of texts (see ``viterbi``)."""
    n_docs = len(log_probs)
    n, t = n_labels, n_tags(n_labels)
    order_of_tags = _decoding_order(n)
    # Columns in decoding order: O | L (1..n+1) | U (n+1..2n+1) | B (2n+1..3n+1) | I (3n+1..)
    o_lu, lo_l, hi_l, lo_b, lo_i = slice(0, 2 * n + 1), 1, n + 1, 2 * n + 1, 3 * n + 1
    lengths = numpy.asarray([len(lp) for lp in log_probs], dtype=numpy.int64)
    # Longest first, so the texts still running at a step are a prefix.
    order = numpy.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    flat = numpy.concatenate([log_probs[i] for i in order.tolist()] + [numpy.zeros((0, t), numpy.float32)])
    flat = numpy.ascontiguousarray(flat[:, order_of_tags], dtype=numpy.float32)
    n_steps = int(sorted_lengths[0])
    # Texts longer than each step; past its end a text may only be O, so at the final
    # (virtual) step every path ends in an ended tag.
    still = numpy.searchsorted(-sorted_lengths, -numpy.arange(n_steps + 1), side="left")
    outside = numpy.full(t, -numpy.inf, dtype=numpy.float32)
    outside[0] = 0.0
    e = numpy.tile(outside, (n_docs, 1))
    rows_at = numpy.concatenate([[0], numpy.cumsum(sorted_lengths)[:-1]]).astype(numpy.int64)
    from_ended = numpy.zeros((n_steps + 1, n_docs), dtype=numpy.int16)  # column before an O/B/U
    from_inside = numpy.zeros((n_steps + 1, n_docs, n), dtype=bool)  # I (True) or B before an I/L
    previous = numpy.tile(outside, (n_docs, 1))  # the start acts as O
    current = numpy.empty_like(previous)
    ended = numpy.empty(n_docs, dtype=numpy.float32)
    inside = numpy.empty((n_docs, n), dtype=numpy.float32)
    rows = numpy.arange(n_docs)
    running = n_docs
    for s in range(n_steps + 1):
        if still[s] < running:
            e[still[s] : running] = outside
            running = int(still[s])
        if running:
            numpy.take(flat, rows_at[:running] + s, axis=0, out=e[:running])
        best = previous[:, o_lu].argmax(axis=1)
        from_ended[s] = best
        ended[:] = previous[rows, best]
        numpy.greater(previous[:, lo_i:], previous[:, lo_b:lo_i], out=from_inside[s])
        numpy.maximum(previous[:, lo_i:], previous[:, lo_b:lo_i], out=inside)
        numpy.add(ended, e[:, 0], out=current[:, 0])
        numpy.add(ended[:, None], e[:, hi_l:lo_i], out=current[:, hi_l:lo_i])
        numpy.add(inside, e[:, lo_l:hi_l], out=current[:, lo_l:hi_l])
        numpy.add(inside, e[:, lo_i:], out=current[:, lo_i:])
        previous, current = current, previous
    # The final step is O; walk back from it, in columns.
    path = numpy.zeros((n_steps + 1, n_docs), dtype=numpy.int64)
    # Per column: its label if it is L or I (it follows B or I of that label), else -1.
    inside_label = numpy.full(t, -1, dtype=numpy.int64)
    inside_label[lo_l:hi_l] = numpy.arange(n)
    inside_label[lo_i:] = numpy.arange(n)
    state = numpy.zeros(n_docs, dtype=numpy.int64)
    for s in range(n_steps, 0, -1):
        path[s] = state
        label = inside_label[state]
        is_in = label >= 0
        label = numpy.maximum(label, 0)
        was_i = from_inside[s, rows, label] if n else numpy.zeros(n_docs, bool)
        state = numpy.where(is_in, numpy.where(was_i, lo_i + label, lo_b + label), from_ended[s])
    path[0] = state
    tags = order_of_tags[path]
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
