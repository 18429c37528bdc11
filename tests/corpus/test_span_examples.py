"""Examples from character offsets keep every span, wherever the tokens fall."""

import warnings

import pytest
import spacy
from conftest import train
from spacy.training import Example
from thinc.api import fix_random_seed

from spacy_bts import example_from_spans, reference_doc

TINY_NER = {"byte_dropout": 0.0, "encoder": {"embed_width": 32, "ngram_buckets": 512, "hidden": 32, "depth": 1}}
ISSUE_TEXT = "東京に住む田中さん。"
ISSUE_SPANS = [(0, 2, "LOC"), (5, 7, "PER")]


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def test_from_dict_drops_the_issues_spans():
    # The problem: the xx tokenizer's tokens cannot hold the entities.
    nlp = spacy.blank("xx")
    with pytest.warns(UserWarning, match="W030"):
        example = Example.from_dict(nlp.make_doc(ISSUE_TEXT), {"entities": ISSUE_SPANS})
    assert ents(example.reference) == []


def test_issue_snippet_with_the_helper_initializes_and_trains():
    fix_random_seed(0)
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": TINY_NER})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        example = example_from_spans(nlp, ISSUE_TEXT, ISSUE_SPANS)
        train(nlp, [example], max_steps=300)
    # Neither spaCy's W030 nor a gold fault reported by the component.
    assert not [str(w.message) for w in caught if "W030" in str(w.message) or "[bts_ner]" in str(w.message)]
    assert example.predicted.text == example.reference.text == ISSUE_TEXT
    assert nlp.get_pipe("bts_ner").labels == ("LOC", "PER")
    assert not nlp.get_pipe("bts_ner").skipped
    assert ents(nlp(ISSUE_TEXT)) == ISSUE_SPANS


@pytest.mark.parametrize(
    "text, spans",
    [
        ("Wir trafen Luckow-Nielsens Team in Köln.", [(11, 25, "PER"), (35, 39, "LOC")]),
        ("Die Siemens-Zentrale steht in Münchens Norden.", [(4, 11, "ORG"), (30, 37, "LOC")]),
        ("トヨタ自動車の本社は愛知県にあります。", [(0, 6, "ORG"), (10, 13, "LOC")]),
    ],
)
def test_spans_ending_inside_tokens_survive(text, spans):
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": TINY_NER})
    predicted = nlp.make_doc(text)
    bounds = {t.idx for t in predicted} | {t.idx + len(t) for t in predicted}
    assert any(o not in bounds for s, e, _ in spans for o in (s, e)), "the case needs a span ending inside a token"
    example = example_from_spans(nlp, text, spans)
    assert ents(example.reference) == spans
    assert example.reference.text == text
    starts, ends, labels = pipe._gold_char_spans(example.reference)
    assert list(zip(starts, ends, labels)) == spans
    assert pipe._unknown_char_spans(example.reference) == []


def test_reference_tokens_are_the_tokenizers_except_at_span_boundaries():
    nlp = spacy.blank("xx")
    text = "Wir  trafen Luckow-Nielsens Team\nin Köln."
    doc = reference_doc(nlp, text, [(12, 26, "PER")])
    assert [(t.text, t.whitespace_) for t in doc] == [
        ("Wir", " "),
        (" ", ""),
        ("trafen", " "),
        ("Luckow", ""),
        ("-", ""),
        ("Nielsen", ""),
        ("s", " "),
        ("Team", ""),
        ("\n", ""),
        ("in", " "),
        ("Köln", ""),
        (".", ""),
    ]
    assert [t.ent_iob_ for t in doc] == ["O", "O", "O", "B", "I", "I", "O", "O", "O", "O", "O", "O"]


def test_spans_on_whitespace_are_kept_for_the_components_checks():
    # A space the tokenizer keeps as trailing whitespace becomes a token when a span starts on it;
    # the component trims it (and reports that).
    nlp = spacy.blank("xx")
    doc = reference_doc(nlp, "in Köln bleiben", [(2, 7, "LOC")])
    assert ents(doc) == [(2, 7, "LOC")]
    assert [(t.text, t.whitespace_) for t in doc] == [("in", ""), (" ", ""), ("Köln", " "), ("bleiben", "")]


