"""Every config in configs/ trains a pipeline that can be loaded and trained further.

``nlp.resume_training()`` builds the optimizer from the saved config's
``[training.optimizer]`` block alone; a variable left in it (a schedule ending at
``${training.max_steps}``) made that fail.
"""

from pathlib import Path

import pytest
import spacy
from fixtures import ner_examples, pos_examples
from spacy.cli.train import train
from thinc.api import fix_random_seed

ROOT = Path(__file__).parents[2]
CONFIGS = sorted((ROOT / "configs").glob("*.cfg"))


@pytest.fixture(scope="module")
def corpus(spacy_corpus):
    return spacy_corpus


def small_overrides(config_path: Path) -> dict:
    """A few steps of a small model of the config's architecture."""
    config = spacy.util.load_config(config_path)
    overrides = {"training.max_steps": 4, "training.eval_frequency": 2, "training.patience": 0}
    for name, component in config["components"].items():
        model = component.get("model", {})
        prefix = f"components.{name}.model"
        encoder = model.get("encoder", {})
        if str(encoder.get("@architectures", "")).startswith("spacy-bts.ByteEncoderListener"):
            overrides[f"{prefix}.encoder.width"] = 32  # the shared encoder's, 2 x hidden
        elif "encoder" in model:
            overrides.update({f"{prefix}.encoder.embed_width": 16, f"{prefix}.encoder.ngram_buckets": 64})
            overrides.update({f"{prefix}.encoder.hidden": 16, f"{prefix}.encoder.depth": 1})
        if "width" in model and str(model.get("@architectures", "")).startswith("spacy-bts"):
            overrides[f"{prefix}.width"] = 16
            if "depth" in model:
                overrides[f"{prefix}.depth"] = 1
    return overrides


@pytest.mark.parametrize("config_path", CONFIGS, ids=lambda p: p.stem)
def test_a_trained_pipeline_resumes_training(config_path, corpus, tmp_path):
    data = corpus / f"{config_path.stem.split('_')[0]}.spacy"
    overrides = {"paths.train": str(data), "paths.dev": str(data), **small_overrides(config_path)}
    fix_random_seed(0)
    train(config_path, tmp_path, overrides=overrides)
    nlp = spacy.load(tmp_path / "model-last")
    assert "${" not in nlp.config.to_str().split("[training.optimizer]")[1].split("\n[")[0]
    optimizer = nlp.resume_training()
    task = config_path.stem.split("_")[0]
    examples = {"ner": ner_examples, "pos": pos_examples}.get(task, lambda v: ner_examples(v) + pos_examples(v))(nlp)
    losses = {}
    for _ in range(3):
        nlp.update(examples, sgd=optimizer, losses=losses)
    assert losses and all(loss >= 0 for loss in losses.values())
    nlp.to_disk(tmp_path / "resumed")
    assert spacy.load(tmp_path / "resumed").pipe_names == nlp.pipe_names
