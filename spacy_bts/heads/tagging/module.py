"""The byte tagger as a plain PyTorch module: a byte encoder with a per-byte tag classifier."""

from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from ...encoders.embeddings import drop_bytes
from ..precision import MIN_ROWS, pad_rows
from .biluo import IGNORE_TAG


class ByteTaggerModule(nn.Module):
    """Per-byte tag log-probabilities of each segment, or their cross-entropy."""

    min_rows = MIN_ROWS

    def __init__(self, encoder: nn.Module, n_tags: int, dropout: float, byte_dropout: float) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.byte_dropout = byte_dropout
        self.output = nn.Linear(encoder.width, n_tags)

    def set_dropout(self, rate: float) -> None:
        self.dropout.p = rate
        self.encoder.set_dropout(rate)

    def forward(self, inputs: torch.Tensor, targets: Optional[torch.Tensor] = None):
        """Mean per-byte loss given ``targets`` (IGNORE_TAG where unknown), else log-probs."""
        if targets is None:
            return self.log_probs(inputs)
        if self.training:
            inputs = drop_bytes(inputs, self.byte_dropout)
        logits = self.output(self.dropout(self.encoder(inputs)))
        total = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]).float(),
            targets.reshape(-1),
            ignore_index=IGNORE_TAG,
            reduction="sum",
        )
        return total / (targets != IGNORE_TAG).sum().clamp(min=1)

    @torch.inference_mode()
    def log_probs(self, inputs: torch.Tensor) -> torch.Tensor:
        n_seg = inputs.shape[0]
        logits = self.output(self.encoder(pad_rows(inputs, self.min_rows))).float()
        return torch.log_softmax(logits, dim=-1)[:n_seg]
