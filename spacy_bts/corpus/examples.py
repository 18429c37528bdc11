"""Reference Docs and Examples from character-offset annotations, in any script.

spaCy's ``Example.from_dict`` aligns each span to the tokens of
``nlp.make_doc(text)``, so a span that begins or ends inside a token (unspaced
Japanese, Chinese or Thai; an entity with a suffix attached, "Luckow-Nielsens")
is dropped with warning W030 and never reaches the component. The reference
Docs built here are cut at every span boundary instead; elsewhere their tokens
are the tokenizer's, so that reference and predicted Docs align token for token
wherever they can.

- ``task="ner"``: the spans are entities. They go to ``doc.ents`` (every other
  token is outside an entity, so a text without spans is a text without
  entities). Overlapping entities cannot all be in ``doc.ents``: then all spans
  go to ``doc.spans[spans_key]``, which ``bts_ner`` reads first, and
  ``doc.ents`` holds the non-overlapping ones it trains on (by start, longer
  first; it reports the others as skipped).
- ``task="pos"``: the spans are words with Universal POS tags, one token each.
  Characters no word covers are whitespace or untagged tokens, which the
  component treats as unknown (no target), as spaCy treats missing annotation.

A span that cannot be put on a Doc raises a ValueError naming the text and the
span: malformed, outside the text, empty; for POS also overlapping words,
whitespace-only words and labels that are not UPOS tags. Spans a Doc can hold
but the component cannot use are left to its gold checks, which repair or skip
and report them (whitespace at a span's edges, whitespace-only entities).
"""

from numbers import Integral
from typing import Any, List, Mapping, Optional, Sequence, Set, Tuple

from spacy.language import Language
from spacy.tokens import Doc, SpanGroup
from spacy.training import Example

from ..pipeline.gold import drop_overlapping
from ..pipeline.pos import UPOS_TAGS

TASKS = ("ner", "pos")
# The components' default spans keys (the factories' names).
DEFAULT_SPANS_KEYS = {"ner": "bts_ner", "pos": "bts_pos"}

CharSpan = Tuple[int, int, str]


def example_from_spans(
    nlp: Language, text: str, spans: Sequence[Any], *, task: str = "ner", spans_key: Optional[str] = None,
    unannotated_labels: Sequence[str] = (),
) -> Example:  # fmt: skip
    """An Example for ``nlp.initialize`` / ``nlp.update`` that keeps every span.

    The predicted Doc is ``nlp.make_doc(text)``, the reference Doc
    ``reference_doc(nlp, text, spans, ...)`` with the same settings.
    ``spans``: ``(start, end, label)`` triples or ``{"start", "end", "label"}``
    objects in character offsets of ``text``.
    """
    predicted = nlp.make_doc(text)
    return Example(predicted, _reference(nlp, predicted, spans, task, spans_key, unannotated_labels))


def reference_doc(
    nlp: Language, text: str, spans: Sequence[Any], *, task: str = "ner", spans_key: Optional[str] = None,
    unannotated_labels: Sequence[str] = (),
) -> Doc:  # fmt: skip
    """A Doc of ``text`` whose tokens are cut at every span boundary, annotated with the spans.

    ``task="ner"`` sets entities, ``task="pos"`` words with UPOS tags (see the
    module docstring). ``spans_key`` (default: the component's, ``bts_ner``)
    holds overlapping entities. ``unannotated_labels`` (NER): labels the text
    is not annotated for, unknown rather than absent (stored on the
    ``spans_key`` group). Raises ValueError for spans a Doc cannot hold.
    """
    return _reference(nlp, nlp.make_doc(text), spans, task, spans_key, unannotated_labels)


def check_unannotated_labels(labels: Any) -> None:
    """Raise a ValueError unless ``labels`` is a list (or tuple) of non-empty strings."""
    if not isinstance(labels, (list, tuple)) or not all(isinstance(label, str) and label for label in labels):
        raise ValueError(f"'unannotated_labels' must be a list of labels, not {labels!r}")


def parse_spans(text: str, spans: Sequence[Any]) -> List[CharSpan]:
    """``(start, end, label)`` of each span, checked to lie inside ``text``."""
    if isinstance(spans, (str, bytes, Mapping)) or not isinstance(spans, Sequence):
        raise ValueError(f"{_text(text)}: spans must be a list, not {type(spans).__name__}")
    return [_parse_span(text, span) for span in spans]


