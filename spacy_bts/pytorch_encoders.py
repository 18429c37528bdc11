"""Byte encoders as plain PyTorch modules: (n_segments, k) byte ids -> (n_segments, k, width).

Every encoder starts with ``ByteEmbedding``: a byte embedding plus, optionally,
hashed embeddings of the byte n-grams ending at each byte (as CANINE's hashed
character n-grams: they give each byte its local context before any recurrence).
"""
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .span_vocab import N_SPECIAL_INPUTS, PAD

# Multiplier mixing an n-gram's byte ids into one integer (> the number of input ids).
_BASE = 263


class ByteEmbedding(nn.Module):
    """Byte embedding plus the sum of hashed n-gram embeddings (one table per n)."""

    def __init__(self, width: int, ngram_sizes: Sequence[int], ngram_buckets: int) -> None:
        super().__init__()
        self.width = width
        self.bytes = nn.Embedding(N_SPECIAL_INPUTS, width, padding_idx=PAD)
        self.ngram_sizes = tuple(int(n) for n in ngram_sizes)
        self.ngram_buckets = int(ngram_buckets)
        self.ngrams = nn.ModuleList(nn.Embedding(self.ngram_buckets, width) for _ in self.ngram_sizes)
        for table in self.ngrams:
            nn.init.normal_(table.weight, std=0.02)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.bytes(inputs)
        if not self.ngram_sizes:
            return x
        # Bytes before the segment's start read as PAD, as in a segment at the text's start.
        longest = max(self.ngram_sizes)
        padded = F.pad(inputs, (longest - 1, 0), value=PAD)
        k = inputs.shape[1]
        code = torch.zeros_like(inputs)
        for n in range(1, longest + 1):
            code = code * _BASE + padded[:, longest - n : longest - n + k]
            if n in self.ngram_sizes:
                table = self.ngrams[self.ngram_sizes.index(n)]
                x = x + table(torch.remainder(code * 40503 + n, self.ngram_buckets))
        return x


class BiLSTMEncoder(nn.Module):
    """Byte embedding -> dropout -> stacked bidirectional LSTM."""

    def __init__(
        self, embedding: ByteEmbedding, hidden: int, depth: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.embed = embedding
        self.lstm = nn.LSTM(
            embedding.width, hidden, num_layers=depth, batch_first=True, bidirectional=True,
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
        self,
        embedding: ByteEmbedding,
        width: int,
        kernel: int,
        dilations: Sequence[int],
        lstm_hidden: int,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.embed = embedding
        self.project = nn.Linear(embedding.width, width) if embedding.width != width else nn.Identity()
        self.blocks = nn.ModuleList(_ResidualConv(width, kernel, d) for d in dilations)
        self.lstm = (
            nn.LSTM(width, lstm_hidden, batch_first=True, bidirectional=True) if lstm_hidden > 0 else None
        )
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
