import sys
from pathlib import Path

import pytest
import spacy
from thinc.api import fix_random_seed

sys.path.insert(0, str(Path(__file__).parent))

from fixtures import ner_examples, pos_examples  # noqa: E402

SMALL_MODEL = {
    "@architectures": "spacy-bts.ByteToSpan.v1",
    "width": 64,
    "depth": 1,
    "dropout": 0.0,
    "byte_dropout": 0.0,
}
SMALL_TAGGER = {
    "@architectures": "spacy-bts.ByteTagger.v1",
    "segment_length": 64,
    "dropout": 0.0,
    "byte_dropout": 0.0,
    "encoder": {
        "@architectures": "spacy-bts.BiLSTMEncoder.v1",
        "embed_width": 32,
        "ngram_buckets": 512,
        "hidden": 32,
        "depth": 1,
    },
}
SMALL_MODELS = {"seq2seq": SMALL_MODEL, "tagging": SMALL_TAGGER}
EVERY_WINDOW = {"@misc": "spacy-bts.sliding_windows.v1", "stride": 1}


def train(nlp, examples, max_steps=1000, learn_rate=0.01):
    """Update until the loss is tiny; returns the number of steps taken."""
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = learn_rate
    for step in range(max_steps):
        losses = nlp.update(examples, sgd=optimizer)
        if max(losses.values()) < 0.02:
            return step
    return max_steps


def overfit(factory, make_examples, head="seq2seq"):
    fix_random_seed(0)
    nlp = spacy.blank("xx")
    nlp.add_pipe(factory, config={"model": SMALL_MODELS[head], "training_windows": EVERY_WINDOW})
    train(nlp, make_examples(nlp))
    return nlp


@pytest.fixture(scope="session", params=sorted(SMALL_MODELS))
def trained_ner(request):
    """A small bts_ner (each head) overfitted on the multilingual sentences."""
    return overfit("bts_ner", ner_examples, request.param)


@pytest.fixture(scope="session", params=sorted(SMALL_MODELS))
def trained_pos(request):
    """A small bts_pos (each head) overfitted on the multilingual sentences."""
    return overfit("bts_pos", pos_examples, request.param)


SCRIPTS = Path(__file__).parent.parent / "scripts"


def load_script(name):
    """The workflow script ``scripts/<name>.py`` (not in the package) as a module, imported by path."""
    import importlib.util

    module_name = f"bts_scripts_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
    return sys.modules[module_name]
