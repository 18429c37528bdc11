"""Prediction in reduced precision, and batches that compute alike whatever their size.

Copies for CPU prediction: ``int8`` (dynamic quantization of the LSTM and linear
layers: weights int8, activations quantized on the fly) and ``bfloat16`` (weights
and activations; log-probabilities still in float32). ``auto`` picks bfloat16
only where the CPU multiplies it in hardware (AMX tiles).

``pad_rows``: CPU matrix kernels round differently for a handful of rows than
for many, which would make a segment's result depend on how many others share
its batch; prediction batches are padded to ``min_rows`` rows.
"""

import copy

import torch
from torch import nn
from torch.nn import functional as F

from ..byte_text import PAD

# Fewest rows a prediction batch is padded to.
MIN_ROWS = 16


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AMX tiles)."""
    return bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())


def pad_rows(inputs: torch.Tensor, n_rows: int) -> torch.Tensor:
    """``inputs`` (n, k) with PAD rows appended up to ``n_rows``."""
    if inputs.shape[0] >= n_rows:
        return inputs
    return F.pad(inputs, (0, 0, 0, n_rows - inputs.shape[0]), value=PAD)


def int8_copy(module: nn.Module) -> nn.Module:
    # Imported here: torch.ao.quantization warns of its deprecation on import.
    from torch.ao.quantization import quantize_dynamic

    quantized = quantize_dynamic(copy.deepcopy(module).eval(), {nn.LSTM, nn.Linear}, dtype=torch.qint8)
    # Activations are quantized with the range of the whole batch, so int8 results
    # depend on the batch anyway; filler rows would only widen that range.
    quantized.min_rows = 1
    return quantized


def bfloat16_copy(module: nn.Module) -> nn.Module:
    return copy.deepcopy(module).to(torch.bfloat16).eval()


COPIES = {"int8": int8_copy, "bfloat16": bfloat16_copy}
