"""Checking gold spans before they become training targets.

Faulty spans are repaired or skipped, never silently: each is returned as a
``GoldFault`` (kind, character offsets, label, what was done), which the
components count and report with the document it came from.

- outside the text or empty: skipped
- only whitespace: skipped
- leading/trailing whitespace: trimmed (predictions are trimmed the same way)
- label not among the component's labels: skipped
- overlapping an earlier span (by start, longer first): skipped
"""
from dataclasses import dataclass, field
from typing import Container, List, Sequence

import numpy

OUTSIDE = "spans outside the text"
EMPTY = "empty spans"
WHITESPACE_ONLY = "whitespace-only spans"
TRIMMED = "spans with leading/trailing whitespace (trimmed)"
UNKNOWN_LABEL = "spans with labels unseen at initialize"
OVERLAPPING = "overlapping spans"
TOO_LONG = "spans longer than the segment"
UNANNOTATED = "documents without annotation"


@dataclass
class GoldFault:
    """One faulty gold span: its kind, character offsets, label and the repair."""

    kind: str
    start: int
    end: int
    label: str
    action: str

    def describe(self, text: str) -> str:
        snippet = text[max(self.start, 0) : max(self.end, 0)][:40]
        return f"chars [{self.start}, {self.end}) {snippet!r} label {self.label!r}: {self.action}"


@dataclass
class GoldSpans:
    """Usable gold spans in character offsets, and the faults found."""

    starts: numpy.ndarray
    ends: numpy.ndarray
    labels: List[str]
    faults: List[GoldFault] = field(default_factory=list)


def check_gold_spans(
    text: str,
    starts: Sequence[int],
    ends: Sequence[int],
    labels: Sequence[str],
    known_labels: Container[str],
) -> GoldSpans:
    """Repair or skip faulty spans; see the module docstring for the rules."""
    faults: List[GoldFault] = []
    kept = []
    for start, end, label in zip(starts, ends, labels):
        start, end = int(start), int(end)
        if start < 0 or end > len(text):
            faults.append(GoldFault(OUTSIDE, start, end, label, f"skipped (text has {len(text)} chars)"))
            continue
        if end <= start:
            faults.append(GoldFault(EMPTY, start, end, label, "skipped"))
            continue
        piece = text[start:end]
        stripped = piece.strip()
        if not stripped:
            faults.append(GoldFault(WHITESPACE_ONLY, start, end, label, "skipped"))
            continue
        if len(stripped) != len(piece):
            new_start = start + len(piece) - len(piece.lstrip())
            new_end = new_start + len(stripped)
            faults.append(GoldFault(TRIMMED, start, end, label, f"trimmed to [{new_start}, {new_end})"))
            start, end = new_start, new_end
        if label not in known_labels:
            faults.append(GoldFault(UNKNOWN_LABEL, start, end, label, "skipped"))
            continue
        kept.append((start, -end, label))
    kept.sort()
    out_starts: List[int] = []
    out_ends: List[int] = []
    out_labels: List[str] = []
    reach = -1
    for start, neg_end, label in kept:
        end = -neg_end
        if start < reach:
            faults.append(GoldFault(OVERLAPPING, start, end, label, f"skipped (overlaps a span ending at {reach})"))
            continue
        out_starts.append(start)
        out_ends.append(end)
        out_labels.append(label)
        reach = end
    return GoldSpans(
        numpy.asarray(out_starts, dtype=numpy.int64),
        numpy.asarray(out_ends, dtype=numpy.int64),
        out_labels,
        faults,
    )
