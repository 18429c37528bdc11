"""Registered byte encoders: settings now, the PyTorch module when the model is built.

An encoder architecture returns an ``EncoderSpec``; the model that uses it
builds the module in its init callback (so nothing touches torch until then).
A new encoder is a module in ``pytorch_encoders.py`` plus a function here.
"""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

from spacy.util import registry


@dataclass(frozen=True)
class EncoderSpec:
    """What a byte encoder is: its kind and the keyword arguments that build it."""

    kind: str
    settings: Dict[str, Any] = field(default_factory=dict)

    def build(self, dropout: float):
        from . import pytorch_encoders as pe

        s = dict(self.settings)
        embedding = pe.ByteEmbedding(
            s.pop("embed_width"), s.pop("ngram_sizes"), s.pop("ngram_buckets"), s.pop("word_buckets", 0)
        )
        if self.kind == "bilstm":
            return pe.BiLSTMEncoder(embedding, s["hidden"], s["depth"], dropout)
        if self.kind == "conv":
            return pe.ConvEncoder(
                embedding, s["width"], s["kernel"], s["dilations"], s["lstm_hidden"], dropout
            )
        raise ValueError(f"unknown byte encoder kind {self.kind!r}")


def _check_embedding(name: str, embed_width: int, ngram_sizes: Sequence[int], ngram_buckets: int) -> List[int]:
    if embed_width < 1:
        raise ValueError(f"{name}: embed_width must be >= 1, got {embed_width}")
    sizes = [int(n) for n in ngram_sizes]
    if any(n < 2 or n > 6 for n in sizes) or len(set(sizes)) != len(sizes):
        raise ValueError(f"{name}: ngram_sizes must be distinct values in [2, 6], got {list(ngram_sizes)}")
    if sizes and ngram_buckets < 1:
        raise ValueError(f"{name}: ngram_buckets must be >= 1, got {ngram_buckets}")
    return sizes


def _bilstm_spec(
    name: str, embed_width: int, ngram_sizes: Sequence[int], ngram_buckets: int,
    word_buckets: int, hidden: int, depth: int,
) -> EncoderSpec:
    sizes = _check_embedding(name, embed_width, ngram_sizes, ngram_buckets)
    if hidden < 1 or depth < 1:
        raise ValueError(f"{name}: hidden and depth must be >= 1, got {hidden}, {depth}")
    if word_buckets < 0:
        raise ValueError(f"{name}: word_buckets must be >= 0, got {word_buckets}")
    settings = {"embed_width": embed_width, "ngram_sizes": sizes, "ngram_buckets": ngram_buckets,
                "hidden": hidden, "depth": depth}
    if word_buckets:
        settings["word_buckets"] = word_buckets
    return EncoderSpec("bilstm", settings)


@registry.architectures("spacy-bts.BiLSTMEncoder.v1")
def bilstm_encoder(
    embed_width: int = 64,
    ngram_sizes: List[int] = [2, 3, 4],
    ngram_buckets: int = 8192,
    hidden: int = 128,
    depth: int = 2,
) -> EncoderSpec:
    """Byte (+ hashed n-gram) embeddings under a ``depth``-layer bidirectional
    LSTM with ``hidden`` units per direction."""
    return _bilstm_spec("spacy-bts.BiLSTMEncoder.v1", embed_width, ngram_sizes, ngram_buckets, 0, hidden, depth)


@registry.architectures("spacy-bts.BiLSTMEncoder.v2")
def bilstm_encoder_v2(
    embed_width: int = 64,
    ngram_sizes: List[int] = [2, 3, 4],
    ngram_buckets: int = 8192,
    word_buckets: int = 4096,
    hidden: int = 128,
    depth: int = 2,
) -> EncoderSpec:
    """``BiLSTMEncoder.v1`` plus a hashed embedding of the word each byte belongs to
    (``word_buckets`` rows; 0 for none, which is v1)."""
    return _bilstm_spec(
        "spacy-bts.BiLSTMEncoder.v2", embed_width, ngram_sizes, ngram_buckets, word_buckets, hidden, depth
    )


@registry.architectures("spacy-bts.ConvEncoder.v1")
def conv_encoder(
    embed_width: int = 64,
    ngram_sizes: List[int] = [2, 3, 4],
    ngram_buckets: int = 8192,
    width: int = 128,
    kernel: int = 3,
    dilations: List[int] = [1, 2, 4, 8],
    lstm_hidden: int = 64,
) -> EncoderSpec:
    """Byte (+ hashed n-gram) embeddings under dilated residual convolutions
    (gated, layer-normed) and an optional thin bidirectional LSTM
    (``lstm_hidden`` units per direction; 0 for none)."""
    name = "spacy-bts.ConvEncoder.v1"
    sizes = _check_embedding(name, embed_width, ngram_sizes, ngram_buckets)
    if width < 1 or lstm_hidden < 0:
        raise ValueError(f"{name}: width must be >= 1 and lstm_hidden >= 0, got {width}, {lstm_hidden}")
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"{name}: kernel must be odd, got {kernel}")
    if not dilations or any(d < 1 for d in dilations):
        raise ValueError(f"{name}: dilations must be a non-empty list of values >= 1, got {list(dilations)}")
    return EncoderSpec(
        "conv",
        {"embed_width": embed_width, "ngram_sizes": sizes, "ngram_buckets": ngram_buckets,
         "width": width, "kernel": kernel, "dilations": [int(d) for d in dilations],
         "lstm_hidden": lstm_hidden},
    )
