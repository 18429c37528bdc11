"""The corpus reader spacy-bts.JsonlSpans.v1 and the .spacy converter."""

import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
import spacy
from fixtures import JA_GOLD
from spacy.tokens import DocBin
from spacy.util import registry

from spacy_bts.corpus import JsonlSpansCorpus
from spacy_bts.corpus.__main__ import main as convert

TEXT = "東京に住む田中さん。"
GOLD = [(0, 2, "LOC"), (5, 7, "PER")]


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def write_lines(path, *lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf8")
    return path


def read(path, **settings):
    return list(JsonlSpansCorpus(path, **settings)(spacy.blank("xx")))


@pytest.mark.parametrize(
    "record",
    [
        {"text": TEXT, "spans": [{"start": 0, "end": 2, "label": "LOC"}, {"start": 5, "end": 7, "label": "PER"}]},
        {"text": TEXT, "entities": [[0, 2, "LOC"], [5, 7, "PER"]]},
        {"text": TEXT, "spans": [[0, 2, "LOC"], {"start": 5, "end": 7, "label": "PER", "token_start": 1}], "id": 3},
    ],
    ids=["spans-objects", "entities-triples", "mixed-with-extra-keys"],
)
def test_reader_accepts_each_shape(tmp_path, record):
    path = write_lines(tmp_path / "data.jsonl", json.dumps(record, ensure_ascii=False))
    (example,) = read(path)
    assert ents(example.reference) == GOLD
    assert example.predicted.text == TEXT and len(example.predicted.ents) == 0


def test_reader_keeps_the_labels_a_record_does_not_annotate(tmp_path):
    record = {"text": TEXT, "spans": [[5, 7, "PER"]], "unannotated_labels": ["LOC", "MISC"]}
    path = write_lines(tmp_path / "data.jsonl", json.dumps(record, ensure_ascii=False))
    (example,) = read(path)
    assert ents(example.reference) == [(5, 7, "PER")]
    assert example.reference.spans["bts_ner"].attrs["unannotated_labels"] == ["LOC", "MISC"]
    (plain,) = read(write_lines(tmp_path / "plain.jsonl", json.dumps({"text": TEXT, "spans": GOLD})))
    assert "bts_ner" not in plain.reference.spans


def test_reader_skips_blank_lines_and_empty_texts_and_reads_directories(tmp_path):
    line = json.dumps({"text": TEXT, "entities": GOLD}, ensure_ascii=False)
    write_lines(tmp_path / "a.jsonl", "\ufeff" + line, "", json.dumps({"text": "", "spans": []}), line)
    (tmp_path / "sub").mkdir()
    write_lines(tmp_path / "sub" / "b.jsonl", json.dumps({"text": "北海道の冬は寒い。", "spans": [[0, 3, "LOC"]]}))
    (tmp_path / "notes.txt").write_text("not read")
    assert [ents(eg.reference) for eg in read(tmp_path)] == [GOLD, GOLD, [(0, 3, "LOC")]]
    assert len(read(tmp_path, limit=2)) == 2
    assert len(read(tmp_path, max_length=9)) == 1


def test_reader_reads_pos_words(tmp_path):
    words = [[0, 1, "NOUN"], [1, 2, "ADP"], [2, 3, "NOUN"], [3, 4, "ADP"], [4, 7, "VERB"], [7, 8, "PUNCT"]]
    path = write_lines(tmp_path / "pos.jsonl", json.dumps({"text": "猫が魚を食べた。", "spans": words}))
    (example,) = read(path, task="pos")
    assert [(t.text, t.pos_) for t in example.reference] == JA_GOLD


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"text": "abc", "spans": [', "malformed JSON"),
        ('["abc"]', "expected a JSON object, not list"),
        ('{"spans": []}', "no string field 'text'"),
        ('{"text": 5, "spans": []}', "no string field 'text'"),
        ('{"text": "abc"}', "the record has neither"),
        ('{"text": "abc", "spans": [], "entities": []}', "the record has both"),
        ('{"text": "abc", "spans": {"start": 0}}', "'spans' must be a list, not dict"),
        ('{"text": "abc", "spans": [[0, 4, "LOC"]]}', "span [0, 4, 'LOC']: not a non-empty range"),
        ('{"text": "abc", "entities": [[0, 1]]}', "expected [start, end, label]"),
        ('{"text": "abc", "spans": [], "unannotated_labels": "MISC"}', "'unannotated_labels' must be a list"),
        ('{"text": "abc", "spans": [], "unannotated_labels": [""]}', "must be a list of labels"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path, bad, message):
    good = json.dumps({"text": "abc", "spans": [[0, 1, "X"]]})
    path = write_lines(tmp_path / "data.jsonl", good, "", bad)
    with pytest.raises(ValueError) as error:
        read(path)
    assert str(error.value).startswith(f"{path}:3: ")
    assert message in str(error.value)


def test_non_utf8_line_names_file_and_line(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"text": "abc", "spans": []}\n{"text": "\xff", "spans": []}\n')
    with pytest.raises(ValueError, match=rf"^{path}:2: not UTF-8"):
        read(path)


def test_reader_is_registered_with_spacys_corpus_settings(tmp_path):
    assert "spacy-bts.JsonlSpans.v1" in {e.name for e in entry_points(group="spacy_readers")}
    path = write_lines(tmp_path / "data.jsonl", json.dumps({"text": TEXT, "spans": GOLD}, ensure_ascii=False))
    # A [corpora.train] block of the stock configs with only its @readers changed.
    block = {"@readers": "spacy-bts.JsonlSpans.v1", "path": str(path), "max_length": 0, "gold_preproc": False}
    corpus = registry.resolve({"train": {**block, "limit": 0, "augmenter": None}})["train"]
    assert [ents(eg.reference) for eg in corpus(spacy.blank("xx"))] == [GOLD]
    for setting, value, message in (
        ("gold_preproc", True, "gold_preproc must be false"),
        ("path", None, "path is null"),
        ("task", "tagger", "task must be one of"),
    ):
        with pytest.raises(ValueError, match=message):
            registry.resolve({"train": {**block, setting: value}})
    with pytest.raises(ValueError, match="does not exist"):
        list(registry.resolve({"train": {**block, "path": str(tmp_path / "nope.jsonl")}})["train"](spacy.blank("xx")))


def test_reader_is_found_without_importing_the_package():
    code = "from spacy.util import registry; print(registry.readers.get('spacy-bts.JsonlSpans.v1').__module__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "spacy_bts.corpus.reader"


def test_converter_writes_reference_docs(tmp_path, capsys):
    path = write_lines(tmp_path / "in.jsonl", json.dumps({"text": TEXT, "spans": GOLD}, ensure_ascii=False))
    assert convert([str(path), str(tmp_path / "out" / "train.spacy"), "--task", "ner"]) == 0
    assert "1 documents" in capsys.readouterr().out
    nlp = spacy.blank("xx")
    (doc,) = DocBin().from_disk(tmp_path / "out" / "train.spacy").get_docs(nlp.vocab)
    assert ents(doc) == GOLD and doc.text == TEXT
    write_lines(path, json.dumps({"text": TEXT, "spans": [[0, 2, "NOUN"], [1, 3, "ADP"]]}))
    assert convert([str(path), str(tmp_path / "pos.spacy"), "--task", "pos"]) == 1
    assert f"{path}:1: " in capsys.readouterr().err
    assert not (tmp_path / "pos.spacy").exists()


def test_converter_runs_as_a_module(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", json.dumps({"text": TEXT, "entities": GOLD}, ensure_ascii=False))
    command = [sys.executable, "-m", "spacy_bts.corpus", str(path), str(tmp_path / "out.spacy"), "--task", "ner"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.spacy").exists()
