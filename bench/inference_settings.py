"""Dev and test F1 and speed of one trained byte-tagger NER pipeline under several inference settings.

The weights are the same in every row: only ``inference_segment_length`` and
``quantize`` change, through the config given at ``spacy.load``.

    python bench/inference_settings.py --model training/ner/model-best \
        --lengths 256 1024 --quantize false bfloat16 --out bench/results/inference_settings.md
"""

import argparse
import itertools
import json
import time
from pathlib import Path

import spacy
from spacy.training import Corpus

LANGS = ("en", "es", "nl")
QUANTIZE = {"false": False, "int8": True, "bfloat16": "bfloat16", "auto": "auto"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="training/ner/model-best")
    parser.add_argument("--corpus", default="corpus/ner", help="directory with <lang>-<split>.spacy")
    parser.add_argument("--splits", nargs="+", default=["dev", "test"])
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--quantize", nargs="+", default=["false", "bfloat16"], choices=sorted(QUANTIZE))
    parser.add_argument("--overlap", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    columns = [(lang, split) for split in args.splits for lang in LANGS]
    rows = [
        "| inference segment (bytes) | quantize | "
        + " | ".join(f"{lang} {split} F1" for lang, split in columns)
        + " | bytes/s |",
        "| --- | --- |" + " --- |" * (len(columns) + 1),
    ]
    for length, quantize in itertools.product(args.lengths, args.quantize):
        model = {"@architectures": "spacy-bts.ByteTagger.v2", "inference_segment_length": length}
        settings = {"model": model, "overlap": args.overlap, "quantize": QUANTIZE[quantize]}
        nlp = spacy.load(args.model, config={"components": {"bts_ner": settings}})
        scores, n_bytes, seconds = [], 0, 0.0
        for lang, split in columns:
            examples = list(Corpus(f"{args.corpus}/{lang}-{split}.spacy")(nlp))
            nlp.evaluate(examples[:8])  # warm-up
            start = time.perf_counter()
            scores.append(nlp.evaluate(examples)["ents_f"] * 100)
            seconds += time.perf_counter() - start
            n_bytes += sum(len(eg.reference.text.encode("utf8")) for eg in examples)
        rows.append(
            f"| {length} | {json.dumps(QUANTIZE[quantize])} | "
            + " | ".join(f"{s:.2f}" for s in scores)
            + f" | {n_bytes / seconds:,.0f} |"
        )
        print(rows[-1], flush=True)
    table = (
        f"Pipeline `{args.model}`, overlap {args.overlap}, {args.threads} torch threads; bytes/s of "
        f"`nlp.evaluate` over all the sets.\n\n" + "\n".join(rows) + "\n"
    )
    print(table)
    if args.out:
        args.out.write_text(table)


if __name__ == "__main__":
    main()
