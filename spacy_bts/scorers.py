"""Scorers of the BTS components, on exact character offsets.

A tokenizer-free model is judged on the character offsets it predicts, so
entities are compared as ``(start_char, end_char, label)`` triples rather than
through a token alignment. On pre-tokenized corpora such as CoNLL the two agree.
"""
from collections import defaultdict
from typing import Any, Dict, Iterable, Set, Tuple

from spacy.scorer import PRFScore, Scorer
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import registry

CharSpan = Tuple[int, int, str]


def _prf(prefix: str, score: PRFScore) -> Dict[str, Any]:
    has_data = score.tp + score.fp + score.fn > 0
    return {
        f"{prefix}_p": score.precision if has_data else None,
        f"{prefix}_r": score.recall if has_data else None,
        f"{prefix}_f": score.fscore if has_data else None,
    }


def score_ner(examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
    """``ents_p/r/f`` and ``ents_per_type`` on character offsets."""
    total = PRFScore()
    per_type: Dict[str, PRFScore] = defaultdict(PRFScore)
    for example in examples:
        gold = {(e.start_char, e.end_char, e.label_) for e in example.reference.ents}
        pred = {(e.start_char, e.end_char, e.label_) for e in example.predicted.ents}
        total.score_set(pred, gold)
        for label in {s[2] for s in gold | pred}:
            per_type[label].score_set(
                {s for s in pred if s[2] == label}, {s for s in gold if s[2] == label}
            )
    scores = _prf("ents", total)
    scores["ents_per_type"] = {label: prf.to_dict() for label, prf in sorted(per_type.items())}
    return scores


def predicted_char_spans(doc: Doc, spans_key: str) -> Set[Tuple[int, int]]:
    """The exact predicted offsets a BTS component stored with its span group."""
    if spans_key not in doc.spans:
        return set()
    group = doc.spans[spans_key]
    offsets = group.attrs.get("char_spans")
    if offsets is None:
        return {(s.start_char, s.end_char) for s in group}
    return {(int(s), int(e)) for s, e in offsets}


def score_pos(examples: Iterable[Example], *, spans_key: str = "bts_pos", **kwargs) -> Dict[str, Any]:
    """``pos_acc`` on spaCy tokens plus word-segmentation P/R/F of predicted spans."""
    examples = list(examples)
    scores = Scorer.score_token_attr(examples, "pos", **kwargs)
    segmentation = PRFScore()
    for example in examples:
        gold = {(t.idx, t.idx + len(t.text)) for t in example.reference if not t.is_space}
        segmentation.score_set(predicted_char_spans(example.predicted, spans_key), gold)
    scores.update(_prf("word_seg", segmentation))
    return scores


@registry.scorers("spacy-bts.ner_scorer.v1")
def make_ner_scorer():
    return score_ner


@registry.scorers("spacy-bts.pos_scorer.v1")
def make_pos_scorer():
    return score_pos
