"""The paper's head: each segment's spans generated as ``[start, length, label]`` triples.

Training reads windows drawn by the component's ``training_windows``; a span
longer than the segment cannot be expressed and is skipped. Prediction decodes
overlapping segments and keeps each span from the segment owning its last byte
(``stitching.py``).
"""

from typing import Dict, List, Optional, Sequence

import numpy
from thinc.api import Model

from ...encoders import EncoderSpec
from ...segmenting import plan_segments, segment_inputs, split_batch
from ...spans import ByteSpans
from ..registry import span_heads
from .module import ByteToSpanLSTM, EncodedByteToSpanLSTM
from .stitching import SegmentSpans, parse_outputs, stitch
from .vocab import SpanVocab
from .windows import SegmentBatch, WindowSampler, training_segments, windows_with_known_bytes


@span_heads.register("seq2seq")
class Seq2SeqHead:
    name = "seq2seq"
    precisions = ("int8",)
    overlapping_spans = True  # a window's triples may overlap or nest

    def __init__(self, model: Model, n_labels: int, cfg: Dict, training_windows: WindowSampler) -> None:
        self.model = model
        self.k = model.attrs["segment_length"]
        self.vocab = SpanVocab(self.k, n_labels)
        self.n_labels = n_labels
        self.cfg = cfg
        self.training_windows = training_windows

    @property
    def max_span_bytes(self) -> int:
        return self.k

    @staticmethod
    def build_module(attrs: Dict, n_labels: int):
        kwargs = {}
        if "encoder_kind" in attrs:
            spec = EncoderSpec(attrs["encoder_kind"], attrs["encoder_settings"])
            kwargs["encoder"] = spec.build(attrs["dropout"])
        return (EncodedByteToSpanLSTM if kwargs else ByteToSpanLSTM)(
            **kwargs,
            n_labels=n_labels,
            width=attrs["width"],
            depth=attrs["depth"],
            segment_length=attrs["segment_length"],
            dropout=attrs["dropout"],
            byte_dropout=attrs["byte_dropout"],
            positional=attrs["positional"],
        )

    @staticmethod
    def auto_precision(model: Model) -> Optional[str]:
        return None  # float32: its decoding loop is not measured in bfloat16

    @staticmethod
    def describe(model: Model) -> str:
        a = model.attrs
        return f"width {a['width']}, depth {a['depth']}, segment_length {a['segment_length']}"

    def document_batch(self, data, starts, ends, labels, rng, known=None) -> SegmentBatch:
        offsets = self.training_windows(len(data), self.k, rng)
        offsets = windows_with_known_bytes(offsets, self.k, known)
        return training_segments(data, starts, ends, labels, offsets, self.vocab)

    def concat(self, batches: Sequence[SegmentBatch]) -> SegmentBatch:
        return SegmentBatch.concat(batches, self.k)

    def predict(self, model: Model, arrays: List[numpy.ndarray], docs=None) -> List[ByteSpans]:
        plan = plan_segments([len(data) for data in arrays], self.k, self.cfg["overlap"], central=False)
        parsed = []
        for part in split_batch(len(plan), self.cfg["max_batch_segments"]):
            segments = segment_inputs(arrays, plan.doc[part], plan.offset[part], self.k)
            batch = SegmentBatch(segments.inputs, segments.n_valid, max_spans=self.cfg["max_spans_per_segment"])
            outputs, probs = model.predict(batch)
            spans = parse_outputs(outputs, probs, self.vocab)
            spans.segment += part.start
            parsed.append(spans)
        merged = SegmentSpans.concat(parsed)
        return stitch(merged, plan.doc, plan.offset, plan.own_lo, plan.own_hi, len(arrays))
