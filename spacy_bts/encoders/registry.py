"""The encoder registry: kind -> module builder, and the spec a head's model keeps."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

import catalogue

# kind -> builder(embedding, dropout, **settings) -> nn.Module with ``width`` and ``set_dropout``.
encoder_modules = catalogue.create("spacy_bts", "encoder_modules", entry_points=False)


@dataclass(frozen=True)
class EncoderSpec:
    """What a byte encoder is: its registered kind and the settings that build it."""

    kind: str
    settings: Dict[str, Any] = field(default_factory=dict)

    def build(self, dropout: float):
        from .embeddings import ByteEmbedding

        settings = dict(self.settings)
        embedding = ByteEmbedding(
            settings.pop("embed_width"),
            settings.pop("ngram_sizes"),
            settings.pop("ngram_buckets"),
            settings.pop("word_buckets", 0),
        )
        try:
            builder = encoder_modules.get(self.kind)
        except catalogue.RegistryError:
            raise ValueError(
                f"unknown byte encoder kind {self.kind!r} (known: {sorted(encoder_modules.get_all())})"
            ) from None
        return builder(embedding, dropout, **settings)


def check_embedding(name: str, embed_width: int, ngram_sizes: Sequence[int], ngram_buckets: int) -> List[int]:
    """The n-gram sizes as ints; a ValueError naming the architecture for bad settings."""
    if embed_width < 1:
        raise ValueError(f"{name}: embed_width must be >= 1, got {embed_width}")
    sizes = [int(n) for n in ngram_sizes]
    if any(n < 2 or n > 6 for n in sizes) or len(set(sizes)) != len(sizes):
        raise ValueError(f"{name}: ngram_sizes must be distinct values in [2, 6], got {list(ngram_sizes)}")
    if sizes and ngram_buckets < 1:
        raise ValueError(f"{name}: ngram_buckets must be >= 1, got {ngram_buckets}")
    return sizes
