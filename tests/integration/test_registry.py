import subprocess
import sys
import textwrap

import pytest
import spacy
from thinc.api import Config


def test_entry_points_work_in_a_fresh_interpreter():
    code = textwrap.dedent(
        """
        import sys, spacy
        from spacy.util import registry
        nlp = spacy.blank("xx")
        nlp.add_pipe("bts_ner")
        nlp.add_pipe("bts_pos")
        for name in ("ByteToSpan.v1", "PositionalByteToSpan.v1", "EncoderByteToSpan.v1", "ByteTagger.v1",
                     "ByteTagger.v2", "BiLSTMEncoder.v1", "BiLSTMEncoder.v2", "ConvEncoder.v1"):
            registry.architectures.get("spacy-bts." + name)
        registry.misc.get("spacy-bts.sliding_windows.v1")
        registry.callbacks.get("spacy-bts.without_corpus_strings.v1")
        registry.callbacks.get("spacy-bts.without_corpus_strings.v2")
        registry.scorers.get("spacy-bts.ner_scorer.v1")
        registry.scorers.get("spacy-bts.pos_scorer.v1")
        registry.misc.get("spacy-bts.random_windows.v1")
        registry.misc.get("spacy-bts.random_windows.v2")
        print(nlp.pipe_names)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "['bts_ner', 'bts_pos']" in result.stdout


def test_config_round_trip():
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"threshold": 0.25, "alignment_mode": "expand"})
    nlp.add_pipe("bts_pos", config={"retokenize": True, "model": {"encoder": {"depth": 3}}})
    config = Config().from_str(nlp.config.to_str())
    restored = spacy.blank("xx").from_config(config)
    assert restored.config["components"] == nlp.config["components"]
    assert restored.get_pipe("bts_ner").cfg["alignment_mode"] == "expand"
    assert restored.get_pipe("bts_pos").model.attrs["encoder_settings"]["depth"] == 3
    # Default: byte BiLSTM encoder with the per-byte tagging head.
    assert nlp.get_pipe("bts_ner").model.attrs["head"] == "tagging"
    assert nlp.get_pipe("bts_ner").model.attrs["encoder_kind"] == "bilstm"


def test_bad_settings_name_the_setting():
    nlp = spacy.blank("xx")
    with pytest.raises(ValueError, match="alignment_mode"):
        nlp.add_pipe("bts_ner", config={"alignment_mode": "sideways"})
    with pytest.raises(ValueError, match="overlap"):
        nlp.add_pipe("bts_ner", name="n2", config={"overlap": 256})
