"""Dilated residual convolutions over the byte embedding, with an optional thin BiLSTM on top."""

from typing import List, Sequence

import torch
from spacy.util import registry
from torch import nn
from torch.nn import functional as F

from .embeddings import ByteEmbedding
from .registry import EncoderSpec, check_embedding, encoder_modules


class _ResidualConv(nn.Module):
    def __init__(self, width: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(width, 2 * width, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2)
        self.norm = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, dropout: nn.Dropout) -> torch.Tensor:
        # (batch, k, width); gated linear unit, then residual and layer norm.
        y = F.glu(self.conv(dropout(x).transpose(1, 2)), dim=1).transpose(1, 2)
        return self.norm(x + y)


class ConvEncoder(nn.Module):
    """Byte embedding -> dilated residual convolutions -> optional thin BiLSTM.

    Convolutions see ``1 + (kernel - 1) * sum(dilations)`` bytes; the BiLSTM on
    top (``lstm_hidden > 0``) carries context across the whole segment.
    """

    def __init__(
        self, embedding: ByteEmbedding, width: int, kernel: int, dilations: Sequence[int], lstm_hidden: int, dropout:
        float = 0.0,
    ) -> None:  # fmt: skip
        super().__init__()
        self.embed = embedding
        self.project = nn.Linear(embedding.width, width) if embedding.width != width else nn.Identity()
        self.blocks = nn.ModuleList(_ResidualConv(width, kernel, d) for d in dilations)
        self.lstm = nn.LSTM(width, lstm_hidden, batch_first=True, bidirectional=True) if lstm_hidden > 0 else None
        self.dropout = nn.Dropout(dropout)
        self.width = 2 * lstm_hidden if lstm_hidden > 0 else width

    def set_dropout(self, rate: float) -> None:
        self.dropout.p = rate

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.project(self.embed(inputs))
        for block in self.blocks:
            x = block(x, self.dropout)
        if self.lstm is not None:
            x, _ = self.lstm(self.dropout(x))
        return x


@encoder_modules.register("conv")
def build_conv(
    embedding: ByteEmbedding, dropout: float, *, width: int, kernel: int, dilations: Sequence[int], lstm_hidden: int
) -> ConvEncoder:
    return ConvEncoder(embedding, width, kernel, dilations, lstm_hidden, dropout)


@registry.architectures("spacy-bts.ConvEncoder.v1")
def conv_encoder(
    embed_width: int = 64, ngram_sizes: List[int] = [2, 3, 4], ngram_buckets: int = 8192, width: int = 128, kernel: int
    = 3, dilations: List[int] = [1, 2, 4, 8], lstm_hidden: int = 64,
) -> EncoderSpec:  # fmt: skip
    """Byte (+ hashed n-gram) embeddings under dilated residual convolutions
    (gated, layer-normed) and an optional thin bidirectional LSTM
    (``lstm_hidden`` units per direction; 0 for none)."""
    name = "spacy-bts.ConvEncoder.v1"
    sizes = check_embedding(name, embed_width, ngram_sizes, ngram_buckets)
    if width < 1 or lstm_hidden < 0:
        raise ValueError(f"{name}: width must be >= 1 and lstm_hidden >= 0, got {width}, {lstm_hidden}")
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"{name}: kernel must be odd, got {kernel}")
    if not dilations or any(d < 1 for d in dilations):
        raise ValueError(f"{name}: dilations must be a non-empty list of values >= 1, got {list(dilations)}")
    return EncoderSpec(
        "conv",
        {
            "embed_width": embed_width,
            "ngram_sizes": sizes,
            "ngram_buckets": ngram_buckets,
            "width": width,
            "kernel": kernel,
            "dilations": [int(d) for d in dilations],
            "lstm_hidden": lstm_hidden,
        },
    )
