"""Which span head a model uses, and the interface the components talk to.

A head turns gold byte spans into training batches (``document_batch``,
``concat``; the model's ``begin_update`` gives the loss) and decodes a model's
output into scored byte spans per text (``predict``). ``max_span_bytes`` is the
longest span it can express (``None``: any). Only the seq2seq head knows the
``[start, length, label]`` vocabulary; only the tagging head knows BILUO tags.
"""
from typing import Dict

from thinc.api import Model

from .seq2seq_head import Seq2SeqHead
from .segments import WindowSampler
from .tagging_head import TaggingHead

HEADS = {Seq2SeqHead.name: Seq2SeqHead, TaggingHead.name: TaggingHead}


def head_for(model: Model, n_labels: int, cfg: Dict, training_windows: WindowSampler):
    """The head of ``model`` (models saved before heads existed are seq2seq)."""
    kind = model.attrs.get("head", Seq2SeqHead.name)
    if kind not in HEADS:
        raise ValueError(f"unknown span head {kind!r} (known: {sorted(HEADS)})")
    return HEADS[kind](model, n_labels, cfg, training_windows)
