"""One byte encoder for several components: the ``bts_encoder`` model and its listeners.

``model.py``: ``spacy-bts.ByteEncoder.v1``, Docs -> one (bytes, width) array of
encoder states per Doc; ``listener.py``: ``spacy-bts.ByteEncoderListener.v1``,
the layer through which ``bts_ner`` and ``bts_pos`` read those states (spaCy's
tok2vec/listener pattern); ``module.py``: the PyTorch module.
"""

from .listener import ByteEncoderListener
from .model import DEFAULT_ENCODER_MODEL, forget_precision_copy

__all__ = ["ByteEncoderListener", "DEFAULT_ENCODER_MODEL", "forget_precision_copy"]
