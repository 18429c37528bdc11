"""Putting character spans onto a Doc's tokens.

BTS predicts character offsets without a tokenizer, so a predicted boundary can
fall inside a token. The components either split such tokens (exact offsets)
or use spaCy's ``Doc.char_span`` alignment modes (expand/contract/strict).
"""

from typing import Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.attrs import ENT_IOB, IDX, LENGTH
from spacy.tokens import Doc, Span

ALIGNMENT_MODES = ("split", "expand", "contract", "strict")


def split_tokens_at(doc: Doc, offsets: Iterable[int]) -> int:
    """Split every token that has one of ``offsets`` strictly inside its text.

    Returns the number of tokens split. The Doc's text is unchanged.
    """
    offsets = sorted(set(int(o) for o in offsets))
    if not offsets or not len(doc):
        return 0
    # One array read, not a Python object per token.
    bounds = doc.to_array([IDX, LENGTH]).astype(numpy.int64)
    token_starts, token_ends = bounds[:, 0], bounds[:, 0] + bounds[:, 1]
    cuts = {}
    for offset in offsets:
        i = int(numpy.searchsorted(token_starts, offset, side="right")) - 1
        if i >= 0 and token_starts[i] < offset < token_ends[i]:
            cuts.setdefault(i, []).append(offset - int(token_starts[i]))
    if not cuts:
        return 0
    with doc.retokenize() as retokenizer:
        for i, positions in cuts.items():
            token = doc[i]
            bounds = [0, *positions, len(token.text)]
            orths = [token.text[a:b] for a, b in zip(bounds, bounds[1:])]
            # Attach every piece to the first one: keeps any parse well-formed.
            heads = [(token, 0)] * len(orths)
            retokenizer.split(token, orths, heads=heads)
    return len(cuts)


def preset_entities(doc: Doc) -> Tuple[Span, ...]:
    """``doc.ents``, without building it when no token is in an entity (the usual case
    in a pipeline): reading ``doc.ents`` walks every token in Python."""
    iob = doc.to_array(ENT_IOB)
    return doc.ents if ((iob == 1) | (iob == 3)).any() else ()


def merge_tokens_to(doc: Doc, starts: Sequence[int], ends: Sequence[int]) -> int:
    """Merge the tokens that exactly make up each ``[start, end)``, if several."""
    to_merge: List[Span] = []
    for start, end in zip(starts, ends):
        span = doc.char_span(int(start), int(end), alignment_mode="strict")
        if span is not None and len(span) > 1:
            to_merge.append(span)
    # Overlapping merges are not allowed: keep the first of each conflict.
    used = numpy.zeros(len(doc), dtype=bool)
    kept = []
    for span in sorted(to_merge, key=lambda s: (s.start, -s.end)):
        if not used[span.start : span.end].any():
            used[span.start : span.end] = True
            kept.append(span)
    if kept:
        with doc.retokenize() as retokenizer:
            for span in kept:
                retokenizer.merge(span)
    return len(kept)


def char_spans(
    doc: Doc,
    starts: Sequence[int],
    ends: Sequence[int],
    labels: Sequence[str],
    mode: str,
) -> List[Optional[Span]]:
    """Spans for character offsets; ``None`` where ``mode`` cannot align one.

    With ``mode="split"`` the tokens must already be split at the offsets.
    """
    align = "strict" if mode == "split" else mode
    return [
        doc.char_span(int(s), int(e), label=label, alignment_mode=align) for s, e, label in zip(starts, ends, labels)
    ]


def select_non_overlapping(
    starts: Sequence[int],
    ends: Sequence[int],
    scores: Sequence[float],
    blocked: Iterable[Tuple[int, int]] = (),
) -> List[int]:
    """Indices of spans kept most probable first, skipping any that overlaps one
    kept or a ``blocked`` range; in order of start. Offsets are ``[start, end)``
    in one unit, tokens or characters."""
    blocked = list(blocked)
    size = max([0, *(int(e) for e in ends), *(int(e) for _, e in blocked)])
    used = numpy.zeros(size, dtype=bool)
    for start, end in blocked:
        used[start:end] = True
    kept = []
    for i in sorted(range(len(starts)), key=lambda i: (-scores[i], starts[i], ends[i])):
        if not used[starts[i] : ends[i]].any():
            used[starts[i] : ends[i]] = True
            kept.append(i)
    return sorted(kept, key=lambda i: (starts[i], ends[i]))
