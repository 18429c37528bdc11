"""Build the small saved pipelines of ``tests/data/saved_pipelines`` and their predictions.

Run once with the code whose pipelines must keep loading (it uses only registered
names, so it runs on any version): ``python tests/data/make_saved_pipelines.py``.
Each pipeline is overfitted on a few sentences written for these tests, saved, and
its predictions (float32) recorded in ``expected_predictions.json`` beside it.
"""

import json
import shutil
import sys
from pathlib import Path

import spacy
from spacy.training import Example
from thinc.api import fix_random_seed

OUT = Path(__file__).parent / "saved_pipelines"

NER_DATA = [
    ("Greta Lindqvist opened a bakery in Uppsala.", [(0, 15, "PER"), (35, 42, "LOC")]),
    ("Der Verein Nordlicht tagt in Bremen.", [(11, 20, "ORG"), (29, 35, "LOC")]),
    ("Tomás Aranda visitó Cádiz con Ferrovía Sur.", [(0, 12, "PER"), (20, 25, "LOC"), (30, 42, "ORG")]),
    ("東京で佐藤さんに会った。", [(0, 2, "LOC"), (3, 5, "PER")]),
]
POS_DATA = [
    ("The cat sleeps.", ["DET", "NOUN", "VERB", "PUNCT"]),
    ("Anna reads old books.", ["PROPN", "VERB", "ADJ", "NOUN", "PUNCT"]),
    ("Ein Hund bellt laut.", ["DET", "NOUN", "VERB", "ADV", "PUNCT"]),
]
TEXTS = (
    [text for text, _ in NER_DATA]
    + [text for text, _ in POS_DATA]
    + [
        "Lindqvist and Aranda met in Bremen.",
        "A dog reads.",
    ]
)

ENCODER = {
    "@architectures": "spacy-bts.BiLSTMEncoder.v2",
    "embed_width": 16,
    "ngram_sizes": [2, 3],
    "ngram_buckets": 64,
    "word_buckets": 64,
    "hidden": 16,
    "depth": 1,
}
MODELS = {
    "tagger": {
        "@architectures": "spacy-bts.ByteTagger.v2",
        "segment_length": 32,
        "inference_segment_length": 48,
        "dropout": 0.0,
        "byte_dropout": 0.0,
        "encoder": ENCODER,
    },
    "seq2seq": {
        "@architectures": "spacy-bts.EncoderByteToSpan.v1",
        "width": 24,
        "depth": 1,
        "segment_length": 32,
        "dropout": 0.0,
        "byte_dropout": 0.0,
        "encoder": ENCODER,
    },
}


def pos_example(nlp, text, tags):
    words = text[:-1].split() + [text[-1]]
    doc = spacy.tokens.Doc(nlp.vocab, words=words, spaces=[True] * (len(words) - 2) + [False, False])
    assert doc.text == text, (doc.text, text)
    for token, tag in zip(doc, tags):
        token.pos_ = tag
    return Example(nlp.make_doc(text), doc)


def build(task: str, head: str, steps: int = 150):
    fix_random_seed(0)
    nlp = spacy.blank("xx")
    config = {"model": MODELS[head], "quantize": False}
    if head == "seq2seq":
        config["training_windows"] = {"@misc": "spacy-bts.sliding_windows.v1", "stride": 4}
    nlp.add_pipe(f"bts_{task}", config=config)
    if task == "ner":
        examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in NER_DATA]
    else:
        examples = [pos_example(nlp, t, tags) for t, tags in POS_DATA]
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.02
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)
    return nlp


def predictions(nlp, task: str):
    out = []
    for doc in nlp.pipe(TEXTS):
        group = doc.spans[f"bts_{task}"]
        out.append(
            {
                "text": doc.text,
                "spans": [
                    [int(s), int(e), span.label_, float(p)]
                    for (s, e), span, p in zip(group.attrs["char_spans"], group, group.attrs["scores"])
                ],
                "ents": [[e.start_char, e.end_char, e.label_] for e in doc.ents],
                "pos": [[t.idx, t.pos_] for t in doc],
            }
        )
    return out


def main() -> None:
    for task in ("ner", "pos"):
        for head in ("tagger", "seq2seq"):
            nlp = build(task, head)
            path = OUT / f"{task}_{head}"
            if path.exists():
                shutil.rmtree(path)
            path.mkdir(parents=True)
            nlp.to_disk(path)
            preds = predictions(nlp, task)
            (path / "expected_predictions.json").write_text(json.dumps(preds, ensure_ascii=False, indent=1))
            n = sum(len(p["spans"]) for p in preds)
            print(f"{path}: {n} predicted spans", file=sys.stderr)


if __name__ == "__main__":
    main()
