"""``bts_encoder``: encodes each Doc's bytes once for the BTS components that listen to it.

spaCy's tok2vec pattern: the components hold a ``spacy-bts.ByteEncoderListener.v1``
in place of their own encoder. ``predict`` encodes, ``set_annotations`` stores
the states in ``doc._.bts_encoding`` (spaCy's ``doc_cleaner`` can remove them
after the pipeline). In training, ``update`` hands the states to every
listener; their gradients are collected and backpropagated through the encoder
at ``finish_update`` (or at the next ``update``), so a listener whose component
skips a batch (no annotation of its kind) never stops the others' gradients.
"""

from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Union

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Model, Optimizer, set_dropout_rate

from .. import runtime
from ..pretraining import load_pretrained_encoder
from ..shared_encoder import DEFAULT_ENCODER_MODEL, ByteEncoderListener, forget_precision_copy
from ..shared_encoder.listener import ENCODING_ATTR


@Language.factory(
    "bts_encoder",
    assigns=[f"doc._.{ENCODING_ATTR}"],
    default_config={"model": DEFAULT_ENCODER_MODEL},
)
def make_bts_encoder(nlp: Language, name: str, model: Model) -> "ByteEncoderPipe":
    """Create a ``bts_encoder`` component (model: ``spacy-bts.ByteEncoder.v1``)."""
    return ByteEncoderPipe(nlp.vocab, model, name)


class _Pending:
    """A training batch's states, their gradients collected so far, and the encoder's backprop."""

    def __init__(self, outputs: List[numpy.ndarray], backprop: Callable) -> None:
        self.gradients = [numpy.zeros_like(o) for o in outputs]
        self.backprop = backprop
        self.received = False

    def __reduce__(self):
        # Transient (and holding closures): a pickled pipeline has no batch in flight.
        return _no_batch, ()


def _no_batch() -> None:
    return None


class ByteEncoderPipe(TrainablePipe):
    """The shared byte encoder of a pipeline."""

    def __init__(self, vocab: Vocab, model: Model, name: str = "bts_encoder") -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.cfg: Dict = {}
        self.listener_map: Dict[str, List[ByteEncoderListener]] = {}
        self._pending: Optional[_Pending] = None

    # Listeners (spaCy's ListenedToComponent protocol) ----------------------

    @property
    def listeners(self) -> List[ByteEncoderListener]:
        return [m for c in self.listening_components for m in self.listener_map[c]]

    @property
    def listening_components(self) -> List[str]:
        return list(self.listener_map)

    def add_listener(self, listener: ByteEncoderListener, component_name: str) -> None:
        self.listener_map.setdefault(component_name, [])
        if listener not in self.listener_map[component_name]:
            self.listener_map[component_name].append(listener)

    def remove_listener(self, listener: ByteEncoderListener, component_name: str) -> bool:
        if listener in self.listener_map.get(component_name, []):
            self.listener_map[component_name].remove(listener)
            if not self.listener_map[component_name]:
                del self.listener_map[component_name]
            return True
        return False

    def find_listeners(self, component) -> None:
        """Register the listeners in ``component``'s model whose upstream is "*" or this component."""
        names = ("*", self.name)
        if isinstance(getattr(component, "model", None), Model):
            for node in component.model.walk():
                if isinstance(node, ByteEncoderListener) and node.upstream_name in names:
                    self.add_listener(node, component.name)

    # Prediction ----------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[numpy.ndarray]:
        """One (bytes, width) float16 array of encoder states per Doc."""
        runtime.limit_threads_in_child_process()
        return self.model.predict(list(docs))

    def set_annotations(self, docs: Sequence[Doc], encodings: Sequence[numpy.ndarray]) -> None:
        for doc, encoding in zip(docs, encodings):
            doc._.set(ENCODING_ATTR, encoding)

    # Training ------------------------------------------------------------

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        init_encoder: Optional[Union[str, Path]] = None,
    ) -> None:
        """Check the examples; ``init_encoder``: encoder weights saved by ``spacy pretrain``
        (objective ``spacy-bts.MaskedBytes.v1``) to start from."""
        validate_get_examples(get_examples, f"{type(self).__name__}.initialize")
        self._pending = None
        if init_encoder is not None:
            load_pretrained_encoder(self.model, init_encoder, self.name)
            forget_precision_copy(self.model)

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Encode the batch for the listeners; their gradients reach the encoder at ``finish_update``."""
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, f"{type(self).__name__}.update")
        self._backpropagate()
        self._pending = None  # a batch whose listeners sent nothing teaches nothing
        docs = [eg.predicted for eg in examples]
        set_dropout_rate(self.model, drop)
        outputs, backprop = self.model.begin_update(docs)
        pending = self._pending = _Pending(outputs, backprop)

        def collect(index: List[int], gradients: List[numpy.ndarray]) -> None:
            for i, gradient in zip(index, gradients):
                pending.gradients[i] += gradient
                losses[self.name] += float((gradient**2).sum())
            pending.received = True

        for listener in self.listeners:
            listener.receive(docs, outputs, collect)
        if sgd not in (None, False):
            self.finish_update(sgd)
        return losses

    def _backpropagate(self) -> None:
        """Send the gradients collected for the last batch through the encoder (once)."""
        pending = self._pending
        if pending is not None and pending.received:
            self._pending = None
            pending.backprop(pending.gradients)

    def finish_update(self, sgd: Optimizer) -> None:
        self._backpropagate()
        super().finish_update(sgd)
        forget_precision_copy(self.model)

    def get_loss(self, examples, scores) -> None:
        """The encoder has no loss of its own: its listeners' components have."""
        return None

    def add_label(self, label: str) -> int:
        raise NotImplementedError(f"[{self.name}] bts_encoder has no labels")

    # Serialization -------------------------------------------------------

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()):
        super().from_bytes(bytes_data, exclude=exclude)
        forget_precision_copy(self.model)
        return self

    def from_disk(self, path, *, exclude=tuple()):
        super().from_disk(path, exclude=exclude)
        forget_precision_copy(self.model)
        return self
