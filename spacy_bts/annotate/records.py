"""The pipeline side of a job: loading it, and one output record per annotated Doc.

Records are plain JSON objects built by :func:`doc_record` and serialised by
:func:`record_line`; every engine uses both (and :func:`load_pipeline`), so
their outputs are byte-identical. :class:`RecordLayout` says which fields a
pipeline's records have: ``entities`` (``doc.ents``) and/or ``words`` (the
``bts_pos`` spans).
"""

import json
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from ..pipeline import ByteToSpanNER, ByteToSpanPOS
from ..spans import stored_spans
from .errors import UsageError
from .inputs import DEFAULT_MAX_CHARS


def load_pipeline(model: str, max_chars: int = DEFAULT_MAX_CHARS) -> Language:
    """Load a pipeline by name or path, accepting documents up to ``max_chars``.

    A pipeline that cannot be loaded (no such package or directory, a broken
    one) is a :class:`UsageError` with spaCy's reason on one line.
    """
    try:
        nlp = spacy.load(model)
    except Exception as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise UsageError(f"cannot load the pipeline {model}: {reason}") from err
    nlp.max_length = max(nlp.max_length, max_chars + 1)
    return nlp


@dataclass(frozen=True)
class RecordLayout:
    """Where a pipeline's predictions are: entities and/or BTS words."""

    entities: bool
    ner_spans_key: Optional[str]
    words_spans_key: Optional[str]

    @classmethod
    def of(cls, nlp: Language) -> "RecordLayout":
        """The layout of ``nlp``'s records; an error if it predicts neither kind."""
        ner_key = words_key = None
        entities = False
        for name, pipe in nlp.pipeline:
            if "doc.ents" in nlp.get_pipe_meta(name).assigns:
                entities = True
            if isinstance(pipe, ByteToSpanNER) and ner_key is None:
                ner_key = pipe.cfg["spans_key"]
            if isinstance(pipe, ByteToSpanPOS) and words_key is None:
                words_key = pipe.cfg["spans_key"]
        if not entities and words_key is None:
            raise UsageError(f"pipeline {nlp.pipe_names} predicts neither entities (doc.ents) nor bts_pos words")
        return cls(entities, ner_key, words_key)

    @property
    def fields(self) -> Tuple[str, ...]:
        """The span fields of each record."""
        return ("entities",) * self.entities + ("words",) * (self.words_spans_key is not None)


def doc_record(doc: Doc, doc_id: str, source: str, layout: RecordLayout) -> Dict:
    """The output record of one annotated document.

    Entities are ``doc.ents``; a ``bts_ner`` span gives each its exact predicted
    character offsets and score (other NER components: Doc offsets, score null).
    Words are the ``bts_pos`` spans with their UPOS tags and scores. Each span
    also has its ``text``, the document's characters from ``start`` to ``end``.
    """
    record: Dict = {"id": doc_id, "source": source}
    text = doc.text
    if layout.entities:
        exact = _span_table(doc, layout.ner_spans_key)
        entities = []
        for ent in doc.ents:
            start, end, score = exact.get((ent.start, ent.end, ent.label_), (ent.start_char, ent.end_char, None))
            entities.append({"start": start, "end": end, "text": text[start:end], "label": ent.label_, "score": score})
        record["entities"] = entities
    if layout.words_spans_key is not None:
        record["words"] = [
            {"start": s, "end": e, "text": text[s:e], "label": span.label_, "score": score}
            for s, e, score, span in stored_spans(doc, layout.words_spans_key)
        ]
    return record


def _span_table(doc: Doc, key: Optional[str]) -> Dict[Tuple[int, int, str], Tuple[int, int, float]]:
    return {(span.start, span.end, span.label_): (s, e, score) for s, e, score, span in stored_spans(doc, key)}


def record_line(record: Dict) -> str:
    """One JSONL line (no newline); the one serialisation every engine uses."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
