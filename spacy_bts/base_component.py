"""What ``bts_ner`` and ``bts_pos`` share: gold checks, training, prediction, IO.

Segmenting and decoding belong to the model's span head (``heads.py``: the
per-byte tagging head or the seq2seq head); the pipe gives it byte arrays and
gold byte spans and gets scored byte spans back. Training segments are built from each example's *reference* text and gold
character offsets (converted to bytes), never from the predicted tokenization,
so gold spans the tokenizer cannot represent are not lost.
"""
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
import srsly
from spacy import util
from spacy.errors import Errors
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Model, Optimizer

from .alignment import ByteText
from .decoding import ByteSpans
from .gold import TOO_LONG, UNANNOTATED, check_gold_spans
from .heads import head_for
from .segments import WindowSampler, random_windows, split_batch
from .token_alignment import trim_whitespace

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


class ByteToSpanPipe(TrainablePipe):
    """Base class of the tokenizer-free BTS components."""

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
        quantize: bool = False,
        scorer: Callable,
    ) -> None:
        self.vocab = vocab
        self.model = model
        self.name = name
        self.training_windows = training_windows or random_windows(DEFAULT_WINDOW_RATE)
        self.scorer = scorer
        # Training data the component could not use, by kind (see training_batch).
        self.skipped: Counter = Counter()
        k = model.attrs["segment_length"]
        overlap = k // 2 if overlap is None else overlap
        if not 0 <= overlap < k:
            raise ValueError(
                f"[{name}] overlap must be in [0, segment_length={k}), got {overlap}"
            )
        if max_batch_segments < 1:
            raise ValueError(f"[{name}] max_batch_segments must be >= 1, got {max_batch_segments}")
        max_spans = k // 2 if max_spans_per_segment is None else max_spans_per_segment
        if max_spans < 1:
            raise ValueError(f"[{name}] max_spans_per_segment must be >= 1, got {max_spans}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"[{name}] threshold must be in [0, 1], got {threshold}")
        self.cfg = {
            "labels": [],
            "spans_key": spans_key,
            "threshold": threshold,
            "overlap": overlap,
            "max_batch_segments": max_batch_segments,
            "max_spans_per_segment": max_spans,
            "quantize": bool(quantize),
        }
        # The int8 copy used by predict() when cfg["quantize"]; rebuilt after
        # any change to the float weights.
        self._quantized: Optional[Model] = None

    # Subclass hooks -------------------------------------------------------

    # What a document needs to be usable, for messages (e.g. "doc.ents").
    _task_annotation = "gold"

    def _is_annotated(self, doc: Doc) -> bool:
        raise NotImplementedError

    def _gold_char_spans(self, doc: Doc) -> Tuple[List[int], List[int], List[str]]:
        raise NotImplementedError

    def _validate_labels(self, labels: Sequence[str]) -> None:
        pass

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
        """Collect labels (or take ``labels``) and build the model."""
        validate_get_examples(get_examples, f"{type(self).__name__}.initialize")
        n_examples = n_usable = 0
        found = set(self.cfg["labels"])
        for example in get_examples():
            n_examples += 1
            doc = example.reference
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
        head = self.head
        label_ids = {label: i for i, label in enumerate(self.labels)}
        found: Counter = Counter()
        first: Dict[str, str] = {}
        batches = []
        for i, example in enumerate(examples):
            doc = example.reference
            if not doc.text:
                continue
            where = f"document {i} of the batch ({_text_start(doc.text)})"
            if not self._is_annotated(doc):
                found[UNANNOTATED] += 1
                first.setdefault(UNANNOTATED, f"{where}: no {self._task_annotation} annotation; skipped")
                continue
            gold = check_gold_spans(doc.text, *self._gold_char_spans(doc), label_ids)
            for fault in gold.faults:
                found[fault.kind] += 1
                first.setdefault(fault.kind, f"{where}: {fault.describe(doc.text)}")
            text = ByteText(doc.text)
            b_starts, b_ends = text.chars_to_bytes(gold.starts, gold.ends)
            ids = numpy.asarray([label_ids[n] for n in gold.labels], dtype=numpy.int64)
            longest = head.max_span_bytes
            fits = numpy.ones(len(ids), dtype=bool) if longest is None else (b_ends - b_starts) <= longest
            for j in numpy.flatnonzero(~fits).tolist():
                found[TOO_LONG] += 1
                first.setdefault(
                    TOO_LONG,
                    f"{where}: chars [{gold.starts[j]}, {gold.ends[j]}) label {gold.labels[j]!r} "
                    f"has {b_ends[j] - b_starts[j]} bytes > segment_length={longest}; skipped",
                )
            batches.append(
                head.document_batch(text.as_array(), b_starts[fits], b_ends[fits], ids[fits], rng)
            )
        for kind, count in found.items():
            if not self.skipped[kind]:
                warnings.warn(
                    f"[{self.name}] {kind} in the training data: {count} in this batch; first: "
                    f"{first[kind]}. Further ones are counted in `nlp.get_pipe({self.name!r}).skipped`"
                )
            self.skipped[kind] += count
        return head.concat(batches)

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Learn from a batch of examples; ``drop`` sets the model's dropout rate."""
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
        return losses

    def get_loss(self, examples: Iterable[Example], scores) -> Tuple[float, float]:
        """The head's training loss on the examples (no update): per segment (seq2seq) or per byte (tagging)."""
        self._require_model()
        batch = self.training_batch(examples)
        if len(batch) == 0:
            return 0.0, 0.0
        total = 0.0
        for part in split_batch(len(batch), self.cfg["max_batch_segments"]):
            chunk = batch.select(part)
            loss, _ = self.model.begin_update(chunk)
            total += loss * len(chunk) / len(batch)
        return total, 0.0

    # Prediction -----------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[CharSpans]:
        """Spans of each doc, in character offsets, with label ids and probabilities."""
        self._require_model()
        texts = [ByteText(doc.text) for doc in docs]
        byte_spans = self.head.predict(self._prediction_model(), [t.as_array() for t in texts])
        return [_to_chars(t, s) for t, s in zip(texts, byte_spans)]

    def _prediction_model(self) -> Model:
        if not self.cfg.get("quantize"):
            return self.model
        if self._quantized is None:
            self._quantized = self.head.quantized_copy(self.model)
        return self._quantized

    def label_names(self, ids: numpy.ndarray) -> List[str]:
        labels = self.labels
        return [labels[i] for i in ids.tolist()]

    def kept_spans(self, doc: Doc, pred: CharSpans) -> CharSpans:
        """Spans at or above the threshold, trimmed of whitespace (all-space ones dropped)."""
        keep = pred.probs >= self.cfg["threshold"]
        starts, ends, nonempty = trim_whitespace(doc.text, pred.starts[keep], pred.ends[keep])
        return CharSpans(
            starts[nonempty], ends[nonempty], pred.labels[keep][nonempty], pred.probs[keep][nonempty]
        )

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
        """Build the torch layer for the stored labels, so weights can load."""
        if self.labels and not self.model.layers:
            self.model.set_dim("nO", len(self.labels), force=True)
            self.head.ensure_built(self.model)

    def _load_model_bytes(self, data: bytes, source: str) -> None:
        self._ensure_model()
        # Described before loading: Thinc restores saved attrs before the weights fail.
        expected = f"{len(self.labels)} labels {list(self.labels)}, {self.head.describe(self.model)}"
        self._quantized = None
        try:
            self.model.from_bytes(data)
        except Exception as err:
            raise ValueError(
                f"[{self.name}] cannot load model weights from {source} "
                f"(settings expect {expected}): {err}"
            ) from err

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        serialize = {
            "cfg": lambda: srsly.json_dumps(self.cfg),
            "model": self.model.to_bytes,
        }
        return util.to_bytes(serialize, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()) -> "ByteToSpanPipe":
        deserialize = {
            "cfg": lambda b: self.cfg.update(srsly.json_loads(b)),
            "model": lambda b: self._load_model_bytes(b, "bytes"),
        }
        util.from_bytes(bytes_data, deserialize, exclude)
        return self

    def to_disk(self, path, *, exclude=tuple()) -> None:
        serialize = {
            "cfg": lambda p: srsly.write_json(p, self.cfg),
            "model": lambda p: self.model.to_disk(p),
        }
        util.to_disk(path, serialize, exclude)

    def from_disk(self, path, *, exclude=tuple()) -> "ByteToSpanPipe":
        def load_cfg(p: Path) -> None:
            try:
                self.cfg.update(srsly.read_json(p))
            except (OSError, ValueError) as err:
                raise ValueError(f"[{self.name}] cannot read component settings {p}: {err}") from err

        def load_model(p: Path) -> None:
            try:
                data = Path(p).read_bytes()
            except OSError as err:
                raise ValueError(f"[{self.name}] cannot read model weights {p}: {err}") from err
            self._load_model_bytes(data, str(p))

        util.from_disk(path, {"cfg": load_cfg, "model": load_model}, exclude)
        return self


def _text_start(text: str, n: int = 30) -> str:
    return f"text {text[:n]!r}" + ("..." if len(text) > n else "")


def _to_chars(text: ByteText, spans: ByteSpans) -> CharSpans:
    starts, ends = text.bytes_to_chars(spans.starts, spans.ends)
    return CharSpans(starts, ends, spans.labels, spans.probs)
