"""Labels a document does not annotate (``attrs["unannotated_labels"]`` of its gold span group)
are unknown there: ``bts_ner`` neither learns them as absent nor is scored on them."""

import numpy
import pytest
import spacy
import torch
from conftest import SMALL_MODEL, SMALL_TAGGER, caught, tagger_ner_pipe
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import fix_random_seed

from spacy_bts.heads.tagging.biluo import IGNORE_TAG
from spacy_bts.heads.tagging.module import allowed_tags
from spacy_bts.pipeline import gold
from spacy_bts.pipeline.scorers import score_ner

WORDS = ["Ana", "saw", "the", "Nordic", "Cup", "in", "Oslo", "."]
SPACES = [True, True, True, True, True, True, False, False]


def gold_doc(vocab, spans, unannotated=()):
    doc = Doc(vocab, words=WORDS, spaces=SPACES)
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in spans]
    doc.spans["bts_ner"] = list(doc.ents)
    doc.spans["bts_ner"].attrs["unannotated_labels"] = list(unannotated)
    return doc


def test_allowed_tags_add_every_tag_of_the_open_labels_to_o_only():
    # 2 labels: tags O, B0 B1, I0 I1, L0 L1, U0 U1.
    targets = torch.tensor([0, 0, 3, IGNORE_TAG])
    open_labels = torch.tensor([0b10, 0, 0, 0b10])
    allowed = allowed_tags(targets, open_labels, 9).int().tolist()
    assert allowed[0] == [1, 0, 1, 0, 1, 0, 1, 0, 1]  # O and every tag of label 1
    assert allowed[1] == [1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert allowed[2] == [0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert allowed[3] == [0] * 9  # no target, whatever the mask


def test_batch_marks_o_bytes_of_unannotated_labels():
    nlp, ner = tagger_ner_pipe(labels=("LOC", "MISC", "PER"))
    doc = gold_doc(nlp.vocab, [(0, 1, "PER"), (6, 7, "LOC")], unannotated=["MISC", "EVENT"])
    batch = ner.training_batch([Example(nlp.make_doc(doc.text), doc)])
    targets, open_labels = batch.targets, batch.open_labels
    misc = 1 << ner.labels.index("MISC")
    assert set(numpy.unique(open_labels[targets == 0]).tolist()) == {misc}
    assert (open_labels[targets != 0] == 0).all()
    plain = gold_doc(nlp.vocab, [(0, 1, "PER")])
    assert ner.training_batch([Example(nlp.make_doc(plain.text), plain)]).open_labels is None


def test_an_entity_unannotated_in_one_corpus_is_still_learned_from_another():
    fix_random_seed(0)
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER})
    vocab = nlp.vocab
    # Three documents annotate no MISC (and say so); one marks the cup as MISC.
    unmarked = gold_doc(vocab, [(0, 1, "PER"), (6, 7, "LOC")], unannotated=["MISC"])
    marked = gold_doc(vocab, [(0, 1, "PER"), (3, 5, "MISC"), (6, 7, "LOC")])
    examples = [Example(nlp.make_doc(d.text), d) for d in (unmarked, unmarked, unmarked, marked)]
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(150):
        nlp.update(examples, sgd=optimizer)
    predicted = [(e.text, e.label_) for e in nlp(marked.text).ents]
    assert predicted == [("Ana", "PER"), ("Nordic Cup", "MISC"), ("Oslo", "LOC")]


def test_predictions_of_unannotated_labels_are_not_scored():
    vocab = spacy.blank("xx").vocab
    reference = gold_doc(vocab, [(0, 1, "PER")], unannotated=["MISC"])
    predicted = Doc(vocab, words=WORDS, spaces=SPACES)
    predicted.ents = [Span(predicted, 0, 1, label="PER"), Span(predicted, 3, 5, label="MISC")]
    assert score_ner([Example(predicted, reference)])["ents_p"] == 1.0
    reference.spans["bts_ner"].attrs["unannotated_labels"] = []
    assert score_ner([Example(predicted, reference)])["ents_p"] == 0.5


def test_a_head_that_cannot_leave_labels_unknown_says_so():
    nlp, ner = tagger_ner_pipe(labels=("MISC", "PER"), model=SMALL_MODEL)
    doc = gold_doc(nlp.vocab, [(0, 1, "PER")], unannotated=["MISC"])
    _, messages = caught(lambda: ner.training_batch([Example(nlp.make_doc(doc.text), doc)]))
    assert any(gold.UNANNOTATED_LABELS in m and "['MISC'] learned as absent" in m for m in messages), messages


@pytest.mark.parametrize("unannotated", [["MISC"], []])
def test_loss_of_an_o_byte_is_lower_when_its_labels_are_open(unannotated):
    nlp, ner = tagger_ner_pipe(labels=("MISC", "PER"))
    doc = gold_doc(nlp.vocab, [(0, 1, "PER")], unannotated=unannotated)
    closed = gold_doc(nlp.vocab, [(0, 1, "PER")])
    loss = ner.get_loss([Example(nlp.make_doc(doc.text), doc)])[0]
    closed_loss = ner.get_loss([Example(nlp.make_doc(closed.text), closed)])[0]
    assert (loss < closed_loss) if unannotated else (loss == pytest.approx(closed_loss))
