"""Inputs of a job: every line accounted for, encodings, unreadable files, ids, duplicates, messages."""

import codecs
import gzip
import json
import sys

import pytest
from annotate_helpers import PIPELINE, SENTENCES, count_lines, quiet, read_lines, records, write_jsonl
from spacy.tokens import DocBin

from spacy_bts.annotate import AnnotateError, annotate


def run(tmp_path, inputs, **kwargs):
    """Annotate ``inputs`` into out.jsonl; the result and the records."""
    out = tmp_path / "out" / "out.jsonl"
    result = annotate(PIPELINE, [str(p) for p in inputs], str(out), **quiet(**kwargs))
    return result, records(out)


def messages(result):
    return {e.source: e.message for e in result.errors}


def test_every_line_is_a_record_or_a_reported_skip_blank_lines_too(tmp_path):
    lines = []
    for i in range(18):
        if i % 5 == 1:
            lines.append(["", "   ", "\t", "\u3000 "][i // 5])  # blank and whitespace-only
        elif i % 7 == 3:
            lines.append('{"text": "unterminated')
        else:
            lines.append(json.dumps({"text": SENTENCES[i % 4]}, ensure_ascii=False))
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("\n".join(lines) + "\r\n  \n", encoding="utf-8")
    text = tmp_path / "in.txt"
    text.write_text("Marta Nowak\n\n   \nLisbon\r\n\r\nlast line without newline", encoding="utf-8")
    result, found = run(tmp_path, [jsonl, text])
    n_lines = count_lines(jsonl) + count_lines(text)
    assert n_lines == 19 + 6
    assert len(found) + len(result.errors) == n_lines
    blank = sorted(s for s, m in messages(result).items() if m == "blank line")
    assert blank == sorted([f"{jsonl}:{n}" for n in (2, 7, 12, 17, 19)] + [f"{text}:{n}" for n in (2, 3, 5)]), messages(
        result
    )
    assert [r["source"] for r in found if r["source"].startswith(str(text))] == [f"{text}:{n}" for n in (1, 4, 6)]


def test_a_file_given_twice_or_through_a_link_is_read_once_and_reported(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    inp = write_jsonl(data / "a.jsonl", [{"text": t} for t in SENTENCES])
    link = data / "link.jsonl"
    link.symlink_to(inp)
    out = tmp_path / "out" / "out.jsonl"
    result = annotate(PIPELINE, [str(inp), str(inp), str(data)], str(out), stream=sys.stderr, **quiet())
    assert result.docs == len(read_lines(out)) == len(SENTENCES)
    err = capsys.readouterr().err
    assert err.count(f"note: {inp}: given more than once; read once") == 2  # by name, and in the directory
    assert err.count(f"note: {link}: the same file as {inp}; read once") == 1


def test_a_utf8_byte_order_mark_is_skipped_and_offsets_count_after_it(tmp_path):
    body = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in SENTENCES)
    (tmp_path / "plain.jsonl").write_text(body, encoding="utf-8")
    (tmp_path / "bom.jsonl").write_bytes(codecs.BOM_UTF8 + body.encode())
    (tmp_path / "plain.txt").write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    (tmp_path / "bom.txt").write_bytes(codecs.BOM_UTF8 + ("\n".join(SENTENCES) + "\n").encode())
    docbin = tmp_path / "docs.spacy"
    names = ["plain.jsonl", "bom.jsonl", "plain.txt", "bom.txt"]
    result, found = run(tmp_path, [tmp_path / n for n in names], docbin=str(docbin))
    assert not result.errors and len(found) == 4 * len(SENTENCES)
    entities = [[r["entities"] for r in found[i : i + 4]] for i in range(0, 16, 4)]
    assert entities[0] == entities[1] == entities[2] == entities[3]
    docs = list(DocBin().from_disk(docbin).get_docs(__import__("spacy").blank("xx").vocab))
    assert [d.text for d in docs] == SENTENCES * 4


UTF16_TEXT = "\n".join(SENTENCES) + "\n"
NOT_TEXT = {
    "utf-16 with a byte order mark": (UTF16_TEXT.encode("utf-16"), "UTF-16LE text (byte order mark)"),
    "utf-16 without one": (UTF16_TEXT.encode("utf-16-le"), "UTF-16LE text (no byte order mark)"),
    "utf-16be without one": (("Lisbon\n" * 20).encode("utf-16-be"), "UTF-16BE text (no byte order mark)"),
    "utf-32": (UTF16_TEXT.encode("utf-32"), "UTF-32LE text (byte order mark)"),
    "utf-32 without one": (("Lisbon\n" * 20).encode("utf-32-le"), "UTF-32LE text (no byte order mark)"),
    "gzip": (gzip.compress(b'{"text": "Lisbon"}\n' * 50), "gzip-compressed"),
    "binary": (bytes(range(256)) * 40, "a NUL byte at offset 0"),
    "latin-1": ("".join(f"café {i} à Zürich\n" for i in range(30)).encode("latin-1"), "not UTF-8 text"),
}


@pytest.mark.parametrize("suffix", ["jsonl", "txt"])
def test_a_file_that_is_not_utf8_text_is_one_error_for_the_file(suffix, tmp_path):
    paths = []
    for i, (content, _) in enumerate(NOT_TEXT.values()):
        paths.append(tmp_path / f"f{i}.{suffix}")
        paths[-1].write_bytes(content)
    good = write_jsonl(tmp_path / "good.jsonl", [{"text": "Marta Nowak visited Lisbon."}])
    result, found = run(tmp_path, paths + [good])
    assert [r["source"] for r in found] == [f"{good}:1"]
    assert [e.source for e in result.errors] == [str(p) for p in paths]
    for error, (_, expected) in zip(result.errors, NOT_TEXT.values()):
        assert expected in error.message
    # Nothing but unreadable files: nothing annotated is an error, and the previous output stays.
    out = tmp_path / "out" / "out.jsonl"
    with pytest.raises(AnnotateError, match="nothing annotated"):
        annotate(PIPELINE, [str(p) for p in paths], str(out), **quiet())
    assert len(read_lines(out)) == 1


def test_an_unreadable_parquet_file_is_one_error_and_the_others_are_annotated(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    data = tmp_path / "data"
    data.mkdir()
    pq.write_table(pa.table({"text": SENTENCES}), data / "a.parquet")
    whole = (data / "a.parquet").read_bytes()
    (data / "b-garbage.parquet").write_bytes(b"PAR1" + b"\x00\x01 not parquet" * 10)
    (data / "c-truncated.parquet").write_bytes(whole[: len(whole) // 2])
    pq.write_table(pa.table({"body": SENTENCES}), data / "d-no-text-column.parquet")
    write_jsonl(data / "e.jsonl", [{"text": t} for t in SENTENCES])
    result, found = run(tmp_path, [data])
    assert len(found) == 2 * len(SENTENCES)
    bad = ["b-garbage.parquet", "c-truncated.parquet", "d-no-text-column.parquet"]
    assert [e.source for e in result.errors] == [str(data / name) for name in bad]
    assert "cannot read Parquet file" in result.errors[0].message and "--text-field" in result.errors[2].message
    with pytest.raises(AnnotateError, match="b-garbage.parquet: cannot read Parquet file"):
        run(tmp_path, [data], on_error="stop")


def test_bad_fields_and_ids_are_reported_as_such(tmp_path):
    rows = [
        '{"id": "s", "text": "Marta Nowak"}',
        '{"id": 17, "text": "Lisbon"}',
        '{"id": 1.5, "text": "Lisbon"}',
        '{"id": null, "text": "Lisbon"}',
        '{"id": ["a", "b"], "text": "Lisbon"}',
        '{"id": {"k": 1}, "text": "Lisbon"}',
        '{"id": true, "text": "Lisbon"}',
        '{"text": null}',
        '{"body": "Lisbon"}',
        '{"text": "unterminated',
    ]
    inp = tmp_path / "in.jsonl"
    inp.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result, found = run(tmp_path, [inp])
    assert [r["id"] for r in found] == ["s", "17", "1.5", f"{inp}:4"]
    assert messages(result) == {
        f"{inp}:5": "id field 'id' is a list, not a string or number",
        f"{inp}:6": "id field 'id' is a dict, not a string or number",
        f"{inp}:7": "id field 'id' is a bool, not a string or number",
        f"{inp}:8": "text field 'text' is null",
        f"{inp}:9": "no text field 'text'",
        f"{inp}:10": "malformed JSON (Unterminated string starting at column 10)",
    }
