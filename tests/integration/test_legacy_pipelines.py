"""Pipelines saved before encoders and heads existed load and predict as they did.

``tests/data/legacy_seq2seq_ner`` was saved by spacy-bts 0.1.0 (a small overfitted
``PositionalByteToSpan.v1`` bts_ner), together with that version's predictions.
"""

import json
from pathlib import Path

import pytest
import spacy

LEGACY = Path(__file__).parents[1] / "data" / "legacy_seq2seq_ner"


def test_a_pipeline_saved_by_0_1_0_predicts_identically():
    nlp = spacy.load(LEGACY)
    expected = json.loads((LEGACY / "expected_predictions.json").read_text(encoding="utf8"))
    assert nlp.get_pipe("bts_ner").head.name == "seq2seq"
    assert sum(len(e["ents"]) for e in expected) > 10
    for doc, want in zip(nlp.pipe([e["text"] for e in expected]), expected):
        group = doc.spans["bts_ner"]
        spans = [[s, e, span.label_] for (s, e), span in zip(group.attrs["char_spans"], group)]
        assert [[e.start_char, e.end_char, e.label_] for e in doc.ents] == want["ents"]
        assert spans == [w[:3] for w in want["spans"]]  # offsets and labels, exactly
        # Probabilities as saved, up to what another CPU's kernels round differently.
        assert group.attrs["scores"] == pytest.approx([w[3] for w in want["spans"]], abs=1e-6)
