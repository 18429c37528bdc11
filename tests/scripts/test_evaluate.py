"""``scripts/evaluate.py``: raw-text UPOS scores (``pos_span_p/r/f``) of BTS and token
taggers on hand-written words, from the bts_pos span group where there is one."""

import pytest
import spacy
from conftest import SMALL_MODEL, load_script
from fixtures import EN_GOLD, JA, JA_GOLD, doc_of, store_words
from spacy.language import Language
from spacy.tokens import DocBin
from spacy.training import Example

evaluation = load_script("evaluate")  # scripts/evaluate.py
POSScorer, bts_pos_key, evaluate_file = evaluation.POSScorer, evaluation.bts_pos_key, evaluation.evaluate_file

# A token tagger's tags, by token text (the xx tokenizer leaves "猫が魚を食べた" whole).
LOOKUP = {"She": "PRON", "likes": "VERB", "pizza": "NOUN", ".": "PUNCT", "。": "PUNCT", "猫が魚を食べた": "NOUN"}


@Language.component("test_lookup_tagger")
def lookup_tagger(doc):
    for token in doc:
        token.pos_ = LOOKUP.get(token.text, "X")
    return doc


@Language.component("test_bts_like_words")
def bts_like_words(doc):
    return store_words(doc, JA_GOLD) if doc.text == JA else doc


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
