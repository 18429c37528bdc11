"""From reference Docs to the head's training batch: gold spans checked, then in bytes.

Training targets come from each example's *reference* text and gold character
offsets (converted to bytes), never from the predicted tokenization, so gold
spans the tokenizer cannot represent are not lost.

Faulty spans are repaired or skipped, never silently: each is returned as a
``GoldFault`` (kind, character offsets, label, what was done), which the
components count and report with the document it came from.

- outside the text or empty: skipped
- only whitespace: skipped
- leading/trailing whitespace: trimmed (predictions are trimmed the same way)
- label not among the component's labels: skipped
- overlapping an earlier span (by start, longer first): skipped, unless the head
  emits overlapping spans (``overlapping_spans``); then only an exact repeat is
  skipped
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Container, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from spacy.training import Example

from ..byte_text import ByteText
from ..spans import overlap_free, trim_span

OUTSIDE = "spans outside the text"
EMPTY = "empty spans"
WHITESPACE_ONLY = "whitespace-only spans"
TRIMMED = "spans with leading/trailing whitespace (trimmed)"
UNKNOWN_LABEL = "spans with labels unseen at initialize"
OVERLAPPING = "overlapping spans"
UNANNOTATED_LABELS = "documents with unannotated labels the head cannot leave unknown"
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
    overlapping: bool = False,
) -> GoldSpans:
    """Repair or skip faulty spans; see the module docstring for the rules.

    ``overlapping``: spans may overlap or nest (a repeated span is still skipped).
    """
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
        new_start, new_end = trim_span(text, start, end)
        if new_end <= new_start:
            faults.append(GoldFault(WHITESPACE_ONLY, start, end, label, "skipped"))
            continue
        if (new_start, new_end) != (start, end):
            faults.append(GoldFault(TRIMMED, start, end, label, f"trimmed to [{new_start}, {new_end})"))
            start, end = new_start, new_end
        if label not in known_labels:
            faults.append(GoldFault(UNKNOWN_LABEL, start, end, label, "skipped"))
            continue
        kept.append((start, end, label))
    if overlapping:
        kept, repeated = drop_repeated(kept)
        for start, end, label in repeated:
            faults.append(GoldFault(OVERLAPPING, start, end, label, "skipped (the same span is given twice)"))
    else:
        kept, dropped = drop_overlapping(kept)
        for (start, end, label), reach in dropped:
            faults.append(GoldFault(OVERLAPPING, start, end, label, f"skipped (overlaps a span ending at {reach})"))
    out_starts = [start for start, _, _ in kept]
    out_ends = [end for _, end, _ in kept]
    out_labels = [label for _, _, label in kept]
    return GoldSpans(
        numpy.asarray(out_starts, dtype=numpy.int64),
        numpy.asarray(out_ends, dtype=numpy.int64),
        out_labels,
        faults,
    )


def drop_overlapping(spans: List[Tuple[int, int, str]]):
    """Spans by start, longer first (then by label); one overlapping a span kept before it is dropped.

    Returns the kept ``(start, end, label)`` and each dropped one with the end of the span it overlaps.
    """
    kept, dropped = overlap_free(*zip(*spans)) if spans else ([], [])
    return [spans[i] for i in kept], [(spans[i], reach) for i, reach in dropped]


def drop_repeated(spans: List[Tuple[int, int, str]]):
    """Spans by start, longer first (then by label), each kept once; returns the kept and the repeats."""
    kept: List[Tuple[int, int, str]] = []
    repeated = []
    for span in sorted(spans, key=lambda span: (span[0], -span[1], span[2])):
        (repeated if kept and kept[-1] == span else kept).append(span)
    return kept, repeated


# A component's gold in one reference doc: (starts, ends, labels, unknown char ranges, labels the doc
# does not annotate), None if unannotated.
GoldReader = Callable[[Doc], Optional[Tuple[List[int], List[int], List[str], List[Tuple[int, int]], Sequence[str]]]]


def training_batch(
    head,
    examples: Iterable[Example],
    label_ids: Dict[str, int],
    read_gold: GoldReader,
    describe: Callable[[Doc], str],
    rng: numpy.random.Generator,
    task_annotation: str,
):
    """The head's batch for the examples, the faults found by kind, and the first of each."""
    found: Counter = Counter()
    first: Dict[str, str] = {}
    batches = []

    def note(kind: str, doc: Doc, what: str) -> None:
        found[kind] += 1
        if kind not in first:
            first[kind] = f"{describe(doc)}: {what}"

    for example in examples:
        doc = example.reference
        if not doc.text:
            continue
        gold_spans = read_gold(doc)
        if gold_spans is None:
            note(UNANNOTATED, doc, f"no {task_annotation} annotation; skipped")
            continue
        starts, ends, labels, unknown, unannotated_labels = gold_spans
        gold = check_gold_spans(
            doc.text, starts, ends, labels, label_ids, overlapping=getattr(head, "overlapping_spans", False)
        )
        for fault in gold.faults:
            note(fault.kind, doc, fault.describe(doc.text))
        text = ByteText(doc.text)
        b_starts, b_ends = text.chars_to_bytes(gold.starts, gold.ends)
        ids = numpy.asarray([label_ids[n] for n in gold.labels], dtype=numpy.int64)
        longest = head.max_span_bytes
        fits = numpy.ones(len(ids), dtype=bool) if longest is None else (b_ends - b_starts) <= longest
        for j in numpy.flatnonzero(~fits).tolist():
            note(
                TOO_LONG,
                doc,
                f"chars [{gold.starts[j]}, {gold.ends[j]}) label {gold.labels[j]!r} has "
                f"{b_ends[j] - b_starts[j]} bytes > segment_length={longest}; skipped",
            )
        known = known_bytes(text, unknown)
        extra = {}
        open_ids = sorted(label_ids[name] for name in set(unannotated_labels) if name in label_ids)
        if open_ids and getattr(head, "leaves_labels_unknown", False):
            extra["unannotated"] = open_ids
        elif open_ids:
            note(UNANNOTATED_LABELS, doc, f"labels {sorted(unannotated_labels)} learned as absent")
        if getattr(head, "reads_docs", False):
            extra["doc"] = example.predicted
        batch = head.document_batch(text.as_array(), b_starts[fits], b_ends[fits], ids[fits], rng, known=known, **extra)
        batches.append(batch)
    return head.concat(batches), found, first


def known_bytes(text: ByteText, unknown: Sequence[Tuple[int, int]]) -> Optional[numpy.ndarray]:
    """Per-byte mask of annotated bytes (None: all are)."""
    if not unknown:
        return None
    starts, ends = text.chars_to_bytes(*(numpy.asarray(a, dtype=numpy.int64) for a in zip(*unknown)))
    depth = numpy.zeros(len(text) + 1, dtype=numpy.int64)
    numpy.add.at(depth, starts, 1)
    numpy.add.at(depth, ends, -1)
    return numpy.cumsum(depth[:-1]) == 0
