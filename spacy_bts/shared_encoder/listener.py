"""``spacy-bts.ByteEncoderListener.v1``: a component's window onto ``bts_encoder``'s states.

As spaCy's ``Tok2VecListener``: in training, ``bts_encoder.update`` hands every
listener its batch's states and a callback that collects gradients; the
listening component's model reads the states of the Docs it trains on (any
subset of the batch: a component skips Docs without its annotation) and sends
their gradients back. In prediction it reads ``doc._.bts_encoding``, which
``bts_encoder`` set earlier in the pipeline.
"""

from typing import Callable, Dict, List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

ENCODING_ATTR = "bts_encoding"

if not Doc.has_extension(ENCODING_ATTR):
    # One (bytes, width) array per Doc; spaCy's doc_cleaner can drop it after the pipeline.
    Doc.set_extension(ENCODING_ATTR, default=None)


class ByteEncoderListener(Model):
    """Passes ``bts_encoder``'s states to the component whose model holds it, and gradients back."""

    name = "bts-encoder-listener"

    def __init__(self, upstream_name: str, width: int) -> None:
        Model.__init__(self, name=self.name, forward=_forward, dims={"nO": width})
        self.upstream_name = upstream_name
        self._batch: List[Doc] = []
        self._docs: Optional[Dict[int, int]] = None
        self._outputs: Optional[List[Floats2d]] = None
        self._collect: Optional[Callable[[List[int], List[Floats2d]], None]] = None

    def __getstate__(self):
        # A training batch's states and callback are transient (and the callback is a closure).
        slots = {name: getattr(self, name) for name in Model.__slots__ if hasattr(self, name)}
        return dict(self.__dict__, _batch=[], _docs=None, _outputs=None, _collect=None), slots

    def receive(self, docs: List[Doc], outputs: List[Floats2d], collect: Callable) -> None:
        """Store a training batch's states; ``collect(indices, gradients)`` takes their gradients."""
        # The Docs themselves are kept so that no other Doc can take their ids.
        self._batch = list(docs)
        self._docs = {id(doc): i for i, doc in enumerate(docs)}
        self._outputs = outputs
        self._collect = collect

    def batch_index(self, docs: List[Doc]) -> List[int]:
        """Where each Doc is in the batch received; a ValueError if one is not there."""
        missing = [doc for doc in docs if id(doc) not in self._docs]
        if missing:
            raise ValueError(
                f"[{self.upstream_name}] bts_encoder encoded another batch than the one its listener is "
                f"given (e.g. {missing[0].text[:30]!r}): update bts_encoder on the same examples first"
            )
        return [self._docs[id(doc)] for doc in docs]


@registry.architectures("spacy-bts.ByteEncoderListener.v1")
def build_listener(width: int, upstream: str = "*") -> ByteEncoderListener:
    """Reads the states of the ``bts_encoder`` named ``upstream`` ("*": any), ``width`` wide."""
    return ByteEncoderListener(upstream, width)


def _forward(model: ByteEncoderListener, docs: List[Doc], is_train: bool):
    if is_train and model._docs is not None:
        index = model.batch_index(docs)
        outputs = [model._outputs[i] for i in index]

        def backprop(d_outputs: List[Floats2d]) -> List[Doc]:
            model._collect(index, d_outputs)
            return []

        return outputs, backprop
    # Prediction, or training with a frozen bts_encoder that annotates.
    return [_stored_encoding(model, doc) for doc in docs], _no_backprop


def _stored_encoding(model: ByteEncoderListener, doc: Doc) -> Floats2d:
    encoding = doc._.get(ENCODING_ATTR)
    if encoding is None:
        raise ValueError(
            f"a Doc has no byte encoding (doc._.{ENCODING_ATTR}) for a component listening to "
            f"{model.upstream_name!r} ({doc.text[:30]!r}): put bts_encoder before it in the pipeline "
            "(or, for a frozen bts_encoder in training, into [training] annotating_components)"
        )
    width = model.get_dim("nO")
    if encoding.shape[1] != width:
        raise ValueError(f"the byte encoding of a Doc is {encoding.shape[1]} wide, the listener expects {width}")
    return encoding


def _no_backprop(d_outputs):
    return []
