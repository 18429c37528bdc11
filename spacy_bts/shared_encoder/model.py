"""``spacy-bts.ByteEncoder.v1``: Docs -> one (bytes, width) array of encoder states per Doc.

Training tiles each Doc's bytes with segments from a random phase (every byte
read once, as the byte tagger trains); prediction reads overlapping segments
and takes each byte's state from the segment in which it is most central
(stored as float16: the states wait on the Docs for the listening components).
Everything that decides what prediction computes (segment lengths, overlap,
precision) is an argument of the architecture, so a copy of the model placed in
a component by ``nlp.replace_listeners`` predicts exactly as ``bts_encoder`` did.
"""

import copy
import weakref
from typing import List

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import ArgsKwargs, Config, Model, PyTorchWrapper_v2
from thinc.types import Floats2d

from ..byte_text import PAD, ByteText
from ..encoders import EncoderSpec
from ..heads import precision
from ..heads.tagging import DEFAULT_TAGGER_MODEL
from ..heads.wiring import check_rates, int_tensor
from ..segmenting import plan_segments, scatter_owned, segment_inputs, split_batch, tiles, training_offsets
from .module import DocumentEncoderModule

DEFAULT_ENCODER_CONFIG = """
[model]
@architectures = "spacy-bts.ByteEncoder.v1"
segment_length = 256
inference_segment_length = 256
overlap = 128
dropout = 0.3
byte_dropout = 0.05
precision = "auto"
"""
# The same byte encoder as the components' own default model.
DEFAULT_ENCODER_MODEL = Config().from_str(DEFAULT_ENCODER_CONFIG)["model"]
DEFAULT_ENCODER_MODEL["encoder"] = copy.deepcopy(DEFAULT_TAGGER_MODEL["encoder"])

PRECISIONS = ("auto", "float32", "bfloat16")

# Predicted states are kept on the Docs between components (1 KB per byte in float32):
# float16 halves that; the listeners compute in float32. Training states stay float32.
STORED_DTYPE = numpy.float16

# PyTorch module -> the reduced-precision copy predict() uses; dropped in training and
# by forget_precision_copy after weights change. (Thinc models take no weak references.)
_COPIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@registry.architectures("spacy-bts.ByteEncoder.v1")
def build_byte_encoder(
    encoder: EncoderSpec, segment_length: int = 256, inference_segment_length: int = 256, overlap: int = 128,
    dropout: float = 0.3, byte_dropout: float = 0.05, precision: str = "auto",
) -> Model[List[Doc], List[Floats2d]]:  # fmt: skip
    """A byte encoder reading whole Docs, for the ``bts_encoder`` component.

    encoder: a byte encoder architecture, e.g. ``spacy-bts.BiLSTMEncoder.v2``.
    segment_length: bytes per training segment.
    inference_segment_length: bytes per inference segment (>= segment_length).
    overlap: bytes shared by consecutive inference segments (< inference_segment_length).
    dropout: default dropout rate (``[training] dropout`` overrides it).
    byte_dropout: fraction of input bytes replaced by DROP in training.
    precision: how prediction computes: "float32", "bfloat16", or "auto"
        (bfloat16 on a CPU that multiplies it natively, as ``bts_ner``'s quantize).
    """
    name = "spacy-bts.ByteEncoder.v1"
    if not isinstance(encoder, EncoderSpec):
        raise ValueError(f"{name}: encoder must be a byte encoder architecture, got {type(encoder).__name__}")
    if segment_length < 2 or inference_segment_length < segment_length:
        raise ValueError(
            f"{name}: need 2 <= segment_length <= inference_segment_length, got {segment_length}, "
            f"{inference_segment_length}"
        )
    if not 0 <= overlap < inference_segment_length:
        raise ValueError(f"{name}: overlap must be in [0, {inference_segment_length}), got {overlap}")
    if precision not in PRECISIONS:
        raise ValueError(f"{name}: precision must be one of {PRECISIONS}, got {precision!r}")
    check_rates(name, dropout=dropout, byte_dropout=byte_dropout)
    module = DocumentEncoderModule(encoder.build(dropout), byte_dropout)
    attrs = {
        "architecture": name,
        "encoder_kind": encoder.kind,
        "encoder_settings": dict(encoder.settings),
        "segment_length": segment_length,
        "inference_segment_length": inference_segment_length,
        "overlap": overlap,
        "dropout_rate": dropout,
        "byte_dropout": byte_dropout,
        "precision": precision,
    }
    wrapper = PyTorchWrapper_v2(module, convert_inputs=_convert_inputs)
    return Model("bts_byte_encoder", _forward, layers=[wrapper], dims={"nO": module.width}, attrs=attrs)


