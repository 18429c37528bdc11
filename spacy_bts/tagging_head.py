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
from .decoding import ByteSpans, central_ownership
from .segments import WindowSampler, inference_offsets, segment_inputs, split_batch
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
        self.n_labels = n_labels
        self.cfg = cfg

    def document_batch(self, data, starts, ends, labels, rng) -> TagBatch:
        tags = spans_to_tags(len(data), starts, ends, labels, self.n_labels)
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

    @staticmethod
    def describe(model: Model) -> str:
        a = model.attrs
        return f"encoder {a['encoder_kind']} {a['encoder_settings']}, segment_length {a['segment_length']}"

    def predict(self, model: Model, arrays: List[numpy.ndarray]) -> List[ByteSpans]:
        k, overlap = self.k, self.cfg["overlap"]
        seg_doc, seg_offset, own_lo, own_hi = [], [], [], []
        for i, data in enumerate(arrays):
            offsets = inference_offsets(len(data), k, overlap)
            lo, hi = central_ownership(offsets, k, len(data))
            seg_doc.append(numpy.full(len(offsets), i, dtype=numpy.int64))
            seg_offset.append(offsets)
            own_lo.append(lo)
            own_hi.append(hi)
        seg_doc, seg_offset, own_lo, own_hi = (
            numpy.concatenate(a) if a else numpy.zeros((0,), dtype=numpy.int64)
            for a in (seg_doc, seg_offset, own_lo, own_hi)
        )
        emissions = [numpy.empty((len(data), n_tags(self.n_labels)), dtype=numpy.float32) for data in arrays]
        for part in split_batch(len(seg_doc), self.cfg["max_batch_segments"]):
            inputs = segment_inputs(arrays, seg_doc[part], seg_offset[part], k).inputs
            log_probs = model.predict(TagBatch(inputs))
            for row, s in enumerate(range(part.start, part.stop)):
                o, lo, hi = seg_offset[s], own_lo[s], own_hi[s]
                emissions[seg_doc[s]][lo:hi] = log_probs[row, lo - o : hi - o]
        paths = viterbi(emissions, self.n_labels)
        out = []
        for path, lp in zip(paths, emissions):
            spans = tags_to_spans(path, lp, self.n_labels)
            out.append(ByteSpans(spans.starts, spans.ends, spans.labels, spans.probs))
        return out
