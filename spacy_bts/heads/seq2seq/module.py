"""The seq2seq span generator as a plain PyTorch module (paper, sections 3.4, 4.1, 5).

One stack of LSTM layers reads the ``k`` bytes of a segment, then the GO symbol,
then generates output symbols, each fed back as the next input (the gold one
in training: teacher forcing). Inputs and fed-back outputs share one embedding
table. Dropout (Zaremba et al.) is applied to the embeddings, between LSTM
layers and before the softmax; byte-dropout replaces input bytes by DROP in
training only.
"""

from typing import Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from ...byte_text import GO, N_SPECIAL_INPUTS, PAD
from ...encoders.embeddings import drop_bytes
from ..precision import MIN_ROWS, pad_rows
from .vocab import IGNORE, SpanVocab


class ByteToSpanLSTM(nn.Module):
    min_rows = MIN_ROWS

    def __init__(
        self,
        n_labels: int,
        width: int,
        depth: int,
        segment_length: int,
        dropout: float,
        byte_dropout: float,
        positional: bool = False,
        init_scale: float = 0.08,
    ) -> None:
        super().__init__()
        self.vocab = SpanVocab(segment_length, n_labels)
        self.depth = depth
        self.byte_dropout = byte_dropout
        self.embed = nn.Embedding(self.vocab.n_inputs, width, padding_idx=PAD)
        # Learned position features for the byte positions (optional): they make
        # start/length prediction a matter of reading rather than counting.
        self.position = nn.Embedding(segment_length, width) if positional else None
        self.lstm = nn.LSTM(
            width,
            width,
            num_layers=depth,
            batch_first=True,
            dropout=dropout if depth > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(width, self.vocab.n_outputs)
        # Sutskever et al. (2014), followed by the paper: uniform init in [-0.08, 0.08].
        for param in self.parameters():
            nn.init.uniform_(param, -init_scale, init_scale)
        with torch.no_grad():
            self.embed.weight[PAD].zero_()
        self.register_buffer("output_ids", torch.arange(self.vocab.n_outputs), persistent=False)

    def set_dropout(self, rate: float) -> None:
        self.dropout.p = rate
        if self.depth > 1:
            self.lstm.dropout = rate

    def forward(
        self,
        inputs: torch.Tensor,
        n_valid: torch.Tensor,
        targets: Optional[torch.Tensor] = None,
        max_spans: Optional[int] = None,
    ):
        """Mean per-segment loss given ``targets``, else greedy decoding."""
        if targets is None:
            return self.decode(inputs, n_valid, max_spans)
        return self.loss(inputs, targets)

    def _embed_bytes(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.embed(inputs)
        if self.position is not None:
            x = x + self.position.weight[: inputs.shape[1]]
        return x

    def loss(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.training:
            inputs = drop_bytes(inputs, self.byte_dropout)
        go = torch.full_like(targets[:, :1], GO)
        previous = targets[:, :-1]
        previous = torch.where(previous == IGNORE, PAD, previous + N_SPECIAL_INPUTS)
        x = torch.cat(
            [self._embed_bytes(inputs), self.embed(torch.cat([go, previous], dim=1))],
            dim=1,
        )
        hidden, _ = self.lstm(self.dropout(x))
        logits = self.output(self.dropout(hidden[:, inputs.shape[1] :]))
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]).float(),
            targets.reshape(-1),
            ignore_index=IGNORE,
            reduction="sum",
        )
        return loss / max(inputs.shape[0], 1)

    def _allowed(self, phase: int, start: torch.Tensor, n_valid: torch.Tensor, last: bool) -> torch.Tensor:
        """Outputs the grammar allows at this step: (n_segments, n_outputs) bool."""
        v, ids = self.vocab, self.output_ids[None, :]
        if phase == 0:
            if last:
                return (ids == v.stop).expand(len(n_valid), -1)
            return (ids < n_valid[:, None]) | (ids == v.stop)
        if phase == 1:
            length = ids - v.k + 1
            room = (n_valid - start)[:, None]
            return (ids >= v.k) & (ids < 2 * v.k) & (length <= room)
        return ((ids >= v.label_offset) & (ids < v.stop)).expand(len(n_valid), -1)

    @torch.inference_mode()
    def decode(
        self, inputs: torch.Tensor, n_valid: torch.Tensor, max_spans: Optional[int] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Greedy grammar-constrained decoding of all segments at once.

        Returns output ids and their probabilities, (n_segments, n_steps); rows
        are STOP-filled after their first STOP.
        """
        v = self.vocab
        n_seg = inputs.shape[0]
        max_spans = v.k if max_spans is None else max_spans
        n_steps = 3 * max_spans + 1
        if n_seg == 0:
            empty = torch.full((0, 1), v.stop, dtype=torch.long, device=inputs.device)
            return empty, torch.ones((0, 1), dtype=torch.float32, device=inputs.device)
        # min_rows rows always take the many-rows kernel path (see precision.py).
        n_rows = max(n_seg, self.min_rows)
        if n_rows > n_seg:
            inputs = pad_rows(inputs, n_rows)
            n_valid = F.pad(n_valid, (0, n_rows - n_seg))
        outputs = torch.full((n_rows, n_steps), v.stop, dtype=torch.long, device=inputs.device)
        probs = torch.ones((n_rows, n_steps), dtype=torch.float32, device=inputs.device)
        _, (h, c) = self.lstm(self._embed_bytes(inputs))
        # Rows still in the batch; finished segments leave it (so each step
        # costs what the unfinished ones need), except that finished rows stay
        # as fillers ("done") while fewer than min_rows would remain.
        active = torch.arange(n_rows, device=inputs.device)
        done = torch.zeros((n_rows,), dtype=torch.bool, device=inputs.device)
        previous = torch.full((n_rows,), GO, dtype=torch.long, device=inputs.device)
        start = torch.zeros_like(n_valid)
        for step in range(n_steps):
            hidden, (h, c) = self.lstm(self.embed(previous)[:, None], (h, c))
            logits = self.output(hidden[:, 0]).float()
            allowed = self._allowed(step % 3, start, n_valid[active], step == n_steps - 1)
            allowed = allowed | done[:, None]
            log_probs = torch.log_softmax(logits.masked_fill(~allowed, float("-inf")), -1)
            best, chosen = log_probs.max(dim=-1)
            chosen = chosen.masked_fill(done, v.stop)
            outputs[active, step] = chosen
            probs[active, step] = best.masked_fill(done, 0.0).exp()
            if step % 3 == 0:
                # STOP is only allowed here, at the start of a triple.
                going = chosen != v.stop
                n_going = int(going.sum())
                if n_going == 0:
                    return outputs[:n_seg, : step + 1], probs[:n_seg, : step + 1]
                keep = going
                if n_going < len(active):
                    if n_going < self.min_rows:
                        fillers = (~going).cumsum(0) <= self.min_rows - n_going
                        keep = going | fillers
                    active, chosen, h, c = active[keep], chosen[keep], h[:, keep], c[:, keep]
                done = ~going[keep]
                start = chosen.masked_fill(done, 0)
            previous = chosen + N_SPECIAL_INPUTS
        return outputs[:n_seg], probs[:n_seg]


class EncodedByteToSpanLSTM(ByteToSpanLSTM):
    """The seq2seq head on any byte encoder: the LSTM stack first reads the
    encoder's states (projected to its width) instead of byte embeddings, then
    generates spans exactly as ``ByteToSpanLSTM``."""

    def __init__(self, encoder: nn.Module, **kwargs) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder
        width = self.embed.embedding_dim
        self.project = nn.Linear(encoder.width, width)

    def set_dropout(self, rate: float) -> None:
        super().set_dropout(rate)
        self.encoder.set_dropout(rate)

    def _embed_bytes(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.project(self.encoder(inputs))
        if self.position is not None:
            x = x + self.position.weight[: inputs.shape[1]]
        return x