def forget_precision_copy(model: Model) -> None:
    """Drop the reduced-precision copies of every byte encoder in ``model`` (after its weights change)."""
    for node in model.walk():
        for shim in node.shims:
            _COPIES.pop(shim._model, None)


def _forward(model: Model, docs: List[Doc], is_train: bool):
    arrays = [ByteText(doc.text).as_array() for doc in docs]
    if not is_train:
        return _predict(model, arrays), _no_backprop
    module = model.layers[0].shims[0]._model
    _COPIES.pop(module, None)
    module.set_dropout(model.attrs["dropout_rate"])
    inputs, index = _training_segments(arrays, model.attrs["segment_length"])
    states, backprop_states = model.layers[0](ArgsKwargs(args=(inputs, index), kwargs={}), is_train)
    bounds = numpy.cumsum([len(a) for a in arrays])[:-1]
    outputs = numpy.split(states, bounds) if len(arrays) else []

    def backprop(d_outputs: List[Floats2d]) -> List[Doc]:
        width = model.get_dim("nO")
        d_states = numpy.concatenate(d_outputs) if d_outputs else numpy.zeros((0, width), dtype=numpy.float32)
        backprop_states(numpy.ascontiguousarray(d_states, dtype=numpy.float32))
        return []

    return outputs, backprop


def _training_segments(arrays: List[numpy.ndarray], k: int):
    """Segments tiling each text, and for each byte of each text its flat (segment, position) index."""
    # Drawn from numpy's global state so that fix_random_seed applies.
    rng = numpy.random.default_rng(numpy.random.randint(2**31))
    rows, index, n_rows = [], [], 0
    for data in arrays:
        if not len(data):
            continue
        offsets = training_offsets(len(data), k, rng)
        positions = numpy.arange(len(data))
        segment = numpy.searchsorted(offsets, positions, side="right") - 1
        rows.append(tiles(data, offsets, k, PAD))
        index.append((n_rows + segment) * k + positions - offsets[segment])
        n_rows += len(offsets)
    if not rows:
        return numpy.zeros((0, k), dtype=numpy.int64), numpy.zeros((0,), dtype=numpy.int64)
    return numpy.concatenate(rows), numpy.concatenate(index)


def _convert_inputs(model: Model, inputs: ArgsKwargs, is_train: bool):
    converted = ArgsKwargs(args=tuple(int_tensor(model, a) for a in inputs.args), kwargs={})
    return converted, lambda d_inputs: inputs


def _predict(model: Model, arrays: List[numpy.ndarray]) -> List[Floats2d]:
    attrs = model.attrs
    k, width = attrs["inference_segment_length"], model.get_dim("nO")
    kind, module = _prediction_module(model)
    plan = plan_segments([len(data) for data in arrays], k, attrs["overlap"], central=True)
    outputs = [numpy.empty((len(data), width), dtype=STORED_DTYPE) for data in arrays]
    was_training = module.training
    module.eval()
    try:
        for part in split_batch(len(plan), precision.CPU_PREDICTION_ROWS[kind]):
            inputs = segment_inputs(arrays, plan.doc[part], plan.offset[part], k).inputs
            states = module.encode(int_tensor(model.layers[0], inputs)).cpu().numpy()
            scatter_owned(plan, part, states, outputs)
    finally:
        module.train(was_training)
    return outputs


def _prediction_module(model: Model):
    """The precision prediction uses and the module computing in it."""
    module = model.layers[0].shims[0]._model
    setting = model.attrs["precision"]
    on_cpu = str(model.layers[0].shims[0].device) == "cpu"
    if setting == "auto":
        setting = "bfloat16" if on_cpu and precision.native_bfloat16() else "float32"
    if setting == "float32":
        return "float32", module
    if not on_cpu:
        raise ValueError(f"{model.attrs['architecture']}: bfloat16 prediction runs on CPU only")
    if module not in _COPIES:
        _COPIES[module] = precision.COPIES[setting](module)
    return setting, _COPIES[module]


def _no_backprop(d_outputs):
    raise ValueError("bts_byte_encoder: prediction is not differentiable")
