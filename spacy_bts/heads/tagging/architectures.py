"""The byte tagger's registered architectures: a byte encoder and a per-byte BILUO layer.

The model maps a ``TagBatch`` to the mean per-byte cross-entropy when it
carries targets (training), or to per-byte tag log-probabilities (prediction);
see ``heads/wiring.py``.
"""

from dataclasses import dataclass
from typing import Optional

import numpy
from spacy.util import registry
from thinc.api import Config, Model

from ...encoders import EncoderSpec
from ..wiring import check_rates, span_model

# The default model of ``bts_ner`` and ``bts_pos`` (as in configs/ner_cpu.cfg and
# pos_cpu.cfg); the paper's seq2seq model is configs/*_paper.cfg (spacy-bts.ByteToSpan.v1).
DEFAULT_TAGGER_CONFIG = """
[model]
@architectures = "spacy-bts.ByteTagger.v2"
segment_length = 256
inference_segment_length = 256
dropout = 0.3
byte_dropout = 0.05
mixed_precision = false

[model.encoder]
@architectures = "spacy-bts.BiLSTMEncoder.v2"
embed_width = 64
ngram_sizes = [2,3,4]
ngram_buckets = 8192
word_buckets = 4096
hidden = 128
depth = 2
"""
DEFAULT_TAGGER_MODEL = Config().from_str(DEFAULT_TAGGER_CONFIG)["model"]


@dataclass
class TagBatch:
    """Segments of ``k`` bytes (PAD-filled) and optional per-byte tag targets.

    ``open_labels``: per byte, a bit mask of labels whose spans may also cover a
    byte whose target is O (labels its document does not annotate); None: none.
    """

    inputs: numpy.ndarray  # (n_segments, k) int64
    targets: Optional[numpy.ndarray] = None  # (n_segments, k) int64, IGNORE_TAG where unknown
    open_labels: Optional[numpy.ndarray] = None  # (n_segments, k) int64 bit masks

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def select(self, index) -> "TagBatch":
        return TagBatch(self.inputs[index], _rows(self.targets, index), _rows(self.open_labels, index))

    def torch_args(self):
        kwargs = {} if self.targets is None else {"targets": self.targets}
        if self.open_labels is not None:
            kwargs["open_labels"] = self.open_labels
        return (self.inputs,), kwargs


def _rows(array: Optional[numpy.ndarray], index) -> Optional[numpy.ndarray]:
    return None if array is None else array[index]


@registry.architectures("spacy-bts.ByteTagger.v2")
def build_byte_tagger_v2(
    encoder: EncoderSpec, segment_length: int = 256, inference_segment_length: int = 256, dropout: float = 0.2,
    byte_dropout: float = 0.05, mixed_precision: bool = False, nO: Optional[int] = None,
) -> Model[TagBatch, object]:  # fmt: skip
    """A byte encoder and a per-byte BILUO tag layer, decoded by constrained Viterbi.

    encoder: a byte encoder architecture, e.g. ``spacy-bts.BiLSTMEncoder.v1``.
    segment_length: bytes per training segment.
    inference_segment_length: bytes per inference segment (>= segment_length).
        Segments overlap by the component's ``overlap`` and each byte is read
        from the segment in which it is most central, so spans may be of any
        length; longer segments waste less of the encoder on overlap.
    dropout: default dropout rate (``[training] dropout`` overrides it).
    byte_dropout: fraction of input bytes replaced by DROP in training.
    mixed_precision: autocast to half precision on GPU.
    nO: number of labels; set by the component's ``initialize``.
    """
    return _build(
        "spacy-bts.ByteTagger.v2",
        encoder,
        segment_length,
        inference_segment_length,
        dropout,
        byte_dropout,
        mixed_precision,
        nO,
    )


@registry.architectures("spacy-bts.ByteTagger.v1")
def build_byte_tagger(
    encoder: EncoderSpec, segment_length: int = 256, dropout: float = 0.2, byte_dropout: float = 0.05, mixed_precision:
    bool = False, nO: Optional[int] = None,
) -> Model[TagBatch, object]:  # fmt: skip
    """``spacy-bts.ByteTagger.v2`` with inference segments as long as training ones."""
    return _build(
        "spacy-bts.ByteTagger.v1",
        encoder,
        segment_length,
        segment_length,
        dropout,
        byte_dropout,
        mixed_precision,
        nO,
    )


def _build(name, encoder, segment_length, inference_segment_length, dropout, byte_dropout, mixed_precision, nO):
    if not isinstance(encoder, EncoderSpec):
        raise ValueError(f"{name}: encoder must be a byte encoder architecture, got {type(encoder).__name__}")
    if segment_length < 2:
        raise ValueError(f"{name}: segment_length must be >= 2, got {segment_length}")
    if inference_segment_length < segment_length:
        raise ValueError(
            f"{name}: inference_segment_length must be >= segment_length={segment_length}, "
            f"got {inference_segment_length}"
        )
    check_rates(name, dropout=dropout, byte_dropout=byte_dropout)
    attrs = {
        "architecture": name,
        "head": "tagging",
        "encoder_kind": encoder.kind,
        "encoder_settings": dict(encoder.settings),
        "segment_length": segment_length,
        "inference_segment_length": inference_segment_length,
        "dropout_rate": dropout,
        "byte_dropout": byte_dropout,
        "mixed_precision": mixed_precision,
    }
    return span_model("byte_tagger", attrs, nO)
