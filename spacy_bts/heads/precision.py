"""Prediction in reduced precision, and batches that compute alike whatever their size.

Copies for CPU prediction: ``int8`` (dynamic quantization of the LSTM and linear
layers: weights int8, activations quantized on the fly) and ``bfloat16`` (weights
and activations; log-probabilities still in float32). ``auto`` picks bfloat16
where the CPU multiplies it in hardware (AMX tiles, or AVX-512 BF16 dot products)
and oneDNN, which runs the LSTM, may use those instructions; elsewhere float32.
Measured on an AMD EPYC (Zen 5) with oneDNN limited to each instruction set
(``bench/precision.py``, BENCHMARKS.md "Precision per CPU"): emulated bfloat16 is
about half float32's speed with AVX-512 and a seventh with AVX2, and int8 is
slower than float32 under every limit, so no CPU gets int8 by default.

``pad_rows``: CPU matrix kernels round differently for a handful of rows than
for many, which would make a segment's result depend on how many others share
its batch; prediction batches are padded to ``min_rows`` rows.
"""

import copy
import os
from typing import Dict

import torch
from torch import nn
from torch.nn import functional as F

from ..byte_text import PAD

# Fewest rows a prediction batch is padded to.
MIN_ROWS = 16

# Segments per CPU forward pass with which the byte tagger predicted fastest, by
# precision (bench/precision.py, BENCHMARKS.md "Precision per CPU"): with more, the
# LSTM's working set no longer fits the caches. ``max_batch_segments`` caps them.
CPU_PREDICTION_ROWS = {"float32": 32, "bfloat16": 128, "int8": 128}

# oneDNN's instruction-set limits (ONEDNN_MAX_CPU_ISA), weakest first; from
# AVX512_CORE_BF16 on, it computes bfloat16 natively.
ONEDNN_ISAS = (
    "SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI",
    "AVX512_CORE_BF16", "AVX10_1_512", "AVX512_CORE_FP16", "AVX10_1_512_AMX", "AVX512_CORE_AMX",
    "AVX10_1_512_AMX_FP16", "AVX512_CORE_AMX_FP16", "DEFAULT", "ALL",
)  # fmt: skip
FIRST_BFLOAT16_ISA = ONEDNN_ISAS.index("AVX512_CORE_BF16")


def _cpu_has(feature: str) -> bool:
    return bool(getattr(torch.cpu, f"_is_{feature}_supported", lambda: False)())


def onednn_isa_limit() -> str:
    """The instruction-set limit oneDNN was given (``ALL``: none)."""
    value = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "ALL"
    return value.strip().upper()


def cpu_capability() -> Dict[str, object]:
    """What this CPU computes natively, as the precision choice sees it."""
    limit = onednn_isa_limit()
    return {
        "amx": _cpu_has("amx_tile"),
        "avx512_bf16": _cpu_has("avx512_bf16"),
        "avx512": _cpu_has("avx512"),
        "avx2": _cpu_has("avx2"),
        "vnni": _cpu_has("vnni"),
        "aten": torch.backends.cpu.get_cpu_capability(),
        "onednn_limit": limit,
    }


def native_bfloat16() -> bool:
    """Whether bfloat16 matrix products run in hardware here: AMX tiles or AVX-512 BF16,
    with oneDNN not limited below the instructions that use them."""
    if not (_cpu_has("amx_tile") or _cpu_has("avx512_bf16")):
        return False
    limit = onednn_isa_limit()
    # An unknown name is oneDNN's to refuse; it does not forbid bfloat16.
    return limit not in ONEDNN_ISAS or ONEDNN_ISAS.index(limit) >= FIRST_BFLOAT16_ISA


def pad_rows(inputs: torch.Tensor, n_rows: int, value=PAD) -> torch.Tensor:
    """``inputs`` (n, ...) with rows of ``value`` appended up to ``n_rows``."""
    if inputs.shape[0] >= n_rows:
        return inputs
    return F.pad(inputs, (0, 0) * (inputs.dim() - 1) + (0, n_rows - inputs.shape[0]), value=value)


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
