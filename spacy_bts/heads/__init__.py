"""Span heads: what turns a byte encoder's states into labelled byte spans.

``registry.py`` holds the head interface and the registry; ``wiring.py`` the
Thinc <-> PyTorch wiring every head's model shares; ``precision.py`` the
reduced-precision prediction copies. One subpackage per head.
"""

from . import seq2seq, tagging  # noqa: F401  (registers the built-in heads)
from .registry import head_class, span_heads

__all__ = ["head_class", "span_heads"]
