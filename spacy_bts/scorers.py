"""Scorers of the BTS components, on exact character offsets.

A tokenizer-free model is judged on the character offsets it predicts, so
entities and POS-tagged words are compared as ``(start_char, end_char, label)``
triples rather than through a token alignment. On pre-tokenized corpora such as
CoNLL the two agree.
"""
from collections import defaultdict
from typing import Any, Dict, Iterable, Optional, Set, Tuple

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


def predicted_words(doc: Doc, spans_key: Optional[str]) -> Set[CharSpan]:
    """``(start, end, UPOS)`` of the predicted words.

    A BTS component's words are the exact offsets it stored with its span group
    (``attrs["char_spans"]``; its spans are cut to tokens); any other tagger's
    words are its tokens.
    """
    if spans_key is None or spans_key not in doc.spans:
        return {(t.idx, t.idx + len(t.text), t.pos_) for t in doc if not t.is_space}
    group = doc.spans[spans_key]
    offsets = group.attrs.get("char_spans")
    if offsets is None:
        offsets = [(s.start_char, s.end_char) for s in group]
    return {(int(s), int(e), span.label_) for (s, e), span in zip(offsets, group)}


def score_pos(examples: Iterable[Example], *, spans_key: Optional[str] = "bts_pos", **kwargs) -> Dict[str, Any]:
    """POS scores of any tagger on raw text.

    ``pos_span_p/r/f``: exact ``(word span, UPOS)`` matches between gold and
    predicted words, as the CoNLL 2018 shared task scores UPOS (on surface words);
    ``word_seg_p/r/f``: the same without the tag; ``pos_acc``: spaCy's score on
    the predicted tokens that align to one gold token.
    """
    examples = list(examples)
    scores = Scorer.score_token_attr(examples, "pos", **kwargs)
    tagged, segmented = PRFScore(), PRFScore()
    for example in examples:
        gold = {(t.idx, t.idx + len(t.text), t.pos_) for t in example.reference if not t.is_space}
        pred = predicted_words(example.predicted, spans_key)
        tagged.score_set(pred, gold)
        segmented.score_set({w[:2] for w in pred}, {w[:2] for w in gold})
    scores.update(_prf("pos_span", tagged))
    scores.update(_prf("word_seg", segmented))
    return scores


@registry.scorers("spacy-bts.ner_scorer.v1")
def make_ner_scorer():
    return score_ner


@registry.scorers("spacy-bts.pos_scorer.v1")
def make_pos_scorer():
    return score_pos
