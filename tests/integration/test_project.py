"""The spaCy project workflow, end to end on a tiny budget, from the offline mirror."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
MIRROR = ROOT.parent / "shared" / "data" / "mirror" / "raw.githubusercontent.com"
TINY = [
    "--vars.ner_max_steps",
    "20",
    "--vars.pos_max_steps",
    "10",
    "--vars.eval_frequency",
    "10",
    "--vars.dev_limit",
    "5",
    "--vars.eval_limit",
    "3",
    "--vars.pretrain_sentences",
    "200",
    "--vars.pretrain_epochs",
    "1",
    "--vars.joint_max_steps",
    "10",
]


def project(*args, cwd):
    result = subprocess.run([sys.executable, "-m", "spacy", "project", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
@pytest.mark.skipif(not MIRROR.exists(), reason="offline data mirror not present")
def test_workflow_all_on_tiny_budget(tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    for name in ("project.yml", "README.md"):
        shutil.copy(ROOT / name, work / name)
    shutil.copytree(ROOT / "configs", work / "configs")
    shutil.copytree(ROOT / "scripts", work / "scripts")
    log = project("assets", ".", "--vars.mirror", str(MIRROR), cwd=work)
    assert "doesn't match" not in log
    project("run", "all", ".", "--vars.mirror", str(MIRROR), *TINY, cwd=work)
    assert (work / "training" / "pretrain" / "model-last.bin").is_file()
    table = (work / "metrics" / "ner" / "results.md").read_text()
    for lang in ("en", "es", "nl", "en_natural", "nl_natural_sents", "es_sents"):
        assert f"| {lang} |" in table
    uner = (work / "metrics" / "ner_uner" / "results.md").read_text()
    assert "on LOC/ORG/PER only" in uner
    for treebank in ("zh_gsd", "zh_gsdsimp", "hr_set", "da_ddt", "pt_bosque", "sr_set", "sk_snk", "sv_talbanken"):
        assert f"| {treebank} |" in uner
    scores = json.loads((work / "metrics" / "ner" / "en-test.json").read_text())
    assert "ents_f" in scores
    assert "| fr_sequoia |" in (work / "metrics" / "pos" / "results.md").read_text()
    assert "Not produced yet" not in (work / "README.md").read_text()
    assert list((work / "packages").glob("xx_bts_ner-*/dist/*.tar.gz"))
    project("run", "joint", ".", *TINY, cwd=work)
    assert "| en |" in (work / "metrics" / "joint_ner" / "results.md").read_text()
    assert "| fr_sequoia |" in (work / "metrics" / "joint_pos" / "results.md").read_text()
    assert list((work / "packages").glob("xx_bts-*/dist/*.tar.gz"))
