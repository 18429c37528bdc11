"""The README's quickstart runs as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def section_blocks(heading):
    """The python and bash blocks under ``heading``, up to the next heading of level 2 or 3."""
    text = (ROOT / "README.md").read_text(encoding="utf8")
    section = re.split(r"\n###? ", text.split(f"\n{heading}\n", 1)[1], maxsplit=1)[0]
    return re.findall(r"```(python|bash)\n(.*?)```", section, flags=re.S)


def quickstart_blocks():
    return section_blocks("## Quickstart")


def run_blocks(blocks, tmp_path, monkeypatch):
    """The blocks in order in ``tmp_path`` (with ``configs/``): python in one namespace, bash in a shell."""
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    namespace = {}
    for kind, code in blocks:
        if kind == "python":
            exec(compile(code, "README.md", "exec"), namespace)
        else:
            result = subprocess.run(["bash", "-e", "-c", code], env=env, capture_output=True, text=True)
            assert result.returncode == 0, result.stdout + result.stderr
    return namespace


def test_readme_has_quickstart_blocks():
    kinds = [kind for kind, _ in quickstart_blocks()]
    assert kinds.count("python") >= 3 and kinds.count("bash") >= 2


def test_first_python_block_trains_exact_entities(capsys):
    kind, code = quickstart_blocks()[0]
    assert kind == "python"
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    doc = namespace["doc"]
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
        (0, 6, "PER"),
        (20, 27, "ORG"),
        (31, 38, "LOC"),
    ]


@pytest.mark.slow
def test_whole_quickstart_runs(tmp_path, monkeypatch):
    """All blocks in order: python in one namespace, bash in a shell (installs a package)."""
    namespace = run_blocks(quickstart_blocks(), tmp_path, monkeypatch)
    assert namespace["nlp"].pipe_names == ["bts_ner"]


def test_own_data_example_trains_exact_spans_from_jsonl(tmp_path, monkeypatch, capsys):
    """The README's "Your own data, in any script" as written: JSONL, spacy train with the reader, exact spans."""
    blocks = section_blocks("### Your own data, in any script")
    assert [kind for kind, _ in blocks] == ["python", "bash", "python"]
    assert "spacy-bts.JsonlSpans.v1" in blocks[1][1]
    namespace = run_blocks(blocks, tmp_path, monkeypatch)
    doc = namespace["doc"]
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [(0, 2, "PER"), (5, 7, "PER"), (10, 13, "LOC")]
    # The output the README shows is the output printed.
    shown = blocks[2][1].strip().splitlines()[-1]
    assert capsys.readouterr().out.strip().splitlines()[-1] == shown.removeprefix("# ")


def test_ci_runs_the_readme_test_command():
    text = (ROOT / "README.md").read_text(encoding="utf8")
    command = re.search(r"# 2\. tests.*\n(.*)\n```", text).group(1)
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_slow_tests_are_deselected_by_pytest_markers():
    def collected(*args):
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/integration/test_readme.py", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        return result.stdout

    assert "test_whole_quickstart_runs" not in collected()
    assert "test_whole_quickstart_runs" in collected("-m", "slow")
    assert "--slow" not in (ROOT / "tests" / "conftest.py").read_text()
