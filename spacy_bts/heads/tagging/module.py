"""The byte tagger as plain PyTorch modules: a byte encoder with a per-byte tag classifier,
or the classifier alone over a shared encoder's states."""

from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from ...encoders.embeddings import drop_bytes
from ..precision import MIN_ROWS, pad_rows
from .biluo import IGNORE_TAG


def tag_loss(logits: torch.Tensor, targets: torch.Tensor, open_labels: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Mean per-byte cross-entropy over the bytes with a target (IGNORE_TAG: none).

    ``open_labels``: per-byte bit masks of labels whose tags are also right
    (unannotated labels): the loss is that of the set of allowed tags.
    """
    logits, targets = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    n_known = (targets != IGNORE_TAG).sum().clamp(min=1)
    if open_labels is None:
        return F.cross_entropy(logits, targets, ignore_index=IGNORE_TAG, reduction="sum") / n_known
    allowed = allowed_tags(targets, open_labels.reshape(-1), logits.shape[-1])
    log_probs = torch.log_softmax(logits, dim=-1)
    right = torch.logsumexp(log_probs.masked_fill(~allowed, float("-inf")), dim=-1)
    return -right[targets != IGNORE_TAG].sum() / n_known


def allowed_tags(targets: torch.Tensor, open_labels: torch.Tensor, n_tags: int) -> torch.Tensor:
    """(bytes, tags): the target tag, and every tag of a byte's open labels."""
    known = targets != IGNORE_TAG
    allowed = F.one_hot(targets.clamp(min=0), n_tags).bool() & known[:, None]
    n_labels = (n_tags - 1) // 4
    tag_label = torch.arange(n_tags, device=targets.device).sub(1).remainder(max(n_labels, 1))
    is_open = (open_labels[:, None] >> tag_label[None, :]) & 1 == 1
    is_open[:, 0] = False  # O itself is the target
    return allowed | (is_open & known[:, None])


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

    def forward(
        self, inputs: torch.Tensor, targets: Optional[torch.Tensor] = None, open_labels: Optional[torch.Tensor] = None
    ):
        """Mean per-byte loss given ``targets`` (IGNORE_TAG where unknown; see ``tag_loss``), else log-probs."""
        if targets is None:
            return self.log_probs(inputs)
        if self.training:
            inputs = drop_bytes(inputs, self.byte_dropout)
        logits = self.output(self.dropout(self.encoder(inputs))).float()
        return tag_loss(logits, targets, open_labels)

    @torch.inference_mode()
    def log_probs(self, inputs: torch.Tensor) -> torch.Tensor:
        n_seg = inputs.shape[0]
        logits = self.output(self.encoder(pad_rows(inputs, self.min_rows))).float()
        return torch.log_softmax(logits, dim=-1)[:n_seg]


class ByteTagLayer(nn.Module):
    """The per-byte tag classifier alone, over (bytes, width) states of a shared encoder."""

    def __init__(self, width: int, n_tags: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(width, n_tags)

    def set_dropout(self, rate: float) -> None:
        self.dropout.p = rate

    def forward(
        self, states: torch.Tensor, targets: Optional[torch.Tensor] = None, open_labels: Optional[torch.Tensor] = None
    ):
        """Mean per-byte loss given ``targets``, else per-byte tag log-probabilities."""
        if targets is None:
            return torch.log_softmax(self.output(states).float(), dim=-1)
        return tag_loss(self.output(self.dropout(states)).float(), targets, open_labels)
