"""The command line: exit codes, --strict, standard input and output, clean errors, progress, quiet Ray."""

import io
import json
import subprocess
import time

import pytest
import spacy
from annotate_helpers import OWN_LINES, PIPELINE, SENTENCES, command, read_lines, write_jsonl
from spacy.language import Language

from spacy_bts.annotate import UsageError, annotate

# Seconds the slow component below takes per document.
SLOW = 0.8


@Language.component("annotate_test_slow", assigns=["doc.ents"])
def slow_component(doc):
    time.sleep(SLOW)
    return doc


def test_exit_codes_strict_stdin_stdout_and_clean_errors(tmp_path):
    same = write_jsonl(tmp_path / "same.jsonl", [{"text": t} for t in SENTENCES])
    plain = tmp_path / "plain.txt"
    plain.write_text("Marta Nowak\n", encoding="utf-8")
    one_bad = tmp_path / "one_bad.jsonl"
    one_bad.write_text('{"text": "Lisbon"}\n{"text": null}\n', encoding="utf-8")
    jsonl_in = "".join(f'{{"id": "s{i}", "text": "{t}"}}\n' for i, t in enumerate(SENTENCES))
    before = same.read_bytes()
    out = {name: tmp_path / f"{name}.jsonl" for name in ("max", "field", "strict")}
    cases = {
        "max": (command(PIPELINE, same, "-o", out["max"], "--max-chars", -1), None),
        "pipeline": (command(tmp_path / "no-such-pipeline", same, "-o", tmp_path / "x.jsonl"), None),
        "same": (command(PIPELINE, same, plain, "-o", same), None),
        "field": (command(PIPELINE, same, "-o", out["field"], "--text-field", "body"), None),
        "strict": (command(PIPELINE, one_bad, "-o", out["strict"], "--strict"), None),
        "stdin jsonl": (command(PIPELINE, "-", "-o", "-"), jsonl_in),
        "stdin text": (command(PIPELINE, "-", "-o", "-", "--format", "text"), "Marta Nowak\n\nLisbon\n"),
    }
    # Side by side: most of each run is Python starting.
    procs = {
        name: subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
        )
        for name, (cmd, _) in cases.items()
    }
    runs = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(cases[name][1] or "", timeout=120)
        runs[name] = (proc.returncode, stdout, stderr)
    for name, (code, stdout, stderr) in runs.items():
        assert "Traceback" not in stderr, (name, stderr)
    code, _, err = runs["max"]
    assert code == 2 and "--max-chars" in err and not out["max"].exists()
    code, _, err = runs["pipeline"]
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: cannot load the pipeline"), err
    code, _, err = runs["same"]
    assert code == 2 and f"error: the output {same} is also an input" in err and same.read_bytes() == before
    code, _, err = runs["field"]
    assert code == 1 and "nothing annotated" in err and "--text-field" in err and not out["field"].exists()
    code, _, err = runs["strict"]
    assert code == 1 and "(--strict)" in err and "text field 'text' is null" in err
    assert len(read_lines(out["strict"])) == 1
    code, stdout, err = runs["stdin jsonl"]
    assert code == 0 and [json.loads(line)["id"] for line in stdout.splitlines()] == ["s0", "s1", "s2", "s3"]
    assert "done: 4 documents" in err
    code, stdout, err = runs["stdin text"]
    assert code == 0 and len(stdout.splitlines()) == 2 and "skipped <stdin>:2: blank line" in err


def test_bad_options_are_usage_errors_naming_the_option(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": "Lisbon"}])
    out = str(tmp_path / "out.jsonl")
    for option, value in [("max_chars", -1), ("max_chars", 0), ("workers", 0), ("batch_size", -5), ("threads", 0)]:
        with pytest.raises(UsageError, match=f"--{option.replace('_', '-')}"):
            annotate(PIPELINE, [str(inp)], out, **{option: value})
    with pytest.raises(UsageError, match="--text-field"):
        annotate(PIPELINE, [str(inp)], out, text_field="")
    with pytest.raises(UsageError, match="cannot load the pipeline"):
        annotate(str(tmp_path / "nothing-here"), [str(inp)], out)


def test_progress_lines_come_while_one_long_document_is_annotated(tmp_path):
    nlp = spacy.blank("xx")
    nlp.add_pipe("annotate_test_slow")
    nlp.to_disk(tmp_path / "slow")
    inp = write_jsonl(tmp_path / "in.jsonl", [{"text": "x" * 5000}])
    stream = io.StringIO()
    annotate(str(tmp_path / "slow"), [str(inp)], str(tmp_path / "out.jsonl"), progress_every=0.1, stream=stream)
    during = [line for line in stream.getvalue().splitlines() if "in progress: 1 documents (5,000 characters)" in line]
    assert len(during) >= 3, stream.getvalue()
    assert "done: 1 documents (5,000 characters)" in stream.getvalue()


def test_ray_job_is_quiet_and_skips_an_unreadable_file(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("ray")
    import pyarrow.parquet as pq

    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "a.jsonl", [{"text": t} for t in SENTENCES * 5])
    (data / "b.txt").write_text("Marta Nowak\n\n  \nLisbon\n", encoding="utf-8")
    pq.write_table(pa.table({"text": SENTENCES}), data / "c.parquet")
    (data / "d.parquet").write_bytes(b"not parquet at all")
    out = tmp_path / "out.parquet"
    cmd = command(PIPELINE, data, "-o", out, "--engine", "ray", "--workers", 2, "--num-cpus", 2)
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    noise = [line for line in run.stderr.splitlines() if not line.startswith(OWN_LINES)]
    assert not noise, run.stderr
    assert f"skipped {data / 'd.parquet'}: cannot read Parquet file" in run.stderr
    assert run.stderr.count(": blank line") == 2
    found = pq.read_table(out).to_pylist()
    assert len(found) == 20 + 2 + 4 and all("text" in e for r in found for e in r["entities"])
