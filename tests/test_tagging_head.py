import itertools
import warnings

import numpy
import pytest
import spacy
from spacy.training import Example
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SMALL_TAGGER
from fixtures import ner_examples
from spacy_bts.heads.tagging.biluo import n_tags, spans_to_tags, tags_to_spans, viterbi
from spacy_bts.segmenting import central_ownership
from spacy_bts.segmenting import inference_offsets
from spacy_bts.heads.tagging.head import training_offsets


def _well_formed(tags, n):
    inside = None
    for tag in tags.tolist():
        kind = 0 if tag == 0 else (tag - 1) // n + 1
        label = (tag - 1) % n
        if kind in (0, 1, 4):
            if inside is not None:
                return False
            inside = label if kind == 1 else None
        else:
            if inside != label:
                return False
            inside = None if kind == 3 else label
    return inside is None


def _best_by_enumeration(lp, n):
    best = None
    for seq in itertools.product(range(n_tags(n)), repeat=len(lp)):
        seq = numpy.asarray(seq)
        if _well_formed(seq, n):
            score = lp[numpy.arange(len(seq)), seq].sum()
            if best is None or score > best[0]:
                best = (score, seq)
    return best[0]


def test_viterbi_finds_the_best_well_formed_path():
    rng = numpy.random.default_rng(0)
    for _ in range(20):
        lengths = rng.integers(0, 5, size=3)
        lps = [numpy.log(rng.dirichlet(numpy.ones(n_tags(2)), size=int(m))).astype(numpy.float32) for m in lengths]
        for lp, path in zip(lps, viterbi(lps, 2)):
            assert len(path) == len(lp) and _well_formed(path, 2)
            if len(lp):
                assert numpy.isclose(lp[numpy.arange(len(lp)), path].sum(), _best_by_enumeration(lp, 2))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 400), st.integers(0, 3), st.integers(2, 40), st.integers(0, 2**16))
def test_viterbi_output_is_always_well_formed(n_bytes, n_labels, peaky, seed):
    n_labels = max(n_labels, 1)
    rng = numpy.random.default_rng(seed)
    logits = rng.normal(size=(n_bytes, n_tags(n_labels))) * peaky / 10
    lp = (logits - numpy.log(numpy.exp(logits).sum(1, keepdims=True))).astype(numpy.float32)
    path = viterbi([lp], n_labels)[0]
    assert _well_formed(path, n_labels)
    spans = tags_to_spans(path, lp, n_labels)
    assert numpy.all(spans.starts < spans.ends) and numpy.all(spans.starts[1:] >= spans.ends[:-1])
    assert numpy.all((spans.probs > 0) & (spans.probs <= 1))


def test_gold_tags_decode_back_to_the_spans():
    starts, ends, labels = numpy.array([0, 3, 9, 20]), numpy.array([2, 8, 10, 120]), numpy.array([1, 0, 1, 2])
    tags = spans_to_tags(130, starts, ends, labels, 3)
    lp = numpy.log(numpy.full((130, n_tags(3)), 1e-4, dtype=numpy.float32))
    lp[numpy.arange(130), tags] = 0.0
    spans = tags_to_spans(viterbi([lp], 3)[0], lp, 3)
    assert spans.starts.tolist() == starts.tolist() and spans.ends.tolist() == ends.tolist()
    assert spans.labels.tolist() == labels.tolist()  # a 100-byte span: no length limit


@pytest.mark.parametrize("n_bytes", [1, 63, 64, 65, 200, 1000])
def test_central_ownership_tiles_the_text(n_bytes):
    k, overlap = 64, 16
    offsets = inference_offsets(n_bytes, k, overlap)
    lo, hi = central_ownership(offsets, k, n_bytes)
    assert lo[0] == 0 and hi[-1] == n_bytes and numpy.all(lo[1:] == hi[:-1])
    assert numpy.all(lo >= offsets) and numpy.all(hi <= offsets + k)
    # Each byte is closer to its own segment's centre than to any other's.
    for b in range(0, n_bytes, 7):
        s = int(numpy.searchsorted(hi, b, side="right"))
        distances = numpy.abs(offsets + k / 2 - (b + 0.5))
        assert distances[s] <= distances.min() + 0.5


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
    model = dict(SMALL_TAGGER, **{"@architectures": "spacy-bts.ByteTagger.v2"},
                 segment_length=32, inference_segment_length=128)
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
    model = dict(SMALL_TAGGER, **{"@architectures": "spacy-bts.ByteTagger.v2"},
                 segment_length=32, inference_segment_length=128)
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
