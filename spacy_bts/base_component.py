"""What ``bts_ner`` and ``bts_pos`` share: gold checks, training, prediction, IO.

Segmenting and decoding belong to the model's span head (``heads.py``: the
per-byte tagging head or the seq2seq head); the pipe gives it byte arrays and
gold byte spans and gets scored byte spans back. Training segments are built from each example's *reference* text and gold
character offsets (converted to bytes), never from the predicted tokenization,
so gold spans the tokenizer cannot represent are not lost.
"""
import multiprocessing
import os
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
import srsly
from spacy import util
from spacy.errors import Errors
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.strings import hash_string
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Model, Optimizer

from . import heap
from .alignment import ByteText
from .decoding import ByteSpans
from .gold import TOO_LONG, UNANNOTATED, check_gold_spans
from .heads import head_for
from .segments import WindowSampler, random_windows, split_batch
from .token_alignment import trim_whitespace
from .torch_wiring import set_torch_threads

# Default training windows: one per 20 possible offsets (each byte in ~3 windows per epoch).
DEFAULT_WINDOW_RATE = 0.05


@dataclass
class CharSpans:
    """Predicted spans of one Doc in character offsets."""

    starts: numpy.ndarray
    ends: numpy.ndarray
    labels: numpy.ndarray  # label ids
    probs: numpy.ndarray

    def __len__(self) -> int:
        return len(self.starts)


# quantize: float32, int8 (true), bfloat16, or bfloat16 where the CPU computes it natively.
QUANTIZE_SETTINGS = (False, True, "int8", "bfloat16", "auto")


