"""The byte tagger head: training segments, long entities, dropout, inference segment length."""

import warnings

import numpy
import pytest
import spacy
from conftest import SMALL_TAGGER
from fixtures import ner_examples
from spacy.training import Example

from spacy_bts.segmenting import training_offsets


def test_training_segments_cover_every_byte():
    rng = numpy.random.default_rng(1)
    for n_bytes in (1, 100, 256, 257, 5000):
        offsets = training_offsets(n_bytes, 256, rng)
        covered = numpy.zeros(n_bytes, dtype=bool)
        for o in offsets:
            covered[o : o + 256] = True
        assert covered.all() and (offsets >= 0).all() and (offsets <= max(n_bytes - 256, 0)).all()


def test_entities_longer_than_a_segment_are_learned_and_predicted():
    # A 90-byte entity in segments of 32 bytes: the seq2seq head could not express it.
    text = "Then " + "The International Committee of the Red Cross and Red Crescent of the United Nations" + " met."
    nlp = spacy.blank("xx")
    model = dict(SMALL_TAGGER, segment_length=32)
    nlp.add_pipe("bts_ner", config={"model": model, "overlap": 8})
    doc = nlp.make_doc(text)
    ent = doc.char_span(5, len(text) - 5, label="ORG")
    doc.ents = [ent]
    examples = [Example(nlp.make_doc(text), doc)]
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing skipped as too long
        for _ in range(150):
            nlp.update(examples, sgd=optimizer)
    assert [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents] == [(5, len(text) - 5, "ORG")]


def test_dropout_follows_thincs_dropout_rate():
    nlp = spacy.blank("xx")
    ner = nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER})
    nlp.initialize(lambda: ner_examples(nlp))
    nlp.update(ner_examples(nlp), drop=0.25)
    assert ner.model.attrs["dropout_rate"] == 0.25
    from spacy_bts.heads.wiring import torch_module

    assert torch_module(ner.model).dropout.p == 0.25


def test_inference_segments_have_their_own_length(monkeypatch):
    import spacy_bts.heads.tagging.head as tagging_head

    nlp = spacy.blank("xx")
    model = dict(
        SMALL_TAGGER, **{"@architectures": "spacy-bts.ByteTagger.v2"}, segment_length=32, inference_segment_length=128
    )
    ner = nlp.add_pipe("bts_ner", config={"model": model, "overlap": 8})
    nlp.initialize(lambda: ner_examples(nlp))
    widths = []
    segment_inputs = tagging_head.segment_inputs

    def recording(arrays, docs, offsets, k):
        batch = segment_inputs(arrays, docs, offsets, k)
        widths.append(batch.inputs.shape[1])
        return batch

    monkeypatch.setattr(tagging_head, "segment_inputs", recording)
    text = "Ann went to Paris. " * 20
    doc = nlp(text)
    assert widths and set(widths) == {128}
    assert all(0 <= e.start_char < e.end_char <= len(text) for e in doc.ents)
    assert ner.model.attrs["segment_length"] == 32  # training segments are unchanged


def test_inference_segment_length_given_at_load_wins_over_the_saved_one(tmp_path):
    nlp = spacy.blank("xx")
    model = dict(
        SMALL_TAGGER, **{"@architectures": "spacy-bts.ByteTagger.v2"}, segment_length=32, inference_segment_length=128
    )
    nlp.add_pipe("bts_ner", config={"model": model, "overlap": 8})
    nlp.initialize(lambda: ner_examples(nlp))
    nlp.to_disk(tmp_path)
    for length in (64, 256):
        override = {"components": {"bts_ner": {"model": {"inference_segment_length": length}}}}
        loaded = spacy.load(tmp_path, config=override).get_pipe("bts_ner")
        assert loaded.model.attrs["inference_segment_length"] == length
        assert loaded.head.k_predict == length
    assert spacy.load(tmp_path).get_pipe("bts_ner").head.k_predict == 128


def test_inference_segments_cannot_be_shorter_than_training_ones():
    from spacy_bts.encoders.bilstm import bilstm_encoder
    from spacy_bts.heads.tagging.architectures import build_byte_tagger, build_byte_tagger_v2

    with pytest.raises(ValueError, match="inference_segment_length"):
        build_byte_tagger_v2(bilstm_encoder(), segment_length=256, inference_segment_length=128)
    v1 = build_byte_tagger(bilstm_encoder(), segment_length=64)
    assert v1.attrs["inference_segment_length"] == 64
    assert v1.attrs["architecture"] == "spacy-bts.ByteTagger.v1"


@pytest.mark.parametrize("quantize", [False, "bfloat16"])
def test_cpu_prediction_runs_the_measured_rows_per_pass_and_predicts_the_same(monkeypatch, quantize):
    import spacy_bts.heads.tagging.head as tagging_head
    from spacy_bts.heads import precision

    nlp = spacy.blank("xx")
    model = dict(SMALL_TAGGER, **{"@architectures": "spacy-bts.ByteTagger.v2"}, segment_length=32)
    ner = nlp.add_pipe("bts_ner", config={"model": model, "overlap": 8, "quantize": quantize})
    nlp.initialize(lambda: ner_examples(nlp))
    texts = ["Ann went to Paris and met Bo there. " * 12] * 4
    rows = []
    segment_inputs = tagging_head.segment_inputs

    def recording(arrays, docs, offsets, k):
        rows.append(len(docs))
        return segment_inputs(arrays, docs, offsets, k)

    monkeypatch.setattr(tagging_head, "segment_inputs", recording)
    kind = quantize or "float32"
    monkeypatch.setitem(precision.CPU_PREDICTION_ROWS, kind, 5)
    limited = [ner.predict([nlp.make_doc(t) for t in texts])]
    assert max(rows) == 5 and sum(rows) > 5
    rows.clear()
    monkeypatch.setitem(precision.CPU_PREDICTION_ROWS, kind, 1000)
    ner.cfg["max_batch_segments"] = 7  # the setting still caps them
    capped = [ner.predict([nlp.make_doc(t) for t in texts])]
    assert max(rows) == 7
    for a, b in zip(limited[0], capped[0]):
        assert a.starts.tolist() == b.starts.tolist() and a.labels.tolist() == b.labels.tolist()
        assert numpy.array_equal(a.probs, b.probs)