def test_dict_and_triple_spans_are_the_same_and_no_spans_mean_no_entities():
    nlp = spacy.blank("xx")
    as_dicts = [{"start": s, "end": e, "label": label, "token_start": 0} for s, e, label in ISSUE_SPANS]
    assert ents(reference_doc(nlp, ISSUE_TEXT, as_dicts)) == ents(reference_doc(nlp, ISSUE_TEXT, ISSUE_SPANS))
    empty = reference_doc(nlp, ISSUE_TEXT, [])
    assert empty.has_annotation("ENT_IOB") and {t.ent_iob_ for t in empty} == {"O"}


def test_overlapping_entities_go_to_the_span_group():
    nlp = spacy.blank("xx")
    text = "Die Universität Wien liegt in Wien."
    spans = [(4, 20, "ORG"), (16, 20, "LOC"), (30, 34, "LOC")]
    doc = reference_doc(nlp, text, spans, spans_key="gold")
    assert sorted((s.start_char, s.end_char, s.label_) for s in doc.spans["gold"]) == spans
    assert ents(doc) == [(4, 20, "ORG"), (30, 34, "LOC")]
    assert "bts_ner" in reference_doc(nlp, text, spans).spans
    assert not reference_doc(nlp, text, spans[:1]).spans


def test_pos_words_are_tokens_with_their_tags():
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_pos", config={"model": TINY_NER})
    text = "猫が魚を食べた。 New York"
    words = [(0, 1, "NOUN"), (1, 2, "ADP"), (4, 7, "VERB"), (7, 8, "PUNCT"), (9, 17, "PROPN")]
    example = example_from_spans(nlp, text, words, task="pos")
    doc = example.reference
    assert [(t.text, t.pos_) for t in doc] == [
        ("猫", "NOUN"),
        ("が", "ADP"),
        ("魚を", ""),  # not covered by a word: untagged, i.e. unknown to the component
        ("食べた", "VERB"),
        ("。", "PUNCT"),
        ("New York", "PROPN"),
    ]
    pipe = nlp.get_pipe("bts_pos")
    assert list(zip(*pipe._gold_char_spans(doc))) == words
    assert pipe._unknown_char_spans(doc) == [(2, 4)]
    nlp.initialize(lambda: [example])
    assert pipe.labels == ("ADP", "NOUN", "PROPN", "PUNCT", "VERB")


@pytest.mark.parametrize(
    "spans, task, message",
    [
        ([(0, 11, "LOC")], "ner", "not a non-empty range of the text's 10 characters"),
        ([(3, 3, "LOC")], "ner", "not a non-empty range"),
        ([(5, 2, "LOC")], "ner", "not a non-empty range"),
        ([(-1, 2, "LOC")], "ner", "not a non-empty range"),
        ([(0, 2, "")], "ner", "non-empty string"),
        ([(0, 2, 7)], "ner", "non-empty string"),
        ([(0.0, 2, "LOC")], "ner", "must be integers"),
        ([(True, 2, "LOC")], "ner", "must be integers"),
        ([(0, 2)], "ner", "expected [start, end, label]"),
        ([{"start": 0, "end": 2}], "ner", "missing label"),
        ("0 2 LOC", "ner", "spans must be a list"),
        ([(0, 2, "NOUN"), (1, 3, "ADP")], "pos", "overlaps the word [0, 2, 'NOUN']"),
        ([(0, 2, "LOC")], "pos", "'LOC' is not a Universal POS tag"),
        ([(0, 2, "NOUN")], "bogus", "task must be one of"),
    ],
)
def test_bad_spans_raise_naming_text_and_span(spans, task, message):
    nlp = spacy.blank("xx")
    with pytest.raises(ValueError) as error:
        example_from_spans(nlp, ISSUE_TEXT, spans, task=task)
    assert message in str(error.value)
    if task in ("ner", "pos") and isinstance(spans, list):
        assert repr(ISSUE_TEXT) in str(error.value)


def test_whitespace_only_word_raises():
    nlp = spacy.blank("xx")
    with pytest.raises(ValueError, match="a word of only whitespace"):
        reference_doc(nlp, "a  b", [(0, 1, "NOUN"), (1, 3, "SPACE")], task="pos")
