"""``bts_ner``: tokenizer-free named entity recognition with Byte-to-Span."""
from typing import Callable, Iterable, Optional, Sequence

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab
from thinc.api import Model

from .base_component import DEFAULT_WINDOW_RATE, ByteToSpanPipe, CharSpans
from .scorers import score_ner
from .segments import WindowSampler
from .tagger_model import DEFAULT_TAGGER_MODEL
from .token_alignment import (
    ALIGNMENT_MODES,
    char_spans,
    select_non_overlapping,
    split_tokens_at,
)


@Language.factory(
    "bts_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type", "doc.spans"],
    default_config={
        "model": DEFAULT_TAGGER_MODEL,
        "spans_key": "bts_ner",
        "threshold": 0.0,
        "alignment_mode": "split",
        "overlap": None,
        "training_windows": {"@misc": "spacy-bts.random_windows.v1", "rate": DEFAULT_WINDOW_RATE},
        "max_batch_segments": 128,
        "max_spans_per_segment": None,
        "quantize": False,
        "scorer": {"@scorers": "spacy-bts.ner_scorer.v1"},
    },
    default_score_weights={
        "ents_f": 1.0,
        "ents_p": 0.0,
        "ents_r": 0.0,
        "ents_per_type": None,
    },
)
def make_bts_ner(
    nlp: Language,
    name: str,
    model: Model,
    spans_key: str,
    threshold: float,
    alignment_mode: str,
    overlap: Optional[int],
    training_windows: WindowSampler,
    max_batch_segments: int,
    max_spans_per_segment: Optional[int],
    quantize: bool,
    scorer: Optional[Callable],
) -> "ByteToSpanNER":
    """Create a ``bts_ner`` component.

    The model is a byte tagger (``spacy-bts.ByteTagger.v1``, the default) or
    the paper's seq2seq head (``spacy-bts.ByteToSpan.v1``,
    ``spacy-bts.PositionalByteToSpan.v1``); each setting says which it applies to.

    spans_key: ``doc.spans`` key for all predicted entities (with their scores).
    threshold: minimum span score to keep a span. Byte tagger: the geometric
        mean of the span's per-byte tag probabilities; seq2seq head: the span
        probability (start x length x label).
    alignment_mode: "split" (default) splits tokens at predicted boundaries so
        ``doc.ents`` carries the exact predicted offsets; "expand", "contract"
        or "strict" align to the existing tokens as ``Doc.char_span`` does.
    overlap: both heads: bytes shared by consecutive inference segments (None:
        half a segment). The byte tagger reads each byte from the segment in
        which it is most central; the seq2seq head keeps each span from the
        segment owning its last byte.
    training_windows: seq2seq head only: how training windows are sampled (see
        ``segments.py``). The byte tagger ignores it: it tiles each training
        document from a random phase, so an epoch reads every byte about once.
    max_batch_segments: both heads: segments per forward pass; bounds memory
        (in training, gradients accumulate over the chunks).
    max_spans_per_segment: seq2seq head only: decoding stops after this many
        spans per segment (None: half the segment length); bounds decoding
        time. The byte tagger decodes whole documents with no such limit.
    quantize: both heads: predict with an int8 dynamically quantized copy of
        the model's LSTM and linear layers (CPU only; results can vary with the
        batch; accuracy cost and speed, measured with the seq2seq head, in
        BENCHMARKS.md: faster or slower depending on the CPU).
    """
    return ByteToSpanNER(
        nlp.vocab,
        model,
        name,
        spans_key=spans_key,
        threshold=threshold,
        alignment_mode=alignment_mode,
        overlap=overlap,
        training_windows=training_windows,
        max_batch_segments=max_batch_segments,
        max_spans_per_segment=max_spans_per_segment,
        quantize=quantize,
        scorer=scorer,
    )


class ByteToSpanNER(ByteToSpanPipe):
    """Entities predicted from bytes, written to ``doc.ents`` and ``doc.spans``."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "bts_ner",
        *,
        spans_key: str = "bts_ner",
        threshold: float = 0.0,
        alignment_mode: str = "split",
        overlap: Optional[int] = None,
        training_windows: Optional[WindowSampler] = None,
        max_batch_segments: int = 128,
        max_spans_per_segment: Optional[int] = None,
        quantize: bool = False,
        scorer: Optional[Callable] = None,
    ) -> None:
        if alignment_mode not in ALIGNMENT_MODES:
            raise ValueError(
                f"[{name}] alignment_mode must be one of {ALIGNMENT_MODES}, got {alignment_mode!r}"
            )
        super().__init__(
            vocab,
            model,
            name,
            spans_key=spans_key,
            threshold=threshold,
            overlap=overlap,
            training_windows=training_windows,
            max_batch_segments=max_batch_segments,
            max_spans_per_segment=max_spans_per_segment,
            quantize=quantize,
            scorer=scorer or score_ner,
        )
        self.cfg["alignment_mode"] = alignment_mode

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

    def set_annotations(self, docs: Iterable[Doc], predictions: Sequence[CharSpans]) -> None:
        """Write predicted spans to ``doc.spans`` and a non-overlapping subset to ``doc.ents``."""
        mode = self.cfg["alignment_mode"]
        for doc, pred in zip(docs, predictions):
            kept = self.kept_spans(doc, pred)
            labels = self.label_names(kept.labels)
            if mode == "split":
                split_tokens_at(doc, numpy.concatenate([kept.starts, kept.ends]))
            spans = char_spans(doc, kept.starts, kept.ends, labels, mode)
            group = self.store_span_group(doc, spans, kept)
            doc.ents = select_non_overlapping(list(group), group.attrs["scores"])
