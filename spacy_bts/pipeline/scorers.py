"""Scorers of the BTS components, on exact character offsets.

A tokenizer-free model is judged on the character offsets it predicts: an
entity or a POS-tagged word is right only with the gold start and end
characters, wherever the tokens fall.
"""

from typing import Any, Dict, Iterable, Optional, Set, Tuple

from spacy.scorer import PRFScore, Scorer, get_ner_prf
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import registry

from ..spans import stored_spans
from .doc_tokens import split_tokens_at

CharSpan = Tuple[int, int, str]


def _prf(prefix: str, score: PRFScore) -> Dict[str, Any]:
    """``PRFScore.to_dict`` under ``prefix``; None without any data (as spaCy's scorers)."""
    return {f"{prefix}_{key}": value if len(score) else None for key, value in score.to_dict().items()}


def score_ner(examples: Iterable[Example], **kwargs) -> Dict[str, Any]:
    """spaCy's ``get_ner_prf`` (``ents_p/r/f``, ``ents_per_type``) on exact character offsets.

    As in spaCy, references without entity annotation are not scored, nor
    predictions over reference tokens with missing annotation, nor predictions
    of labels the reference does not annotate (a span group's
    ``attrs["unannotated_labels"]``).
    """
    scores = get_ner_prf([_reference_cut_at_predictions(_without_unannotated(eg)) for eg in examples])
    if scores["ents_per_type"] is not None:
        scores["ents_per_type"] = dict(sorted(scores["ents_per_type"].items()))
    return scores


def unannotated_labels(doc: Doc) -> Set[str]:
    """Labels the doc's gold span groups declare unannotated (``attrs["unannotated_labels"]``)."""
    return {label for group in doc.spans.values() for label in group.attrs.get("unannotated_labels", ())}


def _without_unannotated(example: Example) -> Example:
    unknown = unannotated_labels(example.reference)
    if not unknown or not any(e.label_ in unknown for e in example.predicted.ents):
        return example
    predicted = example.predicted.copy()
    predicted.ents = [e for e in predicted.ents if e.label_ not in unknown]
    return Example(predicted, example.reference)


def _reference_cut_at_predictions(example: Example) -> Example:
    """The example, with reference tokens split where a predicted entity begins or
    ends inside one, so that matching entities by tokens is matching by characters."""
    reference = example.reference
    cuts = {o for e in example.predicted.ents for o in (e.start_char, e.end_char)}
    bounds = {t.idx for t in reference} | {t.idx + len(t) for t in reference}
    if cuts <= bounds:
        return example
    reference = reference.copy()
    split_tokens_at(reference, cuts)
    return Example(example.predicted, reference)


def predicted_words(doc: Doc, spans_key: Optional[str]) -> Set[CharSpan]:
    """``(start, end, UPOS)`` of the predicted words.

    A BTS component's words are the exact offsets it stored with its span group
    (``attrs["char_spans"]``; its spans are cut to tokens); any other tagger's
    words are its tokens.
    """
    if spans_key is None or spans_key not in doc.spans:
        return {(t.idx, t.idx + len(t.text), t.pos_) for t in doc if not t.is_space}
    return {(s, e, span.label_) for s, e, _, span in stored_spans(doc, spans_key)}


def score_pos(examples: Iterable[Example], *, spans_key: Optional[str] = "bts_pos", **kwargs) -> Dict[str, Any]:
    """POS scores of any tagger on raw text.

    ``pos_span_p/r/f``: exact ``(word span, UPOS)`` matches between gold and
    predicted words, as the CoNLL 2018 shared task scores UPOS (on surface words);
    ``word_seg_p/r/f``: the same without the tag (spaCy's ``token_p/r/f`` when the
    words are the Doc's tokens; a BTS component's words are its span group);
    ``pos_acc``: spaCy's score on the predicted tokens that align to one gold token.
    """
    examples = list(examples)
    scores = Scorer.score_token_attr(examples, "pos", **kwargs)
    tagged, segmented = PRFScore(), PRFScore()
    for example in examples:
        if not example.reference.has_annotation("POS"):
            continue  # missing annotation is unknown (e.g. an NER document in a joint dev set)
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
