"""Outputs of a job: never also an input, stale temporary files removed, entity text in each record."""

import json
import os
import signal
import sys

import pytest
from annotate_helpers import (
    PIPELINE,
    SENTENCES,
    launch,
    quiet,
    read_lines,
    records,
    temporaries,
    wait_for_no_processes,
    wait_for_text,
    write_jsonl,
)

from spacy_bts.annotate import UsageError, annotate
from spacy_bts.annotate.writers import RecordWriter


@pytest.fixture
def same_and_plain(tmp_path):
    same = write_jsonl(tmp_path / "same.jsonl", [{"id": f"s{i}", "text": t} for i, t in enumerate(SENTENCES)])
    plain = tmp_path / "plain.txt"
    plain.write_text("Marta Nowak\nLisbon\n", encoding="utf-8")
    return same, plain


def test_an_output_that_is_also_an_input_is_refused_before_writing(same_and_plain, tmp_path):
    same, plain = same_and_plain
    before = same.read_bytes()
    # The same file, by its name, through a link, and through a directory or a glob that would read it.
    link = tmp_path / "link.jsonl"
    link.symlink_to(same)
    cases = [
        ([same, plain], same),
        ([same, plain], link),
        ([tmp_path], same),
        ([tmp_path / "*.jsonl"], same),
        ([tmp_path / "**" / "*.txt", tmp_path / "*.jsonl"], same),
    ]
    for inputs, output in cases:
        with pytest.raises(UsageError, match=str(output)):
            annotate(PIPELINE, [str(p) for p in inputs], str(output), **quiet())
        assert same.read_bytes() == before and not temporaries(tmp_path)
    # Also an output that does not exist yet, which a directory or glob would read on the next run.
    for inputs in ([tmp_path], [tmp_path / "*.jsonl"], [tmp_path / "**"]):
        with pytest.raises(UsageError, match="new.jsonl"):
            annotate(PIPELINE, [str(p) for p in inputs], str(tmp_path / "new.jsonl"), **quiet())
    assert not (tmp_path / "new.jsonl").exists()
    # Elsewhere it is fine; a DocBin inside an input directory is not read (unknown suffix).
    out = tmp_path / "out" / "out.jsonl"
    result = annotate(PIPELINE, [str(same), str(plain)], str(out), docbin=str(tmp_path / "d.spacy"), **quiet())
    assert result.docs == len(read_lines(out)) == len(SENTENCES) + 2


def test_stale_temporary_files_of_a_killed_run_are_removed_and_live_ones_kept(tmp_path, capsys):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": SENTENCES[i % 4] * 3} for i in range(30_000)])
    out_dir = tmp_path / "out"
    out = out_dir / "out.jsonl"
    stderr_path = tmp_path / "stderr.txt"
    proc = launch([PIPELINE, inp, "-o", out, "--progress-every", 0.2], stderr_path)
    try:
        assert wait_for_text(stderr_path, "annotating: ", proc), stderr_path.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # no cleanup at all
        proc.wait()
    assert not wait_for_no_processes(proc.pid)
    stale = temporaries(out_dir)
    assert len(stale) == 1 and str(proc.pid) in stale[0]
    # A run that is still writing (this process) keeps its temporary file.
    live = RecordWriter(str(out))
    try:
        live_name = os.path.basename(live._out.temp)
        small = write_jsonl(tmp_path / "small.jsonl", [{"text": t} for t in SENTENCES])
        annotate(PIPELINE, [str(small)], str(out), stream=sys.stderr, **quiet())
        assert temporaries(out_dir) == [live_name]
    finally:
        live.close(success=False)
    assert f"note: removed {out_dir / stale[0]}, left by an interrupted run" in capsys.readouterr().err
    assert not temporaries(out_dir)


def test_entities_and_words_have_their_text(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = SENTENCES + ["Tokyo 東京 and Москва are capitals. 🎉 Café Olé!"]
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in texts])
    jsonl, parquet = tmp_path / "out.jsonl", tmp_path / "out.parquet"
    annotate(PIPELINE, [str(inp)], str(jsonl), **quiet())
    annotate(PIPELINE, [str(inp)], str(parquet), **quiet())
    found = records(jsonl)
    spans = [(r["source"], e) for r in found for e in r["entities"]]
    assert spans, "the demo pipeline finds no entity: nothing to check"
    for source, entity in spans:
        text = texts[int(source.rsplit(":", 1)[1]) - 1]
        assert entity["text"] == text[entity["start"] : entity["end"]]
        assert list(entity) == ["start", "end", "text", "label", "score"]
    table = pq.read_table(parquet)
    assert table.to_pylist() == found
    assert pa.types.is_string(table.schema.field("entities").type.value_type.field("text").type)


def test_words_have_their_text(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in SENTENCES])
    pos = str(PIPELINE).replace("ner_tagger", "pos_tagger")
    out = tmp_path / "out.jsonl"
    annotate(pos, [str(inp)], str(out), **quiet())
    words = [(r, w) for r in records(out) for w in r["words"]]
    assert words
    for record, word in words:
        text = SENTENCES[int(record["source"].rsplit(":", 1)[1]) - 1]
        assert word["text"] == text[word["start"] : word["end"]]


def test_standard_output_gets_the_records_and_nothing_else(tmp_path, capsys):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "text": t} for i, t in enumerate(SENTENCES)])
    annotate(PIPELINE, [str(inp)], "-", docbin=str(tmp_path / "d.spacy"), stream=sys.stderr, progress_every=0.01)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["0", "1", "2", "3"]
    assert "done: 4 documents" in captured.err and "standard output" in captured.err
    assert (tmp_path / "d.spacy").exists() and not temporaries(tmp_path)
