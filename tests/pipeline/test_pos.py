import pickle

import numpy
import pytest
import spacy
from conftest import SMALL_MODEL, SMALL_TAGGER, char_spans
from fixtures import JA_GOLD, POS_SENTENCES, entity_offsets, pos_examples
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc
from spacy.training import Example


def words(doc, key="bts_pos"):
    return [tuple(o) + (s.label_,) for s, o in zip(doc.spans[key], doc.spans[key].attrs["char_spans"])]


def test_overfit_predicts_gold_words_and_tags(trained_pos):
    for text, gold in POS_SENTENCES:
        doc = trained_pos(text)
        assert words(doc) == entity_offsets(text, gold), text


def test_tokens_get_tags_from_matching_or_overlapping_words(trained_pos):
    # Tokens that differ from the predicted words: "livre." overlaps NOUN "livre"
    # by 5 characters and PUNCT "." by 1; "Émile lit" overlaps PROPN by 5, VERB by 3.
    doc = Doc(trained_pos.vocab, words=["Émile lit", "un", "livre."], spaces=[True, True, False])
    doc = trained_pos.get_pipe("bts_pos")(doc)
    assert doc.text == "Émile lit un livre."
    assert [(t.text, t.pos_) for t in doc] == [("Émile lit", "PROPN"), ("un", "DET"), ("livre.", "NOUN")]


def test_retokenize_cuts_doc_to_predicted_words(trained_pos):
    pos = trained_pos.get_pipe("bts_pos")
    pos.cfg["retokenize"] = True
    try:
        doc = trained_pos("猫が魚を食べた。")
    finally:
        pos.cfg["retokenize"] = False
    assert [(t.text, t.pos_) for t in doc] == JA_GOLD


def test_scores_include_pos_acc_and_word_segmentation(trained_pos):
    examples = [Example(trained_pos(eg.text), eg.reference) for eg in pos_examples(trained_pos)]
    scores = trained_pos.get_pipe("bts_pos").score(examples)
    assert scores["word_seg_f"] == 1.0
    assert scores["pos_acc"] > 0.5


def test_non_upos_labels_are_rejected():
    nlp = spacy.blank("xx")
    pos = nlp.add_pipe("bts_pos", config={"model": SMALL_MODEL})
    with pytest.raises(ValueError, match="Universal POS"):
        pos.initialize(lambda: pos_examples(nlp), labels=["NOUN", "NN"])


def test_pos_round_trip(trained_pos, tmp_path):
    texts = [t for t, _ in POS_SENTENCES]
    expected = [words(d) for d in trained_pos.pipe(texts)]
    trained_pos.to_disk(tmp_path / "p")
    for restored in (spacy.load(tmp_path / "p"), pickle.loads(pickle.dumps(trained_pos))):
        assert [words(d) for d in restored.pipe(texts, batch_size=2)] == expected


def test_ner_and_pos_in_one_pipeline(trained_ner, trained_pos):
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", source=trained_ner)
    nlp.add_pipe("bts_pos", source=trained_pos)
    doc = nlp("Björk sang in Reykjavík 🎤 last night.")
    assert [e.text for e in doc.ents] == ["Björk", "Reykjavík"]
    predicted = doc.spans["bts_pos"].attrs["char_spans"]
    for token in doc:
        covered = any(s < token.idx + len(token) and e > token.idx for s, e in predicted)
        assert bool(token.pos_) == (covered and not token.is_space), token.text


def test_pos_recuts_tokens_only_to_predicted_words():
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_pos", config={"model": SMALL_TAGGER, "threshold": 0.5, "retokenize": True})
    for tag in ("NOUN", "VERB"):
        pipe.add_label(tag)
    nlp.initialize()
    doc = nlp.make_doc("Hundebellen stört")
    words = [(0, 5, "NOUN", 0.9), (5, 11, "NOUN", 0.9), (12, 17, "VERB", 0.9), (1, 3, "VERB", 0.1)]
    pipe.set_annotations([doc], [char_spans(pipe, words)])
    assert [(t.text, t.pos_) for t in doc] == [("Hunde", "NOUN"), ("bellen", "NOUN"), ("stört", "VERB")]


def _rule_tags(doc, words):
    """The token rule, token by token: the exactly matching word, else the one overlapping
    most (ties: more probable, then the first by start), else no tag."""
    tags = []
    for token in doc:
        t_start, t_end = token.idx, token.idx + len(token.text)
        best = None
        for start, end, label, prob in sorted(words, key=lambda w: w[0]):
            overlap = min(t_end, end) - max(t_start, start)
            key = ((start, end) == (t_start, t_end), overlap, prob)
            if overlap > 0 and not token.is_space and (best is None or key > best[0]):
                best = (key, label)
        tags.append(best[1] if best else "")
    return tags


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30),
            st.integers(1, 8),
            st.sampled_from(["NOUN", "VERB", "ADP"]),
            st.sampled_from([0.25, 0.5, 0.75]),
        ),
        max_size=8,
    ),  # fmt: skip
    st.booleans(),
)
def test_tokens_are_tagged_by_the_token_rule_for_any_words(raw_words, flat):
    from spacy_bts.pipeline.pos import _tag_tokens

    nlp = spacy.blank("xx")
    doc = Doc(nlp.vocab, words=["ab", "cde", "f", " ", "ghij", "k", "lmnop", "qr", "s"])
    words = [(s, min(s + n, len(doc.text)), label, p) for s, n, label, p in raw_words if s < len(doc.text)]
    if flat:  # non-overlapping words, the common case
        words = [w for i, w in enumerate(words) if all(w[0] >= v[1] or w[1] <= v[0] for v in words[:i])]
    starts, ends = (numpy.asarray([w[i] for w in words], dtype=numpy.int64) for i in (0, 1))
    probs = numpy.asarray([w[3] for w in words], dtype=numpy.float32)
    _tag_tokens(doc, starts, ends, [w[2] for w in words], probs)
    assert [t.pos_ for t in doc] == _rule_tags(doc, words)
