"""The per-byte head: every byte gets a BILUO tag; spans are decoded per document.

Training tiles each document with segments of ``segment_length`` bytes from a
random phase, so an epoch reads every byte about once, with targets for every
byte. Prediction reads overlapping segments, takes each byte's tag scores from
the segment in which it is most central, and runs constrained Viterbi over the
whole document: spans have no maximum length and never cross or overlap.
"""
from typing import Dict, List, Sequence

import numpy
from thinc.api import Model, set_dropout_rate

from . import tagger_model
from .biluo import IGNORE_TAG, n_tags, spans_to_tags, tags_to_spans, viterbi
from .decoding import ByteSpans, plan_segments
from .segments import WindowSampler, segment_inputs, split_batch
from .span_vocab import PAD
from .tagger_model import TagBatch


def _tiles(values: numpy.ndarray, offsets: numpy.ndarray, k: int, fill: int) -> numpy.ndarray:
    padded = numpy.concatenate([values.astype(numpy.int64), numpy.full(k, fill, dtype=numpy.int64)])
    return numpy.lib.stride_tricks.sliding_window_view(padded, k)[offsets].copy()


def training_offsets(n_bytes: int, k: int, rng: numpy.random.Generator) -> numpy.ndarray:
    """Segments tiling the text from a random phase (the first and last moved inside)."""
    last = max(n_bytes - k, 0)
    phase = int(rng.integers(k))
    return numpy.unique(numpy.clip(numpy.arange(-phase, n_bytes, k), 0, last))


class TaggingHead:
    name = "tagging"
    max_span_bytes = None  # any length

    def __init__(self, model: Model, n_labels: int, cfg: Dict, training_windows: WindowSampler) -> None:
        self.k = model.attrs["segment_length"]
        self.k_predict = model.attrs["inference_segment_length"]
        self.n_labels = n_labels
        self.cfg = cfg

    def document_batch(self, data, starts, ends, labels, rng, known=None) -> TagBatch:
        tags = spans_to_tags(len(data), starts, ends, labels, self.n_labels)
        if known is not None:
            tags[~known] = IGNORE_TAG  # missing annotation: no target
        offsets = training_offsets(len(data), self.k, rng)
        return TagBatch(_tiles(data, offsets, self.k, PAD), _tiles(tags, offsets, self.k, IGNORE_TAG))

    def concat(self, batches: Sequence[TagBatch]) -> TagBatch:
        if not batches:
            return TagBatch(numpy.zeros((0, self.k), dtype=numpy.int64), numpy.zeros((0, self.k), dtype=numpy.int64))
        return TagBatch(
            numpy.concatenate([b.inputs for b in batches]),
            numpy.concatenate([b.targets for b in batches]),
        )

    @staticmethod
    def set_dropout(model: Model, rate) -> None:
        if rate is not None:
            set_dropout_rate(model, rate)

    ensure_built = staticmethod(tagger_model.ensure_built)
    quantized_copy = staticmethod(tagger_model.quantized_copy)
    auto_precision = staticmethod(tagger_model.auto_precision)

    @staticmethod
    def describe(model: Model) -> str:
        a = model.attrs
        return (
            f"encoder {a['encoder_kind']} {a['encoder_settings']}, "
            f"segment_length {a['segment_length']}/{a['inference_segment_length']}"
        )

    def predict(self, model: Model, arrays: List[numpy.ndarray]) -> List[ByteSpans]:
        k = self.k_predict
        plan = plan_segments([len(data) for data in arrays], k, self.cfg["overlap"], central=True)
        emissions = [numpy.empty((len(data), n_tags(self.n_labels)), dtype=numpy.float32) for data in arrays]
        for part in split_batch(len(plan), self.cfg["max_batch_segments"]):
            inputs = segment_inputs(arrays, plan.doc[part], plan.offset[part], k).inputs
            log_probs = model.predict(TagBatch(inputs))
            for row, s in enumerate(range(part.start, part.stop)):
                o, lo, hi = plan.offset[s], plan.own_lo[s], plan.own_hi[s]
                emissions[plan.doc[s]][lo:hi] = log_probs[row, lo - o : hi - o]
        paths = viterbi(emissions, self.n_labels)
        return [tags_to_spans(path, lp, self.n_labels) for path, lp in zip(paths, emissions)]
