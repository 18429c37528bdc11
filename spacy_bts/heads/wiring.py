"""The Thinc wiring every head's model shares: one PyTorch module behind a Thinc ``Model``.

A head's batch (``TagBatch``, ``SegmentBatch``) says which arrays the module
reads (``torch_args``). With targets the module returns its mean loss, which
comes back as a float with a backprop that starts torch's backward pass from
it; without, its prediction comes back as numpy arrays. The module is built by
the model's head (``build_module``) in the init callback, once the number of
labels (dim ``nO``) is known, and again by ``ensure_built`` before serialized
weights are loaded. Dropout follows Thinc's convention: the ``dropout_rate``
attribute, which spaCy sets from ``[training] dropout``.
"""

from typing import Any, Dict, List, Optional

import numpy
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v2, set_dropout_rate
from thinc.util import xp2torch

from . import precision
from .precision import COPIES
from .registry import head_class


def span_model(name: str, attrs: Dict[str, Any], nO: Optional[int]) -> Model:
    """A head's model; ``attrs`` must name its ``head`` and ``architecture``."""
    return Model(name, forward, init=init, dims={"nO": nO}, attrs=attrs)


def check_rates(name: str, **rates: float) -> None:
    """Each rate (dropout, byte-dropout) must be in [0, 1)."""
    for arg, value in rates.items():
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name}: {arg} must be in [0, 1), got {value}")


def init(model: Model, X=None, Y=None) -> None:
    # Without labels (``spacy pretrain`` initialises the component's model before any
    # component initialize) the module is built later, when nO is set.
    if model.has_dim("nO"):
        ensure_built(model)


def is_built(model: Model) -> bool:
    """Whether the model's PyTorch layer exists (it comes after any ``input_layers``)."""
    return len(model.layers) > model.attrs.get("input_layers", 0)


def clear(model: Model) -> None:
    """Remove the model's PyTorch layer (to be built again for new labels)."""
    del model._layers[model.attrs.get("input_layers", 0) :]


def ensure_built(model: Model) -> None:
    """Create the PyTorch layer if it does not exist yet (needs dim ``nO``)."""
    if is_built(model):
        return
    if model.attrs.get("input_layers", 0):
        model.initialize()
        return
    module = head_class(model).build_module(model.attrs, model.get_dim("nO"))
    model._layers.append(_wrap(module, model.attrs.get("mixed_precision", False)))


def torch_module(model: Model):
    """The module wrapped by a built model (its last layer)."""
    return model.layers[-1].shims[0]._model


def non_finite_parameters(model: Model) -> List[str]:
    """Names of the built model's parameters holding NaN or infinity."""
    return [name for name, param in torch_module(model).named_parameters() if not param.isfinite().all()]


def model_device(model: Model) -> str:
    return str(model.layers[-1].shims[0].device)


def bfloat16_where_native(model: Model) -> Optional[str]:
    """``auto`` precision of a head with a bfloat16 copy: ``bfloat16`` on a CPU that
    computes it natively, else ``None`` (float32)."""
    return "bfloat16" if model_device(model) == "cpu" and precision.native_bfloat16() else None


def set_dropout(model: Model, rate: Optional[float]) -> None:
    """Set the model's dropout rate (``None``: the architecture's default, if it has one)."""
    if rate is None:
        rate = model.attrs.get("dropout")
    if rate is not None:
        set_dropout_rate(model, rate)


def prediction_copy(model: Model, kind: str) -> Model:
    """A prediction-only copy of a built CPU model in reduced precision ``kind``;
    the float model stays the one trained and serialized."""
    head = head_class(model)
    if not head.precisions:
        raise ValueError(
            f"{model.name}: the {head.name} head predicts in float32 over a shared encoder; set the "
            'encoder\'s precision instead (spacy-bts.ByteEncoder.v1 precision), and quantize = "auto" or false here'
        )
    if kind not in head.precisions:
        raise ValueError(
            f"{model.name}: no {kind} prediction for the {head.name} head; "
            f"it predicts in float32 or {' or '.join(head.precisions)}"
        )
    device = model_device(model)
    if device != "cpu":
        raise ValueError(f"{model.name}: {kind} prediction runs on CPU only, the model is on {device}")
    module = COPIES[kind](torch_module(model))
    return Model(f"{model.name}_{kind}", forward, layers=[_wrap(module)], attrs=dict(model.attrs, precision=kind))


def forward(model: Model, batch, is_train: bool):
    if not model.layers:
        raise ValueError(f"{model.name}: the model is not built yet; initialize its component first")
    if is_train:
        if batch.targets is None:
            raise ValueError(f"{model.name}: training needs a batch with targets")
        torch_module(model).set_dropout(model.attrs["dropout_rate"])
    return model.layers[0](batch, is_train)


def _wrap(module, mixed_precision: bool = False) -> Model:
    return PyTorchWrapper_v2(
        module, convert_inputs=_convert_inputs, convert_outputs=_convert_outputs, mixed_precision=mixed_precision
    )


def int_tensor(model: Model, value):
    """A numpy array as a tensor on the wrapped module's device: integers as int64, floats
    (a head's intermediate states) as float32; anything else as is."""
    if not isinstance(value, numpy.ndarray):
        return value
    dtype = numpy.float32 if numpy.issubdtype(value.dtype, numpy.floating) else numpy.int64
    return xp2torch(numpy.ascontiguousarray(value, dtype=dtype), device=model.shims[0].device)


def _convert_inputs(model: Model, batch, is_train: bool):
    args, kwargs = batch.torch_args()
    converted = ArgsKwargs(
        args=tuple(int_tensor(model, a) for a in args),
        kwargs={key: int_tensor(model, value) for key, value in kwargs.items()},
    )
    return converted, lambda d_inputs: batch


def _convert_outputs(model: Model, inputs_outputs, is_train: bool):
    batch, outputs = inputs_outputs
    if is_train or batch.targets is not None:  # the loss (in prediction: without dropout)
        return loss_output(outputs)
    if isinstance(outputs, tuple):
        return tuple(o.cpu().numpy() for o in outputs), _no_backprop
    return outputs.cpu().numpy(), _no_backprop


def loss_output(loss):
    """A module's scalar loss as Thinc output: the float, and a backprop that starts
    torch's backward pass from it."""

    def backprop(d_loss: float) -> ArgsKwargs:
        return ArgsKwargs(args=(loss,), kwargs={"grad_tensors": loss.new_tensor(d_loss)})

    return float(loss.detach().cpu()), backprop


def _no_backprop(d_outputs):
    raise ValueError("span model: prediction is not differentiable")
