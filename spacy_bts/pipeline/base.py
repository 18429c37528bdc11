"""What ``bts_ner`` and ``bts_pos`` share: labels, training, prediction, scoring.

The pipe gives the model's span head (``heads/``) byte arrays and gold byte
spans (``gold.py``) and gets scored byte spans back, which it maps to character
offsets (``spans.py``); each component writes them onto its Docs
(``set_annotations``). Loading is ``serialization.py``'s, settings checks
``settings.py``'s.
"""

import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy
from spacy.errors import Errors
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.strings import hash_string
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Model, Optimizer

from .. import runtime
from ..byte_text import ByteText
from ..heads import head_class
from ..heads.seq2seq.windows import WindowSampler, random_windows
from ..heads.wiring import clear, ensure_built, is_built, prediction_copy, set_dropout
from ..pretraining import load_pretrained_encoder
from ..segmenting import split_batch
from ..spans import CharSpans, kept_spans, to_chars
from .gold import training_batch
from .serialization import LoadsSavedSettings
from .settings import DEFAULT_SEGMENT_LENGTH, DEFAULT_WINDOW_RATE, Checks, check_settings, shared_checks


class ByteToSpanPipe(LoadsSavedSettings, TrainablePipe):
    """Base class of the tokenizer-free BTS components.

    ``cfg`` holds the labels (data, saved with the weights) and the runtime
    settings (from the config: at load time the config's settings win over the
    saved ones, as ``nlp.config`` shows them).
    """

    # Set by each component: its factory's name (the default name and spans key),
    # its scorer, and the defaults of the settings only it has.
    factory_name = ""
    default_scorer: Optional[Callable] = None
    default_settings: Dict[str, Any] = {}

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: Optional[str] = None,
        *,
        spans_key: Optional[str] = None,
        threshold: float = 0.0,
        overlap: Optional[int] = None,
        training_windows: Optional[WindowSampler] = None,
        max_batch_segments: int = 128,
        max_spans_per_segment: Optional[int] = None,
        quantize: Union[bool, str] = "auto",
        scorer: Optional[Callable] = None,
        **settings: Any,
    ) -> None:
        self.vocab = vocab
        self.model = model
        self.name = name or self.factory_name
        self.training_windows = training_windows or random_windows(DEFAULT_WINDOW_RATE)
        self.scorer = scorer or self.default_scorer
        # Training data the component could not use, by kind (see training_batch).
        self.skipped: Counter = Counter()
        # Text hash -> index of the document in the corpus read by initialize(), for messages.
        self._corpus_index: Dict[int, int] = {}
        k = model.attrs.get("segment_length", DEFAULT_SEGMENT_LENGTH)
        self.cfg = {
            "labels": [],
            "spans_key": spans_key or self.factory_name,
            "threshold": threshold,
            "overlap": k // 2 if overlap is None else overlap,
            "max_batch_segments": max_batch_segments,
            # Half of what a decoded segment (or span window) holds.
            "max_spans_per_segment": (
                model.attrs.get("window", k) // 2 if max_spans_per_segment is None else max_spans_per_segment
            ),
            "quantize": quantize,
            **self.default_settings,
            **settings,
        }
        self.check_settings(self.cfg)
        # The int8 or bfloat16 copy used by predict() (cfg["quantize"]); rebuilt after
        # any change to the float weights.
        self._quantized: Optional[Model] = None
        # The model's span head, built for the labels in initialize() and on load.
        self._head = None

    # Subclass hooks -------------------------------------------------------

    # What a document needs to be usable, for messages (e.g. "doc.ents").
    _task_annotation = "gold"

    def _is_annotated(self, doc: Doc) -> bool:
        raise NotImplementedError

    def _gold_char_spans(self, doc: Doc) -> Tuple[List[int], List[int], List[str]]:
        raise NotImplementedError

    def _unknown_char_spans(self, doc: Doc) -> List[Tuple[int, int]]:
        """Character ranges of an annotated doc whose annotation is missing (no target)."""
        return []

    def _unannotated_labels(self, doc: Doc) -> Sequence[str]:
        """Labels an annotated doc does not annotate: unknown there, neither present nor absent."""
        return ()

    def _validate_labels(self, labels: Sequence[str]) -> None:
        pass

    def _setting_checks(self) -> Checks:
        """Each setting's test and what it must be, for ``check_settings``."""
        return shared_checks(self.segment_length)

    def check_settings(self, cfg: Dict[str, Any], source: Optional[str] = None) -> None:
        """Raise a ValueError naming the first setting of ``cfg`` that is invalid."""
        check_settings(self.name, self._setting_checks(), cfg, source)
        if "labels" in cfg:
            self._validate_labels(cfg["labels"])

    # Labels ---------------------------------------------------------------

    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(self.cfg["labels"])

    @property
    def label_data(self) -> List[str]:
        return list(self.labels)

    @property
    def segment_length(self) -> int:
        return self.model.attrs.get("segment_length", DEFAULT_SEGMENT_LENGTH)

    @property
    def head(self):
        """The model's span head (seq2seq or tagging), for the current labels."""
        if self._head is None or self._head.n_labels != len(self.labels):
            self._build_head()
        return self._head

    def _build_head(self) -> None:
        self._head = head_class(self.model)(self.model, len(self.labels), self.cfg, self.training_windows)

    def add_label(self, label: str) -> int:
        if not isinstance(label, str):
            raise ValueError(Errors.E187)
        if label in self.labels:
            return 0
        if is_built(self.model):
            raise ValueError(
                f"[{self.name}] cannot add label '{label}' to an initialized model; pass all labels to initialize()"
            )
        self._validate_labels([label])
        self.cfg["labels"].append(label)
        return 1

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Sequence[str]] = None,
        init_encoder: Optional[Union[str, Path]] = None,
    ) -> None:
        """Collect labels (or take ``labels``) and build the model.

        The examples' order is the corpus order that training messages refer to.
        ``init_encoder``: encoder weights saved by ``spacy pretrain`` (objective
        ``spacy-bts.MaskedBytes.v1``) to start the model's encoder from.
        """
        validate_get_examples(get_examples, f"{type(self).__name__}.initialize")
        n_examples = n_usable = 0
        found = set(self.cfg["labels"])
        corpus_index: Dict[int, int] = {}
        for example in get_examples():
            doc = example.reference
            corpus_index.setdefault(hash_string(doc.text), n_examples)
            n_examples += 1
            if doc.text and self._is_annotated(doc):
                n_usable += 1
                found.update(self._gold_char_spans(doc)[2])
        if n_examples and not n_usable and labels is None and not found:
            raise ValueError(
                f"[{self.name}] no usable training example: all {n_examples} initialization "
                f"examples are empty or have no {self._task_annotation} annotation"
            )
        if labels is None:
            labels = sorted(found)
        labels = list(labels)
        self._validate_labels(labels)
        if not labels:
            raise ValueError(
                f"[{self.name}] no labels: the initialization examples carry no "
                "annotation for this component and no `labels` were given"
            )
        self.cfg["labels"] = labels
        self._corpus_index = corpus_index
        clear(self.model)
        self._quantized = None
        self.model.set_dim("nO", len(labels), force=True)
        # Saved with the weights, so that loading can tell weights and labels belong together.
        self.model.attrs["labels"] = list(labels)
        self.model.initialize()
        if init_encoder is not None:
            if self.model.attrs.get("input_layers"):
                raise ValueError(
                    f"[{self.name}] init_encoder: this model reads a shared encoder; give init_encoder to "
                    "the bts_encoder component ([initialize.components.bts_encoder])"
                )
            load_pretrained_encoder(self.model, init_encoder, self.name)
        self._build_head()

    def _require_model(self) -> None:
        if not is_built(self.model) or not self.labels:
            raise ValueError(Errors.E109.format(name=self.name))

    # Training -------------------------------------------------------------

    def training_batch(self, examples: Iterable[Example], rng: Optional[numpy.random.Generator] = None):
        """Training segments with targets from the examples' reference docs.

        Faulty gold spans are repaired or skipped (see ``gold.py``); the first
        of each kind is reported with its document and offsets, and all are
        counted in ``self.skipped``.
        """
        if rng is None:
            # Drawn from numpy's global state so that fix_random_seed applies.
            rng = numpy.random.default_rng(numpy.random.randint(2**31))
        batch, found, first = self._segments(examples, rng)
        for kind, count in found.items():
            if not self.skipped[kind]:
                warnings.warn(
                    f"[{self.name}] {kind} in the training data: {count} in this batch; first: "
                    f"{first[kind]}. Further ones are counted in `nlp.get_pipe({self.name!r}).skipped`"
                )
            self.skipped[kind] += count
        return batch

    def _segments(self, examples: Iterable[Example], rng: numpy.random.Generator):
        """The head's batch for the examples, the faults found by kind, and the first of each."""
        label_ids = {label: i for i, label in enumerate(self.labels)}

        def read_gold(doc: Doc):
            if not self._is_annotated(doc):
                return None
            return (*self._gold_char_spans(doc), self._unknown_char_spans(doc), self._unannotated_labels(doc))

        return training_batch(self.head, examples, label_ids, read_gold, self._describe_doc, rng, self._task_annotation)

    def _describe_doc(self, doc: Doc) -> str:
        """The document's place in the corpus read by initialize(), and its first characters."""
        index = self._corpus_index.get(hash_string(doc.text))
        where = (
            "a document not in the corpus read by initialize" if index is None else f"document {index} of the corpus"
        )
        return f"{where} ({_text_start(doc.text)})"

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Learn from a batch of examples.

        ``drop`` is the dropout rate (Thinc's ``dropout_rate``, as spaCy's pipes
        set it; ``[training] dropout`` in ``spacy train``).
        """
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, f"{type(self).__name__}.update")
        self._require_model()
        batch = self.training_batch(examples)
        if len(batch) == 0:
            return losses
        self._quantized = None
        set_dropout(self.model, drop)
        total = 0.0
        # Gradients accumulate over chunks: one optimizer step per update.
        for part in split_batch(len(batch), self.cfg["max_batch_segments"]):
            chunk = batch.select(part)
            if not len(chunk):  # a head that keeps documents whole may leave a part empty
                continue
            weight = len(chunk) / len(batch)
            loss, backprop = self.model.begin_update(chunk)
            backprop(weight)
            total += loss * weight
        if sgd not in (None, False):
            self.finish_update(sgd)
        losses[self.name] += total
        runtime.after_update()
        return losses

    def get_loss(self, examples: Iterable[Example], scores=None) -> Tuple[float, None]:
        """The model's loss on the examples' gold spans, changing nothing.

        The same examples always give the same loss: segments come from a fixed
        seed, the model runs without dropout, and nothing is updated, counted or
        reported. ``scores`` is not used and no gradient is returned: the model
        computes its loss from the segments' targets, and ``update``
        backpropagates that loss.
        """
        self._require_model()
        batch, _, _ = self._segments(list(examples), numpy.random.default_rng(0))
        total = 0.0
        for part in split_batch(len(batch), self.cfg["max_batch_segments"]):
            chunk = batch.select(part)
            if len(chunk):
                total += float(self.model.predict(chunk)) * len(chunk) / len(batch)
        return total, None

    # Prediction -----------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[CharSpans]:
        """Spans of each doc, in character offsets, with label ids and probabilities."""
        self._require_model()
        runtime.limit_threads_in_child_process()
        docs = list(docs)
        texts = [ByteText(doc.text) for doc in docs]
        byte_spans = self.head.predict(self._prediction_model(), [t.as_array() for t in texts], docs=docs)
        return [to_chars(t, s) for t, s in zip(texts, byte_spans)]

    def _prediction_model(self) -> Model:
        kind = self._prediction_precision()
        if kind is None:
            return self.model
        if self._quantized is None or self._quantized.name != f"{self.model.name}_{kind}":
            self._quantized = prediction_copy(self.model, kind)
        return self._quantized

    def _prediction_precision(self) -> Optional[str]:
        """The reduced precision ``predict`` uses (``None``: the float32 model)."""
        setting = self.cfg.get("quantize", False)
        if setting is False:
            return None
        if setting is True:
            return "int8"
        if setting == "auto":
            return self.head.auto_precision(self.model)
        return setting

    def label_names(self, ids: numpy.ndarray) -> List[str]:
        labels = self.labels
        return [labels[i] for i in ids.tolist()]

    def kept_spans(self, doc: Doc, pred: CharSpans) -> CharSpans:
        """The predicted spans a user sees (``spans.kept_spans`` at this pipe's threshold)."""
        return kept_spans(doc.text if pred.text is None else pred.text, pred, self.cfg["threshold"])

    def store_span_group(self, doc: Doc, spans: Sequence[Optional[Span]], kept: CharSpans) -> SpanGroup:
        """``doc.spans[spans_key]``: the aligned spans with their scores and exact offsets."""
        aligned = [i for i, span in enumerate(spans) if span is not None]
        group = SpanGroup(
            doc,
            name=self.cfg["spans_key"],
            spans=[spans[i] for i in aligned],
            attrs={
                "scores": [float(kept.probs[i]) for i in aligned],
                "char_spans": [[int(kept.starts[i]), int(kept.ends[i])] for i in aligned],
            },
        )
        doc.spans[self.cfg["spans_key"]] = group
        return group

    # Scoring and serialization -------------------------------------------

    def score(self, examples: Iterable[Example], **kwargs) -> Dict:
        validate_examples(examples, f"{type(self).__name__}.score")
        kwargs.setdefault("spans_key", self.cfg["spans_key"])
        return self.scorer(examples, **kwargs)

    def _ensure_model(self) -> None:
        """Build the torch layer and the head for the stored labels, so weights can load."""
        if self.labels and not is_built(self.model):
            self.model.set_dim("nO", len(self.labels), force=True)
            ensure_built(self.model)
        if self.labels:
            self._build_head()


def _text_start(text: str, n: int = 30) -> str:
    return f"text {text[:n]!r}" + ("..." if len(text) > n else "")
