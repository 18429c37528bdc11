"""Evaluate a pipeline per language and write JSON metrics plus a markdown table.

    python -m spacy_bts.evaluation MODEL CORPUS_DIR OUTPUT_DIR --task ner|pos

Evaluates every ``<lang>-dev.spacy`` and ``<lang>-test.spacy`` in CORPUS_DIR
(loading the model once), writes ``OUTPUT_DIR/<lang>-<split>.json`` (spaCy's
``evaluate`` scores) and ``OUTPUT_DIR/results.md`` with the paper's numbers
beside ours.
"""
import argparse
import time
from pathlib import Path
from typing import Dict, Optional

import spacy
import srsly
from spacy.training import Corpus

# Gillick et al. (2016), Table 2: F1 of the single multilingual BTS model on CoNLL test.
PAPER_NER_TEST_F1 = {"en": 86.50, "de": 76.22, "es": 82.95, "nl": 82.84}
# Section 6.1: POS accuracy averaged over 13 UD 1.1 languages (per-language values
# are not in our copy of the paper).
PAPER_POS_AVERAGE = 95.85

MAIN_SCORE = {"ner": ("ents_f", "F1"), "pos": ("pos_acc", "POS acc")}


def evaluate_file(nlp, path: Path, limit: int = 0) -> Dict:
    corpus = Corpus(path, limit=limit)
    examples = list(corpus(nlp))
    start = time.perf_counter()
    scores = nlp.evaluate(examples)
    scores["seconds"] = time.perf_counter() - start
    scores["n_docs"] = len(examples)
    scores["n_words"] = sum(len(eg.reference) for eg in examples)
    return scores


def percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def results_table(
    task: str, scores: Dict[str, Dict[str, Dict]], model: str, trained_on: Optional[set] = None
) -> str:
    """Markdown table; ``trained_on``: languages/treebanks with training data (others are zero-shot)."""
    name = MAIN_SCORE[task][1]
    langs = sorted({lang for lang, _ in (k.split("-", 1) for k in scores)})
    lines = [f"Model: `{model}`. {name} in %, per language.", ""]
    if task == "ner":
        lines += [
            "| language | dev P | dev R | dev F1 | test P | test R | test F1 | paper BTS test F1 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for lang in langs:
            dev, test = scores.get(f"{lang}-dev", {}), scores.get(f"{lang}-test", {})
            paper = PAPER_NER_TEST_F1.get(lang)
            lines.append(
                f"| {lang} | {percent(dev.get('ents_p'))} | {percent(dev.get('ents_r'))} | "
                f"{percent(dev.get('ents_f'))} | {percent(test.get('ents_p'))} | "
                f"{percent(test.get('ents_r'))} | {percent(test.get('ents_f'))} | "
                f"{'–' if paper is None else f'{paper:.2f}'} |"
            )
    else:
        lines += [
            "| treebank | training data | dev POS acc | dev word-seg F1 | test POS acc | test word-seg F1 |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for lang in langs:
            dev, test = scores.get(f"{lang}-dev", {}), scores.get(f"{lang}-test", {})
            seen = "–" if trained_on is None else ("yes" if lang in trained_on else "none (zero-shot)")
            lines.append(
                f"| {lang} | {seen} | {percent(dev.get('pos_acc'))} | {percent(dev.get('word_seg_f'))} | "
                f"{percent(test.get('pos_acc'))} | {percent(test.get('word_seg_f'))} |"
            )
        tests = [s["pos_acc"] for k, s in scores.items() if k.endswith("-test") and s.get("pos_acc") is not None]
        if tests:
            lines += ["", f"Average test POS accuracy: {100 * sum(tests) / len(tests):.2f} "
                      f"over {len(tests)} treebanks (paper: BTS {PAPER_POS_AVERAGE} over 13 UD 1.1 languages)."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("corpus_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--task", choices=sorted(MAIN_SCORE), required=True)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--limit", type=int, default=0, help="documents per file (0: all)")
    args = parser.parse_args(argv)
    if args.gpu_id >= 0:
        spacy.require_gpu(args.gpu_id)
    nlp = spacy.load(args.model)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    scores = {}
    files = sorted(args.corpus_dir.glob("*-dev.spacy")) + sorted(args.corpus_dir.glob("*-test.spacy"))
    if not files:
        raise SystemExit(f"no <lang>-dev.spacy / <lang>-test.spacy files in {args.corpus_dir}")
    key, name = MAIN_SCORE[args.task]
    for path in files:
        run = path.name[: -len(".spacy")]
        scores[run] = evaluate_file(nlp, path, args.limit)
        srsly.write_json(args.output_dir / f"{run}.json", scores[run])
        print(f"{run}: {name} {percent(scores[run].get(key))} ({scores[run]['n_words']} words, "
              f"{scores[run]['seconds']:.1f} s)", flush=True)
    trained_on = {p.name[: -len("-train.spacy")] for p in args.corpus_dir.glob("*-train.spacy")}
    table = results_table(args.task, scores, str(args.model), trained_on)
    (args.output_dir / "results.md").write_text(table, encoding="utf8")
    print(table)


if __name__ == "__main__":
    main()
