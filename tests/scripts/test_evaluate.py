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


@Language.component("test_fixed_entities")
def fixed_entities(doc):
    # "Ana" as PER, "Nordic Cup" as MISC and "Oslo" as ORG (wrong: it is a LOC).
    from spacy.tokens import Span

    doc.ents = [Span(doc, 0, 1, "PER"), Span(doc, 3, 5, "MISC"), Span(doc, 6, 7, "ORG")]
    return doc


def test_ner_scored_on_chosen_labels_only(tmp_path):
    from spacy.tokens import Doc, Span

    nlp = spacy.blank("xx")
    nlp.add_pipe("test_fixed_entities")
    gold = Doc(nlp.vocab, words=["Ana", "saw", "the", "Nordic", "Cup", "in", "Oslo", "."])
    gold.ents = [Span(gold, 0, 1, "PER"), Span(gold, 6, 7, "LOC")]
    DocBin(docs=[gold]).to_disk(tmp_path / "xx-dev.spacy")
    every = evaluate_file(nlp, tmp_path / "xx-dev.spacy", task="ner", labels=["PER", "ORG", "LOC", "MISC"])
    assert every["ents_p"] == pytest.approx(1 / 3)
    chosen = evaluate_file(nlp, tmp_path / "xx-dev.spacy", task="ner", labels=["PER", "ORG", "LOC"])
    assert chosen["ents_p"] == chosen["ents_r"] == pytest.approx(1 / 2)  # the MISC prediction left out
    assert chosen["labels"] == ["LOC", "ORG", "PER"] and chosen["n_docs"] == 1
    table = evaluation.results_table("ner", {"xx-dev": chosen}, "m")
    assert "on LOC/ORG/PER only" in table and "Average dev F1: 50.00 over 1 corpora." in table
