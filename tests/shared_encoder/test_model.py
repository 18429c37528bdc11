import numpy
import pytest
import spacy
from conftest import SMALL_SHARED_ENCODER
from spacy.util import registry
from thinc.api import fix_random_seed

from spacy_bts.byte_text import ByteText
from spacy_bts.shared_encoder import model as encoder_model


def build(**overrides):
    config = {**SMALL_SHARED_ENCODER, **overrides}
    return registry.resolve({"model": config})["model"]


TEXTS = ["Ada Lovelace wrote the first program.", "", "東京は日本の首都です。" * 9, "x"]


@pytest.mark.parametrize("seed", range(5))
def test_training_index_points_every_byte_at_its_own_position(seed):
    numpy.random.seed(seed)
    arrays = [ByteText(t).as_array() for t in TEXTS]
    inputs, index = encoder_model._training_segments(arrays, 16)
    assert inputs.reshape(-1)[index].tolist() == numpy.concatenate(arrays).tolist()


def test_outputs_one_state_per_byte_in_training_and_prediction():
    fix_random_seed(0)
    model = build()
    docs = [spacy.blank("xx")(t) for t in TEXTS]
    for outputs in (model.predict(docs), model.begin_update(docs)[0]):
        assert [o.shape for o in outputs] == [(len(t.encode()), 64) for t in TEXTS]


def test_prediction_does_not_depend_on_the_batch():
    fix_random_seed(0)
    model = build(precision="float32")
    nlp = spacy.blank("xx")
    docs = [nlp(t) for t in TEXTS]
    together = model.predict(docs)
    for doc, states in zip(docs, together):
        numpy.testing.assert_allclose(model.predict([doc])[0], states, atol=1e-3)


def test_reduced_precision_copy_follows_training():
    fix_random_seed(0)
    model = build(precision="bfloat16")
    docs = [spacy.blank("xx")(TEXTS[0])]
    first = model.predict(docs)[0]
    _, backprop = model.begin_update(docs)
    backprop([numpy.ones_like(first)])
    for name, param in model.layers[0].shims[0]._model.named_parameters():
        param.data.add_(0.1)
    assert not numpy.allclose(model.predict(docs)[0], first)


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"overlap": 64}, "overlap must be in"),
        ({"precision": "int4"}, "precision must be one of"),
        ({"inference_segment_length": 32}, "segment_length <= inference_segment_length"),
        ({"byte_dropout": 1.0}, "byte_dropout must be in"),
    ],
)
def test_bad_settings_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        build(**overrides)
