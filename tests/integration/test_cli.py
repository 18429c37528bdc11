import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from conftest import SMALL_TAGGER
from fixtures import ner_examples

ROOT = Path(__file__).parents[2]
CONFIGS = sorted((ROOT / "configs").glob("*.cfg"))
TINY = [
    "--components.{c}.model.segment_length",
    "64",
    "--components.{c}.overlap",
    "16",
    "--components.{c}.model.encoder.embed_width",
    "16",
    "--components.{c}.model.encoder.ngram_buckets",
    "64",
    "--components.{c}.model.encoder.hidden",
    "16",
    "--components.{c}.model.encoder.depth",
    "1",
    "--training.max_steps",
    "30",
    "--training.eval_frequency",
    "15",
]


def spacy_cli(*args, cwd=None):
    result = subprocess.run([sys.executable, "-m", "spacy", *map(str, args)], capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def corpus(spacy_corpus):
    return spacy_corpus


def component(config: Path) -> str:
    return "bts_ner" if config.name.startswith("ner") else "bts_pos"


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_config_is_valid(config, corpus):
    data = corpus / f"{config.name[:3]}.spacy"
    spacy_cli("debug", "config", config, "--paths.train", data, "--paths.dev", data)


def test_spacy_train_and_evaluate(corpus, tmp_path):
    config = ROOT / "configs" / "ner_cpu.cfg"
    data = corpus / "ner.spacy"
    tiny = [a.format(c="bts_ner") for a in TINY]
    log = spacy_cli("train", config, "--paths.train", data, "--paths.dev", data, "--output", tmp_path, *tiny)
    assert "ENTS_F" in log and "LOSS BTS_NER" in log
    spacy_cli("evaluate", tmp_path / "model-best", data, "--output", tmp_path / "metrics.json")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert {"ents_p", "ents_r", "ents_f", "ents_per_type"} <= set(metrics)


def test_ner_config_decays_learning_rate_to_zero_at_max_steps():
    # The workflow sets the budget with --training.max_steps; the schedule has to follow it.
    overrides = {"training.max_steps": 40}
    config = spacy.util.load_config(ROOT / "configs" / "ner_cpu.cfg", overrides=overrides, interpolate=True)
    optimizer = spacy.util.registry.resolve({"optimizer": config["training"]["optimizer"]})["optimizer"]
    rates = []
    for _ in range(41):
        rates.append(optimizer.learn_rate)
        optimizer.step_schedules()
    assert rates[0] == pytest.approx(0.002)
    assert all(a > b > 0 for a, b in zip(rates[:39], rates[1:40]))
    assert rates[40] == 0


@pytest.mark.slow
def test_spacy_package_installs_in_fresh_venv(corpus, tmp_path):
    config = ROOT / "configs" / "ner_cpu.cfg"
    data = corpus / "ner.spacy"
    tiny = [a.format(c="bts_ner") for a in TINY]
    spacy_cli("train", config, "--paths.train", data, "--paths.dev", data, "--output", tmp_path / "train", *tiny)
    (tmp_path / "pkg").mkdir()
    spacy_cli(
        "package",
        tmp_path / "train" / "model-best",
        tmp_path / "pkg",
        "--name",
        "bts_tiny",
        "--version",
        "0.0.1",
        "--build",
        "sdist",
    )
    meta = json.loads(next((tmp_path / "pkg").glob("*/meta.json")).read_text())
    assert any(r.startswith("spacy-bts") for r in meta["requirements"]), meta["requirements"]
    sdist = next((tmp_path / "pkg").glob("*/dist/*.tar.gz"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for args in (["torch==2.13.0"], [str(ROOT)], [str(sdist)]):
        subprocess.run(pip + args, check=True, env=env)
    code = "import spacy; nlp = spacy.load('xx_bts_tiny'); print(nlp.pipe_names, nlp('Müller lives in München.').text)"
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "['bts_ner'] Müller lives in München." in out.stdout


def test_init_labels_feeds_initialize(corpus, tmp_path):
    config = ROOT / "configs" / "ner_cpu.cfg"
    data = corpus / "ner.spacy"
    spacy_cli("init", "labels", config, tmp_path / "labels", "--paths.train", data, "--paths.dev", data)
    labels = json.loads((tmp_path / "labels" / "bts_ner.json").read_text())
    assert labels == ["LOC", "ORG", "PER"]
    nlp = spacy.blank("xx")
    ner = nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER})
    ner.initialize(lambda: ner_examples(nlp), labels=labels + ["MISC"])
    assert ner.labels == ("LOC", "ORG", "PER", "MISC")
