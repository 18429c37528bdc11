"""The seq2seq head's registered architectures: the paper's model and its variants.

The model maps a ``SegmentBatch`` to the mean per-segment cross-entropy loss
when it carries targets (training), or to decoded output ids and their
probabilities (prediction); see ``heads/wiring.py``.
"""

from typing import Optional

from spacy.util import registry
from thinc.api import Model

from ...encoders import EncoderSpec
from ..wiring import check_rates, span_model
from .windows import SegmentBatch


def _paper_architecture(name: str, positional: bool, doc: str):
    """The registered function of one of the paper's models (the two share their settings)."""

    def build(
        width: int = 320, depth: int = 4, segment_length: int = 60, dropout: float = 0.3, byte_dropout: float = 0.3,
        mixed_precision: bool = False, nO: Optional[int] = None,
    ) -> Model[SegmentBatch, object]:  # fmt: skip
        return _build(name, width, depth, segment_length, dropout, byte_dropout, mixed_precision, positional, nO)

    build.__doc__ = doc
    return registry.architectures(name)(build)


build_byte_to_span = _paper_architecture(
    "spacy-bts.ByteToSpan.v1",
    False,
    """The paper's model: one LSTM stack reads bytes, then emits span triples.

    width: units of the embeddings and of each LSTM layer (paper: 320).
    depth: stacked LSTM layers (paper: 4).
    segment_length: bytes per segment, ``k`` (paper: 60).
    dropout: default dropout rate on embeddings, between layers and before the
        softmax (``[training] dropout`` overrides it).
    byte_dropout: fraction of input bytes replaced by DROP in training.
    mixed_precision: autocast to half precision on GPU.
    nO: number of labels; set by the component's ``initialize``.
    """,
)
build_positional_byte_to_span = _paper_architecture(
    "spacy-bts.PositionalByteToSpan.v1",
    True,
    """``ByteToSpan.v1`` plus a learned position embedding added to each byte's
    input embedding, so the decoder can read span offsets instead of counting
    them. Same arguments; it learns much faster (see bench/RESULTS.md).
    """,
)


@registry.architectures("spacy-bts.EncoderByteToSpan.v1")
def build_encoder_byte_to_span(
    encoder: EncoderSpec, width: int = 256, depth: int = 2, segment_length: int = 60, dropout: float = 0.1,
    byte_dropout: float = 0.1, positional: bool = True, mixed_precision: bool = False, nO: Optional[int] = None,
) -> Model[SegmentBatch, object]:  # fmt: skip
    """The paper's seq2seq span generator on a byte encoder (e.g.
    ``spacy-bts.BiLSTMEncoder.v1``): the ``depth`` x ``width`` LSTM reads the
    encoder's states, then emits ``[start, length, label]`` triples. Arguments as
    ``ByteToSpan.v1``; ``positional`` adds the learned position features.
    """
    name = "spacy-bts.EncoderByteToSpan.v1"
    if not isinstance(encoder, EncoderSpec):
        raise ValueError(f"{name}: encoder must be a byte encoder architecture, got {type(encoder).__name__}")
    model = _build(name, width, depth, segment_length, dropout, byte_dropout, mixed_precision, positional, nO)
    model.attrs["encoder_kind"] = encoder.kind
    model.attrs["encoder_settings"] = dict(encoder.settings)
    return model


def _build(name, width, depth, segment_length, dropout, byte_dropout, mixed_precision, positional, nO):
    if segment_length < 2:
        raise ValueError(f"{name}: segment_length must be >= 2, got {segment_length}")
    if width < 1 or depth < 1:
        raise ValueError(f"{name}: width and depth must be >= 1, got {width}, {depth}")
    check_rates(name, dropout=dropout, byte_dropout=byte_dropout)
    return span_model(
        "byte_to_span",
        {
            "architecture": name,
            "head": "seq2seq",
            "width": width,
            "depth": depth,
            "segment_length": segment_length,
            "dropout": dropout,
            # Thinc's convention: set_dropout_rate (spaCy: [training] dropout) sets it.
            "dropout_rate": dropout,
            "byte_dropout": byte_dropout,
            "mixed_precision": mixed_precision,
            "positional": positional,
        },
        nO,
    )
