"""Loading saved components: settings given at load time win over the saved ones, and
broken or mismatched model files give clear errors naming the file."""

import io
import pickle
import shutil

import pytest
import spacy
import srsly
import torch
from conftest import SMALL_MODEL, initialized


@pytest.fixture(scope="module")
def saved(trained_ner, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "pipeline"
    trained_ner.to_disk(path)
    return path


def copy(saved, tmp_path):
    target = tmp_path / "pipeline"
    shutil.copytree(saved, target)
    return target


def test_missing_weights_file(saved, tmp_path):
    path = copy(saved, tmp_path)
    (path / "bts_ner" / "model").unlink()
    with pytest.raises(ValueError, match=r"cannot read model weights .*bts_ner/model"):
        spacy.load(path)


def test_missing_component_directory(saved, tmp_path):
    path = copy(saved, tmp_path)
    shutil.rmtree(path / "bts_ner")
    with pytest.raises(ValueError, match=r"bts_ner/cfg"):
        spacy.load(path)


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_truncated_or_corrupt_weights(saved, tmp_path, damage):
    path = copy(saved, tmp_path)
    weights = path / "bts_ner" / "model"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x00garbage" * 100)
    with pytest.raises(ValueError, match=r"cannot load model weights from .*bts_ner/model"):
        spacy.load(path)


def test_weights_for_another_label_set(saved, tmp_path):
    path = copy(saved, tmp_path)
    cfg = srsly.read_json(path / "bts_ner" / "cfg")
    cfg["labels"] = cfg["labels"] + ["MISC"]
    srsly.write_json(path / "bts_ner" / "cfg", cfg)
    with pytest.raises(ValueError, match=r"(?s)bts_ner/model.*4 labels.*'nO'.*from 4 to 3"):
        spacy.load(path)


def test_weights_for_another_width(saved, tmp_path):
    if spacy.load(saved).get_pipe("bts_ner").head.name in ("tagging", "span_pointer"):
        change, described = {"encoder": {"hidden": 16}}, "'hidden': 16"
    else:
        change, described = {"width": 32}, "width 32"
    with pytest.raises(ValueError, match=rf"(?s)bts_ner/model.*{described}.*size mismatch"):
        spacy.load(saved, config={"components": {"bts_ner": {"model": change}}})


def test_weights_never_unpickle_arbitrary_objects(saved, tmp_path):
    path = copy(saved, tmp_path)
    weights = path / "bts_ner" / "model"
    msg = srsly.msgpack_loads(weights.read_bytes())

    class Evil:
        def __reduce__(self):
            return (print, ("unpickled!",))

    buffer = io.BytesIO()
    torch.save({"payload": Evil()}, buffer)
    for node in msg["shims"]:
        for i in range(len(node)):
            shim = srsly.msgpack_loads(node[i])
            shim["state"] = buffer.getvalue()
            node[i] = srsly.msgpack_dumps(shim)
    weights.write_bytes(srsly.msgpack_dumps(msg))
    with pytest.raises(ValueError, match=r"(?i)weights only|unsupported global"):
        spacy.load(path)


def test_untrained_pickle_round_trip_keeps_settings():
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": SMALL_MODEL, "threshold": 0.3})
    restored = pickle.loads(pickle.dumps(nlp))
    assert restored.get_pipe("bts_ner").cfg["threshold"] == 0.3


# Settings given at load time win over the saved ones.

# Non-default values of every runtime setting (the small models' segment is 64 or 60 bytes).
OVERRIDES = {
    "bts_ner": {
        "spans_key": "found",
        "threshold": 0.5,
        "alignment_mode": "expand",
        "overwrite_ents": True,
        "overlap": 10,
        "max_batch_segments": 7,
        "max_spans_per_segment": 5,
        "quantize": True,
    },
    "bts_pos": {
        "spans_key": "words",
        "threshold": 0.5,
        "retokenize": True,
        "overlap": 10,
        "max_batch_segments": 7,
        "max_spans_per_segment": 5,
        "quantize": True,
    },
}


@pytest.mark.parametrize("factory", sorted(OVERRIDES))
def test_load_time_config_wins_for_every_setting(factory, tmp_path):
    nlp, _, _ = initialized(factory)
    nlp.to_disk(tmp_path / "p")
    overrides = OVERRIDES[factory]
    loaded = spacy.load(tmp_path / "p", config={"components": {factory: overrides}})
    pipe = loaded.get_pipe(factory)
    for setting, value in overrides.items():
        assert loaded.config["components"][factory][setting] == value, setting
        assert pipe.cfg[setting] == value, setting
    # Without overrides, the saved settings come back.
    plain = spacy.load(tmp_path / "p").get_pipe(factory)
    assert {s: plain.cfg[s] for s in overrides} == {s: nlp.get_pipe(factory).cfg[s] for s in overrides}


def test_weights_with_a_damaged_stretch_are_rejected(saved, tmp_path):
    # 0xFF bytes are NaN as float32: Thinc and torch load them without complaint.
    from spacy_bts.heads.wiring import torch_module

    path = copy(saved, tmp_path)
    weights = path / "bts_ner" / "model"
    data = weights.read_bytes()
    module = torch_module(spacy.load(saved).get_pipe("bts_ner").model)
    largest = max(module.parameters(), key=lambda p: p.numel())
    stretch = largest.detach().numpy().tobytes()[:40_000]
    at = data.index(stretch)
    weights.write_bytes(data[:at] + b"\xff" * len(stretch) + data[at + len(stretch) :])
    with pytest.raises(ValueError, match=r"(?s)bts_ner/model.*NaN or infinite values"):
        spacy.load(path)


def test_labels_reordered_in_the_settings_are_rejected(saved, tmp_path):
    path = copy(saved, tmp_path)
    cfg = srsly.read_json(path / "bts_ner" / "cfg")
    assert len(cfg["labels"]) > 1
    cfg["labels"] = cfg["labels"][::-1]
    srsly.write_json(path / "bts_ner" / "cfg", cfg)
    with pytest.raises(ValueError, match=r"(?s)labels in the component settings.*bts_ner/model.*do not belong"):
        spacy.load(path)
