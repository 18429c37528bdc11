import numpy
import pytest
import spacy
from conftest import LISTENING_TAGGER, joint_pipeline
from fixtures import ner_examples
from spacy.util import registry
from thinc.api import noop

from spacy_bts.heads.tagging.biluo import IGNORE_TAG
from spacy_bts.heads.tagging.shared import SharedTaggingHead, build_shared_encoder_tagger


def test_targets_cover_every_byte_of_the_doc():
    model = registry.resolve({"model": LISTENING_TAGGER})["model"]
    head = SharedTaggingHead(model, 2, {})
    doc = spacy.blank("xx")("Ana vive en Lisboa.")
    data = numpy.frombuffer(doc.text.encode(), dtype=numpy.uint8).astype(numpy.int64)
    known = numpy.ones(len(data), dtype=bool)
    known[:3] = False
    batch = head.document_batch(data, numpy.array([12]), numpy.array([18]), numpy.array([1]), None, known, [0], doc)
    assert batch.docs == [doc] and batch.targets[0].shape == (len(data),)
    assert (batch.targets[0][:3] == IGNORE_TAG).all() and (batch.targets[0][12:18] != 0).all()
    assert (batch.open_labels[0][batch.targets[0] == 0] == 1).all()
    both = head.concat([batch, head.document_batch(data, *(numpy.zeros(0, dtype=numpy.int64),) * 3, None, doc=doc)])
    assert len(both) == 2 and len(both.open_labels) == 2


def test_the_encoder_must_give_a_width():
    with pytest.raises(ValueError, match="with a width"):
        build_shared_encoder_tagger(noop())


def test_reduced_precision_is_the_encoders_setting():
    nlp = joint_pipeline(components=("bts_ner",))
    nlp.get_pipe("bts_ner").cfg["quantize"] = "bfloat16"
    nlp.initialize(lambda: ner_examples(nlp))
    with pytest.raises(ValueError, match="set the encoder's precision"):
        nlp("Ana vive en Lisboa.")
