"""The shared byte encoder as a plain PyTorch module."""

import torch
from torch import nn

from ..encoders.embeddings import drop_bytes
from ..heads.precision import MIN_ROWS, pad_rows


class DocumentEncoderModule(nn.Module):
    """A byte encoder over segments; in training, the states at chosen positions."""

    min_rows = MIN_ROWS

    def __init__(self, encoder: nn.Module, byte_dropout: float) -> None:
        super().__init__()
        self.encoder = encoder
        self.byte_dropout = byte_dropout
        self.width = encoder.width

    def set_dropout(self, rate: float) -> None:
        self.encoder.set_dropout(rate)

    def forward(self, inputs: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """States (len(index), width) of the flattened (segment, position) pairs ``index``."""
        if self.training:
            inputs = drop_bytes(inputs, self.byte_dropout)
        states = self.encoder(inputs)
        return states.reshape(-1, states.shape[-1])[index].float()

    @torch.inference_mode()
    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        """States (n_segments, k, width) in float32, without dropout."""
        n_seg = inputs.shape[0]
        return self.encoder(pad_rows(inputs, self.min_rows))[:n_seg].float()
