"""NER dev F1 of pipelines on each corpus: CoNLL en/es/nl (every label, spaced and natural) and
the Universal NER treebanks (PER/ORG/LOC, as the workflow scores them), one table.

    python bench/dev_by_corpus.py training/mix/t1 training/mix/t2 --out bench/results/mix_dev.md

Dev splits only: this is for choosing settings, which test sets must not do.
"""

import argparse
import sys
from pathlib import Path

import spacy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from evaluate import evaluate_file  # noqa: E402

CONLL = ["en", "es", "nl", "en_natural", "es_natural", "nl_natural"]
UNER = ["zh_gsd", "zh_gsdsimp", "hr_set", "da_ddt", "pt_bosque", "sr_set", "sk_snk", "sv_talbanken"]


def dev_sets(ner_dir: Path, uner_dir: Path):
    for name in CONLL:
        path = ner_dir / f"{name}-dev.spacy"
        if path.exists():
            yield name, path, None
    for name in UNER:
        path = uner_dir / f"{name}-dev.spacy"
        if path.exists():
            yield name, path, ["PER", "ORG", "LOC"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--ner-dir", type=Path, default=Path("corpus/ner"))
    parser.add_argument("--uner-dir", type=Path, default=Path("corpus/uner"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    sets = list(dev_sets(args.ner_dir, args.uner_dir))
    table = {}
    for model in args.models:
        nlp = spacy.load(model)
        for name, path, labels in sets:
            table[(model, name)] = 100 * (evaluate_file(nlp, path, labels=labels)["ents_f"] or 0.0)
            print(f"{model} {name}: {table[(model, name)]:.2f}", flush=True)
    lines = ["| dev F1 | " + " | ".join(m.name for m in args.models) + " |", "| --- |" + " --- |" * len(args.models)]
    for name, _, _ in sets:
        lines.append(f"| {name} | " + " | ".join(f"{table[(m, name)]:.2f}" for m in args.models) + " |")
    for label, names in (("CoNLL spaced average", CONLL[:3]), ("UNER average", UNER)):
        present = [n for n in names if any(n == s for s, _, _ in sets)]
        if present:
            means = [sum(table[(m, n)] for n in present) / len(present) for m in args.models]
            lines.append(f"| {label} | " + " | ".join(f"{v:.2f}" for v in means) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
