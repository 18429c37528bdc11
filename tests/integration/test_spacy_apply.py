"""spaCy's own ``spacy apply`` runs a ``bts_ner`` pipeline (the one-machine case)."""

import json
import subprocess
import sys

import pytest
import spacy
from spacy.tokens import DocBin

TEXTS = [
    "Marta Nowak visited Lisbon in May.",
    "Иван Петров живёт в Казани.",
    "",
    "佐藤さんは大阪に住んでいます。 Tokyo 東京 and Москва are capitals.",
    "   ",
]


@pytest.mark.parametrize("trained_ner", ["tagging"], indirect=True)
def test_spacy_apply_writes_the_pipelines_predictions(trained_ner, tmp_path):
    trained_ner.to_disk(tmp_path / "pipeline")
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"body": t}, ensure_ascii=False) + "\n" for t in TEXTS), encoding="utf-8")
    out = tmp_path / "out.spacy"
    cmd = [
        sys.executable,
        "-m",
        "spacy",
        "apply",
        str(tmp_path / "pipeline"),
        str(data),
        str(out),
        "--text-key",
        "body",
        "--batch-size",
        "2",
    ]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    nlp = spacy.load(tmp_path / "pipeline")
    got = list(DocBin().from_disk(out).get_docs(nlp.vocab))
    expected = list(nlp.pipe(TEXTS))
    assert [d.text for d in got] == TEXTS
    for doc, want in zip(got, expected):
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
            (e.start_char, e.end_char, e.label_) for e in want.ents
        ]
        assert doc.spans["bts_ner"].attrs == want.spans["bts_ner"].attrs
    assert any(doc.ents for doc in got)
