"""Pipelines saved before encoders and heads existed load and predict as they did.

``data/legacy_seq2seq_ner`` was saved by spacy-bts 0.1.0 (a small overfitted
``PositionalByteToSpan.v1`` bts_ner), together with that version's predictions.
"""
import json
from pathlib import Path

import spacy

LEGACY = Path(__file__).parent / "data" / "legacy_seq2seq_ner"


def test_a_pipeline_saved_by_0_1_0_predicts_identically():
    nlp = spacy.load(LEGACY)
    expected = json.loads((LEGACY / "expected_predictions.json").read_text(encoding="utf8"))
    assert nlp.get_pipe("bts_ner").head.name == "seq2seq"
    assert sum(len(e["ents"]) for e in expected) > 10
    for doc, want in zip(nlp.pipe([e["text"] for e in expected]), expected):
        group = doc.spans["bts_ner"]
        spans = [[s, e, span.label_, p] for (s, e), span, p in zip(group.attrs["char_spans"], group, group.attrs["scores"])]
        assert [[e.start_char, e.end_char, e.label_] for e in doc.ents] == want["ents"]
        assert spans == want["spans"]  # offsets, labels and probabilities, exactly
