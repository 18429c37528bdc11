"""The README's quickstart runs as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def quickstart_blocks():
    text = (ROOT / "README.md").read_text(encoding="utf8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(python|bash)\n(.*?)```", section, flags=re.S)


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
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    namespace = {}
    for kind, code in quickstart_blocks():
        if kind == "python":
            exec(compile(code, "README.md", "exec"), namespace)
        else:
            result = subprocess.run(["bash", "-e", "-c", code], env=env, capture_output=True, text=True)
            assert result.returncode == 0, result.stdout + result.stderr
    assert namespace["nlp"].pipe_names == ["bts_ner"]


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
