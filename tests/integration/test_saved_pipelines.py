"""Pipelines saved by earlier versions load and predict as they did.

``tests/data/saved_pipelines/{ner,pos}_{tagger,seq2seq}`` were saved by the code before the
package took its current layout (``tests/data/make_saved_pipelines.py``), with their float32
predictions. Offsets and labels must be equal; scores may differ by what another CPU's
kernels round differently (1e-6).
"""

import json
from pathlib import Path

import pytest
import spacy

SAVED = Path(__file__).parents[1] / "data" / "saved_pipelines"
TOLERANCE = 1e-6


@pytest.mark.parametrize("name", ["ner_tagger", "ner_seq2seq", "pos_tagger", "pos_seq2seq"])
def test_a_saved_pipeline_predicts_as_when_it_was_saved(name):
    task = name.split("_")[0]
    nlp = spacy.load(SAVED / name, config={"components": {f"bts_{task}": {"quantize": False}}})
    expected = json.loads((SAVED / name / "expected_predictions.json").read_text(encoding="utf8"))
    assert sum(len(e["spans"]) for e in expected) > 10
    for doc, want in zip(nlp.pipe([e["text"] for e in expected]), expected):
        group = doc.spans[f"bts_{task}"]
        got = [[s, e, span.label_] for (s, e), span in zip(group.attrs["char_spans"], group)]
        assert got == [w[:3] for w in want["spans"]]
        assert group.attrs["scores"] == pytest.approx([w[3] for w in want["spans"]], abs=TOLERANCE)
        assert [[e.start_char, e.end_char, e.label_] for e in doc.ents] == want["ents"]
        assert [[t.idx, t.pos_] for t in doc] == want["pos"]
