"""Peak memory of one long document through ``bts_ner`` + ``bts_pos``.

    python bench/long_docs.py [--mb 1 10] [--model training/ner/model-best training/pos/model-best]

Each measurement runs in a fresh process and reports the peak RSS (``ru_maxrss``)
before and after processing the document, once for the tokenizer alone
(``nlp.make_doc``: spaCy's own cost of a Doc that long) and once for the whole
pipeline. The components' share is the difference between the two. Without
``--model`` an untrained small pipeline is used (decoding then stops after
``--max-spans`` spans per segment, to keep the output bounded like a trained
model's). The last line is JSON.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

SENTENCES = [
    "Angela Merkel met Emmanuel Macron in Paris on Tuesday. ",
    "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας. ",
    "Владимир Путин прилетел в Москву. ",
    "東京都は日本の首都です。",
    "El Real Madrid ganó en Barcelona 🎉 ayer. ",
    "\u05d9\u05e8\u05d5\u05e9\u05dc\u05d9\u05dd \u05d4\u05d9\u05d0 \u05e2\u05d9\u05e8. ",
]


def long_text(n_bytes: int) -> str:
    """Mixed-script text of about ``n_bytes`` UTF-8 bytes, paragraphs every ~2 KB."""
    unit = "".join(SENTENCES) + "\n"
    unit_bytes = len(unit.encode("utf8"))
    return unit * max(1, n_bytes // unit_bytes)


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_pipeline(model, max_spans: int, max_batch_segments: int, alignment_mode: str):
    import spacy

    if model:
        nlp = spacy.load(model[0])
        for path in model[1:]:
            source = spacy.load(path)
            for name in source.pipe_names:
                nlp.add_pipe(name, source=source)
        for name, pipe in nlp.pipeline:
            pipe.cfg["max_batch_segments"] = max_batch_segments
            if name == "bts_ner":
                pipe.cfg["alignment_mode"] = alignment_mode
        return nlp
    from thinc.api import fix_random_seed

    fix_random_seed(0)  # the untrained models' outputs (and so the span count) are then fixed
    nlp = spacy.blank("xx")
    small = {
        "@architectures": "spacy-bts.PositionalByteToSpan.v1",
        "width": 64,
        "depth": 1,
        "segment_length": 60,
        "dropout": 0.0,
        "byte_dropout": 0.0,
        "mixed_precision": False,
    }
    settings = {"model": small, "max_spans_per_segment": max_spans, "max_batch_segments": max_batch_segments}
    for name, labels in (("bts_ner", ["LOC", "ORG", "PER"]), ("bts_pos", ["NOUN", "PROPN", "PUNCT", "VERB"])):
        extra = {"alignment_mode": alignment_mode} if name == "bts_ner" else {}
        pipe = nlp.add_pipe(name, config={**settings, **extra})
        for label in labels:
            pipe.add_label(label)
    nlp.initialize()
    return nlp


def child(args) -> None:
    nlp = build_pipeline(args.model, args.max_spans, args.max_batch_segments, args.alignment_mode)
    mb = args.mb[0]
    text = long_text(int(mb * 1_000_000))
    nlp.max_length = len(text) + 1
    before = peak_rss_mb()
    start = time.perf_counter()
    doc = nlp.make_doc(text) if args.mode == "tokenizer" else nlp(text)
    seconds = time.perf_counter() - start
    assert doc.text == text
    print(
        json.dumps(
            {
                "mode": args.mode,
                "mb": mb,
                "bytes": len(text.encode("utf8")),
                "tokens": len(doc),
                "ents": len(doc.ents),
                "before_mb": round(before, 1),
                "peak_mb": round(peak_rss_mb(), 1),
                "seconds": round(seconds, 2),
            }
        )
    )


def measure(args, mb: float, mode: str) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--mode",
        mode,
        "--mb",
        str(mb),
        "--max-spans",
        str(args.max_spans),
        "--max-batch-segments",
        str(args.max_batch_segments),
        "--alignment-mode",
        args.alignment_mode,
    ]
    if args.model:
        cmd += ["--model", *args.model]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    out = done.stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument(
        "--model", nargs="+", default=None, help="trained pipelines, combined into one (default: untrained small)"
    )
    parser.add_argument("--max-spans", type=int, default=4)
    parser.add_argument("--max-batch-segments", type=int, default=1024)
    parser.add_argument(
        "--alignment-mode",
        default="split",
        help="bts_ner alignment_mode; 'split' costs O(splits x tokens) on spaCy's retokenizer",
    )
    parser.add_argument("--mode", choices=["tokenizer", "pipeline"], default="pipeline")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return {}
    rows = []
    print(
        "| document | tokens | tokenizer only: peak RSS growth | pipeline: peak RSS growth | "
        "components' share | per byte | seconds |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for mb in args.mb:
        tok = measure(args, mb, "tokenizer")
        full = measure(args, mb, "pipeline")
        tok_growth = tok["peak_mb"] - tok["before_mb"]
        full_growth = full["peak_mb"] - full["before_mb"]
        share = full_growth - tok_growth
        row = {
            "mb": mb,
            "bytes": full["bytes"],
            "tokens": full["tokens"],
            "tokenizer_growth_mb": round(tok_growth, 1),
            "pipeline_growth_mb": round(full_growth, 1),
            "components_mb": round(share, 1),
            "components_bytes_per_byte": round(share * 2**20 / full["bytes"], 1),
            "seconds": full["seconds"],
        }
        rows.append(row)
        print(
            f"| {mb:g} MB | {row['tokens']:,} | {tok_growth:.0f} MB | {full_growth:.0f} MB | "
            f"{share:.0f} MB | {row['components_bytes_per_byte']} B | {full['seconds']:.1f} |",
            flush=True,
        )
    result = {
        "model": " + ".join(args.model or ["untrained small"]),
        "max_batch_segments": args.max_batch_segments,
        "alignment_mode": args.alignment_mode,
        "rows": rows,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
