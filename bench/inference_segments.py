"""Dev F1 and speed of one trained byte-tagger NER pipeline for several inference segment lengths.

The weights are the same in every row: only ``inference_segment_length`` (and
``overlap``) change, through the config given at ``spacy.load``.

    python bench/inference_segments.py --model training/ner/model-best \
        --lengths 256 512 1024 --out bench/results/inference_segments.md
"""
import argparse
import time
from pathlib import Path

import spacy
from spacy.training import Corpus

LANGS = ("en", "es", "nl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="training/ner/model-best")
    parser.add_argument("--corpus", default="corpus/ner", help="directory with <lang>-dev.spacy")
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--overlap", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    rows = ["| inference segment (bytes) | " + " | ".join(f"{lang} dev F1" for lang in LANGS) + " | bytes/s |",
            "| --- |" + " --- |" * (len(LANGS) + 1)]
    for length in args.lengths:
        model = {"@architectures": "spacy-bts.ByteTagger.v2", "inference_segment_length": length}
        nlp = spacy.load(args.model, config={"components": {"bts_ner": {"model": model, "overlap": args.overlap}}})
        scores, n_bytes, seconds = [], 0, 0.0
        for lang in LANGS:
            examples = list(Corpus(f"{args.corpus}/{lang}-dev.spacy")(nlp))
            start = time.perf_counter()
            scores.append(nlp.evaluate(examples)["ents_f"] * 100)
            seconds += time.perf_counter() - start
            n_bytes += sum(len(eg.reference.text.encode("utf8")) for eg in examples)
        rows.append(f"| {length} | " + " | ".join(f"{s:.2f}" for s in scores) + f" | {n_bytes / seconds:,.0f} |")
        print(rows[-1], flush=True)
    table = f"Pipeline {args.model}, overlap {args.overlap}, {args.threads} torch threads.\n\n" + "\n".join(rows) + "\n"
    print(table)
    if args.out:
        args.out.write_text(table)


if __name__ == "__main__":
    main()
