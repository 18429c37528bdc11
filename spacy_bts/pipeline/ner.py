"""``bts_ner``: tokenizer-free named entity recognition with Byte-to-Span."""

from typing import Callable, Iterable, Optional, Sequence, Union

from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import Model

from ..heads.seq2seq.windows import WindowSampler
from ..spans import CharSpans
from .base import ByteToSpanPipe
from .doc_tokens import (
    ALIGNMENT_MODES,
    char_spans,
    preset_entities,
    select_non_overlapping,
    split_tokens_at,
)
from .scorers import score_ner
from .settings import SHARED_DEFAULT_CONFIG, factory_settings


@Language.factory(
    "bts_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type", "doc.spans"],
    default_config={
        **SHARED_DEFAULT_CONFIG,
        "spans_key": "bts_ner",
        "alignment_mode": "split",
        "overwrite_ents": False,
        "scorer": {"@scorers": "spacy-bts.ner_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_bts_ner(
    nlp: Language, name: str, model: Model, spans_key: str, threshold: float,
    alignment_mode: str, overwrite_ents: bool, overlap: Optional[int], training_windows: WindowSampler,
    max_batch_segments: int, max_spans_per_segment: Optional[int], quantize: Union[bool, str],
    scorer: Optional[Callable],
) -> "ByteToSpanNER":  # fmt: skip
    """Create a ``bts_ner`` component.

    The model is a byte tagger (``spacy-bts.ByteTagger.v2``, the default) or
    the paper's seq2seq head (``spacy-bts.ByteToSpan.v1``,
    ``spacy-bts.PositionalByteToSpan.v1``, and ``spacy-bts.EncoderSpanPointer.v1``,
    which emits the same triples from a byte encoder's states); each setting says
    which it applies to. The seq2seq heads learn and emit overlapping and nested
    spans (a gold span group under ``spans_key`` may hold them): all go into
    ``doc.spans``, a non-overlapping subset into ``doc.ents``.

    spans_key: ``doc.spans`` key for all predicted entities (with their scores).
    threshold: minimum span score to keep a span. Byte tagger: the geometric
        mean of the span's per-byte tag probabilities; seq2seq head: the span
        probability (start x length x label).
    alignment_mode: "split" (default) splits tokens at the boundaries of the
        entities that go into ``doc.ents``, so they carry the exact predicted
        offsets (other spans in ``doc.spans`` are expanded to tokens; their
        exact offsets are in ``attrs["char_spans"]``); "expand", "contract" or
        "strict" align to the existing tokens as ``Doc.char_span`` does.
    overwrite_ents: entities already in ``doc.ents`` (e.g. from an
        ``entity_ruler``) are kept and predictions overlapping them left out
        (default); with true, as ``entity_ruler``'s ``overwrite_ents``,
        predictions replace the entities they overlap.
    overlap: both heads: bytes shared by consecutive inference segments (None:
        half a segment). The byte tagger reads each byte from the segment in
        which it is most central; the seq2seq head keeps each span from the
        segment owning its last byte. The span pointer reads its encoder
        segments as the byte tagger does; its span windows overlap by the
        model's ``window_overlap``.
    training_windows: seq2seq heads only: how training windows are sampled (see
        ``segments.py``). The byte tagger ignores it: it tiles each training
        document from a random phase, so an epoch reads every byte about once.
    max_batch_segments: both heads: segments per forward pass; bounds memory
        (in training, gradients accumulate over the chunks).
    max_spans_per_segment: seq2seq heads only: decoding stops after this many
        spans per segment or span window (None: half its length); bounds
        decoding time. The byte tagger decodes whole documents with no such limit.
    quantize: how ``predict`` computes, from a copy of the float32 model that
        is trained and saved: false (float32); true or "int8" (both heads: int8
        dynamic quantization of the LSTM and linear layers; results can vary
        with the batch); "bfloat16" (byte tagger: bfloat16 weights and
        activations); "auto" (default: "bfloat16" for the byte tagger on a CPU
        with AMX, which multiplies bfloat16 in hardware, else float32). CPU
        only; accuracy and speed of each in BENCHMARKS.md.
    """
    return ByteToSpanNER(nlp.vocab, model, name, **factory_settings(locals()))


class ByteToSpanNER(ByteToSpanPipe):
    """Entities predicted from bytes, written to ``doc.ents`` and ``doc.spans``."""

    factory_name = "bts_ner"
    default_scorer = staticmethod(score_ner)
    default_settings = {"alignment_mode": "split", "overwrite_ents": False}

    def _setting_checks(self):
        return {
            **super()._setting_checks(),
            "alignment_mode": (lambda v: v in ALIGNMENT_MODES, f"one of {ALIGNMENT_MODES}"),
            "overwrite_ents": (lambda v: isinstance(v, bool), "true or false"),
        }

    _task_annotation = "entity (doc.ents or doc.spans[spans_key])"

    def _is_annotated(self, doc: Doc) -> bool:
        return self.cfg["spans_key"] in doc.spans or doc.has_annotation("ENT_IOB")

    def _gold_char_spans(self, doc: Doc):
        # A gold span group under spans_key takes precedence over doc.ents.
        key = self.cfg["spans_key"]
        ents = doc.spans[key] if key in doc.spans else doc.ents
        return (
            [e.start_char for e in ents],
            [e.end_char for e in ents],
            [e.label_ for e in ents],
        )

    def _unknown_char_spans(self, doc: Doc):
        # A gold span group is complete; in doc.ents, tokens without an IOB value are
        # unknown, with their whitespace (it may lie inside an unknown entity).
        if self.cfg["spans_key"] in doc.spans:
            return []
        return [(t.idx, t.idx + len(t.text_with_ws)) for t in doc if t.ent_iob == 0]

    def _unannotated_labels(self, doc: Doc):
        # Declared on the gold span group: attrs["unannotated_labels"] (e.g. a corpus without MISC).
        key = self.cfg["spans_key"]
        return tuple(doc.spans[key].attrs.get("unannotated_labels", ())) if key in doc.spans else ()

    def set_annotations(self, docs: Iterable[Doc], predictions: Sequence[CharSpans]) -> None:
        """Write predicted spans to ``doc.spans`` and a non-overlapping subset to ``doc.ents``.

        Entities already set are kept and predictions overlapping them left out,
        unless ``overwrite_ents``. With ``alignment_mode="split"`` only the
        entities going into ``doc.ents`` split tokens.
        """
        mode = self.cfg["alignment_mode"]
        overwrite = self.cfg["overwrite_ents"]
        for doc, pred in zip(docs, predictions):
            kept = self.kept_spans(doc, pred)
            labels = self.label_names(kept.labels)
            probs = kept.probs.tolist()
            if mode == "split":
                preset = [] if overwrite else [(e.start_char, e.end_char) for e in preset_entities(doc)]
                chosen = select_non_overlapping(kept.starts.tolist(), kept.ends.tolist(), probs, preset)
                split_tokens_at(doc, [o for i in chosen for o in (kept.starts[i], kept.ends[i])])
                spans = char_spans(doc, kept.starts, kept.ends, labels, "expand")
            else:
                spans = char_spans(doc, kept.starts, kept.ends, labels, mode)
                aligned = [i for i, span in enumerate(spans) if span is not None]
                preset = [] if overwrite else [(e.start, e.end) for e in preset_entities(doc)]
                chosen = [
                    aligned[j]
                    for j in select_non_overlapping(
                        [spans[i].start for i in aligned],
                        [spans[i].end for i in aligned],
                        [probs[i] for i in aligned],
                        preset,
                    )
                ]
            self.store_span_group(doc, spans, kept)
            new = [spans[i] for i in chosen if spans[i] is not None]
            taken = {t for span in new for t in range(span.start, span.end)}
            # Without overwrite_ents no prediction overlaps a preset entity.
            old = [e for e in preset_entities(doc) if not any(t in taken for t in range(e.start, e.end))]
            doc.ents = sorted(old + new, key=lambda e: e.start)
