"""The per-byte head: every byte gets a BILUO tag; spans are decoded per document.

Training tiles each document with segments of ``segment_length`` bytes from a
random phase, so an epoch reads every byte about once, with targets for every
byte. Prediction reads overlapping segments, takes each byte's tag scores from
the segment in which it is most central, and runs constrained Viterbi over the
whole document: spans have no maximum length and never cross or overlap.
"""

from typing import Dict, List, Sequence

import numpy
from thinc.api import Model

from ...byte_text import PAD
from ...encoders import EncoderSpec
from ...segmenting import plan_segments, scatter_owned, segment_inputs, split_batch, tiles, training_offsets
from ...spans import ByteSpans
from .. import precision
from ..registry import span_heads
from ..wiring import bfloat16_where_native, model_device
from .architectures import TagBatch
from .biluo import IGNORE_TAG, n_tags, open_label_masks, spans_to_tags, stack_open_labels, tags_to_spans, viterbi
from .module import ByteTaggerModule


@span_heads.register("tagging")
class TaggingHead:
    name = "tagging"
    max_span_bytes = None  # any length
    leaves_labels_unknown = True  # document_batch(unannotated=...)
    precisions = ("int8", "bfloat16")

    def __init__(self, model: Model, n_labels: int, cfg: Dict, training_windows=None) -> None:
        self.model = model
        self.n_labels = n_labels
        self.cfg = cfg

    @property
    def k(self) -> int:
        """Bytes per training segment."""
        return self.model.attrs["segment_length"]

    @property
    def k_predict(self) -> int:
        """Bytes per inference segment (the config given at load sets it)."""
        return self.model.attrs["inference_segment_length"]

    @staticmethod
    def build_module(attrs: Dict, n_labels: int):
        dropout = attrs["dropout_rate"]
        encoder = EncoderSpec(attrs["encoder_kind"], attrs["encoder_settings"]).build(dropout)
        return ByteTaggerModule(encoder, n_tags(n_labels), dropout, attrs["byte_dropout"])

    auto_precision = staticmethod(bfloat16_where_native)

    @staticmethod
    def describe(model: Model) -> str:
        a = model.attrs
        return (
            f"encoder {a['encoder_kind']} {a['encoder_settings']}, "
            f"segment_length {a['segment_length']}/{a['inference_segment_length']}"
        )

    def document_batch(self, data, starts, ends, labels, rng, known=None, unannotated=()) -> TagBatch:
        """``unannotated``: ids of labels the document does not annotate; its O bytes
        may be inside their spans (the loss sums over those tags)."""
        k = self.k
        tags = spans_to_tags(len(data), starts, ends, labels, self.n_labels)
        if known is not None:
            tags[~known] = IGNORE_TAG  # missing annotation: no target
        offsets = training_offsets(len(data), k, rng)
        batch = TagBatch(tiles(data, offsets, k, PAD), tiles(tags, offsets, k, IGNORE_TAG))
        if len(unannotated):
            batch.open_labels = open_label_masks(batch.targets, unannotated)
        return batch

    def concat(self, batches: Sequence[TagBatch]) -> TagBatch:
        if not batches:
            empty = numpy.zeros((0, self.k), dtype=numpy.int64)
            return TagBatch(empty, empty.copy())
        return TagBatch(
            numpy.concatenate([b.inputs for b in batches]),
            numpy.concatenate([b.targets for b in batches]),
            stack_open_labels([b.open_labels for b in batches], [b.targets for b in batches]),
        )

    def predict(self, model: Model, arrays: List[numpy.ndarray], docs=None) -> List[ByteSpans]:
        k = self.k_predict
        plan = plan_segments([len(data) for data in arrays], k, self.cfg["overlap"], central=True)
        emissions = [numpy.empty((len(data), n_tags(self.n_labels)), dtype=numpy.float32) for data in arrays]
        rows = self.cfg["max_batch_segments"]
        if model_device(model) == "cpu":
            rows = min(rows, precision.CPU_PREDICTION_ROWS[model.attrs.get("precision", "float32")])
        for part in split_batch(len(plan), rows):
            inputs = segment_inputs(arrays, plan.doc[part], plan.offset[part], k).inputs
            scatter_owned(plan, part, model.predict(TagBatch(inputs)), emissions)
        paths = viterbi(emissions, self.n_labels)
        return [tags_to_spans(path, lp, self.n_labels) for path, lp in zip(paths, emissions)]