class ByteToSpanPipe(TrainablePipe):
    """Base class of the tokenizer-free BTS components.

    ``cfg`` holds the labels (data, saved with the weights) and the runtime
    settings (from the config: at load time the config's settings win over the
    saved ones, as ``nlp.config`` shows them).
    """

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str,
        *,
        spans_key: str,
        threshold: float,
        overlap: Optional[int],
        training_windows: Optional[WindowSampler],
        max_batch_segments: int,
        max_spans_per_segment: Optional[int] = None,
        quantize=False,
        scorer: Callable,
        **settings: Any,
    ) -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.training_windows = training_windows or random_windows(DEFAULT_WINDOW_RATE)
        self.scorer = scorer
        # Training data the component could not use, by kind (see training_batch).
        self.skipped: Counter = Counter()
        # Text hash -> index of the document in the corpus read by initialize(), for messages.
        self._corpus_index: Dict[int, int] = {}
        k = model.attrs["segment_length"]
        self.cfg = {
            "labels": [],
            "spans_key": spans_key,
            "threshold": threshold,
            "overlap": k // 2 if overlap is None else overlap,
            "max_batch_segments": max_batch_segments,
            "max_spans_per_segment": k // 2 if max_spans_per_segment is None else max_spans_per_segment,
            "quantize": quantize,
            **settings,
        }
        self.check_settings(self.cfg)
        # The int8 or bfloat16 copy used by predict() (cfg["quantize"]); rebuilt after
        # any change to the float weights.
        self._quantized: Optional[Model] = None

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

    def _validate_labels(self, labels: Sequence[str]) -> None:
        pass

    def _setting_checks(self) -> Dict[str, Tuple[Callable[[Any], bool], str]]:
        """Each setting's test and what it must be, for ``check_settings``."""
        k = self.segment_length
        return {
            "labels": (_is_label_list, "a list of distinct strings"),
            "spans_key": (lambda v: isinstance(v, str) and bool(v), "a non-empty string"),
            "threshold": (lambda v: _is_number(v) and 0.0 <= v <= 1.0, "a number in [0, 1]"),
            "overlap": (lambda v: _is_int(v) and 0 <= v < k, f"an integer in [0, {k}) (segment_length {k})"),
            "max_batch_segments": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
            "max_spans_per_segment": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
            "quantize": (
                lambda v: isinstance(v, bool) or v in QUANTIZE_SETTINGS[2:],
                'false, true, "int8", "bfloat16" or "auto"',
            ),
        }

    def check_settings(self, cfg: Dict[str, Any], source: Optional[str] = None) -> None:
        """Raise a ValueError naming the first setting of ``cfg`` that is invalid."""
        where = "" if source is None else f" (saved in {source})"
        for setting, (valid, expected) in self._setting_checks().items():
            if setting in cfg and not valid(cfg[setting]):
                raise ValueError(
                    f"[{self.name}] {setting} must be {expected}, got {cfg[setting]!r}{where}"
                )
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
        return self.model.attrs["segment_length"]

    @property
    def head(self):
        """The model's span head (seq2seq or tagging), for the current labels."""
        return head_for(self.model, len(self.labels), self.cfg, self.training_windows)

    def add_label(self, label: str) -> int:
        if not isinstance(label, str):
            raise ValueError(Errors.E187)
        if label in self.labels:
            return 0
        if self.model.layers:
            raise ValueError(
                f"[{self.name}] cannot add label '{label}' to an initialized model; "
                "pass all labels to initialize()"
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
    ) -> None:
        """Collect labels (or take ``labels``) and build the model.

        The examples' order is the corpus order that training messages refer to.
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
        self.model._layers.clear()
        self._quantized = None
        self.model.set_dim("nO", len(labels), force=True)
        self.model.initialize()

    def _require_model(self) -> None:
        if not self.model.layers or not self.labels:
            raise ValueError(Errors.E109.format(name=self.name))

    # Training -------------------------------------------------------------

    def training_batch(
        self, examples: Iterable[Example], rng: Optional[numpy.random.Generator] = None
    ):
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
        head = self.head
        label_ids = {label: i for i, label in enumerate(self.labels)}
        found: Counter = Counter()
        first: Dict[str, str] = {}
        batches = []

        def note(kind: str, doc: Doc, what: str) -> None:
            found[kind] += 1
            if kind not in first:
                first[kind] = f"{self._describe_doc(doc)}: {what}"

        for example in examples:
            doc = example.reference
            if not doc.text:
                continue
            if not self._is_annotated(doc):
                note(UNANNOTATED, doc, f"no {self._task_annotation} annotation; skipped")
                continue
            gold = check_gold_spans(doc.text, *self._gold_char_spans(doc), label_ids)
            for fault in gold.faults:
                note(fault.kind, doc, fault.describe(doc.text))
            text = ByteText(doc.text)
            b_starts, b_ends = text.chars_to_bytes(gold.starts, gold.ends)
            ids = numpy.asarray([label_ids[n] for n in gold.labels], dtype=numpy.int64)
            longest = head.max_span_bytes
            fits = numpy.ones(len(ids), dtype=bool) if longest is None else (b_ends - b_starts) <= longest
            for j in numpy.flatnonzero(~fits).tolist():
                note(
                    TOO_LONG,
                    doc,
                    f"chars [{gold.starts[j]}, {gold.ends[j]}) label {gold.labels[j]!r} has "
                    f"{b_ends[j] - b_starts[j]} bytes > segment_length={longest}; skipped",
                )
            known = _known_bytes(text, self._unknown_char_spans(doc))
            batches.append(
                head.document_batch(text.as_array(), b_starts[fits], b_ends[fits], ids[fits], rng, known=known)
            )
        return head.concat(batches), found, first

    def _describe_doc(self, doc: Doc) -> str:
        """The document's place in the corpus read by initialize(), and its first characters."""
        index = self._corpus_index.get(hash_string(doc.text))
        where = "a document not in the corpus read by initialize" if index is None else f"document {index} of the corpus"
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
        self.head.set_dropout(self.model, drop)
        total = 0.0
        # Gradients accumulate over chunks: one optimizer step per update.
        for part in split_batch(len(batch), self.cfg["max_batch_segments"]):
            chunk = batch.select(part)
            weight = len(chunk) / len(batch)
            loss, backprop = self.model.begin_update(chunk)
            backprop(weight)
            total += loss * weight
        if sgd not in (None, False):
            self.finish_update(sgd)
        losses[self.name] += total
        heap.after_update()
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
            total += float(self.model.predict(chunk)) * len(chunk) / len(batch)
        return total, None

    # Prediction -----------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[CharSpans]:
        """Spans of each doc, in character offsets, with label ids and probabilities."""
        self._require_model()
        _limit_threads_in_child_process()
        texts = [ByteText(doc.text) for doc in docs]
        byte_spans = self.head.predict(self._prediction_model(), [t.as_array() for t in texts])
        return [_to_chars(t, s) for t, s in zip(texts, byte_spans)]

    def _prediction_model(self) -> Model:
        kind = self._prediction_precision()
        if kind is None:
            return self.model
        if self._quantized is None or self._quantized.name != f"{self.model.name}_{kind}":
            self._quantized = self.head.quantized_copy(self.model, kind)
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
        """Spans at or above the threshold, trimmed of whitespace (all-space ones
        dropped), then de-duplicated: of spans equal after trimming (offsets and
        label), the most probable is kept."""
        keep = pred.probs >= self.cfg["threshold"]
        starts, ends, nonempty = trim_whitespace(doc.text, pred.starts[keep], pred.ends[keep])
        labels, probs = pred.labels[keep], pred.probs[keep]
        best: Dict[Tuple[int, int, int], int] = {}
        for i in numpy.flatnonzero(nonempty).tolist():
            key = (int(starts[i]), int(ends[i]), int(labels[i]))
            if key not in best or probs[i] > probs[best[key]]:
                best[key] = i
        index = numpy.asarray(sorted(best.values()), dtype=numpy.int64)
        return CharSpans(starts[index], ends[index], labels[index], probs[index])

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

    # Saving is TrainablePipe's (cfg, vocab, model). Loading differs: the saved
    # labels (data) are taken, the settings stay the config's, the model is built
    # for the labels before its weights load, and errors name the file.

    def _load_cfg(self, read: Callable[[], Any], source: str) -> Dict[str, Any]:
        try:
            saved = read()
        except (OSError, ValueError) as err:
            raise ValueError(f"[{self.name}] cannot read component settings {source}: {err}") from err
        if not isinstance(saved, dict):
            raise ValueError(f"[{self.name}] component settings in {source} must be a JSON object")
        if "labels" in saved:
            self.check_settings({"labels": saved["labels"]}, source)
            self.cfg["labels"] = list(saved["labels"])
        return saved

    def _ensure_model(self) -> None:
        """Build the torch layer for the stored labels, so weights can load."""
        if self.labels and not self.model.layers:
            self.model.set_dim("nO", len(self.labels), force=True)
            self.head.ensure_built(self.model)

    def _load_model_bytes(self, data: bytes, source: str) -> None:
        self._ensure_model()
        # Described before loading: Thinc restores saved attrs before the weights fail.
        expected = f"{len(self.labels)} labels {list(self.labels)}, {self.head.describe(self.model)}"
        self._quantized = None
        # Thinc restores the saved attrs; those that only steer prediction stay the config's.
        configured = {key: self.model.attrs[key] for key in _RUNTIME_ATTRS if key in self.model.attrs}
        try:
            self.model.from_bytes(data)
        except Exception as err:
            raise ValueError(
                f"[{self.name}] cannot load model weights from {source} "
                f"(settings expect {expected}): {err}"
            ) from err
        self.model.attrs.update(configured)

    def _check_loaded(self, saved: Dict[str, Any], source: str) -> None:
        # Against the loaded model: its saved attrs (segment_length) are restored with the weights.
        self.check_settings(saved, source)
        self.check_settings(self.cfg)

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> "ByteToSpanPipe":
        self._validate_serialization_attrs()
        saved: Dict[str, Any] = {}
        deserialize = {
            "cfg": lambda b: saved.update(self._load_cfg(lambda: srsly.json_loads(b), "bytes")),
            "vocab": lambda b: self.vocab.from_bytes(b, exclude=exclude),
            "model": lambda b: self._load_model_bytes(b, "bytes"),
        }
        util.from_bytes(bytes_data, deserialize, exclude)
        self._check_loaded(saved, "bytes")
        return self

    def from_disk(self, path, *, exclude=tuple()) -> "ByteToSpanPipe":
        self._validate_serialization_attrs()
        saved: Dict[str, Any] = {}

        def load_model(p: Path) -> None:
            try:
                data = Path(p).read_bytes()
            except OSError as err:
                raise ValueError(f"[{self.name}] cannot read model weights {p}: {err}") from err
            self._load_model_bytes(data, str(p))

        deserialize = {
            "cfg": lambda p: saved.update(self._load_cfg(lambda: srsly.read_json(p), str(p))),
            "vocab": lambda p: self.vocab.from_disk(p, exclude=exclude),
            "model": load_model,
        }
        util.from_disk(path, deserialize, exclude)
        self._check_loaded(saved, str(Path(path) / "cfg"))
        return self


