import numpy
import pytest
import spacy
import srsly
import torch
from conftest import SMALL_MODEL, SMALL_TAGGER
from fixtures import ner_examples
from spacy.training.initialize import init_nlp
from spacy.training.pretrain import pretrain
from thinc.api import fix_random_seed

from spacy_bts.byte_text import PAD
from spacy_bts.heads.wiring import torch_module
from spacy_bts.pretraining import load_pretrained_encoder, masked_bytes
from spacy_bts.pretraining.objective import pack_rows
from spacy_bts.pretraining.weights import read_pretrained_encoder

RAW_TEXT = [
    "Die Stadtbibliothek in Graz öffnet um neun Uhr.",
    "Mañana viajamos de Sevilla a Bilbao en tren.",
    "台北的捷運很方便。",
    "Kahvila on auki sunnuntaisin.",
] * 8


def test_pack_rows_keeps_texts_whole_where_they_fit():
    rows = pack_rows(["ab", "ç", "x" * 10], 6)
    assert rows.shape == (3, 6)
    assert bytes(rows[0][rows[0] != PAD].astype(numpy.uint8)) == "ab\nç".encode()
    assert bytes(rows[1].astype(numpy.uint8)) == b"xxxxxx"
    assert list(rows[2]) == [ord("x")] * 4 + [PAD, PAD]


def test_pack_rows_of_nothing_is_one_padding_row():
    assert (pack_rows([], 4) == PAD).all()


@pytest.mark.parametrize("settings", [{"rate": 0.0}, {"rate": 1.0}, {"mean_span": 0.5}, {"segment_length": 1}])
def test_masked_bytes_rejects_bad_settings(settings):
    with pytest.raises(ValueError, match="spacy-bts.MaskedBytes.v1"):
        masked_bytes(**settings)


def pretraining_config(tmp_path, model=SMALL_TAGGER, epochs=4):
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": model})
    config = nlp.config.copy()
    raw = tmp_path / "raw.jsonl"
    srsly.write_jsonl(raw, [{"text": text} for text in RAW_TEXT])
    config["corpora"]["pretrain"] = {
        "@readers": "spacy.JsonlCorpus.v1", "path": str(raw), "min_length": 0, "max_length": 0, "limit": 0
    }  # fmt: skip
    config["pretraining"] = {
        "max_epochs": epochs,
        "dropout": 0.0,
        "n_save_every": None,
        "n_save_epoch": None,
        "component": "bts_ner",
        "layer": "",
        "corpus": "corpora.pretrain",
        "batcher": {
            "@batchers": "spacy.batch_by_words.v1",
            "size": 400,
            "tolerance": 0.2,
            "discard_oversize": False,
            "get_length": {"@misc": "spacy-bts.text_bytes.v1"},
        },
        "objective": {"@architectures": "spacy-bts.MaskedBytes.v1", "segment_length": 64},
        "optimizer": {"@optimizers": "Adam.v1", "learn_rate": 0.01, "use_averages": True},
    }
    return config


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """``spacy pretrain`` of the small tagger's encoder on a few sentences: (output dir, config)."""
    tmp_path = tmp_path_factory.mktemp("pretrain")
    fix_random_seed(0)
    config = pretraining_config(tmp_path)
    (tmp_path / "out").mkdir()
    pretrain(config.interpolate(), tmp_path / "out", silent=True)
    return tmp_path / "out", config


def saved_encoder(path):
    """The encoder tensors of a ``spacy pretrain`` output file."""
    return read_pretrained_encoder(path)[1]


def test_spacy_pretrain_lowers_the_masked_byte_loss(pretrained):
    out, _ = pretrained
    epochs = [line for line in srsly.read_jsonl(out / "log.jsonl") if line["epoch_loss"]]
    assert len(epochs) == 4
    assert epochs[-1]["epoch_loss"] < 0.8 * epochs[0]["epoch_loss"]


def test_initialize_starts_the_encoder_from_the_pretrained_weights(pretrained):
    out, _ = pretrained
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER})
    examples = ner_examples(nlp)
    pipe.initialize(lambda: examples, nlp=nlp, init_encoder=out / "model-last.bin")
    saved = saved_encoder(out / "model-last.bin")
    loaded = torch_module(pipe.model).encoder.state_dict()
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[name], loaded[name]) for name in saved)
    # And it trains and predicts from there.
    nlp.update(examples, sgd=nlp.create_optimizer())
    nlp("Die Bibliothek in Graz.")


