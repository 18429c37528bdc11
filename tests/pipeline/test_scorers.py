"""The components' scorers (``pipeline/scorers.py``), on exact character offsets: raw-text
UPOS scores (``pos_span_p/r/f``) and word segmentation on hand-written words, and NER
scores equal to spaCy's."""

import pytest
import spacy
from fixtures import EN_GOLD, JA, JA_GOLD, doc_of, store_words
from spacy.scorer import Scorer, get_ner_prf
from spacy.tokens import Doc, Span
from spacy.training import Example

from spacy_bts.pipeline.scorers import score_ner, score_pos


def test_right_tokens_wrong_tag_lowers_both_scores_alike():
    vocab = spacy.blank("xx").vocab
    gold = doc_of(vocab, EN_GOLD, [True, True, False, False])
    wrong_tag = [("She", "PRON"), ("likes", "NOUN"), ("pizza", "NOUN"), (".", "PUNCT")]
    pred = doc_of(vocab, wrong_tag, [True, True, False, False])
    scores = score_pos([Example(pred, gold)], spans_key=None)
    assert scores["pos_acc"] == scores["pos_span_f"] == pytest.approx(0.75)
    assert scores["word_seg_f"] == 1.0


def test_pos_scores_skip_references_without_pos():
    # An NER document in a joint dev set: its words are not "words without a tag".
    vocab = spacy.blank("xx").vocab
    gold = doc_of(vocab, EN_GOLD, [True, True, False, False])
    pred = doc_of(vocab, EN_GOLD, [True, True, False, False])
    untagged = Doc(vocab, words=["Ada", "wrote", "."], spaces=[True, False, False])
    scores = score_pos([Example(pred, gold), Example(untagged.copy(), untagged)], spans_key=None)
    assert scores["pos_span_f"] == scores["word_seg_f"] == 1.0


def test_wrong_tokens_pos_acc_and_span_f1_disagree():
    # "食べた" cut into "食べ" + "た", both VERB: each piece aligns to the one gold word,
    # so spaCy's pos_acc is perfect, but only 5 of 7 predicted words are gold words.
    vocab = spacy.blank("xx").vocab
    pred_words = JA_GOLD[:4] + [("食べ", "VERB"), ("た", "VERB"), ("。", "PUNCT")]
    scores = score_pos([Example(doc_of(vocab, pred_words), doc_of(vocab, JA_GOLD))], spans_key=None)
    assert scores["pos_acc"] == 1.0
    assert scores["pos_span_p"] == pytest.approx(5 / 7)
    assert scores["pos_span_r"] == pytest.approx(5 / 6)
    assert scores["pos_span_f"] == pytest.approx(10 / 13)
    assert scores["word_seg_f"] == pytest.approx(10 / 13)


def test_bts_words_are_the_exact_offsets_not_the_token_spans():
    nlp = spacy.blank("xx")
    wrong_tag = JA_GOLD[:4] + [("食べた", "NOUN")] + JA_GOLD[5:]
    pred = store_words(nlp.make_doc(JA), wrong_tag)
    assert len(pred) == 2 and {(s.start_char, s.end_char) for s in pred.spans["bts_pos"]} == {(0, 7), (7, 8)}
    scores = score_pos([Example(pred, doc_of(nlp.vocab, JA_GOLD))])
    assert scores["word_seg_f"] == 1.0
    assert scores["pos_span_f"] == pytest.approx(5 / 6)
    # Without its span group the same doc is scored on its two tokens (no tags: no UPOS match).
    tokens = score_pos([Example(pred, doc_of(nlp.vocab, JA_GOLD))], spans_key=None)
    assert tokens["word_seg_p"] == pytest.approx(1 / 2) and tokens["pos_span_f"] == 0.0


# spaCy's own helpers, with the same results.


def scored_examples(nlp, cases):
    """Examples from (text, gold ents or None for no annotation, predicted ents)."""
    examples = []
    for text, gold_ents, predicted in cases:
        reference = nlp.make_doc(text)
        if gold_ents is not None:
            reference.ents = [reference.char_span(s, e, label=l, alignment_mode="expand") for s, e, l in gold_ents]
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label=l, alignment_mode="expand") for s, e, l in predicted]
        examples.append(Example(doc, reference))
    return examples


def test_ner_scores_are_spacys_and_skip_unannotated_references():
    nlp = spacy.blank("xx")
    annotated = [
        ("Anna flew to Oslo.", [(0, 4, "PER"), (13, 17, "LOC")], [(0, 4, "PER"), (13, 17, "PER")]),
        ("Rome is far from Oslo.", [(0, 4, "LOC")], [(0, 4, "LOC"), (17, 21, "LOC")]),
    ]
    examples = scored_examples(nlp, annotated)
    assert score_ner(examples) == get_ner_prf(examples)
    # A reference without entity annotation is not scored (spaCy's rule).
    unannotated = scored_examples(nlp, [("Berlin again.", None, [(0, 6, "LOC")])])
    assert score_ner(examples + unannotated) == score_ner(examples)


def test_ner_scores_stay_on_exact_character_offsets():
    nlp = spacy.blank("xx")
    reference = Doc(nlp.vocab, words=["The", "Oslo-based", "firm"], ents=["O", "B-LOC", "O"])
    predicted = Doc(nlp.vocab, words=["The", "Oslo", "-based", "firm"], spaces=[True, False, True, False])
    predicted.ents = [Span(predicted, 1, 2, label="LOC")]
    # Token alignment alone would count "Oslo" as the gold "Oslo-based".
    scores = score_ner([Example(predicted, reference)])
    assert scores["ents_p"] == 0.0 and scores["ents_r"] == 0.0
    assert scores["ents_per_type"]["LOC"] == {"p": 0.0, "r": 0.0, "f": 0.0}


def test_word_segmentation_equals_spacys_tokenization_score_on_tokens():
    """``word_seg_*`` scores the predicted words; where they are the Doc's tokens it
    is spaCy's ``score_tokenization`` (which can only score tokens)."""
    nlp = spacy.blank("xx")
    reference = Doc(
        nlp.vocab,
        words=["Hunde", "bellen", "laut", "."],
        spaces=[False, True, False, False],
        pos=["NOUN", "NOUN", "ADV", "PUNCT"],
    )
    predicted = Doc(nlp.vocab, words=["Hundebellen", "laut", "."], spaces=[True, False, False])
    examples = [Example(predicted, reference)]
    ours = score_pos(examples, spans_key=None)
    spacys = Scorer.score_tokenization(examples)
    assert (ours["word_seg_p"], ours["word_seg_r"], ours["word_seg_f"]) == pytest.approx(
        (spacys["token_p"], spacys["token_r"], spacys["token_f"])
    )
