"""Thinc wiring of the Byte-to-Span model and its registered architectures.

The model maps a ``SegmentBatch`` to the mean per-segment cross-entropy loss
when it carries targets (training), or to decoded output ids and their
probabilities (prediction). The PyTorch module is created in the init callback,
once the number of labels (dim ``nO``) is known, and ``ensure_built`` creates it
again before serialized weights are loaded.
"""
from typing import Optional, Tuple

import numpy
from spacy.util import registry
from thinc.api import ArgsKwargs, Model, set_dropout_rate

from .encoders import EncoderSpec
from .segments import SegmentBatch
from .torch_wiring import check_rates, int8_copy, int_tensor, loss_output, torch_module, wrap

Decoded = Tuple[numpy.ndarray, numpy.ndarray]


@registry.architectures("spacy-bts.ByteToSpan.v1")
def build_byte_to_span(
    width: int = 320,
    depth: int = 4,
    segment_length: int = 60,
    dropout: float = 0.3,
    byte_dropout: float = 0.3,
    mixed_precision: bool = False,
    nO: Optional[int] = None,
) -> Model[SegmentBatch, object]:
    """The paper's model: one LSTM stack reads bytes, then emits span triples.

    width: units of the embeddings and of each LSTM layer (paper: 320).
    depth: stacked LSTM layers (paper: 4).
    segment_length: bytes per segment, ``k`` (paper: 60).
    dropout: default dropout rate on embeddings, between layers and before the
        softmax (``[training] dropout`` overrides it).
    byte_dropout: fraction of input bytes replaced by DROP in training.
    mixed_precision: autocast to half precision on GPU.
    nO: number of labels; set by the component's ``initialize``.
    """
    return _build(
        "spacy-bts.ByteToSpan.v1",
        width, depth, segment_length, dropout, byte_dropout, mixed_precision, False, nO,
    )


@registry.architectures("spacy-bts.PositionalByteToSpan.v1")
def build_positional_byte_to_span(
    width: int = 320,
    depth: int = 4,
    segment_length: int = 60,
    dropout: float = 0.3,
    byte_dropout: float = 0.3,
    mixed_precision: bool = False,
    nO: Optional[int] = None,
) -> Model[SegmentBatch, object]:
    """``ByteToSpan.v1`` plus a learned position embedding added to each byte's
    input embedding, so the decoder can read span offsets instead of counting
    them. Same arguments; it learns much faster (see bench/RESULTS.md).
    """
    return _build(
        "spacy-bts.PositionalByteToSpan.v1",
        width, depth, segment_length, dropout, byte_dropout, mixed_precision, True, nO,
    )


@registry.architectures("spacy-bts.EncoderByteToSpan.v1")
def build_encoder_byte_to_span(
    encoder: EncoderSpec,
    width: int = 256,
    depth: int = 2,
    segment_length: int = 60,
    dropout: float = 0.1,
    byte_dropout: float = 0.1,
    positional: bool = True,
    mixed_precision: bool = False,
    nO: Optional[int] = None,
) -> Model[SegmentBatch, object]:
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
    return Model(
        "byte_to_span",
        forward,
        init=init,
        dims={"nO": nO},
        attrs={
            "architecture": name,
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
    )


def init(model: Model, X=None, Y=None) -> None:
    ensure_built(model)


def ensure_built(model: Model) -> None:
    """Create the PyTorch layer if it does not exist yet (needs dim ``nO``)."""
    if model.layers:
        return
    from .pytorch_bts import ByteToSpanLSTM, EncodedByteToSpanLSTM

    n_labels = model.get_dim("nO")
    kwargs = {}
    if "encoder_kind" in model.attrs:
        spec = EncoderSpec(model.attrs["encoder_kind"], model.attrs["encoder_settings"])
        kwargs["encoder"] = spec.build(model.attrs["dropout"])
    module = (EncodedByteToSpanLSTM if kwargs else ByteToSpanLSTM)(
        **kwargs,
        n_labels=n_labels,
        width=model.attrs["width"],
        depth=model.attrs["depth"],
        segment_length=model.attrs["segment_length"],
        dropout=model.attrs["dropout"],
        byte_dropout=model.attrs["byte_dropout"],
        positional=model.attrs["positional"],
    )
    model._layers.append(wrap(module, _convert_inputs, _convert_outputs, model.attrs["mixed_precision"]))


def quantized_copy(model: Model, kind: str = "int8") -> Model:
    """A prediction-only int8 copy of a built model (CPU only)."""
    if kind != "int8":
        raise ValueError(f"byte_to_span: {kind} prediction is available for the byte tagger only; use int8")
    return int8_copy(model, forward, _convert_inputs, _convert_outputs)


def set_dropout(model: Model, rate: Optional[float]) -> None:
    """Set the model's dropout rate (``None``: the architecture's)."""
    set_dropout_rate(model, model.attrs["dropout"] if rate is None else rate)


def forward(model: Model, batch: SegmentBatch, is_train: bool):
    if batch.targets is None and is_train:
        raise ValueError("byte_to_span: training needs a SegmentBatch with targets")
    if is_train:
        torch_module(model).set_dropout(model.attrs["dropout_rate"])
    return model.layers[0](batch, is_train)


def _convert_inputs(model: Model, batch: SegmentBatch, is_train: bool):
    kwargs = {}
    if batch.targets is not None:
        kwargs["targets"] = int_tensor(model, batch.targets)
    elif batch.max_spans is not None:
        kwargs["max_spans"] = batch.max_spans
    args = (int_tensor(model, batch.inputs), int_tensor(model, batch.n_valid))
    return ArgsKwargs(args=args, kwargs=kwargs), lambda d_inputs: batch


def _convert_outputs(model: Model, inputs_outputs, is_train: bool):
    batch, outputs = inputs_outputs
    if is_train or batch.targets is not None:  # the loss (in prediction: without dropout)
        return loss_output(outputs)
    decoded, probs = outputs
    return (decoded.cpu().numpy(), probs.cpu().numpy()), _no_backprop


def _no_backprop(d_outputs):
    raise ValueError("byte_to_span: decoding is not differentiable")
