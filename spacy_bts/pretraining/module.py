"""Masked-byte denoising as a plain PyTorch module, and loading its encoder into a head's module.

Spans of bytes are corrupted (mostly to DROP, the id byte-dropout uses) and the
encoder's state at each corrupted byte predicts the original byte from both
sides. Every input feature (byte, hashed n-grams, hashed word) is computed from
the corrupted bytes, so nothing of a corrupted byte leaks into its prediction.
"""

import io

import torch
from torch import nn
from torch.nn import functional as F

from ..byte_text import DROP, N_BYTES


def corrupt_spans(inputs: torch.Tensor, rate: float, mean_span: float):
    """``(corrupted inputs, chosen)``: about ``rate`` of the real bytes chosen, in spans
    of geometric length with mean ``mean_span``; of those, 80% become DROP, 10% a
    random byte and 10% stay (so the encoder cannot rely on seeing DROP)."""
    real = inputs < N_BYTES
    starts = (torch.rand(inputs.shape, device=inputs.device) < rate / mean_span) & real
    lengths = torch.empty(inputs.shape, device=inputs.device).geometric_(1.0 / mean_span).long()
    positions = torch.arange(inputs.shape[1], device=inputs.device).expand_as(inputs)
    reach = torch.cummax(torch.where(starts, positions + lengths, torch.zeros_like(positions)), dim=1).values
    chosen = (reach > positions) & real
    roll = torch.rand(inputs.shape, device=inputs.device)
    corrupted = inputs.masked_fill(chosen & (roll < 0.8), DROP)
    random_bytes = torch.randint_like(inputs, N_BYTES)
    corrupted = torch.where(chosen & (roll >= 0.8) & (roll < 0.9), random_bytes, corrupted)
    return corrupted, chosen


class MaskedByteModule(nn.Module):
    """A byte encoder with a byte classifier over its states: the mean cross-entropy
    of the original bytes at the corrupted positions."""

    def __init__(self, encoder: nn.Module, rate: float, mean_span: float, dropout: float) -> None:
        super().__init__()
        self.encoder = encoder
        self.rate = rate
        self.mean_span = mean_span
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(encoder.width, N_BYTES)

    def set_dropout(self, rate: float) -> None:
        self.dropout.p = rate
        self.encoder.set_dropout(rate)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        real = inputs < N_BYTES
        if not real.any():  # nothing to predict (empty texts only)
            return self.output.weight.sum() * 0.0
        corrupted, chosen = corrupt_spans(inputs, self.rate, self.mean_span)
        if not chosen.any():  # a batch too small to draw a span: one byte is enough
            chosen = torch.zeros_like(chosen)
            chosen.view(-1)[int(torch.nonzero(real.view(-1))[0])] = True
            corrupted = inputs.masked_fill(chosen, DROP)
        states = self.encoder(corrupted)[chosen]
        return F.cross_entropy(self.output(self.dropout(states)).float(), inputs[chosen])


def encoder_state(module_state: bytes) -> dict:
    """The ``encoder.*`` tensors of a saved ``MaskedByteModule`` state dict (torch.save bytes)."""
    state = torch.load(io.BytesIO(module_state), map_location="cpu", weights_only=True)
    return {name[len("encoder.") :]: value for name, value in state.items() if name.startswith("encoder.")}


def load_encoder_state(encoder: nn.Module, state: dict) -> None:
    """Copy ``state`` into ``encoder``; a ValueError naming the tensors that do not fit."""
    own = encoder.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(n for n in set(own) & set(state) if own[n].shape != state[n].shape)
    if missing or unexpected or wrong:
        raise ValueError(
            f"the pretrained encoder does not fit this model's encoder: missing {missing}, "
            f"unexpected {unexpected}, wrong shape {wrong}"
        )
    encoder.load_state_dict(state)
