"""The components' settings are checked: a saved pipeline's too, naming its file."""

import pytest
import spacy
import srsly
from conftest import initialized


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("overlap", 10_000, r"overlap .*\[0, 64\)"),
        ("threshold", 1.5, r"threshold .*\[0, 1\]"),
        ("max_batch_segments", 0, r"max_batch_segments .*>= 1"),
        ("labels", "PER", r"labels .*list of distinct strings"),
    ],
)
def test_saved_settings_are_validated_on_load(tmp_path, setting, value, message):
    nlp, _, _ = initialized("bts_ner")
    nlp.to_disk(tmp_path / "p")
    cfg_path = tmp_path / "p" / "bts_ner" / "cfg"
    cfg = srsly.read_json(cfg_path)
    cfg[setting] = value
    srsly.write_json(cfg_path, cfg)
    with pytest.raises(ValueError, match=rf"(?s)bts_ner.*{message}.*bts_ner/cfg"):
        spacy.load(tmp_path / "p")