def _parse_span(text: str, span: Any) -> CharSpan:
    if isinstance(span, Mapping):
        missing = [key for key in ("start", "end", "label") if key not in span]
        if missing:
            raise _span_error(text, span, f"missing {', '.join(missing)}")
        start, end, label = span["start"], span["end"], span["label"]
    elif isinstance(span, (list, tuple)) and len(span) == 3:
        start, end, label = span
    else:
        raise _span_error(text, span, 'expected [start, end, label] or {"start": ..., "end": ..., "label": ...}')
    if not all(isinstance(o, Integral) and not isinstance(o, bool) for o in (start, end)):
        raise _span_error(text, span, "start and end must be integers (character offsets)")
    if not isinstance(label, str) or not label:
        raise _span_error(text, span, "the label must be a non-empty string")
    if not 0 <= start < end <= len(text):
        raise _span_error(text, span, f"not a non-empty range of the text's {len(text)} characters")
    return int(start), int(end), label


def _reference(
    nlp: Language, predicted: Doc, spans: Sequence[Any], task: str, spans_key: Optional[str],
    unannotated_labels: Sequence[str] = (),
) -> Doc:  # fmt: skip
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    if unannotated_labels and task != "ner":
        raise ValueError(f"unannotated_labels are for task 'ner', not {task!r}")
    check_unannotated_labels(unannotated_labels)
    text = predicted.text
    parsed = parse_spans(text, spans)
    if task == "pos":
        _check_words(text, parsed)
    span_starts = {s for s, _, _ in parsed}
    span_ends = {e for _, e, _ in parsed}
    # The tokenizer's boundaries, less those inside a POS word: a word is one token.
    inside_words = _inside(parsed) if task == "pos" else set()
    cuts = {o for t in predicted for o in (t.idx, t.idx + len(t.text)) if o not in inside_words}
    # Where the tokenizer has a single space as a token's trailing whitespace.
    trailing = {t.idx + len(t.text) for t in predicted if t.whitespace_}
    doc = _cut_doc(nlp, text, cuts | span_starts | span_ends, trailing, span_starts, span_ends)
    if task == "ner":
        _set_entities(doc, parsed, spans_key or DEFAULT_SPANS_KEYS["ner"], unannotated_labels)
    else:
        for start, end, tag in parsed:
            span = doc.char_span(start, end)
            span[0].pos_ = tag
    return doc


def _check_words(text: str, words: List[CharSpan]) -> None:
    previous: Optional[CharSpan] = None
    for word in sorted(words):
        start, end, tag = word
        if tag not in UPOS_TAGS:
            raise _span_error(text, list(word), f"{tag!r} is not a Universal POS tag")
        if not text[start:end].strip():
            raise _span_error(text, list(word), "a word of only whitespace")
        if previous is not None and start < previous[1]:
            raise _span_error(text, list(word), f"overlaps the word {list(previous)}; words must not overlap")
        previous = word


def _inside(spans: List[CharSpan]) -> Set[int]:
    return {o for start, end, _ in spans for o in range(start + 1, end)}


def _cut_doc(nlp: Language, text: str, cuts: Set[int], trailing: Set[int], starts: Set[int], ends: Set[int]) -> Doc:
    bounds = sorted({0, len(text)} | cuts)
    words: List[str] = []
    spaces: List[bool] = []
    for a, b in zip(bounds, bounds[1:]):
        # A space the tokenizer keeps as trailing whitespace stays so (the tokens then match the
        # predicted ones), unless a span starts on it or ends after it: then it is a token.
        if text[a:b] == " " and a in trailing and words and a not in starts and b not in ends:
            spaces[-1] = True
        else:
            words.append(text[a:b])
            spaces.append(False)
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    assert doc.text == text
    return doc


def _set_entities(doc: Doc, entities: List[CharSpan], spans_key: str, unannotated_labels: Sequence[str]) -> None:
    def spans(chosen: List[CharSpan]):
        return [doc.char_span(start, end, label=label) for start, end, label in chosen]

    # bts_ner's own rule for overlapping gold spans picks those that go into doc.ents.
    kept, dropped = drop_overlapping(entities)
    if dropped or unannotated_labels:
        attrs = {"unannotated_labels": sorted(set(unannotated_labels))} if unannotated_labels else {}
        doc.spans[spans_key] = SpanGroup(doc, name=spans_key, attrs=attrs, spans=spans(entities))
    doc.ents = spans(kept)


def _text(text: str, n: int = 40) -> str:
    return f"text {text[:n]!r}" + ("..." if len(text) > n else "")


def _span_error(text: str, span: Any, why: str) -> ValueError:
    return ValueError(f"{_text(text)}: span {span!r}: {why}")
