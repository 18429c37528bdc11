"""Evaluate a pipeline per language and write JSON metrics plus a markdown table.

    python scripts/evaluate.py MODEL CORPUS_DIR OUTPUT_DIR --task ner|pos

Evaluates every ``<lang>-dev.spacy`` and ``<lang>-test.spacy`` in CORPUS_DIR
(loading the model once), writes ``OUTPUT_DIR/<lang>-<split>.json`` (spaCy's
``evaluate`` scores) and ``OUTPUT_DIR/results.md`` with the paper's numbers
beside ours. ``--labels PER ORG LOC`` scores NER on those labels only (predicted
and gold entities of other labels left out), with exact character offsets, for
any pipeline: Universal NER is scored so. POS scores of every pipeline (BTS or not) include ``score_pos``'s
raw-text ``pos_span_p/r/f`` (CoNLL 2018 UPOS F1) and ``word_seg_p/r/f``.
"""

import argparse
import time
from pathlib import Path
from typing import Dict, Optional

import spacy
import srsly
from spacy.scorer import Scorer
from spacy.training import Corpus, Example

from spacy_bts.pipeline.scorers import score_ner, score_pos

# Gillick et al. (2016), Table 2: F1 of the single multilingual BTS model on CoNLL test.
PAPER_NER_TEST_F1 = {"en": 86.50, "de": 76.22, "es": 82.95, "nl": 82.84}
# Section 6.1: POS accuracy averaged over 13 UD 1.1 languages (per-language values
# are not in our copy of the paper).
PAPER_POS_AVERAGE = 95.85

MAIN_SCORE = {"ner": ("ents_f", "F1"), "pos": ("pos_span_f", "UPOS F1")}


class POSScorer(Scorer):
    """spaCy's scores plus ``score_pos`` on the predicted words, whatever the tagger."""

    def __init__(self, nlp, spans_key: Optional[str]) -> None:
        super().__init__(nlp)
        self.spans_key = spans_key

    def score(self, examples, *, per_component: bool = False) -> Dict:
        examples = list(examples)
        scores = super().score(examples, per_component=per_component)
        if not per_component:
            scores.update(score_pos(examples, spans_key=self.spans_key))
        return scores


def bts_pos_key(nlp) -> Optional[str]:
    """``spans_key`` of the pipeline's ``bts_pos``; None (words = tokens) without one."""
    for name in nlp.pipe_names:
        config = nlp.get_pipe_config(name)
        if config.get("factory") == "bts_pos":
            return config["spans_key"]
    return None


def only_labels(doc, labels):
    doc = doc.copy()
    dropped = [e for e in doc.ents if e.label_ not in labels]
    doc.set_ents([e for e in doc.ents if e.label_ in labels], outside=dropped, default="unmodified")
    return doc


def score_ner_labels(nlp, examples, labels) -> Dict:
    """Exact-offset NER scores of the pipeline's predictions on ``labels`` only."""
    start = time.perf_counter()
    predicted = list(nlp.pipe(eg.reference.text for eg in examples))
    seconds = time.perf_counter() - start
    kept = set(labels)
    pairs = [Example(only_labels(p, kept), only_labels(eg.reference, kept)) for p, eg in zip(predicted, examples)]
    scores = score_ner(pairs)
    scores["labels"] = sorted(kept)
    scores["seconds"] = seconds
    return scores


def evaluate_file(nlp, path: Path, limit: int = 0, task: str = "ner", labels=None) -> Dict:
    # The pipeline tokenizes the raw text itself (gold_preproc is off).
    corpus = Corpus(path, limit=limit)
    examples = list(corpus(nlp))
    if labels:
        scores = score_ner_labels(nlp, examples, labels)
        scores["n_docs"] = len(examples)
        scores["n_words"] = sum(len(eg.reference) for eg in examples)
        return scores
    scorer = POSScorer(nlp, bts_pos_key(nlp)) if task == "pos" else None
    start = time.perf_counter()
    scores = nlp.evaluate(examples, scorer=scorer)
    scores["seconds"] = time.perf_counter() - start
    scores["n_docs"] = len(examples)
    scores["n_words"] = sum(len(eg.reference) for eg in examples)
    return scores


def percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def _test_average(scores: Dict[str, Dict], key: str) -> str:
    values = [s[key] for k, s in scores.items() if k.endswith("-test") and s.get(key) is not None]
    return f"{100 * sum(values) / len(values):.2f} over {len(values)} treebanks" if values else "–"


def results_table(task: str, scores: Dict[str, Dict[str, Dict]], model: str, trained_on: Optional[set] = None) -> str:
    """Markdown table; ``trained_on``: languages/treebanks with training data (others are zero-shot)."""
    langs = sorted({lang for lang, _ in (k.split("-", 1) for k in scores)})
    if task == "ner":
        lines = [f"Model: `{model}`. F1 in %, per language.", ""]
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
        dev_f = [s["ents_f"] for k, s in scores.items() if k.endswith("-dev") and s.get("ents_f") is not None]
        labels = next((s["labels"] for s in scores.values() if s.get("labels")), None)
        if labels:
            lines[0] = f"Model: `{model}`. F1 in %, per corpus, on {'/'.join(labels)} only (exact character spans)."
        if dev_f:
            lines += ["", f"Average dev F1: {100 * sum(dev_f) / len(dev_f):.2f} over {len(dev_f)} corpora."]
    else:
        lines = [
            f"Model: `{model}`, on raw text. In %, per treebank. UPOS F1: words with the gold "
            "character span and UPOS (CoNLL 2018 shared task UPOS); word-seg F1: spans only; "
            "POS acc: spaCy's `pos_acc` on the model's own tokens.",
            "",
            "| treebank | training data | dev UPOS F1 | dev word-seg F1 | dev POS acc "
            "| test UPOS F1 | test word-seg F1 | test POS acc |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        columns = ("pos_span_f", "word_seg_f", "pos_acc")
        for lang in langs:
            seen = "–" if trained_on is None else ("yes" if lang in trained_on else "none (zero-shot)")
            cells = [percent(scores.get(f"{lang}-{split}", {}).get(c)) for split in ("dev", "test") for c in columns]
            lines.append(f"| {lang} | {seen} | {' | '.join(cells)} |")
        if any(k.endswith("-test") for k in scores):
            lines += [
                "",
                f"Average test UPOS F1: {_test_average(scores, 'pos_span_f')}; POS accuracy: "
                f"{_test_average(scores, 'pos_acc')} (paper: BTS {PAPER_POS_AVERAGE} POS accuracy "
                "over 13 UD 1.1 languages).",
            ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("corpus_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--task", choices=sorted(MAIN_SCORE), required=True)
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--limit", type=int, default=0, help="documents per file (0: all)")
    parser.add_argument("--labels", nargs="*", help="NER: score only these labels (e.g. PER ORG LOC)")
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
        scores[run] = evaluate_file(nlp, path, args.limit, args.task, args.labels)
        srsly.write_json(args.output_dir / f"{run}.json", scores[run])
        print(
            f"{run}: {name} {percent(scores[run].get(key))} ({scores[run]['n_words']} words, "
            f"{scores[run]['seconds']:.1f} s)",
            flush=True,
        )
    trained_on = {p.name[: -len("-train.spacy")] for p in args.corpus_dir.glob("*-train.spacy")}
    table = results_table(args.task, scores, str(args.model), trained_on)
    (args.output_dir / "results.md").write_text(table, encoding="utf8")
    print(table)


if __name__ == "__main__":
    main()
