"""The span heads by name, and which one a model uses.

A head is a class registered in ``span_heads`` under the name its models carry
in ``attrs["head"]``. It turns gold byte spans into training batches
(``document_batch``, ``concat``; the model's ``begin_update`` gives the loss),
builds the model's PyTorch module (``build_module``) and decodes the model's
output into scored byte spans per text (``predict``). ``max_span_bytes`` is the
longest span it can express (``None``: any); ``precisions`` the reduced
precisions its prediction copies support; ``overlapping_spans`` (optional)
whether it learns and emits spans that overlap or nest.
"""

import catalogue
from thinc.api import Model

span_heads = catalogue.create("spacy_bts", "span_heads", entry_points=False)

# Models saved before attrs["head"] existed were all seq2seq models.
HEAD_OF_OLD_MODELS = "seq2seq"


def head_class(model: Model):
    """The registered head class of ``model``."""
    kind = model.attrs.get("head", HEAD_OF_OLD_MODELS)
    try:
        return span_heads.get(kind)
    except catalogue.RegistryError:
        raise ValueError(f"unknown span head {kind!r} (known: {sorted(span_heads.get_all())})") from None
