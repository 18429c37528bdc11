"""Learning from raw text: the byte encoders' self-supervised objective for ``spacy pretrain``
(``objective.py``, ``module.py``) and loading its output into a component (``weights.py``)."""

from .objective import masked_bytes
from .weights import load_pretrained_encoder

__all__ = ["load_pretrained_encoder", "masked_bytes"]
