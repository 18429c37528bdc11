"""Which precision ``quantize = "auto"`` picks on which CPU, and the reduced-precision copies."""

import pytest
import torch

from spacy_bts.heads import precision


def _cpu(monkeypatch, *features):
    monkeypatch.setattr(precision, "_cpu_has", lambda feature: feature in features)


@pytest.mark.parametrize(
    "features, limit, expected",
    [
        (("amx_tile", "avx512_bf16", "avx512", "avx2"), None, True),
        (("avx512_bf16", "avx512", "avx2"), None, True),  # AMD Zen 4 and later
        (("avx512_bf16", "avx512", "avx2"), "AVX512_CORE_BF16", True),
        (("avx512_bf16", "avx512", "avx2"), "avx512_core_amx", True),
        (("avx512_bf16", "avx512", "avx2"), "AVX512_CORE_VNNI", False),  # emulated: slower than float32
        (("amx_tile", "avx512_bf16", "avx512", "avx2"), "AVX2", False),
        (("avx512", "avx2"), None, False),  # AVX-512 without BF16
        (("avx2",), None, False),
        ((), None, False),  # e.g. ARM without bfloat16 support in torch's CPU checks
    ],
)
def test_bfloat16_is_native_only_where_the_cpu_and_onednn_compute_it(monkeypatch, features, limit, expected):
    _cpu(monkeypatch, *features)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    if limit is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", limit)
    assert precision.native_bfloat16() is expected


def test_the_older_onednn_variable_counts_too(monkeypatch):
    _cpu(monkeypatch, "avx512_bf16", "avx512", "avx2")
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.setenv("DNNL_MAX_CPU_ISA", "AVX2")
    assert precision.onednn_isa_limit() == "AVX2"
    assert not precision.native_bfloat16()


def test_capability_names_what_the_choice_reads(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "avx2")
    found = precision.cpu_capability()
    assert found["onednn_limit"] == "AVX2"
    assert set(found) >= {"amx", "avx512_bf16", "avx512", "avx2", "aten"}
    assert all(isinstance(found[k], bool) for k in ("amx", "avx512_bf16", "avx512", "avx2"))


def test_pad_rows_appends_pad_rows_only_when_short():
    x = torch.ones((3, 5), dtype=torch.long)
    padded = precision.pad_rows(x, 8)
    assert padded.shape == (8, 5) and torch.equal(padded[:3], x)
    assert precision.pad_rows(padded, 4) is padded


def test_bfloat16_copy_leaves_the_float32_module_alone():
    module = torch.nn.Linear(4, 2)
    copy = precision.bfloat16_copy(module)
    assert copy.weight.dtype == torch.bfloat16 and module.weight.dtype == torch.float32
