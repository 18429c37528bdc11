"""The span pointer as plain PyTorch modules: a byte encoder read once per text, and a
decoder that emits each window's ``[start, length, label]`` triples by pointing.

The encoder reads whole segments of a text (as the byte tagger does); each
window's states are gathered from them, so no byte is encoded twice and every
window sees the segment's context on both sides. The decoder is an LSTM cell
that runs only over the output steps: a start is chosen by attention over the
window's byte states (plus a learned bias by its distance from the previous
span's start), a length by attention over the possible last bytes (plus a
bias per length), a label or STOP by a linear layer. The output ids are those
of ``SpanVocab``, so parsing and stitching are the seq2seq head's.
"""

from typing import Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from ...encoders.embeddings import drop_bytes
from ..precision import MIN_ROWS, pad_rows
from ..tagging.module import tag_loss
from .vocab import IGNORE, SpanVocab

# Stands in for minus infinity in masked logits: finite, so rows with nothing
# allowed (finished windows) give no NaN.
MASKED = -1e9


def gather_windows(states: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """(windows, k, width) states at flat byte ``rows`` of (segments, bytes, width) states; -1: zeros."""
    flat = states.reshape(-1, states.shape[-1])
    flat = torch.cat([flat, flat.new_zeros((1, flat.shape[-1]))])
    return flat[rows.masked_fill(rows < 0, flat.shape[0] - 1)]


class SpanPointerDecoder(nn.Module):
    """Greedy or teacher-forced generation of span triples over (windows, k, width) states."""

    def __init__(
        self, state_width: int, n_labels: int, window: int, width: int, dropout: float, n_tag_features: int = 0
    ) -> None:
        super().__init__()
        self.vocab = SpanVocab(window, n_labels)
        self.k = window
        self.dropout = nn.Dropout(dropout)
        self.start_key = nn.Linear(state_width, width)
        self.end_key = nn.Linear(state_width, width)
        self.position = nn.Embedding(window, width)
        self.init = nn.Linear(state_width, 2 * width)
        self.cell = nn.LSTMCell(width, width)
        self.start_query = nn.Linear(width, width)
        self.end_query = nn.Linear(width, width)
        # Bias of a start by its offset from the previous span's start (the window's
        # end before the first span): spans come last-ending first.
        self.start_bias = nn.Parameter(torch.zeros(2 * window))
        self.length_bias = nn.Parameter(torch.zeros(window))
        # Labels and STOP (last column) from one layer: a one-output layer is computed as a
        # matrix-vector product whose rounding depends on a row's position in the batch.
        self.label = nn.Linear(width, n_labels + 1)
        # Fed-back inputs: GO, then what was chosen (pointed keys or a label embedding).
        self.go = nn.Parameter(torch.zeros(width))
        self.kind = nn.Embedding(2, width)
        self.label_embed = nn.Embedding(n_labels, width)
        # Optional: per-byte tag scores (of a BILUO layer on the same states) read into the keys.
        self.tag_start = nn.Linear(n_tag_features, width) if n_tag_features else None
        self.tag_end = nn.Linear(n_tag_features, width) if n_tag_features else None
        self.register_buffer("offsets", torch.arange(window), persistent=False)

    def set_dropout(self, rate: float) -> None:
        self.dropout.p = rate

    def _begin(self, states: torch.Tensor, n_valid: torch.Tensor, tag_scores: Optional[torch.Tensor] = None):
        states = self.dropout(states)
        valid = self.offsets[None, : states.shape[1]] < n_valid[:, None]
        keys_start = self.start_key(states) + self.position.weight[: states.shape[1]]
        keys_end = self.end_key(states) + self.position.weight[: states.shape[1]]
        if self.tag_start is not None and tag_scores is not None:
            keys_start = keys_start + self.tag_start(tag_scores)
            keys_end = keys_end + self.tag_end(tag_scores)
        mean = (states * valid[..., None]).sum(1) / n_valid.clamp(min=1)[:, None]
        h, c = torch.tanh(self.init(mean)).chunk(2, dim=-1)
        return keys_start, keys_end, valid, (h.contiguous(), c.contiguous())

    def _logits(self, phase: int, h, keys_start, keys_end, valid, previous_start, start) -> torch.Tensor:
        """(windows, n_outputs) logits of the step's phase; disallowed outputs MASKED."""
        v, n, k = self.vocab, h.shape[0], keys_start.shape[1]
        logits = h.new_full((n, v.n_outputs), MASKED)
        h = self.dropout(h)
        rows = torch.arange(n, device=h.device)
        if phase == 0:
            scores = torch.einsum("nkd,nd->nk", keys_start, self.start_query(h))
            scores = (
                scores
                + self.start_bias[(self.offsets[None, :k] - previous_start[:, None] + self.k).clamp(0, 2 * self.k - 1)]
            )
            logits[:, :k] = scores.masked_fill(~valid, MASKED)
            logits[:, v.stop] = self.label(h)[:, -1]
        elif phase == 1:
            ends = start[:, None] + self.offsets[None, :k]
            inside = ends < k
            ends = ends.clamp(max=k - 1)
            scores = torch.einsum("nkd,nd->nk", keys_end, self.end_query(h))[rows[:, None], ends]
            allowed = inside & valid[rows[:, None], ends]
            logits[:, v.k : v.k + k] = (scores + self.length_bias[:k]).masked_fill(~allowed, MASKED)
        else:
            logits[:, v.label_offset : v.stop] = self.label(h)[:, :-1]
        return logits

    def _next_input(self, phase: int, chosen, keys_start, keys_end, start) -> torch.Tensor:
        v, rows = self.vocab, torch.arange(chosen.shape[0], device=chosen.device)
        if phase == 0:
            return keys_start[rows, chosen.clamp(0, keys_start.shape[1] - 1)] + self.kind.weight[0]
        if phase == 1:
            end = (start + chosen - v.k).clamp(0, keys_end.shape[1] - 1)
            return keys_end[rows, end] + self.kind.weight[1]
        return self.label_embed((chosen - v.label_offset).clamp(0, v.n_labels - 1))

    def _steps(self, states, n_valid, tag_scores):
        """The decoding steps, as a generator: it yields each step's logits and is sent back
        the output ids chosen (the targets in training, the most probable in decoding)."""
        keys_start, keys_end, valid, (h, c) = self._begin(states, n_valid, tag_scores)
        n = states.shape[0]
        x = self.go.expand(n, -1)
        previous_start = torch.full((n,), self.k, dtype=torch.long, device=states.device)
        start = torch.zeros_like(previous_start)
        step = 0
        while True:
            phase = step % 3
            if phase == 0 and step:
                previous_start = start
            h, c = self.cell(x, (h, c))
            chosen = yield self._logits(phase, h, keys_start, keys_end, valid, previous_start, start)
            if phase == 0:
                start = chosen.clamp(max=self.k - 1)
            x = self._next_input(phase, chosen, keys_start, keys_end, start)
            step += 1

    def loss(self, states, n_valid, targets, tag_scores=None) -> torch.Tensor:
        """Summed cross-entropy of the target ids (IGNORE-padded), teacher-forced."""
        steps = self._steps(states, n_valid, tag_scores)
        logits = next(steps)
        total = states.new_zeros(())
        for step in range(targets.shape[1]):
            target = targets[:, step]
            total = total + F.cross_entropy(logits.float(), target, ignore_index=IGNORE, reduction="sum")
            if step + 1 < targets.shape[1]:
                logits = steps.send(target.clamp(min=0))
        return total

    def decode(self, states, n_valid, max_spans: int, tag_scores=None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Greedy output ids and their probabilities, (windows, steps), STOP-filled after the first STOP."""
        v, n = self.vocab, states.shape[0]
        n_steps = 3 * max_spans + 1
        outputs = torch.full((n, n_steps), v.stop, dtype=torch.long, device=states.device)
        probs = torch.ones((n, n_steps), dtype=torch.float32, device=states.device)
        done = torch.zeros((n,), dtype=torch.bool, device=states.device)
        steps = self._steps(states, n_valid, tag_scores)
        logits = next(steps)
        for step in range(n_steps):
            if step == n_steps - 1:
                logits = torch.where(self.vocab_ids == v.stop, 0.0, MASKED).expand(n, -1)
            log_probs = torch.log_softmax(logits.float(), -1)
            best, chosen = log_probs.max(-1)
            chosen = chosen.masked_fill(done, v.stop)
            outputs[:, step] = chosen
            probs[:, step] = best.masked_fill(done, 0.0).exp()
            if step % 3 == 0:
                done = done | (chosen == v.stop)
                if bool(done.all()):
                    return outputs[:, : step + 1], probs[:, : step + 1]
            if step + 1 < n_steps:
                logits = steps.send(chosen)
        return outputs, probs

    @property
    def vocab_ids(self) -> torch.Tensor:
        return torch.arange(self.vocab.n_outputs, device=self.offsets.device)


class SpanPointerModule(nn.Module):
    """A byte encoder, the span pointer over windows of its states, and an optional
    per-byte BILUO layer whose loss trains the same encoder (``tagging_weight``)."""

    min_rows = MIN_ROWS

    def __init__(
        self, encoder: nn.Module, n_labels: int, window: int, width: int, dropout: float, byte_dropout: float,
        tagging_weight: float, n_tags: int, tag_features: bool = False, freeze_encoder: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        self.encoder = encoder
        self.byte_dropout = byte_dropout
        self.tagging_weight = tagging_weight
        self.tag_features = tag_features
        self.freeze_encoder = freeze_encoder
        self.decoder = SpanPointerDecoder(
            encoder.width, n_labels, window, width, dropout, n_tags if tag_features else 0
        )
        self.dropout = nn.Dropout(dropout)
        self.tagger = nn.Linear(encoder.width, n_tags) if tagging_weight > 0 or tag_features else None

    def set_dropout(self, rate: float) -> None:
        self.dropout.p = rate
        self.encoder.set_dropout(rate)
        self.decoder.set_dropout(rate)

    def forward(
        self,
        inputs: Optional[torch.Tensor] = None,
        rows: Optional[torch.Tensor] = None,
        n_valid: Optional[torch.Tensor] = None,
        targets: Optional[torch.Tensor] = None,
        tags: Optional[torch.Tensor] = None,
        open_labels: Optional[torch.Tensor] = None,
        states: Optional[torch.Tensor] = None,
        max_spans: Optional[int] = None,
    ):
        """Training (``targets``): the mean loss per window, plus the weighted per-byte
        tag loss. Prediction: segment ``inputs`` -> byte states, or window ``states``
        -> greedy output ids and probabilities."""
        if targets is not None:
            return self.loss(inputs, rows, n_valid, targets, tags, open_labels)
        if states is not None:
            return self.decode(states, n_valid, max_spans)
        return self.encode(inputs)

    def loss(self, inputs, rows, n_valid, targets, tags, open_labels=None) -> torch.Tensor:
        if self.training:
            inputs = drop_bytes(inputs, self.byte_dropout)
        if self.freeze_encoder:
            # No gradient reaches the encoder, so the optimizer leaves its weights as they are.
            with torch.no_grad():
                states = self.encoder(inputs)
        else:
            states = self.encoder(inputs)
        logits = self.tagger(self.dropout(states)) if self.tagger is not None else None
        tag_scores = gather_windows(logits, rows) if self.tag_features else None
        loss = self.decoder.loss(gather_windows(states, rows), n_valid, targets, tag_scores) / max(rows.shape[0], 1)
        if self.tagging_weight > 0 and tags is not None:
            loss = loss + self.tagging_weight * tag_loss(logits.float(), tags, open_labels)
        return loss

    @torch.inference_mode()
    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.encoder(pad_rows(inputs, self.min_rows))[: inputs.shape[0]].float()

    @torch.inference_mode()
    def decode(self, states: torch.Tensor, n_valid: torch.Tensor, max_spans: Optional[int]):
        n = states.shape[0]
        if n == 0:
            v = self.decoder.vocab
            return torch.full((0, 1), v.stop, dtype=torch.long), torch.ones((0, 1))
        states, n_valid = pad_rows(states, self.min_rows, value=0.0), pad_rows(n_valid, self.min_rows, value=1)
        states = states.to(self.decoder.go.dtype)  # float32 states into a bfloat16 copy
        max_spans = self.decoder.k if max_spans is None else max_spans
        tag_scores = self.tagger(states) if self.tag_features else None
        outputs, probs = self.decoder.decode(states, n_valid, max_spans, tag_scores)
        return outputs[:n], probs[:n]
