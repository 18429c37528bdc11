"""The pretraining objective of ``spacy pretrain``: masked-byte denoising of a component's encoder.

``[pretraining.objective]`` names ``spacy-bts.MaskedBytes.v1``; spaCy gives it the
component's model (``[pretraining] component``, ``layer = ""``), whose attrs say
which encoder to build. The returned model reads a batch of Docs as rows of
``segment_length`` bytes (each text whole where it fits, texts packed greedily,
newline-separated) and returns the loss with its backprop. Its ``tok2vec`` ref,
the node ``spacy pretrain`` saves, holds the encoder's kind and settings in its
attrs, so a component can check that the weights fit (``weights.py``).
"""

from typing import Callable, List

import numpy
from spacy.util import registry
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v2

from ..byte_text import PAD, encode_text
from ..encoders import EncoderSpec
from ..heads.wiring import int_tensor, loss_output, torch_module

_SEPARATOR = b"\n"


@registry.architectures("spacy-bts.MaskedBytes.v1")
def masked_bytes(
    rate: float = 0.15, mean_span: float = 3.0, segment_length: int = 256
) -> Callable[[object, Model], Model]:
    """Corrupt about ``rate`` of the bytes in spans of mean length ``mean_span``
    bytes and predict them from both sides with the component's byte encoder."""
    name = "spacy-bts.MaskedBytes.v1"
    if not 0.0 < rate < 1.0:
        raise ValueError(f"{name}: rate must be in (0, 1), got {rate}")
    if mean_span < 1.0:
        raise ValueError(f"{name}: mean_span must be >= 1, got {mean_span}")
    if segment_length < 2:
        raise ValueError(f"{name}: segment_length must be >= 2, got {segment_length}")

    def create(vocab, component_model: Model) -> Model:
        return build_pretraining_model(component_model, rate, mean_span, segment_length)

    return create


def build_pretraining_model(component_model: Model, rate: float, mean_span: float, segment_length: int) -> Model:
    from .module import MaskedByteModule

    attrs = component_model.attrs
    if "encoder_kind" not in attrs:
        raise ValueError(
            f"spacy-bts.MaskedBytes.v1: the component's model {component_model.name!r} has no byte encoder "
            '(set [pretraining] component to a bts_ner or bts_pos whose model has an encoder, and layer to "")'
        )
    spec = EncoderSpec(attrs["encoder_kind"], dict(attrs["encoder_settings"]))
    dropout = attrs.get("dropout_rate", 0.0)
    module = MaskedByteModule(spec.build(dropout), rate, mean_span, dropout)
    wrapper = PyTorchWrapper_v2(module, convert_inputs=_convert_inputs, convert_outputs=_convert_outputs)
    wrapper.attrs.update(
        {"encoder_kind": spec.kind, "encoder_settings": dict(spec.settings), "objective": "masked_bytes"}
    )
    return Model(
        "bts_masked_bytes",
        _forward,
        layers=[wrapper],
        refs={"tok2vec": wrapper},
        attrs={"loss": _loss, "segment_length": segment_length, "dropout_rate": dropout},
    )


def pack_rows(texts: List[str], k: int) -> numpy.ndarray:
    """(rows, k) byte ids: texts whole where they fit (longer ones cut into k-byte
    pieces), placed greedily, newline between neighbours, PAD after."""
    rows: List[bytes] = []
    current = b""
    for text in texts:
        data = encode_text(text)
        for start in range(0, len(data), k):
            piece = data[start : start + k]
            joined = current + _SEPARATOR + piece if current else piece
            if len(joined) <= k:
                current = joined
            else:
                rows.append(current)
                current = piece
    if current:
        rows.append(current)
    out = numpy.full((max(len(rows), 1), k), PAD, dtype=numpy.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = numpy.frombuffer(row, dtype=numpy.uint8)
    return out


def _forward(model: Model, docs, is_train: bool):
    if is_train:
        torch_module(model).set_dropout(model.attrs["dropout_rate"])
    rows = pack_rows([doc.text for doc in docs if doc.text], model.attrs["segment_length"])
    return model.layers[0](rows, is_train)


def _loss(ops, docs, loss: float):
    """``spacy pretrain``'s objective hook: the forward pass already returns the loss."""
    return loss, 1.0


def _convert_inputs(model: Model, rows: numpy.ndarray, is_train: bool):
    return ArgsKwargs(args=(int_tensor(model, rows),), kwargs={}), lambda d_inputs: rows


def _convert_outputs(model: Model, inputs_outputs, is_train: bool):
    return loss_output(inputs_outputs[1])


@registry.misc("spacy-bts.text_bytes.v1")
def text_bytes() -> Callable[[object], int]:
    """A batcher's ``get_length``: the UTF-8 length of a Doc's (or Example's) text, so that
    batches hold as many bytes in every script (unspaced text has few "words")."""

    def get_length(doc_or_example) -> int:
        doc = getattr(doc_or_example, "reference", doc_or_example)
        return len(encode_text(doc.text))

    return get_length
