"""The byte embedding every encoder starts with, and byte-dropout of its inputs.

``ByteEmbedding``: a byte embedding plus, optionally, hashed embeddings of the
byte n-grams ending at each byte (as CANINE's hashed character n-grams: they give
each byte its local context before any recurrence) and of the word it is in.
"""

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..byte_text import DROP, N_BYTES, N_SPECIAL_INPUTS, PAD

# Multiplier mixing an n-gram's byte ids into one integer (> the number of input ids).
_BASE = 263


class HashedWordEmbedding(nn.Module):
    """Hashed embedding of the (ASCII-lowercased) word each byte belongs to.

    A word is a run of ASCII letters and digits and non-ASCII bytes; every other byte
    (space, punctuation, padding) gets a zero vector. This gives each byte what spaCy's
    CNN starts from, the identity of its word, which a byte LSTM would otherwise have
    to compose. Words cut by a segment edge are hashed from their part in the segment;
    words longer than ``max_length`` bytes (unspaced scripts) get no vector.
    """

    def __init__(self, width: int, buckets: int, max_length: int = 24) -> None:
        super().__init__()
        self.buckets = int(buckets)
        self.max_length = int(max_length)
        self.table = nn.Embedding(self.buckets, width)
        nn.init.normal_(self.table.weight, std=0.02)
        ids = torch.arange(N_SPECIAL_INPUTS)
        ascii_alnum = torch.tensor([chr(i).isascii() and chr(i).isalnum() for i in range(128)])
        in_word = torch.zeros(N_SPECIAL_INPUTS, dtype=torch.bool)
        in_word[:128] = ascii_alnum
        in_word[128:256] = True
        lowered = torch.where((ids >= 65) & (ids <= 90), ids + 32, ids)
        # Fixed odd multipliers per position in the word (a position-weighted sum hash).
        weights = (torch.arange(1, max_length + 1, dtype=torch.int64) * 2654435761 + 97) % (2**31 - 1) * 2 + 1
        self.register_buffer("in_word", in_word, persistent=False)
        self.register_buffer("lowered", lowered, persistent=False)
        self.register_buffer("weights", weights, persistent=False)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        n, k = inputs.shape
        in_word = self.in_word[inputs]
        # A word starts at a word byte whose left neighbour in the segment is not one.
        starts = in_word.clone()
        starts[:, 1:] &= ~in_word[:, :-1]
        in_word, starts, flat = in_word.reshape(-1), starts.reshape(-1), inputs.reshape(-1)
        positions = torch.arange(flat.numel(), device=flat.device)
        # Bytes before the first word get id -1 (then 0); they are not word bytes, so masked.
        word = (torch.cumsum(starts, 0) - 1).clamp(min=0)
        offset = positions - torch.cummax(torch.where(starts, positions, torch.zeros_like(positions)), 0).values
        terms = (self.lowered[flat] + 1) * self.weights[offset.clamp(max=self.max_length - 1)]
        terms = torch.where(in_word, terms, torch.zeros_like(terms))
        n_words = max(int(starts.sum()), 1)
        codes = torch.zeros(n_words, dtype=torch.int64, device=flat.device).scatter_add_(0, word, terms)
        lengths = torch.zeros(n_words, dtype=torch.int64, device=flat.device).scatter_add_(
            0, word, in_word.to(torch.int64)
        )
        keep = in_word & (lengths[word] <= self.max_length)
        vectors = self.table(torch.remainder(codes[word], self.buckets))
        return (vectors * keep.unsqueeze(-1).to(vectors.dtype)).view(n, k, -1)


class ByteEmbedding(nn.Module):
    """Byte embedding plus the sum of hashed n-gram embeddings (one table per n) and,
    with ``word_buckets``, a hashed embedding of each byte's word."""

    def __init__(self, width: int, ngram_sizes: Sequence[int], ngram_buckets: int, word_buckets: int = 0) -> None:
        super().__init__()
        self.width = width
        self.bytes = nn.Embedding(N_SPECIAL_INPUTS, width, padding_idx=PAD)
        self.ngram_sizes = tuple(int(n) for n in ngram_sizes)
        self.ngram_buckets = int(ngram_buckets)
        self.ngrams = nn.ModuleList(nn.Embedding(self.ngram_buckets, width) for _ in self.ngram_sizes)
        for table in self.ngrams:
            nn.init.normal_(table.weight, std=0.02)
        self.words = HashedWordEmbedding(width, word_buckets) if word_buckets else None

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.bytes(inputs)
        if self.words is not None:
            x = x + self.words(inputs)
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


def drop_bytes(inputs: torch.Tensor, rate: float) -> torch.Tensor:
    """Byte-dropout (paper, section 4.1): each byte replaced by DROP with probability ``rate``."""
    if rate <= 0:
        return inputs
    dropped = torch.rand(inputs.shape, device=inputs.device) < rate
    return inputs.masked_fill(dropped & (inputs < N_BYTES), DROP)
