"""The byte tagger over a shared encoder: ``spacy-bts.SharedEncoderTagger.v1``.

Its ``encoder`` is a Thinc model from Docs to per-byte states: a
``spacy-bts.ByteEncoderListener.v1`` reading ``bts_encoder``, or (after
``nlp.replace_listeners``) a copy of ``bts_encoder``'s own
``spacy-bts.ByteEncoder.v1``. The model adds a per-byte tag layer, built once
the labels are known; targets cover every byte of each Doc, and spans are
decoded per Doc by the same constrained Viterbi as the byte tagger.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v2
from thinc.util import xp2torch

from ...spans import ByteSpans
from ..registry import span_heads
from ..wiring import check_rates, int_tensor, loss_output
from .biluo import IGNORE_TAG, n_tags, open_label_masks, spans_to_tags, tags_to_spans, viterbi
from .module import ByteTagLayer


@dataclass
class DocTagBatch:
    """Docs, and optionally each one's per-byte tag targets and open-label masks."""

    docs: List[Doc]
    targets: Optional[List[numpy.ndarray]] = None
    open_labels: Optional[List[numpy.ndarray]] = None

    def __len__(self) -> int:
        return len(self.docs)

    def select(self, index: slice) -> "DocTagBatch":
        return DocTagBatch(
            self.docs[index],
            None if self.targets is None else self.targets[index],
            None if self.open_labels is None else self.open_labels[index],
        )


@registry.architectures("spacy-bts.SharedEncoderTagger.v1")
def build_shared_encoder_tagger(encoder: Model, dropout: float = 0.3, nO: Optional[int] = None) -> Model:
    """A per-byte BILUO tag layer over ``encoder``'s states (Docs -> one (bytes, width) array per Doc).

    encoder: ``spacy-bts.ByteEncoderListener.v1`` (reads a ``bts_encoder``) or ``spacy-bts.ByteEncoder.v1``.
    dropout: default dropout rate of the tag layer's input.
    nO: number of labels; set by the component's ``initialize``.
    """
    name = "spacy-bts.SharedEncoderTagger.v1"
    if not isinstance(encoder, Model) or not encoder.has_dim("nO"):
        raise ValueError(f"{name}: encoder must be a Thinc model from Docs to byte states with a width (dim nO)")
    check_rates(name, dropout=dropout)
    attrs = {"architecture": name, "head": "shared_tagging", "dropout_rate": dropout, "input_layers": 1}
    return Model("shared_encoder_tagger", _forward, init=_init, layers=[encoder], dims={"nO": nO}, attrs=attrs)


def _init(model: Model, X=None, Y=None) -> None:
    if model.has_dim("nO") and len(model.layers) == 1:
        width = model.layers[0].get_dim("nO")
        module = ByteTagLayer(width, n_tags(model.get_dim("nO")), model.attrs["dropout_rate"])
        model._layers.append(
            PyTorchWrapper_v2(module, convert_inputs=_convert_inputs, convert_outputs=_convert_outputs)
        )


def _forward(model: Model, batch: DocTagBatch, is_train: bool):
    if len(model.layers) < 2:
        raise ValueError(f"{model.name}: the model is not built yet; initialize its component first")
    encoder, tag_layer = model.layers
    states, backprop_states = encoder(batch.docs, is_train)
    if batch.targets is None:
        # Doc by Doc: no second copy of the batch's states.
        return [tag_layer.predict(ArgsKwargs(args=(s,), kwargs={})) for s in states], _no_backprop
    lengths = [len(s) for s in states]
    width = encoder.get_dim("nO")
    flat = numpy.concatenate(states) if states else numpy.zeros((0, width), dtype=numpy.float32)
    kwargs = {"targets": numpy.concatenate(batch.targets)}
    if batch.open_labels is not None:
        kwargs["open_labels"] = numpy.concatenate(batch.open_labels)
    if is_train:
        tag_layer.shims[0]._model.set_dropout(model.attrs["dropout_rate"])
    loss, backprop_loss = tag_layer(ArgsKwargs(args=(flat,), kwargs=kwargs), is_train)

    def backprop(d_loss: float):
        d_flat = backprop_loss(d_loss)
        backprop_states(numpy.split(d_flat, numpy.cumsum(lengths)[:-1]))
        return batch

    return loss, backprop


def _convert_inputs(model: Model, inputs: ArgsKwargs, is_train: bool):
    states = xp2torch(numpy.ascontiguousarray(inputs.args[0], dtype=numpy.float32), requires_grad=is_train)
    kwargs = {key: int_tensor(model, value) for key, value in inputs.kwargs.items()}

    def backprop(d_inputs: ArgsKwargs):
        return d_inputs.args[0].cpu().numpy()

    return ArgsKwargs(args=(states,), kwargs=kwargs), backprop


def _convert_outputs(model: Model, inputs_outputs, is_train: bool):
    inputs, outputs = inputs_outputs
    if "targets" in inputs.kwargs:
        return loss_output(outputs)
    return outputs.detach().cpu().numpy(), _no_backprop


def _no_backprop(d_outputs):
    raise ValueError("shared encoder tagger: prediction is not differentiable")


@span_heads.register("shared_tagging")
class SharedTaggingHead:
    """The tagging head over a shared encoder: whole Docs in, spans per Doc out."""

    name = "shared_tagging"
    max_span_bytes = None
    leaves_labels_unknown = True
    reads_docs = True
    precisions = ()  # the encoder's precision is bts_encoder's (spacy-bts.ByteEncoder.v1 precision)

    def __init__(self, model: Model, n_labels: int, cfg: Dict, training_windows=None) -> None:
        self.model = model
        self.n_labels = n_labels
        self.cfg = cfg

    @staticmethod
    def auto_precision(model: Model) -> None:
        return None

    @staticmethod
    def describe(model: Model) -> str:
        encoder = model.layers[0]
        return f"shared encoder {encoder.name} of width {encoder.get_dim('nO')}"

    def document_batch(self, data, starts, ends, labels, rng, known=None, unannotated=(), doc=None) -> DocTagBatch:
        tags = spans_to_tags(len(data), starts, ends, labels, self.n_labels).astype(numpy.int64)
        if known is not None:
            tags[~known] = IGNORE_TAG  # missing annotation: no target
        batch = DocTagBatch([doc], [tags])
        if len(unannotated):
            batch.open_labels = [open_label_masks(tags, unannotated)]
        return batch

    def concat(self, batches: Sequence[DocTagBatch]) -> DocTagBatch:
        docs = [doc for b in batches for doc in b.docs]
        targets = [t for b in batches for t in b.targets]
        open_labels = None
        if any(b.open_labels is not None for b in batches):
            open_labels = [
                o
                for b in batches
                for o in (b.open_labels if b.open_labels is not None else [numpy.zeros_like(t) for t in b.targets])
            ]
        return DocTagBatch(docs, targets, open_labels)

    def predict(self, model: Model, arrays: List[numpy.ndarray], docs: Optional[List[Doc]] = None) -> List[ByteSpans]:
        if docs is None:
            raise ValueError(f"{model.name}: prediction over a shared encoder needs the Docs")
        emissions = model.predict(DocTagBatch(list(docs)))
        paths = viterbi(emissions, self.n_labels)
        return [tags_to_spans(path, lp, self.n_labels) for path, lp in zip(paths, emissions)]
