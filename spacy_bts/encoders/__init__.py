"""Byte encoders: (n_segments, k) byte ids -> (n_segments, k, width) states.

An encoder is one module of this package: its PyTorch module, a builder
registered in ``encoder_modules`` under its kind, and a registered architecture
(``spacy-bts.*Encoder.vN``) that checks its settings and returns an
``EncoderSpec``. The head's model builds the module from the spec once it knows
its labels, so a saved model rebuilds it from the kind and settings in its attrs.
"""

from . import bilstm, conv  # noqa: F401  (registers the built-in encoders)
from .registry import EncoderSpec, encoder_modules

__all__ = ["EncoderSpec", "encoder_modules"]
