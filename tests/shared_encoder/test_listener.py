import pickle

import numpy
import pytest
import spacy

from spacy_bts.shared_encoder import ByteEncoderListener


def test_training_reads_any_subset_of_the_batch_and_returns_its_gradients():
    nlp = spacy.blank("xx")
    docs = [nlp("one"), nlp("two words"), nlp("three")]
    outputs = [numpy.full((len(d.text), 4), i, dtype="f") for i, d in enumerate(docs)]
    received = []
    listener = ByteEncoderListener("*", 4)
    listener.receive(docs, outputs, lambda index, grads: received.append((index, grads)))
    states, backprop = listener.begin_update([docs[2], docs[0]])
    assert [s[0, 0] for s in states] == [2, 0]
    backprop([numpy.ones((5, 4), "f"), numpy.ones((3, 4), "f")])
    assert received[0][0] == [2, 0]


def test_a_doc_of_another_batch_is_an_error():
    nlp = spacy.blank("xx")
    listener = ByteEncoderListener("bts_encoder", 4)
    listener.receive([nlp("a")], [numpy.zeros((1, 4), "f")], lambda *a: None)
    with pytest.raises(ValueError, match="another batch"):
        listener.begin_update([nlp("a")])


def test_prediction_reads_the_doc_and_checks_its_width():
    nlp = spacy.blank("xx")
    doc = nlp("ab")
    listener = ByteEncoderListener("*", 4)
    with pytest.raises(ValueError, match="no byte encoding"):
        listener.predict([doc])
    doc._.bts_encoding = numpy.zeros((2, 3), "f")
    with pytest.raises(ValueError, match="3 wide"):
        listener.predict([doc])
    doc._.bts_encoding = numpy.ones((2, 4), "f")
    assert listener.predict([doc])[0].sum() == 8


def test_pickles_without_its_training_batch():
    nlp = spacy.blank("xx")
    listener = ByteEncoderListener("*", 4)
    listener.receive([nlp("a")], [numpy.zeros((1, 4), "f")], lambda *a: None)
    copy = pickle.loads(pickle.dumps(listener))
    assert copy.upstream_name == "*" and copy.get_dim("nO") == 4 and copy._docs is None
