import sys
import warnings
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.tokens import DocBin
from thinc.api import fix_random_seed

from spacy_bts.spans import CharSpans

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
SMALL_POINTER = {
    "@architectures": "spacy-bts.EncoderSpanPointer.v1",
    "segment_length": 64,
    "inference_segment_length": 64,
    "window": 48,
    "window_overlap": 24,
    "width": 32,
    "dropout": 0.0,
    "byte_dropout": 0.0,
    "encoder": SMALL_TAGGER["encoder"],
}
SMALL_MODELS = {"seq2seq": SMALL_MODEL, "tagging": SMALL_TAGGER, "span_pointer": SMALL_POINTER}
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


EXAMPLES = {"bts_ner": ner_examples, "bts_pos": pos_examples}


def initialized(factory, head="tagging", **config):
    """A blank pipeline with ``factory`` (small model of ``head``) initialized on its examples."""
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe(factory, config={"model": SMALL_MODELS[head], **config})
    examples = EXAMPLES[factory](nlp)
    nlp.initialize(lambda: examples)
    return nlp, pipe, examples


def tagger_ner_pipe(labels=("LOC", "PER"), **config):
    """An initialized bts_ner (small tagger unless ``model`` is given) with ``labels``, untrained."""
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER, **config})
    for label in labels:
        pipe.add_label(label)
    nlp.initialize()
    return nlp, pipe


def char_spans(pipe, spans):
    """CharSpans for (start, end, label, score) tuples."""
    ids = {label: i for i, label in enumerate(pipe.labels)}
    starts, ends, labels, probs = zip(*spans) if spans else ((), (), (), ())
    return CharSpans(
        numpy.asarray(starts, dtype=numpy.int64),
        numpy.asarray(ends, dtype=numpy.int64),
        numpy.asarray([ids[label] for label in labels], dtype=numpy.int64),
        numpy.asarray(probs, dtype=numpy.float32),
    )


def caught(fn):
    """``fn()``'s result and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message) for w in record]


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


@pytest.fixture(scope="module")
def spacy_corpus(tmp_path_factory):
    """The NER and POS fixture examples as ``.spacy`` files: ``ner.spacy``, ``pos.spacy``, and both in
    ``joint.spacy``."""
    path = tmp_path_factory.mktemp("corpus")
    nlp = spacy.blank("xx")
    docs = {"ner": [eg.reference for eg in ner_examples(nlp)], "pos": [eg.reference for eg in pos_examples(nlp)]}
    docs["joint"] = docs["ner"] + docs["pos"]
    for task, task_docs in docs.items():
        DocBin(docs=task_docs).to_disk(path / f"{task}.spacy")
    return path


SMALL_SHARED_ENCODER = {
    "@architectures": "spacy-bts.ByteEncoder.v1",
    "segment_length": 64,
    "inference_segment_length": 64,
    "overlap": 32,
    "dropout": 0.0,
    "byte_dropout": 0.0,
    "encoder": SMALL_TAGGER["encoder"],
}
LISTENING_TAGGER = {
    "@architectures": "spacy-bts.SharedEncoderTagger.v1",
    "dropout": 0.0,
    "encoder": {"@architectures": "spacy-bts.ByteEncoderListener.v1", "width": 64},
}


def joint_pipeline(components=("bts_ner", "bts_pos")):
    """A blank pipeline with a small bts_encoder and listening ``components``, not initialized."""
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_encoder", config={"model": SMALL_SHARED_ENCODER})
    for name in components:
        nlp.add_pipe(name, config={"model": LISTENING_TAGGER})
    return nlp
