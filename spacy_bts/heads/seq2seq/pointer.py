"""The span pointer head: the paper's ``[start, length, label]`` output over a byte
encoder that reads each text once (``pointer_module.py``).

Training tiles each document with encoder segments from a random phase (as the
byte tagger does) and draws span windows of ``window`` bytes with the
component's ``training_windows``; a window's targets are the spans wholly
inside it (``windows.window_targets``). Prediction encodes overlapping segments,
keeps each byte's state from the segment in which it is most central, decodes
windows that overlap by ``window_overlap`` bytes and keeps each span from the
window owning its middle byte by the central rule (``stitching.py``).
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy
from spacy.util import registry
from thinc.api import Model

from ...byte_text import PAD
from ...encoders import EncoderSpec
from ...segmenting import (
    byte_rows,
    inference_offsets,
    plan_segments,
    scatter_owned,
    segment_inputs,
    split_batch,
    tiles,
    training_offsets,
)
from ...spans import ByteSpans, overlap_free
from ..registry import span_heads
from ..tagging.biluo import IGNORE_TAG, n_tags, open_label_masks, spans_to_tags, stack_open_labels
from ..wiring import bfloat16_where_native, check_rates, span_model
from .pointer_module import SpanPointerModule
from .stitching import SegmentSpans, parse_outputs, stitch
from .vocab import SpanVocab
from .windows import stack_targets, trim_targets, window_targets, windows_with_known_bytes

# Windows decoded per forward pass in prediction.
DECODE_ROWS = 256


@dataclass
class PointerBatch:
    """Encoder segments of a batch of documents and the span windows read from their states.

    ``rows`` holds, for each window byte, its flat index into the (segments x
    bytes) states (-1 past the document's end). ``len()`` counts segments.
    """

    inputs: numpy.ndarray  # (n_segments, L) int64 bytes
    segment_doc: numpy.ndarray  # (n_segments,) document of each segment
    rows: numpy.ndarray  # (n_windows, window) int64
    window_doc: numpy.ndarray  # (n_windows,)
    n_valid: numpy.ndarray  # (n_windows,)
    targets: numpy.ndarray  # (n_windows, n_steps) output ids, IGNORE-padded
    tags: Optional[numpy.ndarray] = None  # (n_segments, L) BILUO tags for the tagging loss
    open_labels: Optional[numpy.ndarray] = None  # (n_segments, L) bit masks of unannotated labels

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def torch_args(self):
        kwargs = {"inputs": self.inputs, "rows": self.rows, "n_valid": self.n_valid, "targets": self.targets}
        if self.tags is not None:
            kwargs["tags"] = self.tags
        if self.open_labels is not None:
            kwargs["open_labels"] = self.open_labels
        return (), kwargs

    def select(self, part: slice) -> "PointerBatch":
        """The documents whose first segment is in ``part``, with all their segments and windows."""
        first = numpy.searchsorted(self.segment_doc, self.segment_doc[part], side="left")
        docs = numpy.unique(self.segment_doc[part][first >= part.start])
        if not len(docs):
            return self._subset(slice(0, 0), slice(0, 0))
        seg = slice(
            int(numpy.searchsorted(self.segment_doc, docs[0], side="left")),
            int(numpy.searchsorted(self.segment_doc, docs[-1], side="right")),
        )
        win = slice(
            int(numpy.searchsorted(self.window_doc, docs[0], side="left")),
            int(numpy.searchsorted(self.window_doc, docs[-1], side="right")),
        )
        return self._subset(seg, win)

    def _subset(self, seg: slice, win: slice) -> "PointerBatch":
        shift = seg.start * self.inputs.shape[1]
        rows = self.rows[win]
        rows = numpy.where(rows >= 0, rows - shift, -1)
        targets = trim_targets(self.targets[win])
        tags = None if self.tags is None else self.tags[seg]
        open_labels = None if self.open_labels is None else self.open_labels[seg]
        return PointerBatch(
            self.inputs[seg], self.segment_doc[seg], rows, self.window_doc[win], self.n_valid[win], targets, tags,
            open_labels,
        )  # fmt: skip

    @classmethod
    def concat(cls, batches: Sequence["PointerBatch"], segment_length: int, window: int) -> "PointerBatch":
        if not batches:
            empty = numpy.zeros((0,), dtype=numpy.int64)
            return cls(
                numpy.zeros((0, segment_length), dtype=numpy.int64), empty, numpy.zeros((0, window), dtype=numpy.int64),
                empty, empty, numpy.zeros((0, 1), dtype=numpy.int64),
            )  # fmt: skip
        shifts = numpy.cumsum([0] + [b.inputs.size for b in batches[:-1]])
        rows = numpy.concatenate([numpy.where(b.rows >= 0, b.rows + s, -1) for b, s in zip(batches, shifts)])
        targets = stack_targets([b.targets for b in batches])
        has_tags = all(b.tags is not None for b in batches)
        return cls(
            numpy.concatenate([b.inputs for b in batches]),
            numpy.concatenate([numpy.full(len(b), i, dtype=numpy.int64) for i, b in enumerate(batches)]),
            rows,
            numpy.concatenate([numpy.full(len(b.rows), i, dtype=numpy.int64) for i, b in enumerate(batches)]),
            numpy.concatenate([b.n_valid for b in batches]),
            targets,
            numpy.concatenate([b.tags for b in batches]) if has_tags else None,
            stack_open_labels([b.open_labels for b in batches], [b.tags for b in batches]) if has_tags else None,
        )


@dataclass
class EncodeBatch:
    """Prediction: segments whose byte states are wanted."""

    inputs: numpy.ndarray
    targets = None

    def torch_args(self):
        return (), {"inputs": self.inputs}


@dataclass
class DecodeBatch:
    """Prediction: windows of byte states to decode."""

    states: numpy.ndarray  # (n_windows, window, width) float32
    n_valid: numpy.ndarray
    max_spans: Optional[int]
    targets = None

    def torch_args(self):
        kwargs = {"states": self.states, "n_valid": self.n_valid}
        if self.max_spans is not None:
            kwargs["max_spans"] = self.max_spans
        return (), kwargs


def window_rows(byte_row: numpy.ndarray, offsets: numpy.ndarray, window: int) -> numpy.ndarray:
    """(windows, window) flat state rows of the windows at ``offsets``; -1 past the end."""
    positions = offsets[:, None] + numpy.arange(window)[None, :]
    padded = numpy.concatenate([byte_row, [-1]])
    return padded[numpy.minimum(positions, len(byte_row))]


@span_heads.register("span_pointer")
class SpanPointerHead:
    name = "span_pointer"
    precisions = ("int8", "bfloat16")
    overlapping_spans = True  # a window's triples may overlap or nest
    leaves_labels_unknown = True  # document_batch(unannotated=...)

    def __init__(self, model: Model, n_labels: int, cfg: Dict, training_windows) -> None:
        self.model = model
        a = model.attrs
        self.k, self.k_predict, self.window = a["segment_length"], a["inference_segment_length"], a["window"]
        self.vocab = SpanVocab(self.window, n_labels)
        self.n_labels = n_labels
        self.cfg = cfg
        self.training_windows = training_windows

    @property
    def max_span_bytes(self) -> int:
        return self.window

    @staticmethod
    def build_module(attrs: Dict, n_labels: int):
        encoder = EncoderSpec(attrs["encoder_kind"], attrs["encoder_settings"]).build(attrs["dropout_rate"])
        return SpanPointerModule(
            encoder, n_labels, attrs["window"], attrs["width"], attrs["dropout_rate"], attrs["byte_dropout"],
            attrs["tagging_weight"], n_tags(n_labels), attrs.get("tag_features", False),
            attrs.get("freeze_encoder", False),
        )  # fmt: skip

    # As the byte tagger: measured within 0.25 F1 of float32 on every dev set (BENCHMARKS.md).
    auto_precision = staticmethod(bfloat16_where_native)

    @staticmethod
    def describe(model: Model) -> str:
        a = model.attrs
        return (
            f"encoder {a['encoder_kind']} {a['encoder_settings']}, segment_length {a['segment_length']}, "
            f"window {a['window']}, width {a['width']}"
        )

    def document_batch(self, data, starts, ends, labels, rng, known=None, unannotated=()) -> PointerBatch:
        """``unannotated``: ids of labels the document does not annotate. A window's
        output sequence cannot leave a span unknown (a missing span would be learned as
        absent, and STOP as right), so such a document trains no windows; its bytes
        still train the tagging loss, which sums over the tags of those labels."""
        n, k = len(data), self.k
        tagging = self.model.attrs["tagging_weight"] > 0
        if len(unannotated) and not tagging:
            return self.concat([])
        offsets = training_offsets(n, k, rng)
        rows = byte_rows(offsets, k, n, 0)
        windows = windows_with_known_bytes(self.training_windows(n, self.window, rng), self.window, known)
        if len(unannotated):
            windows = windows[:0]
        tags = open_labels = None
        if tagging:
            # BILUO tags cannot nest: the tagging loss learns the outermost spans.
            outer, _ = overlap_free(starts, ends, range(len(starts)))
            per_byte = spans_to_tags(n, starts[outer], ends[outer], labels[outer], self.n_labels)
            if known is not None:
                per_byte[~known] = IGNORE_TAG
            tags = tiles(per_byte, offsets, k, IGNORE_TAG)
            if len(unannotated):
                open_labels = open_label_masks(tags, unannotated)
        return PointerBatch(
            tiles(data, offsets, k, PAD),
            numpy.zeros(len(offsets), dtype=numpy.int64),
            window_rows(rows, windows, self.window),
            numpy.zeros(len(windows), dtype=numpy.int64),
            numpy.minimum(self.window, n - windows).astype(numpy.int64),
            window_targets(windows, starts, ends, labels, self.vocab),
            tags,
            open_labels,
        )

    def concat(self, batches: Sequence[PointerBatch]) -> PointerBatch:
        return PointerBatch.concat(batches, self.k, self.window)

    def predict(self, model: Model, arrays: List[numpy.ndarray], docs=None) -> List[ByteSpans]:
        """Spans of each text; texts go in groups of about ``max_batch_segments`` encoder
        segments, so the byte states held at once are bounded (a longer text is a group)."""
        cap, overlap = self.cfg["max_batch_segments"], self.cfg["overlap"]
        n_segments = [len(inference_offsets(len(data), self.k_predict, overlap)) for data in arrays]
        results: List[ByteSpans] = []
        group: List[numpy.ndarray] = []
        held = 0
        for data, n in zip(arrays, n_segments):
            if group and held + n > cap:
                results += self._predict_group(model, group)
                group, held = [], 0
            group.append(data)
            held += n
        if group:
            results += self._predict_group(model, group)
        return results

    def byte_states(self, model: Model, arrays: List[numpy.ndarray]) -> List[numpy.ndarray]:
        """Each text's encoder state per byte, from the segment in which the byte is most
        central, plus one zero row past its end (the windows' padding)."""
        lengths = [len(data) for data in arrays]
        plan = plan_segments(lengths, self.k_predict, self.cfg["overlap"], central=True)
        states: List[numpy.ndarray] = []
        for part in split_batch(len(plan), self.cfg["max_batch_segments"]):
            inputs = segment_inputs(arrays, plan.doc[part], plan.offset[part], self.k_predict).inputs
            encoded = model.predict(EncodeBatch(inputs))
            if not states:
                states = [numpy.zeros((n + 1, encoded.shape[-1]), dtype=numpy.float32) for n in lengths]
            scatter_owned(plan, part, encoded, states)
        return states

    def _predict_group(self, model: Model, arrays: List[numpy.ndarray]) -> List[ByteSpans]:
        lengths = [len(data) for data in arrays]
        states = self.byte_states(model, arrays)
        windows = plan_segments(lengths, self.window, self.model.attrs["window_overlap"], central=True)
        parsed = []
        positions, text_bytes = numpy.arange(self.window), numpy.asarray(lengths)
        for part in split_batch(len(windows), DECODE_ROWS):
            doc, offset = windows.doc[part], windows.offset[part]
            n_bytes = text_bytes[doc]
            index = numpy.minimum(offset[:, None] + positions[None, :], n_bytes[:, None])
            gathered = numpy.stack([states[d][i] for d, i in zip(doc, index)])
            n_valid = numpy.minimum(self.window, n_bytes - offset)
            outputs, probs = model.predict(DecodeBatch(gathered, n_valid, self.cfg["max_spans_per_segment"]))
            spans = parse_outputs(outputs, probs, self.vocab)
            spans.segment += part.start
            parsed.append(spans)
        merged = SegmentSpans.concat(parsed)
        return stitch(merged, windows.doc, windows.offset, windows.own_lo, windows.own_hi, len(arrays), anchor="middle")


@registry.architectures("spacy-bts.EncoderSpanPointer.v1")
def build_encoder_span_pointer(
    encoder: EncoderSpec, segment_length: int = 256, inference_segment_length: int = 256, window: int = 64,
    window_overlap: int = 32, width: int = 128, dropout: float = 0.2, byte_dropout: float = 0.05,
    tagging_weight: float = 1.0, tag_features: bool = False, freeze_encoder: bool = False,
    mixed_precision: bool = False, nO: Optional[int] = None,
) -> Model[PointerBatch, object]:  # fmt: skip
    """The paper's ``[start, length, label]`` output on a byte encoder that reads each text once.

    encoder: a byte encoder architecture, e.g. ``spacy-bts.BiLSTMEncoder.v2``.
    segment_length / inference_segment_length: bytes per encoder segment in
        training / prediction (prediction segments overlap by the component's ``overlap``).
    window: bytes per span window; spans are at most this long.
    window_overlap: bytes shared by consecutive windows in prediction.
    width: units of the decoder's LSTM cell and attention.
    tagging_weight: weight of a per-byte BILUO loss on the same encoder (0: none).
    tag_features: the decoder's attention keys also read that BILUO layer's scores.
    freeze_encoder: train the decoder (and the BILUO layer) on the encoder as it
        was initialised (e.g. pretrained, ``init_encoder``), leaving its weights unchanged.
    dropout, byte_dropout, mixed_precision, nO: as ``spacy-bts.ByteTagger.v2``.
    """
    name = "spacy-bts.EncoderSpanPointer.v1"
    if not isinstance(encoder, EncoderSpec):
        raise ValueError(f"{name}: encoder must be a byte encoder architecture, got {type(encoder).__name__}")
    if window < 2 or segment_length < window or inference_segment_length < segment_length:
        raise ValueError(
            f"{name}: need 2 <= window <= segment_length <= inference_segment_length, got "
            f"{window}, {segment_length}, {inference_segment_length}"
        )
    if not 0 <= window_overlap < window:
        raise ValueError(f"{name}: window_overlap must be in [0, window), got {window_overlap}")
    if width < 1 or tagging_weight < 0:
        raise ValueError(f"{name}: width must be >= 1 and tagging_weight >= 0, got {width}, {tagging_weight}")
    check_rates(name, dropout=dropout, byte_dropout=byte_dropout)
    attrs = {
        "architecture": name,
        "head": "span_pointer",
        "encoder_kind": encoder.kind,
        "encoder_settings": dict(encoder.settings),
        "segment_length": segment_length,
        "inference_segment_length": inference_segment_length,
        "window": window,
        "window_overlap": window_overlap,
        "width": width,
        "dropout": dropout,
        "dropout_rate": dropout,
        "byte_dropout": byte_dropout,
        "tagging_weight": tagging_weight,
        "tag_features": tag_features,
        "freeze_encoder": freeze_encoder,
        "mixed_precision": mixed_precision,
    }
    return span_model("span_pointer", attrs, nO)
