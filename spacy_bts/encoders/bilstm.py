"""A stacked bidirectional LSTM over the byte embedding (the default encoder)."""

from typing import List

import torch
from spacy.util import registry
from torch import nn

from .embeddings import ByteEmbedding
from .registry import EncoderSpec, check_embedding, encoder_modules


class BiLSTMEncoder(nn.Module):
    """Byte embedding -> dropout -> stacked bidirectional LSTM."""

    def __init__(self, embedding: ByteEmbedding, hidden: int, depth: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.embed = embedding
        self.lstm = nn.LSTM(
            embedding.width,
            hidden,
            num_layers=depth,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if depth > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.width = 2 * hidden

    def set_dropout(self, rate: float) -> None:
        self.dropout.p = rate
        if self.lstm.num_layers > 1:
            self.lstm.dropout = rate

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.lstm(self.dropout(self.embed(inputs)))
        return hidden


@encoder_modules.register("bilstm")
def build_bilstm(embedding: ByteEmbedding, dropout: float, *, hidden: int, depth: int) -> BiLSTMEncoder:
    return BiLSTMEncoder(embedding, hidden, depth, dropout)


def _bilstm_spec(
    name: str, embed_width: int, ngram_sizes: List[int], ngram_buckets: int, word_buckets: int, hidden: int, depth: int,
) -> EncoderSpec:  # fmt: skip
    sizes = check_embedding(name, embed_width, ngram_sizes, ngram_buckets)
    if hidden < 1 or depth < 1:
        raise ValueError(f"{name}: hidden and depth must be >= 1, got {hidden}, {depth}")
    if word_buckets < 0:
        raise ValueError(f"{name}: word_buckets must be >= 0, got {word_buckets}")
    settings = {
        "embed_width": embed_width,
        "ngram_sizes": sizes,
        "ngram_buckets": ngram_buckets,
        "hidden": hidden,
        "depth": depth,
    }
    if word_buckets:
        settings["word_buckets"] = word_buckets
    return EncoderSpec("bilstm", settings)


@registry.architectures("spacy-bts.BiLSTMEncoder.v1")
def bilstm_encoder(
    embed_width: int = 64, ngram_sizes: List[int] = [2, 3, 4], ngram_buckets: int = 8192, hidden: int = 128, depth: int
    = 2,
) -> EncoderSpec:  # fmt: skip
    """Byte (+ hashed n-gram) embeddings under a ``depth``-layer bidirectional
    LSTM with ``hidden`` units per direction."""
    return _bilstm_spec("spacy-bts.BiLSTMEncoder.v1", embed_width, ngram_sizes, ngram_buckets, 0, hidden, depth)


@registry.architectures("spacy-bts.BiLSTMEncoder.v2")
def bilstm_encoder_v2(
    embed_width: int = 64, ngram_sizes: List[int] = [2, 3, 4], ngram_buckets: int = 8192, word_buckets: int = 4096,
    hidden: int = 128, depth: int = 2,
) -> EncoderSpec:  # fmt: skip
    """``BiLSTMEncoder.v1`` plus a hashed embedding of the word each byte belongs to
    (``word_buckets`` rows; 0 for none, which is v1)."""
    return _bilstm_spec(
        "spacy-bts.BiLSTMEncoder.v2", embed_width, ngram_sizes, ngram_buckets, word_buckets, hidden, depth
    )
