"""Parameter count and size on disk per config (and per trained pipeline, if present).

    python bench/size.py [--pipelines training/ner/model-best ...]

Each config is built with the CoNLL NER labels (4) or the 17 UPOS tags,
initialized and saved to a temporary directory; sizes are of the whole saved
pipeline directory. The last line is JSON.
"""

import argparse
import json
import tempfile
from pathlib import Path

import spacy
from spacy.util import load_config, load_model_from_config

CONFIGS = [
    "configs/ner_cpu.cfg",
    "configs/ner_small.cfg",
    "configs/pos_cpu.cfg",
    "configs/ner_paper.cfg",
    "configs/pos_paper.cfg",
    "configs/ner_baseline.cfg",
    "configs/pos_baseline.cfg",
]
NER_LABELS = ["LOC", "MISC", "ORG", "PER"]
UPOS = [
    "ADJ",
    "ADP",
    "ADV",
    "AUX",
    "CCONJ",
    "DET",
    "INTJ",
    "NOUN",
    "NUM",
    "PART",
    "PRON",
    "PROPN",
    "PUNCT",
    "SCONJ",
    "SYM",
    "VERB",
    "X",
]
PIPELINES = [
    "training/ner/model-best",
    "training/ner_small/model-best",
    "training/pos/model-best",
    "training/ner_baseline/model-best",
    "training/pos_baseline/model-best",
]


def n_params(nlp) -> int:
    total = 0
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if model is None:
            continue
        for node in model.walk():
            for name in node.param_names:
                if node.has_param(name):
                    total += node.get_param(name).size
            for shim in node.shims:
                module = getattr(shim, "_model", None)
                if module is not None and hasattr(module, "parameters"):
                    total += sum(p.numel() for p in module.parameters())
    return total


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def from_config(path: str):
    nlp = load_model_from_config(load_config(path), auto_fill=True)
    for name, pipe in nlp.pipeline:
        if name in ("tok2vec",):
            continue
        labels = UPOS if ("pos" in name or name == "morphologizer") else NER_LABELS
        for label in labels:
            pipe.add_label(f"POS={label}" if name == "morphologizer" else label)
    nlp.initialize()
    return nlp


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=CONFIGS)
    parser.add_argument("--pipelines", nargs="+", default=PIPELINES)
    args = parser.parse_args(argv)
    rows = {}
    for config in args.configs:
        nlp = from_config(config)
        with tempfile.TemporaryDirectory() as tmp:
            nlp.to_disk(tmp)
            rows[config] = {"params": n_params(nlp), "bytes": dir_size(Path(tmp))}
    for path in args.pipelines:
        if Path(path).exists():
            rows[path] = {"params": n_params(spacy.load(path)), "bytes": dir_size(Path(path))}
    print("| config / pipeline | parameters | size on disk |")
    print("| --- | --- | --- |")
    for name, row in rows.items():
        print(f"| `{name}` | {row['params']:,} | {row['bytes'] / 1e6:.1f} MB |")
    print(json.dumps(rows))
    return rows


if __name__ == "__main__":
    main()
