"""bts_encoder with listening bts_ner and bts_pos: one encoder, gradients from both, spaCy's listener rules."""

import pickle
from pathlib import Path

import numpy
import pytest
import spacy
from conftest import joint_pipeline, train
from fixtures import NER_SENTENCES, POS_SENTENCES, entity_offsets, ner_examples, pos_examples
from spacy.training import Example
from thinc.api import fix_random_seed

from spacy_bts.heads.wiring import torch_module


def words(doc):
    group = doc.spans["bts_pos"]
    return [tuple(o) + (span.label_,) for span, o in zip(group, group.attrs["char_spans"])]


def annotations(docs):
    return [([(e.start_char, e.end_char, e.label_) for e in doc.ents], words(doc)) for doc in docs]


@pytest.fixture(scope="module")
def trained():
    fix_random_seed(0)
    nlp = joint_pipeline()
    examples = ner_examples(nlp) + pos_examples(nlp)
    with pytest.warns(UserWarning, match="documents without annotation"):
        steps = train(nlp, examples)
    assert steps < 1000, "the joint pipeline did not fit its examples"
    return nlp, examples


def test_listeners_are_found():
    nlp = joint_pipeline()
    assert nlp.get_pipe("bts_encoder").listening_components == ["bts_ner", "bts_pos"]


def test_overfitting_IO(trained, tmp_path):
    nlp, examples = trained
    texts = [eg.reference.text for eg in examples]
    predicted = annotations(nlp.pipe(texts))
    for (ents, _), (text, gold_ents) in zip(predicted, NER_SENTENCES):
        assert ents == entity_offsets(text, gold_ents)
    for (_, tagged), (text, gold_words) in zip(predicted[len(NER_SENTENCES) :], POS_SENTENCES):
        assert tagged == entity_offsets(text, gold_words)
    assert annotations(nlp(text) for text in texts) == predicted
    assert annotations(nlp.pipe(texts, batch_size=3, n_process=2)) == predicted
    nlp.to_disk(tmp_path / "joint")
    assert annotations(spacy.load(tmp_path / "joint").pipe(texts)) == predicted
    copy = spacy.blank("xx").from_config(nlp.config)
    copy.from_bytes(nlp.to_bytes())
    assert annotations(copy.pipe(texts)) == predicted
    assert annotations(pickle.loads(pickle.dumps(nlp)).pipe(texts)) == predicted


def test_replace_listeners_predicts_identically(trained, tmp_path):
    nlp, examples = trained
    texts = [eg.reference.text for eg in examples]
    predicted = annotations(nlp.pipe(texts))
    nlp.to_disk(tmp_path / "joint")
    own = spacy.load(tmp_path / "joint")
    for name in ("bts_ner", "bts_pos"):
        own.replace_listeners("bts_encoder", name, ["model.encoder"])
        assert own.config["components"][name]["model"]["encoder"]["@architectures"] == "spacy-bts.ByteEncoder.v1"
    assert not own.get_pipe("bts_encoder").listeners
    own.remove_pipe("bts_encoder")
    assert annotations(own.pipe(texts)) == predicted
    own.to_disk(tmp_path / "own")
    assert annotations(spacy.load(tmp_path / "own").pipe(texts)) == predicted


def test_both_components_train_the_encoder():
    fix_random_seed(0)
    nlp = joint_pipeline()
    ner, pos = ner_examples(nlp), pos_examples(nlp)
    nlp.initialize(lambda: ner + pos)
    encoder = nlp.get_pipe("bts_encoder")
    for name, examples in (("bts_ner", ner), ("bts_pos", pos)):
        before = {k: v.clone() for k, v in torch_module(encoder.model).state_dict().items()}
        optimizer = nlp.create_optimizer()
        nlp.update(examples, sgd=False, exclude=[n for n in ("bts_ner", "bts_pos") if n != name])
        assert encoder._pending.received
        encoder.finish_update(optimizer)
        after = torch_module(encoder.model).state_dict()
        assert any(not after[k].equal(v) for k, v in before.items()), name


@pytest.mark.filterwarnings("ignore:.*documents without annotation")
def test_missing_annotation_sends_no_gradient():
    """POS documents teach bts_ner nothing (not even "no entity here"), and NER documents bts_pos nothing."""
    nlp = joint_pipeline()
    ner, pos = ner_examples(nlp), pos_examples(nlp)
    nlp.initialize(lambda: ner + pos)
    encoder = nlp.get_pipe("bts_encoder")
    for name, examples in (("bts_ner", pos), ("bts_pos", ner)):
        losses = nlp.update(examples, sgd=False, exclude=[n for n in ("bts_ner", "bts_pos") if n != name])
        assert losses[name] == 0.0
        assert not encoder._pending.received
        assert nlp.get_pipe(name).skipped["documents without annotation"] >= len(examples)


def test_a_listener_without_bts_encoder_says_what_is_missing():
    nlp = joint_pipeline(components=("bts_ner",))
    examples = ner_examples(nlp)
    nlp.initialize(lambda: examples)
    nlp.remove_pipe("bts_encoder")
    with pytest.raises(ValueError, match="put bts_encoder before it"):
        nlp("Ada Lovelace lived in London.")


def test_a_listening_component_takes_no_init_encoder(tmp_path):
    nlp = joint_pipeline(components=("bts_ner",))
    examples = ner_examples(nlp)
    with pytest.raises(ValueError, match=r"give init_encoder to the bts_encoder"):
        nlp.get_pipe("bts_ner").initialize(lambda: examples, init_encoder=tmp_path / "x.bin")


def test_frozen_annotating_encoder_feeds_its_listeners():
    nlp = joint_pipeline(components=("bts_ner",))
    examples = ner_examples(nlp)
    nlp.initialize(lambda: examples)
    encoder = nlp.get_pipe("bts_encoder")
    before = {k: v.clone() for k, v in torch_module(encoder.model).state_dict().items()}
    # As spacy train does for a frozen, annotating component: it annotates, the others update.
    fresh = [Example(nlp.make_doc(eg.reference.text), eg.reference) for eg in examples]
    losses = nlp.update(fresh, exclude=["bts_encoder"], annotates=["bts_encoder"])
    assert losses["bts_ner"] > 0
    after = torch_module(encoder.model).state_dict()
    assert all(after[k].equal(v) for k, v in before.items())


def test_the_joint_config_drops_the_states_after_the_pipeline():
    config = spacy.util.load_config(Path(__file__).parents[2] / "configs" / "joint_cpu.cfg")
    nlp = spacy.blank("xx")
    cleaner = nlp.add_pipe("doc_cleaner", config={"attrs": dict(config["components"]["doc_cleaner"]["attrs"])})
    doc = nlp.make_doc("ab")
    doc._.bts_encoding = numpy.zeros((2, 4), dtype="f")
    assert cleaner(doc)._.bts_encoding is None
