"""spacy train learns exact character spans of unspaced Japanese from a JSONL corpus."""

import json
import warnings
from pathlib import Path

import spacy
from fixtures import entity_offsets
from spacy.cli.train import train

ROOT = Path(__file__).parents[2]

# Toy corpus: with the xx tokenizer each sentence is one or two tokens, so every entity ends inside one.
JA_NER_SENTENCES = [
    ("東京に住む田中さん。", [("東京", "LOC"), ("田中", "PER")]),
    ("大阪の山本さんはトヨタで働いている。", [("大阪", "LOC"), ("山本", "PER"), ("トヨタ", "ORG")]),
    ("鈴木さんは京都大学を卒業した。", [("鈴木", "PER"), ("京都大学", "ORG")]),
    ("ソニーの本社は東京にある。", [("ソニー", "ORG"), ("東京", "LOC")]),
    ("佐藤さんと高橋さんは名古屋で会った。", [("佐藤", "PER"), ("高橋", "PER"), ("名古屋", "LOC")]),
    ("任天堂は京都の会社です。", [("任天堂", "ORG"), ("京都", "LOC")]),
    ("伊藤さんは来月パナソニックに入社する。", [("伊藤", "PER"), ("パナソニック", "ORG")]),
    ("北海道の冬は寒い。", [("北海道", "LOC")]),
]
# The stock CPU config with a tiny encoder and a high learning rate, to overfit in seconds.
TINY = {
    "components.bts_ner.model.segment_length": 64,
    "components.bts_ner.overlap": 16,
    "components.bts_ner.model.encoder.hidden": 32,
    "components.bts_ner.model.encoder.depth": 1,
    "training.optimizer.learn_rate.initial_rate": 0.01,
    "training.max_steps": 100,
    "training.eval_frequency": 50,
}


def test_spacy_train_with_the_jsonl_reader_learns_exact_spans(tmp_path):
    gold = {text: entity_offsets(text, entities) for text, entities in JA_NER_SENTENCES}
    data = tmp_path / "ja.jsonl"
    with data.open("w", encoding="utf8") as file:
        for text, spans in gold.items():
            file.write(json.dumps({"text": text, "spans": spans}, ensure_ascii=False) + "\n")
    nlp = spacy.blank("xx")
    for text, spans in gold.items():
        tokens = nlp.make_doc(text)
        bounds = {t.idx for t in tokens} | {t.idx + len(t) for t in tokens}
        assert any(o not in bounds for s, e, _ in spans for o in (s, e)), f"no span boundary inside a token: {text}"
    overrides = {
        "paths.train": str(data),
        "paths.dev": str(data),
        "corpora.train.@readers": "spacy-bts.JsonlSpans.v1",
        "corpora.dev.@readers": "spacy-bts.JsonlSpans.v1",
        **TINY,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(ROOT / "configs" / "ner_cpu.cfg", tmp_path / "out", overrides=overrides)
    # Neither spaCy's W030 (a span the reference tokens cannot hold) nor a gold fault of the component.
    assert not [str(w.message) for w in caught if "W030" in str(w.message) or "[bts_ner]" in str(w.message)]
    trained = spacy.load(tmp_path / "out" / "model-last")
    predicted = {doc.text: [(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in trained.pipe(gold)}
    assert predicted == {text: [tuple(span) for span in spans] for text, spans in gold.items()}
    meta = json.loads((tmp_path / "out" / "model-last" / "meta.json").read_text())
    assert meta["performance"]["ents_f"] == 1.0
