"""``python -m spacy_bts.annotate``: inputs, records, bad input, reruns, engines."""

import json
import random
import re
import subprocess
import sys

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_bts.annotate import AnnotateError, annotate

# Hand-written phrases in many scripts; documents are random joins of them.
PHRASES = [
    "Marta Nowak visited Lisbon in May.",
    "Der Hafen von Hamburg ist groß.",
    "La Banque de France publie un rapport.",
    "Иван Петров живёт в Казани.",
    "Η Μαρία ταξίδεψε στη Θεσσαλονίκη.",
    "زار أحمد مدينة القاهرة.",
    "דוד גר בירושלים.",
    "राहुल दिल्ली में रहता है।",
    "李明在北京大学工作。",
    "佐藤さんは大阪に住んでいます。",
    "김민수는 부산에 산다.",
    "สมชายอาศัยอยู่ในเชียงใหม่",
    "🎉 Party at Café Olé tonight!",
    "Tokyo 東京 and Москва are capitals.",
]
BLANK = ["", " ", "  \t ", "\u3000"]
# The default head; the batch-size test below runs both heads.
TAGGING = pytest.mark.parametrize(("trained_ner", "trained_pos"), [("tagging", "tagging")], indirect=True)
TAGGING_NER = pytest.mark.parametrize("trained_ner", ["tagging"], indirect=True)