# Model attrs that the config given at load time sets, whatever the saved model says.
_RUNTIME_ATTRS = ("inference_segment_length",)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_label_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value) and len(set(value)) == len(value)


def _known_bytes(text: ByteText, unknown: Sequence[Tuple[int, int]]) -> Optional[numpy.ndarray]:
    """Per-byte mask of annotated bytes (None: all are)."""
    if not unknown:
        return None
    starts, ends = text.chars_to_bytes(*(numpy.asarray(a, dtype=numpy.int64) for a in zip(*unknown)))
    depth = numpy.zeros(len(text) + 1, dtype=numpy.int64)
    numpy.add.at(depth, starts, 1)
    numpy.add.at(depth, ends, -1)
    return numpy.cumsum(depth[:-1]) == 0


# The process whose torch thread count has been checked (see below).
_threads_checked_in: Optional[int] = None


def _limit_threads_in_child_process() -> None:
    """One torch thread in a multiprocessing child, e.g. of ``nlp.pipe(n_process=...)``.

    A forked child inherits the parent's OpenMP pool state and can deadlock in
    its first parallel op; and n children with all cores each would oversubscribe
    the CPU. Checked once per process, before the process's first prediction.
    """
    global _threads_checked_in
    if _threads_checked_in == os.getpid():
        return
    _threads_checked_in = os.getpid()
    if multiprocessing.parent_process() is not None:
        set_torch_threads(1)


def _text_start(text: str, n: int = 30) -> str:
    return f"text {text[:n]!r}" + ("..." if len(text) > n else "")


def _to_chars(text: ByteText, spans: ByteSpans) -> CharSpans:
    starts, ends = text.bytes_to_chars(spans.starts, spans.ends)
    return CharSpans(starts, ends, spans.labels, spans.probs)
