"""What the Thinc wirings of the PyTorch models share (``bts_model``, ``tagger_model``).

Integer arrays go to torch as int64; in training the module returns its loss,
which comes back as a float with a backprop that starts torch's backward pass
from it; prediction-only copies (int8, bfloat16) can be made of a built model on CPU.
"""
from typing import Callable

import numpy
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v2
from thinc.util import xp2torch


def int_tensor(model: Model, array: numpy.ndarray):
    """``array`` as an int64 tensor on the wrapper's device."""
    return xp2torch(numpy.ascontiguousarray(array, dtype=numpy.int64), device=model.shims[0].device)


def loss_output(loss):
    """The training output of a module that returns its loss: (float, backprop)."""

    def backprop(d_loss: float) -> ArgsKwargs:
        return ArgsKwargs(args=(loss,), kwargs={"grad_tensors": loss.new_tensor(d_loss)})

    return float(loss.detach().cpu()), backprop


def wrap(module, convert_inputs: Callable, convert_outputs: Callable, mixed_precision: bool = False) -> Model:
    return PyTorchWrapper_v2(
        module, convert_inputs=convert_inputs, convert_outputs=convert_outputs, mixed_precision=mixed_precision
    )


def torch_module(model: Model):
    """The module wrapped by a built model."""
    return model.layers[0].shims[0]._model


def model_device(model: Model) -> str:
    return str(model.layers[0].shims[0].device)


def int8_copy(model: Model, forward: Callable, convert_inputs: Callable, convert_outputs: Callable) -> Model:
    """A prediction-only copy of a built model with int8 dynamic quantization of its
    LSTM and linear layers. Runs on CPU only; the float model stays the one trained
    and serialized."""
    from .pytorch_bts import quantized_int8

    return prediction_copy(model, "int8", quantized_int8, forward, convert_inputs, convert_outputs)


def prediction_copy(
    model: Model, kind: str, copy_module: Callable, forward: Callable, convert_inputs: Callable, convert_outputs: Callable
) -> Model:
    """A prediction-only copy of a built CPU model whose module is ``copy_module(module)``."""
    device = model_device(model)
    if device != "cpu":
        raise ValueError(f"{model.name}: {kind} prediction runs on CPU only, the model is on {device}")
    wrapper = wrap(copy_module(torch_module(model)), convert_inputs, convert_outputs)
    return Model(f"{model.name}_{kind}", forward, layers=[wrapper], attrs=dict(model.attrs))


def set_torch_threads(n: int) -> int:
    """Give torch ``n`` CPU threads in this process; returns the previous number."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    return before


def check_rates(name: str, **rates: float) -> None:
    """Each rate (dropout, byte-dropout) must be in [0, 1)."""
    for arg, value in rates.items():
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name}: {arg} must be in [0, 1), got {value}")
