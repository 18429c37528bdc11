"""Train a small ``bts_ner`` on a few multilingual sentences and save it.

    python scripts/quickstart.py OUTPUT_DIR

Shows the whole API on a CPU in under a minute: add_pipe, initialize, update,
prediction with exact character offsets, to_disk and spacy.load.
"""

import sys
import time
from pathlib import Path

import spacy
from spacy.training import Example
from thinc.api import fix_random_seed

SENTENCES = [
    ("Angela Merkel traf Emmanuel Macron in Straßburg.", [(0, 13, "PER"), (19, 34, "PER"), (38, 47, "LOC")]),
    ("Müller arbeitet bei Siemens in München.", [(0, 6, "PER"), (20, 27, "ORG"), (31, 38, "LOC")]),
    ("Владимир Набоков родился в Санкт-Петербурге.", [(0, 16, "PER"), (27, 43, "LOC")]),
    ("Ο Νίκος Καζαντζάκης γεννήθηκε στο Ηράκλειο.", [(2, 19, "PER"), (34, 42, "LOC")]),
    ("Björk sang in Reykjavík 🎤 last night.", [(0, 5, "PER"), (14, 23, "LOC")]),
]


def main(output: Path, steps: int = 400) -> None:
    fix_random_seed(0)
    nlp = spacy.blank("xx")
    nlp.add_pipe(
        "bts_ner",
        config={
            "model": {
                "dropout": 0.0,
                "byte_dropout": 0.0,
                "encoder": {"embed_width": 32, "ngram_buckets": 512, "hidden": 32, "depth": 1},
            },
        },
    )
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in SENTENCES]
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    start = time.perf_counter()
    for step in range(steps):
        losses = nlp.update(examples, sgd=optimizer)
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {losses['bts_ner']:.4f}  {time.perf_counter() - start:.1f}s", flush=True)
    nlp.to_disk(output)
    loaded = spacy.load(output)
    correct = 0
    for text, gold in SENTENCES:
        found = [(e.start_char, e.end_char, e.label_) for e in loaded(text).ents]
        correct += found == gold
        print(f"{text}\n  -> {[(text[s:e], label) for s, e, label in found]}")
    print(f"saved to {output}; {correct}/{len(SENTENCES)} sentences exactly right after reloading")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
