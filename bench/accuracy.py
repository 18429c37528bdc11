"""Per-language accuracy of BTS next to spaCy's CNN baseline and the paper (Table 2).

    python bench/accuracy.py [--metrics metrics]

Reads the JSON written by the workflow's evaluate steps (``evaluate-ner``,
``evaluate-pos``, the ``small`` and ``baselines`` workflows) and prints markdown tables.
"""

import argparse
import sys
from pathlib import Path

import srsly

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from evaluate import PAPER_NER_TEST_F1  # noqa: E402  (scripts/evaluate.py)


def read(directory: Path, run: str, key: str):
    path = directory / f"{run}.json"
    value = srsly.read_json(path).get(key) if path.exists() else None
    return "–" if value is None else f"{100 * value:.2f}"


UNER_TREEBANKS = ("zh_gsd", "zh_gsdsimp", "hr_set", "da_ddt", "pt_bosque", "sr_set", "sk_snk", "sv_talbanken")
CONLL_FORMS = (("spaced", ""), ("natural", "_natural"), ("spaced, one doc a sentence", "_sents"),
               ("natural, one doc a sentence", "_natural_sents"))  # fmt: skip


def natural_text_tables(m: Path) -> None:
    """CoNLL test F1 in every form and Universal NER dev F1 (PER/ORG/LOC): the ten-corpus BTS,
    spaCy's CNN on the same corpora, and BTS trained on CoNLL alone."""
    systems = [("BTS", "ner", "ner_uner"), ("spaCy CNN", "ner_baseline", "ner_baseline_uner"),
               ("BTS CoNLL only", "ner_conll", "ner_conll_uner")]  # fmt: skip
    print("| CoNLL test | " + " | ".join(name for name, _, _ in systems) + " |")
    print("| --- " * (len(systems) + 1) + "|")
    for lang in ("en", "es", "nl"):
        for form, suffix in CONLL_FORMS:
            cells = [read(m / run, f"{lang}{suffix}-test", "ents_f") for _, run, _ in systems]
            print(f"| {lang}, {form} | " + " | ".join(cells) + " |")
    print()
    print("| Universal NER dev (PER/ORG/LOC) | " + " | ".join(name for name, _, _ in systems) + " |")
    print("| --- " * (len(systems) + 1) + "|")
    totals = {name: [] for name, _, _ in systems}
    for treebank in UNER_TREEBANKS:
        cells = [read(m / uner, f"{treebank}-dev", "ents_f") for _, _, uner in systems]
        for (name, _, _), cell in zip(systems, cells):
            if cell != "–":
                totals[name].append(float(cell))
        print(f"| {treebank} | " + " | ".join(cells) + " |")
    averages = [f"{sum(v) / len(v):.2f}" if len(v) == len(UNER_TREEBANKS) else "–" for v in totals.values()]
    print("| average | " + " | ".join(averages) + " |")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=Path, default=Path("metrics"))
    args = parser.parse_args(argv)
    m = args.metrics
    systems = [("BTS", "ner"), ("BTS seq2seq head", "ner_seq2seq"), ("spaCy CNN", "ner_baseline")]
    print(
        "| language | "
        + " | ".join(f"{name} dev F1 | {name} test F1" for name, _ in systems)
        + " | paper BTS test F1 |"
    )
    print("| --- " * (2 * len(systems) + 2) + "|")
    for lang in ("en", "de", "es", "nl"):
        cells = [read(m / run, f"{lang}-{split}", "ents_f") for _, run in systems for split in ("dev", "test")]
        print(f"| {lang} | " + " | ".join(cells) + f" | {PAPER_NER_TEST_F1[lang]:.2f} |")
    print()
    natural_text_tables(m)
    print()
    # Raw text: each system finds the words itself. UPOS F1 = exact (word span, tag).
    columns = [("UPOS F1", "pos_span_f"), ("word-seg F1", "word_seg_f"), ("POS acc", "pos_acc")]
    header = [f"{system} test {name}" for name, _ in columns for system in ("BTS", "spaCy CNN")]
    print("| treebank | " + " | ".join(header) + " |")
    print("| --- " * (len(header) + 1) + "|")
    runs = sorted(p.stem for p in (m / "pos").glob("*-test.json"))
    for run in runs:
        cells = [read(m / d, run, key) for _, key in columns for d in ("pos", "pos_baseline")]
        print(f"| {run[: -len('-test')]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
