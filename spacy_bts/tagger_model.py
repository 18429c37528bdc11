"""Thinc wiring of the byte tagger: an encoder with a per-byte BILUO head.

The model maps a ``TagBatch`` to the mean per-byte cross-entropy when it
carries targets (training), or to per-byte tag log-probabilities (prediction).
The PyTorch module is created in the init callback once the number of labels
(dim ``nO``) is known; ``ensure_built`` creates it again before serialized
weights are loaded. Dropout follows Thinc's convention: the ``dropout_rate``
attribute, which spaCy sets from ``[training] dropout``.
"""
from dataclasses import dataclass
from typing import Optional

import numpy
from spacy.util import registry
from thinc.api import ArgsKwargs, Config, Model

from .biluo import n_tags
from .encoders import EncoderSpec
from .torch_wiring import (
    check_rates, int8_copy, int_tensor, loss_output, model_device, prediction_copy, torch_module, wrap,
)

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
    """Segments of ``k`` bytes (PAD-filled) and optional per-byte tag targets."""

    inputs: numpy.ndarray  # (n_segments, k) int64
    targets: Optional[numpy.ndarray] = None  # (n_segments, k) int64, IGNORE_TAG where unknown

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def select(self, index) -> "TagBatch":
        return TagBatch(self.inputs[index], None if self.targets is None else self.targets[index])


@registry.architectures("spacy-bts.ByteTagger.v2")
def build_byte_tagger_v2(
    encoder: EncoderSpec,
    segment_length: int = 256,
    inference_segment_length: int = 256,
    dropout: float = 0.2,
    byte_dropout: float = 0.05,
    mixed_precision: bool = False,
    nO: Optional[int] = None,
) -> Model[TagBatch, object]:
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
        "spacy-bts.ByteTagger.v2", encoder, segment_length, inference_segment_length,
        dropout, byte_dropout, mixed_precision, nO,
    )


@registry.architectures("spacy-bts.ByteTagger.v1")
def build_byte_tagger(
    encoder: EncoderSpec,
    segment_length: int = 256,
    dropout: float = 0.2,
    byte_dropout: float = 0.05,
    mixed_precision: bool = False,
    nO: Optional[int] = None,
) -> Model[TagBatch, object]:
    """``spacy-bts.ByteTagger.v2`` with inference segments as long as training ones."""
    return _build(
        "spacy-bts.ByteTagger.v1", encoder, segment_length, segment_length,
        dropout, byte_dropout, mixed_precision, nO,
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
    return Model(
        "byte_tagger",
        forward,
        init=init,
        dims={"nO": nO},
        attrs={
            "architecture": name,
            "head": "tagging",
            "encoder_kind": encoder.kind,
            "encoder_settings": dict(encoder.settings),
            "segment_length": segment_length,
            "inference_segment_length": inference_segment_length,
            "dropout_rate": dropout,
            "byte_dropout": byte_dropout,
            "mixed_precision": mixed_precision,
        },
    )


def init(model: Model, X=None, Y=None) -> None:
    ensure_built(model)


def ensure_built(model: Model) -> None:
    """Create the PyTorch layer if it does not exist yet (needs dim ``nO``)."""
    if model.layers:
        return
    from .pytorch_tagger import ByteTaggerModule

    spec = EncoderSpec(model.attrs["encoder_kind"], model.attrs["encoder_settings"])
    dropout = model.attrs["dropout_rate"]
    module = ByteTaggerModule(
        spec.build(dropout), n_tags(model.get_dim("nO")), dropout, model.attrs["byte_dropout"]
    )
    model._layers.append(wrap(module, _convert_inputs, _convert_outputs, model.attrs["mixed_precision"]))


def quantized_copy(model: Model, kind: str = "int8") -> Model:
    """A prediction-only ``int8`` or ``bfloat16`` copy of a built model (CPU only)."""
    if kind == "int8":
        return int8_copy(model, forward, _convert_inputs, _convert_outputs)
    if kind == "bfloat16":
        from .pytorch_tagger import bfloat16_copy

        return prediction_copy(model, kind, bfloat16_copy, forward, _convert_inputs, _convert_outputs)
    raise ValueError(f"byte_tagger: unknown prediction precision {kind!r}")


def auto_precision(model: Model) -> Optional[str]:
    """``bfloat16`` on a CPU that computes it natively, else ``None`` (float32)."""
    from .pytorch_tagger import native_bfloat16

    return "bfloat16" if model_device(model) == "cpu" and native_bfloat16() else None


def forward(model: Model, batch: TagBatch, is_train: bool):
    if is_train:
        if batch.targets is None:
            raise ValueError("byte_tagger: training needs a TagBatch with targets")
        torch_module(model).set_dropout(model.attrs["dropout_rate"])
    return model.layers[0](batch, is_train)


def _convert_inputs(model: Model, batch: TagBatch, is_train: bool):
    kwargs = {} if batch.targets is None else {"targets": int_tensor(model, batch.targets)}
    return ArgsKwargs(args=(int_tensor(model, batch.inputs),), kwargs=kwargs), lambda d_inputs: batch


def _convert_outputs(model: Model, inputs_outputs, is_train: bool):
    _, outputs = inputs_outputs
    if is_train:
        return loss_output(outputs)
    return outputs.cpu().numpy(), _no_backprop


def _no_backprop(d_outputs):
    raise ValueError("byte_tagger: prediction is not differentiable")
