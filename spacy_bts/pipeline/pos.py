"""``bts_pos``: tokenizer-free part-of-speech tagging with Byte-to-Span.

The model predicts word spans labelled with UPOS tags (paper, section 6.1).
Token rule: a token takes the tag of the predicted span with exactly its
offsets; otherwise of the predicted span overlapping it by the most characters
(ties: the more probable span); a token no predicted span overlaps keeps its
``pos`` unset. With ``retokenize=True`` the Doc is first re-cut to the
predicted words (tokens split at word boundaries, tokens making up one word
merged), so every word gets its tag exactly.
"""

from typing import Callable, Iterable, Optional, Sequence, Union

import numpy
from spacy.attrs import IDX, IS_SPACE, LENGTH, POS
from spacy.language import Language
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc
from thinc.api import Model

from ..heads.seq2seq.windows import WindowSampler
from ..spans import CharSpans
from .base import ByteToSpanPipe
from .doc_tokens import char_spans, merge_tokens_to, split_tokens_at
from .scorers import score_pos
from .settings import SHARED_DEFAULT_CONFIG, factory_settings

UPOS_TAGS = frozenset(tag for tag in POS_IDS if tag)


@Language.factory(
    "bts_pos",
    assigns=["token.pos", "doc.spans"],
    default_config={
        **SHARED_DEFAULT_CONFIG,
        "spans_key": "bts_pos",
        "retokenize": False,
        "scorer": {"@scorers": "spacy-bts.pos_scorer.v1"},
    },
    default_score_weights={"pos_acc": 1.0, "word_seg_p": 0.0, "word_seg_r": 0.0, "word_seg_f": 0.0},
)
def make_bts_pos(
    nlp: Language, name: str, model: Model, spans_key: str, threshold: float, retokenize: bool,
    overlap: Optional[int], training_windows: WindowSampler, max_batch_segments: int,
    max_spans_per_segment: Optional[int], quantize: Union[bool, str], scorer: Optional[Callable],
) -> "ByteToSpanPOS":  # fmt: skip
    """Create a ``bts_pos`` component.

    The model is a byte tagger (``spacy-bts.ByteTagger.v2``, the default) or
    the paper's seq2seq head (``spacy-bts.ByteToSpan.v1``,
    ``spacy-bts.PositionalByteToSpan.v1``).

    spans_key: ``doc.spans`` key for the predicted words (label = UPOS).
    threshold: minimum span score to keep a predicted word (byte tagger: the
        geometric mean of its per-byte tag probabilities; seq2seq head: its
        probability, start x length x label).
    retokenize: re-cut the Doc's tokens to the predicted words.
    overlap, max_batch_segments, quantize: both heads, as for ``bts_ner``.
    training_windows, max_spans_per_segment: seq2seq heads only, as for
        ``bts_ner`` (the byte tagger ignores them).
    """
    return ByteToSpanPOS(nlp.vocab, model, name, **factory_settings(locals()))


class ByteToSpanPOS(ByteToSpanPipe):
    """UPOS tags from predicted word spans, written to ``token.pos`` and ``doc.spans``."""

    factory_name = "bts_pos"
    default_scorer = staticmethod(score_pos)
    default_settings = {"retokenize": False}

    def _setting_checks(self):
        return {**super()._setting_checks(), "retokenize": (lambda v: isinstance(v, bool), "true or false")}

    def _validate_labels(self, labels: Sequence[str]) -> None:
        unknown = sorted(set(labels) - UPOS_TAGS)
        if unknown:
            raise ValueError(f"[{self.name}] labels must be Universal POS tags; not UPOS: {unknown}")

    _task_annotation = "POS (token.pos_)"

    def _is_annotated(self, doc: Doc) -> bool:
        return doc.has_annotation("POS")

    def _unknown_char_spans(self, doc: Doc):
        # A token without a tag is unknown, not "no word here".
        return [(t.idx, t.idx + len(t.text)) for t in doc if not t.pos_ and not t.is_space]

    def _gold_char_spans(self, doc: Doc):
        words = [t for t in doc if t.pos_ and not t.is_space]
        return (
            [t.idx for t in words],
            [t.idx + len(t.text) for t in words],
            [t.pos_ for t in words],
        )

    def set_annotations(self, docs: Iterable[Doc], predictions: Sequence[CharSpans]) -> None:
        """Tag tokens from the predicted words; store the words in ``doc.spans``."""
        for doc, pred in zip(docs, predictions):
            kept = self.kept_spans(doc, pred)
            labels = self.label_names(kept.labels)
            if self.cfg["retokenize"]:
                split_tokens_at(doc, numpy.concatenate([kept.starts, kept.ends]))
                merge_tokens_to(doc, kept.starts, kept.ends)
            _tag_tokens(doc, kept.starts, kept.ends, labels, kept.probs)
            self.store_span_group(doc, char_spans(doc, kept.starts, kept.ends, labels, "expand"), kept)


def _tag_tokens(doc: Doc, starts, ends, labels, probs) -> None:
    """Set ``token.pos`` by the token rule (module docstring). A token that one
    predicted word overlaps (the usual case) takes its tag through one array
    write; tokens overlapped by several go through ``_best_word``."""
    if not len(starts):
        return
    order = numpy.argsort(starts, kind="stable")
    starts, ends, probs = starts[order], ends[order], probs[order]
    labels = [labels[i] for i in order.tolist()]
    bounds = doc.to_array([IDX, LENGTH, IS_SPACE, POS]).astype(numpy.int64)
    t_starts, t_ends = bounds[:, 0], bounds[:, 0] + bounds[:, 1]
    tag_ids = numpy.asarray([POS_IDS[label] for label in labels], dtype=numpy.uint64)
    pos = bounds[:, 3].astype(numpy.uint64)
    several = bounds[:, 2] == 0  # not whitespace: tokens left to the rule one by one
    if (starts[1:] >= ends[:-1]).all():
        # Words sorted by start that do not overlap are sorted by end as well, so the
        # words overlapping a token are the run [first ending after it starts, first
        # starting at or after its end).
        lo = numpy.searchsorted(ends, t_starts, side="right")
        n_found = numpy.searchsorted(starts, t_ends, side="left") - lo
        one = several & (n_found == 1)
        pos[one] = tag_ids[lo[one]]
        several &= n_found > 1
    longest = int((ends - starts).max())
    for i in numpy.flatnonzero(several).tolist():
        best = _best_word(int(t_starts[i]), int(t_ends[i]), starts, ends, probs, longest)
        if best is not None:
            pos[i] = tag_ids[best]
    doc.from_array([POS], pos)


def _best_word(t_start: int, t_end: int, starts, ends, probs, longest: int) -> Optional[int]:
    """The word of a token by the token rule, among words sorted by start."""
    lo = int(numpy.searchsorted(starts, t_start - longest, side="left"))
    hi = int(numpy.searchsorted(starts, t_end, side="left"))
    best, best_key = None, None
    for i in range(lo, hi):
        overlap = min(t_end, ends[i]) - max(t_start, starts[i])
        if overlap <= 0:
            continue
        key = (starts[i] == t_start and ends[i] == t_end, overlap, probs[i])
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


# The name of ``ByteToSpanPOS`` before 0.2.0, kept for user code.
ByteToSpanTagger = ByteToSpanPOS
