"""NER F1 of BTS and spaCy's CNN baseline on noisy test text (fixed seed).

    python bench/noise.py [--rates 0 0.05 0.1] [--langs en es nl] [--int8]

Each character of a test document is, with probability ``rate``, deleted or
replaced by a random letter (half each). Gold entities are carried through the
edit exactly (an entity all of whose characters are deleted is dropped and
counted). Both pipelines see the same noisy texts; F1 is on exact character
offsets ``(start, end, label)`` with spaCy's ``PRFScore``. ``--int8`` adds the
BTS pipeline with ``quantize = true``, which also gives the F1 cost of int8.
The last line is JSON.
"""

import argparse
import json
import random
import string
import sys
from pathlib import Path
from typing import List, Tuple

import spacy
from spacy.scorer import PRFScore
from spacy.training import Corpus

Entity = Tuple[int, int, str]
LETTERS = string.ascii_letters


def add_noise(text: str, ents: List[Entity], rate: float, rng: random.Random):
    """The edited text and the gold entities at their new offsets (deleted ones dropped)."""
    out: List[str] = []
    new_index = []  # new offset of each old character (before its edit)
    for char in text:
        new_index.append(len(out))
        draw = rng.random()
        if draw < rate / 2:
            continue  # deleted
        out.append(rng.choice(LETTERS) if draw < rate else char)
    new_index.append(len(out))
    moved = []
    for start, end, label in ents:
        new_start, new_end = new_index[start], new_index[end]
        if new_end > new_start:
            moved.append((new_start, new_end, label))
    return "".join(out), moved, len(ents) - len(moved)


def noisy_corpus(nlp, path: Path, rate: float, seed: int, limit: int):
    rng = random.Random(seed)
    texts, golds, dropped = [], [], 0
    for eg in Corpus(path, limit=limit)(nlp):
        ents = [(e.start_char, e.end_char, e.label_) for e in eg.reference.ents]
        text, ents, lost = add_noise(eg.reference.text, ents, rate, rng)
        texts.append(text)
        golds.append(set(ents))
        dropped += lost
    return texts, golds, dropped


def f1(nlp, texts, golds) -> float:
    score = PRFScore()
    for doc, gold in zip(nlp.pipe(texts, batch_size=64), golds):
        score.score_set({(e.start_char, e.end_char, e.label_) for e in doc.ents}, gold)
    return 100 * score.fscore


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bts", default="training/ner/model-best")
    parser.add_argument("--baseline", default="training/ner_baseline/model-best")
    parser.add_argument("--corpus", type=Path, default=Path("corpus/ner"))
    parser.add_argument("--langs", nargs="+", default=["en", "es", "nl"])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.05, 0.10])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="documents per test file (0: all)")
    parser.add_argument("--int8", action="store_true", help="also BTS with quantize = true")
    args = parser.parse_args(argv)
    pipelines = {"spaCy CNN ner": spacy.load(args.baseline), "bts_ner": spacy.load(args.bts)}
    if args.int8:
        quantized = spacy.load(args.bts)
        quantized.get_pipe("bts_ner").cfg["quantize"] = True
        pipelines["bts_ner int8"] = quantized
    header = " | ".join(f"F1 {100 * r:g}% noise" for r in args.rates)
    lines = [
        f"| language | pipeline | {header} | F1 kept at {100 * args.rates[-1]:g}% |",
        "| --- " * (3 + len(args.rates)) + "|",
    ]
    results = {}
    for lang in args.langs:
        path = args.corpus / f"{lang}-test.spacy"
        if not path.exists():
            print(f"{path}: missing, skipped", file=sys.stderr)
            continue
        corpora = {rate: noisy_corpus(pipelines["bts_ner"], path, rate, args.seed, args.limit) for rate in args.rates}
        for name, nlp in pipelines.items():
            scores = [f1(nlp, texts, golds) for texts, golds, _ in corpora.values()]
            results[f"{lang} {name}"] = dict(zip(map(str, args.rates), scores))
            kept = scores[-1] / scores[0] if scores[0] else float("nan")
            lines.append(f"| {lang} | {name} | " + " | ".join(f"{s:.2f}" for s in scores) + f" | {100 * kept:.0f}% |")
            print(lines[-1], file=sys.stderr, flush=True)
        dropped = {str(r): c[2] for r, c in corpora.items()}
        results[f"{lang} entities deleted by the noise"] = dropped
    print("\n".join(lines))
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
