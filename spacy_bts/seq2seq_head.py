"""The paper's head: each segment's spans generated as ``[start, length, label]`` triples.

Training reads windows drawn by the component's ``training_windows``; a span
longer than the segment cannot be expressed and is skipped. Prediction decodes
overlapping segments and keeps each span from the segment owning its last byte
(``decoding.py``).
"""
from typing import Dict, List, Sequence

import numpy
from thinc.api import Model

from . import bts_model
from .decoding import ByteSpans, SegmentSpans, ownership, parse_outputs, stitch
from .segments import (
    SegmentBatch,
    WindowSampler,
    inference_offsets,
    segment_inputs,
    split_batch,
    training_segments,
)
from .span_vocab import SpanVocab


class Seq2SeqHead:
    name = "seq2seq"

    def __init__(self, model: Model, n_labels: int, cfg: Dict, training_windows: WindowSampler) -> None:
        self.k = model.attrs["segment_length"]
        self.vocab = SpanVocab(self.k, n_labels)
        self.cfg = cfg
        self.training_windows = training_windows

    @property
    def max_span_bytes(self) -> int:
        return self.k

    def document_batch(self, data, starts, ends, labels, rng) -> SegmentBatch:
        offsets = self.training_windows(len(data), self.k, rng)
        return training_segments(data, starts, ends, labels, offsets, self.vocab)

    def concat(self, batches: Sequence[SegmentBatch]) -> SegmentBatch:
        return SegmentBatch.concat(batches, self.k)

    @staticmethod
    def set_dropout(model: Model, rate) -> None:
        bts_model.set_dropout(model, rate)

    ensure_built = staticmethod(bts_model.ensure_built)
    quantized_copy = staticmethod(bts_model.quantized_copy)

    @staticmethod
    def describe(model: Model) -> str:
        a = model.attrs
        return f"width {a['width']}, depth {a['depth']}, segment_length {a['segment_length']}"

    def predict(self, model: Model, arrays: List[numpy.ndarray]) -> List[ByteSpans]:
        k, overlap = self.k, self.cfg["overlap"]
        seg_doc, seg_offset, own_lo, own_hi = [], [], [], []
        for i, data in enumerate(arrays):
            offsets = inference_offsets(len(data), k, overlap)
            lo, hi = ownership(offsets, k)
            seg_doc.append(numpy.full(len(offsets), i, dtype=numpy.int64))
            seg_offset.append(offsets)
            own_lo.append(lo)
            own_hi.append(hi)
        seg_doc, seg_offset, own_lo, own_hi = (
            numpy.concatenate(a) if a else numpy.zeros((0,), dtype=numpy.int64)
            for a in (seg_doc, seg_offset, own_lo, own_hi)
        )
        parsed = []
        for part in split_batch(len(seg_doc), self.cfg["max_batch_segments"]):
            batch = segment_inputs(arrays, seg_doc[part], seg_offset[part], k)
            batch.max_spans = self.cfg["max_spans_per_segment"]
            outputs, probs = model.predict(batch)
            spans = parse_outputs(outputs, probs, self.vocab)
            spans.segment += part.start
            parsed.append(spans)
        merged = SegmentSpans(
            *(
                numpy.concatenate([getattr(p, f) for p in parsed])
                if parsed
                else numpy.zeros((0,), dtype=numpy.int64)
                for f in ("segment", "starts", "lengths", "labels", "probs")
            )
        )
        return stitch(merged, seg_doc, seg_offset, own_lo, own_hi, len(arrays))

