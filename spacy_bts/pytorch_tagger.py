"""A byte encoder with a per-byte tag classifier, as a plain PyTorch module."""
import copy
from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from .biluo import IGNORE_TAG
from .span_vocab import DROP, N_BYTES, PAD


class ByteTaggerModule(nn.Module):
    """Per-byte tag log-probabilities of each segment, or their cross-entropy."""

    # Fewest rows a prediction batch is padded to: CPU matrix kernels round
    # differently for a handful of rows, so results would depend on the batch.
    min_rows = 16

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
        if self.training and self.byte_dropout > 0:
            dropped = torch.rand(inputs.shape, device=inputs.device) < self.byte_dropout
            inputs = inputs.masked_fill(dropped & (inputs < N_BYTES), DROP)
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
        if n_seg < self.min_rows:
            inputs = F.pad(inputs, (0, 0, 0, self.min_rows - n_seg), value=PAD)
        logits = self.output(self.encoder(inputs)).float()
        return torch.log_softmax(logits, dim=-1)[:n_seg]


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AMX tiles)."""
    return bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())


def bfloat16_copy(module: nn.Module) -> nn.Module:
    """A prediction-only copy with bfloat16 weights and activations; tag
    log-probabilities are still computed in float32 (see ``log_probs``)."""
    return copy.deepcopy(module).to(torch.bfloat16).eval()