def make_texts(n, seed=0):
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        if i % 23 == 5:
            texts.append(BLANK[(i // 23) % len(BLANK)])
            continue
        joiner = rng.choice([" ", "", "\n", " — "])
        texts.append(joiner.join(rng.choice(PHRASES) for _ in range(rng.randint(1, 4))))
    return texts


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def read_lines(path):
    # Not splitlines(): records may hold U+2028 and other characters it splits at.
    text = path.read_text(encoding="utf-8")
    return text.split("\n")[:-1] if text else []


def quiet(**kwargs):
    return {"progress_every": -1, **kwargs}


@pytest.fixture(scope="module")
def ner_dir(trained_ner, tmp_path_factory):
    path = tmp_path_factory.mktemp("ner_pipeline")
    trained_ner.to_disk(path)
    return path


@pytest.fixture(scope="module")
def ner_pos_dir(trained_ner, trained_pos, tmp_path_factory):
    """A pipeline with both components, so records carry entities and words."""
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", source=trained_ner)
    nlp.add_pipe("bts_pos", source=trained_pos)
    path = tmp_path_factory.mktemp("ner_pos_pipeline")
    nlp.to_disk(path)
    return path


@pytest.fixture
def corpus(tmp_path):
    """Documents in three formats under one directory, and their texts by id."""
    texts = make_texts(60)
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    write_jsonl(data / "a.jsonl", [{"id": f"a{i}", "text": t} for i, t in enumerate(texts[:30])])
    one_line = [t.replace("\n", " ") for t in texts[30:50]]
    (data / "sub" / "b.txt").write_text("".join(t + "\n" for t in one_line), encoding="utf-8")
    write_jsonl(data / "sub" / "c.jsonl", [{"text": t} for t in texts[50:]])
    by_id = {f"a{i}": t for i, t in enumerate(texts[:30])}
    by_id.update({f"{data / 'sub' / 'b.txt'}:{i + 1}": t for i, t in enumerate(one_line)})
    by_id.update({f"{data / 'sub' / 'c.jsonl'}:{i + 1}": t for i, t in enumerate(texts[50:])})
    return data, by_id


@TAGGING
def test_records_hold_each_documents_predictions(ner_pos_dir, corpus, tmp_path):
    data, by_id = corpus
    out = tmp_path / "out.jsonl"
    result = annotate(str(ner_pos_dir), [str(data)], str(out), **quiet())
    records = [json.loads(line) for line in read_lines(out)]
    assert result.docs == len(records) == len(by_id) and not result.errors
    assert {r["id"] for r in records} == set(by_id)
    nlp = spacy.load(ner_pos_dir)
    docs = dict(zip(by_id, nlp.pipe(by_id.values())))
    for record in records:
        doc = docs[record["id"]]
        group = doc.spans["bts_ner"]
        scores = {(s.start_char, s.end_char, s.label_): p for s, p in zip(group, group.attrs["scores"])}
        assert [(e["start"], e["end"], e["label"]) for e in record["entities"]] == [
            (e.start_char, e.end_char, e.label_) for e in doc.ents
        ]
        assert [e["score"] for e in record["entities"]] == [
            scores[(e.start_char, e.end_char, e.label_)] for e in doc.ents
        ]
        words = doc.spans["bts_pos"]
        assert [(w["start"], w["end"], w["label"], w["score"]) for w in record["words"]] == [
            (s, e, span.label_, p) for span, (s, e), p in zip(words, words.attrs["char_spans"], words.attrs["scores"])
        ]
    assert any(r["entities"] for r in records) and any(r["words"] for r in records)


def test_local_records_do_not_depend_on_batch_size_or_processes(ner_dir, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in make_texts(150, seed=1)])
    outputs = []
    for workers, batch_size in ((1, 1), (1, 64), (2, 7)):
        out = tmp_path / f"out-{workers}-{batch_size}.jsonl"
        annotate(str(ner_dir), [str(inp)], str(out), workers=workers, batch_size=batch_size, **quiet())
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].count(b"\n") == 150


@TAGGING
def test_ray_output_is_byte_identical_to_local(ner_pos_dir, tmp_path):
    ray = pytest.importorskip("ray", reason='the ray engine needs the extra: pip install "spacy-bts[ray]"')
    texts = make_texts(300, seed=2)
    inp = tmp_path / "in"
    inp.mkdir()
    rows = [{"id": f"doc-{i:03d}", "text": t} for i, t in enumerate(texts)]
    write_jsonl(inp / "part1.jsonl", rows[:200])
    lines = [json.dumps(r, ensure_ascii=False) for r in rows[200:]]
    lines[10] = '{"id": "broken", "text": "no closing quote}'
    (inp / "part2.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    expected = annotate(str(ner_pos_dir), [str(inp)], str(local), batch_size=64, **quiet())
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        got = annotate(
            str(ner_pos_dir),
            [str(inp)],
            str(remote),
            engine="ray",
            workers=2,
            batch_size=5,
            docbin=str(tmp_path / "ray.spacy"),
            **quiet(),
        )
    finally:
        ray.shutdown()
    assert sorted(read_lines(remote)) == sorted(read_lines(local))
    assert len(read_lines(remote)) == got.docs == expected.docs == 299
    assert [str(e) for e in got.errors] == [str(e) for e in expected.errors]
    assert [e.source for e in got.errors] == [f"{inp / 'part2.jsonl'}:11"]
    docs = list(DocBin().from_disk(tmp_path / "ray.spacy").get_docs(spacy.blank("xx").vocab))
    assert len(docs) == 299 and {d.text for d in docs} == {t for i, t in enumerate(texts) if i != 210}


@TAGGING_NER
def test_ray_engine_without_ray_says_which_extra(ner_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": "x"}])
    with pytest.raises(AnnotateError, match=r"spacy-bts\[ray\]"):
        annotate(str(ner_dir), [str(inp)], str(tmp_path / "out.jsonl"), engine="ray", **quiet())


# Bad input ------------------------------------------------------------------

BAD_CASES = {
    "malformed JSON": (b'{"text": "fine"}\n{"text": "unterminated\n', "jsonl", 2, "malformed JSON"),
    "missing text field": (b'{"text": "fine"}\n{"body": "wrong field"}\n', "jsonl", 2, "no text field 'text'"),
    "text not a string": (b'{"text": "fine"}\n{"text": 42}\n', "jsonl", 2, "not a string"),
    "not UTF-8 (JSONL)": (b'{"text": "fine"}\n{"text": "caf\xe9"}\n', "jsonl", 2, "not UTF-8"),
    "not UTF-8 (text)": (b"fine\n\xff\xfeabc\n", "txt", 2, "not UTF-8"),
    "lone surrogate": (b'{"text": "fine"}\n{"text": "a\\ud800b"}\n', "jsonl", 2, "not valid Unicode"),
    "over the size limit": (
        b'{"text": "fine"}\n{"text": "' + b"x" * 50 + b'"}\n',
        "jsonl",
        2,
        "characters > --max-chars 40",
    ),
}


@TAGGING_NER
@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_reported_with_file_and_line_and_skipped(case, ner_dir, tmp_path, capsys):
    content, suffix, line, message = BAD_CASES[case]
    inp = tmp_path / f"in.{suffix}"
    inp.write_bytes(content + (b'{"text": "after"}\n' if suffix == "jsonl" else b"after\n"))
    out = tmp_path / "out.jsonl"
    result = annotate(str(ner_dir), [str(inp)], str(out), max_chars=40, stream=sys.stderr, **quiet())
    assert [r["source"] for r in map(json.loads, read_lines(out))] == [f"{inp}:1", f"{inp}:3"]
    assert [e.source for e in result.errors] == [f"{inp}:{line}"]
    assert message in result.errors[0].message
    assert f"skipped {inp}:{line}: " in capsys.readouterr().err


@TAGGING_NER
@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_stops_the_job_when_asked(case, ner_dir, tmp_path):
    content, suffix, line, message = BAD_CASES[case]
    inp = tmp_path / f"in.{suffix}"
    inp.write_bytes(content)
    out = tmp_path / "out.jsonl"
    with pytest.raises(AnnotateError, match=f"{re.escape(str(inp))}:{line}: .*{re.escape(message)}"):
        annotate(str(ner_dir), [str(inp)], str(out), max_chars=40, on_error="stop", **quiet())
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl*"))


@TAGGING_NER
def test_unreadable_inputs_are_errors(ner_dir, tmp_path):
    out = str(tmp_path / "out.jsonl")
    with pytest.raises(AnnotateError, match="no input file matches"):
        annotate(str(ner_dir), [str(tmp_path / "*.jsonl")], out, **quiet())
    with pytest.raises(AnnotateError, match=r"\.jsonl or \.parquet"):
        write_jsonl(tmp_path / "in.jsonl", [{"text": "x"}])
        annotate(str(ner_dir), [str(tmp_path / "in.jsonl")], str(tmp_path / "out.csv"), **quiet())


# Reruns, formats, the command -------------------------------------------------


@TAGGING_NER
def test_rerun_replaces_the_output_instead_of_adding_to_it(ner_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "in.jsonl", [{"text": t} for t in make_texts(12)])
    out = tmp_path / "out.jsonl"  # an output inside the input directory is refused (test_files.py)
    annotate(str(ner_dir), [str(data)], str(out), **quiet())
    first = out.read_bytes()
    result = annotate(str(ner_dir), [str(data)], str(out), **quiet())
    assert out.read_bytes() == first and result.docs == first.count(b"\n") == 12
    write_jsonl(data / "in.jsonl", [{"text": t} for t in make_texts(5)])
    annotate(str(ner_dir), [str(data)], str(out), **quiet())
    assert len(read_lines(out)) == 5


@TAGGING_NER
def test_parquet_in_and_out_and_docbin(ner_dir, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = make_texts(40, seed=3)
    pq.write_table(
        pa.table({"body": texts, "key": [f"k{i}" for i in range(40)]}), tmp_path / "in.parquet", row_group_size=16
    )
    jsonl, parquet = tmp_path / "out.jsonl", tmp_path / "out.parquet"
    common = dict(text_field="body", id_field="key", **quiet())
    annotate(str(ner_dir), [str(tmp_path / "in.parquet")], str(jsonl), docbin=str(tmp_path / "out.spacy"), **common)
    annotate(str(ner_dir), [str(tmp_path / "in.parquet")], str(parquet), **common)
    records = [json.loads(line) for line in read_lines(jsonl)]
    assert [r["id"] for r in records] == [f"k{i}" for i in range(40)]
    assert records[17]["source"] == f"{tmp_path / 'in.parquet'}:18"
    assert pq.read_table(parquet).to_pylist() == records
    docs = list(DocBin().from_disk(tmp_path / "out.spacy").get_docs(spacy.blank("xx").vocab))
    assert [d.text for d in docs] == texts
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs] == [
        [(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in records
    ]


@TAGGING_NER
def test_command_line(ner_dir, tmp_path):
    inp = tmp_path / "in.txt"
    inp.write_text("Marta Nowak visited Lisbon.\n\nИван Петров живёт в Казани.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "spacy_bts.annotate", str(ner_dir), str(tmp_path / "*.txt"), "-o", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "done: 2 documents" in run.stderr and "docs/s" in run.stderr
    assert f"skipped {inp}:2: blank line" in run.stderr
    assert [json.loads(line)["id"] for line in read_lines(out)] == [f"{inp}:{i}" for i in (1, 3)]
    bad = subprocess.run(cmd[:-2] + ["-o", str(tmp_path / "out.txt")], capture_output=True, text=True)
    assert bad.returncode == 2 and "error: output" in bad.stderr
