"""Raw-text UPOS scores (``pos_span_p/r/f``) on hand-written words, for BTS and token taggers."""
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, SpanGroup
from spacy.training import Example

from conftest import SMALL_MODEL, load_script
from spacy_bts.pipeline.scorers import score_pos

evaluation = load_script("evaluate")  # scripts/evaluate.py
POSScorer, bts_pos_key, evaluate_file = evaluation.POSScorer, evaluation.bts_pos_key, evaluation.evaluate_file

JA = "猫が魚を食べた。"
JA_GOLD = [("猫", "NOUN"), ("が", "ADP"), ("魚", "NOUN"), ("を", "ADP"), ("食べた", "VERB"), ("。", "PUNCT")]
EN = "She likes pizza."
EN_GOLD = [("She", "PRON"), ("likes", "VERB"), ("pizza", "NOUN"), (".", "PUNCT")]
# A token tagger's tags, by token text (the xx tokenizer leaves "猫が魚を食べた" whole).
LOOKUP = {"She": "PRON", "likes": "VERB", "pizza": "NOUN", ".": "PUNCT", "。": "PUNCT",
          "猫が魚を食べた": "NOUN"}


@Language.component("test_lookup_tagger")
def lookup_tagger(doc):
    for token in doc:
        token.pos_ = LOOKUP.get(token.text, "X")
    return doc


def store_words(doc, words):
    """``words`` stored as a BTS component stores them: spans cut to tokens, exact offsets in attrs."""
    offsets = offsets_of(doc.text, words)
    spans = [doc.char_span(s, e, label=tag, alignment_mode="expand") for s, e, tag in offsets]
    doc.spans["bts_pos"] = SpanGroup(doc, spans=spans, attrs={"char_spans": [[s, e] for s, e, _ in offsets]})
    return doc


@Language.component("test_bts_like_words")
def bts_like_words(doc):
    return store_words(doc, JA_GOLD) if doc.text == JA else doc


def offsets_of(text, words):
    out, cursor = [], 0
    for word, tag in words:
        start = text.index(word, cursor)
        out.append((start, start + len(word), tag))
        cursor = start + len(word)
    return out


def doc_of(vocab, words, spaces=None):
    return Doc(vocab, words=[w for w, _ in words], spaces=spaces or [False] * len(words), pos=[t for _, t in words])


def test_right_tokens_wrong_tag_lowers_both_scores_alike():
    vocab = spacy.blank("xx").vocab
    gold = doc_of(vocab, EN_GOLD, [True, True, False, False])
    wrong_tag = [("She", "PRON"), ("likes", "NOUN"), ("pizza", "NOUN"), (".", "PUNCT")]
    pred = doc_of(vocab, wrong_tag, [True, True, False, False])
    scores = score_pos([Example(pred, gold)], spans_key=None)
    assert scores["pos_acc"] == scores["pos_span_f"] == pytest.approx(0.75)
    assert scores["word_seg_f"] == 1.0


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


def test_evaluation_scores_a_token_tagger_on_raw_text(tmp_path):
    nlp = spacy.blank("xx")
    nlp.add_pipe("test_lookup_tagger")
    gold = [doc_of(nlp.vocab, EN_GOLD, [True, True, False, False]), doc_of(nlp.vocab, JA_GOLD)]
    DocBin(docs=gold).to_disk(tmp_path / "xx-test.spacy")
    scores = evaluate_file(nlp, tmp_path / "xx-test.spacy", task="pos")
    # Predicted words: She likes pizza . | 猫が魚を食べた 。 -> 5 of 6 are gold words, of 10.
    assert scores["pos_span_p"] == pytest.approx(5 / 6)
    assert scores["pos_span_r"] == pytest.approx(5 / 10)
    assert scores["pos_span_f"] == pytest.approx(10 / 16)
    # spaCy's pos_acc skips the token spanning 5 gold words: precision 5/5, recall 5/10.
    assert scores["pos_acc"] == pytest.approx(2 / 3)
    assert scores["word_seg_f"] == scores["token_f"]


def test_evaluation_uses_the_bts_span_group():
    nlp = spacy.blank("xx")
    nlp.add_pipe("test_bts_like_words")
    scores = nlp.evaluate([Example(nlp.make_doc(JA), doc_of(nlp.vocab, JA_GOLD))], scorer=POSScorer(nlp, "bts_pos"))
    assert scores["pos_span_f"] == scores["word_seg_f"] == 1.0


def test_bts_pos_key_finds_the_component():
    nlp = spacy.blank("xx")
    nlp.add_pipe("test_lookup_tagger")
    assert bts_pos_key(nlp) is None
    nlp.add_pipe("bts_pos", config={"model": SMALL_MODEL, "spans_key": "words"})
    assert bts_pos_key(nlp) == "words"