def test_init_encoder_through_the_initialize_block(pretrained, spacy_corpus):
    out, config = pretrained
    config = config.copy()
    config["paths"]["train"] = str(spacy_corpus / "ner.spacy")
    config["paths"]["dev"] = str(spacy_corpus / "ner.spacy")
    config["initialize"]["components"] = {"bts_ner": {"init_encoder": str(out / "model-last.bin")}}
    nlp = init_nlp(config)
    loaded = torch_module(nlp.get_pipe("bts_ner").model).encoder.state_dict()
    saved = saved_encoder(out / "model-last.bin")
    assert all(torch.equal(saved[name], loaded[name]) for name in saved)


def test_init_encoder_errors_name_the_file(pretrained, tmp_path):
    out, _ = pretrained
    nlp = spacy.blank("xx")
    other = dict(SMALL_TAGGER, encoder=dict(SMALL_TAGGER["encoder"], hidden=16))
    pipe = nlp.add_pipe("bts_ner", config={"model": other})
    examples = ner_examples(nlp)
    with pytest.raises(ValueError, match="model-last.bin holds a bilstm encoder with settings"):
        pipe.initialize(lambda: examples, nlp=nlp, init_encoder=out / "model-last.bin")
    with pytest.raises(ValueError, match="no such file"):
        pipe.initialize(lambda: examples, nlp=nlp, init_encoder=tmp_path / "missing.bin")
    (tmp_path / "junk.bin").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="junk.bin is not a byte encoder"):
        pipe.initialize(lambda: examples, nlp=nlp, init_encoder=tmp_path / "junk.bin")


def test_pretraining_needs_a_model_with_a_byte_encoder(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(ValueError, match="has no byte encoder"):
        pretrain(pretraining_config(tmp_path, model=SMALL_MODEL, epochs=1).interpolate(), tmp_path / "out", silent=True)


def test_load_pretrained_encoder_checks_the_model_it_fills(pretrained):
    out, _ = pretrained
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER})
    pipe.initialize(lambda: ner_examples(nlp), nlp=nlp)
    before = {n: v.clone() for n, v in torch_module(pipe.model).encoder.state_dict().items()}
    load_pretrained_encoder(pipe.model, out / "model-last.bin", "bts_ner")
    after = torch_module(pipe.model).encoder.state_dict()
    assert any(not torch.equal(before[n], after[n]) for n in before)


def test_init_encoder_needs_a_model_with_a_byte_encoder(pretrained):
    out, _ = pretrained
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": SMALL_MODEL})
    with pytest.raises(ValueError, match="ByteToSpan.v1 has no separate byte encoder"):
        pipe.initialize(lambda: ner_examples(nlp), nlp=nlp, init_encoder=out / "model-last.bin")


def test_bts_encoder_pretrains_and_starts_from_the_weights(tmp_path):
    """The shared encoder is pretrained as a component's own is (``[pretraining] component = "bts_encoder"``)."""
    from conftest import SMALL_SHARED_ENCODER, joint_pipeline

    fix_random_seed(0)
    config = pretraining_config(tmp_path, epochs=1)
    config["nlp"]["pipeline"] = ["bts_encoder"]
    config["components"] = {"bts_encoder": {"factory": "bts_encoder", "model": SMALL_SHARED_ENCODER}}
    config["pretraining"]["component"] = "bts_encoder"
    (tmp_path / "out").mkdir()
    pretrain(config.interpolate(), tmp_path / "out", silent=True)
    nlp = joint_pipeline(components=("bts_ner",))
    encoder = nlp.get_pipe("bts_encoder")
    encoder.initialize(lambda: ner_examples(nlp), nlp=nlp, init_encoder=tmp_path / "out" / "model-last.bin")
    saved = saved_encoder(tmp_path / "out" / "model-last.bin")
    loaded = torch_module(encoder.model).encoder.state_dict()
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[name], loaded[name]) for name in saved)
