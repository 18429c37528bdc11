"""Throughput of ``python -m spacy_bts.annotate`` by engine and number of workers.

Builds one JSONL input from the texts of ``.spacy`` corpora (cut at token
boundaries into documents of about ``--doc-words`` words, at least 50,000 words
in all), then annotates it four times with the same pipeline: local engine with
1 and 2 processes, Ray engine with 1 and 2 actors (one local Ray cluster with
``--cpus`` CPUs, started once before the Ray runs). Every worker uses one torch
thread. docs/s is end to end: documents / wall time of the whole job (reading,
starting workers and loading the pipeline in each, annotating, writing); the
seconds to the first finished document show the startup part. Checks
that the four outputs hold the same records, prints a table and, last, one JSON
line with the ratio Ray 2 actors / Ray 1 actor.

    python bench/annotate.py --model training/ner/model-best
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import spacy
from spacy.tokens import DocBin

from spacy_bts.annotate import annotate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEXTS = [ROOT / "corpus" / "ner" / f"{lang}-test.spacy" for lang in ("en", "es", "nl")]
RUNS = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]


def build_input(paths, words, doc_words, out: Path):
    """Cut the corpora's texts into documents; stop once ``words`` words are written."""
    vocab = spacy.blank("xx").vocab
    n_docs = n_words = n_chars = 0
    with out.open("w", encoding="utf-8") as handle:
        for path in paths:
            for doc in DocBin().from_disk(path).get_docs(vocab):
                tokens = [t for t in doc if not t.is_space]
                for start in range(0, len(tokens), doc_words):
                    piece = tokens[start : start + doc_words]
                    text = doc.text[piece[0].idx : piece[-1].idx + len(piece[-1].text)]
                    handle.write(json.dumps({"id": f"d{n_docs:06d}", "text": text}, ensure_ascii=False) + "\n")
                    n_docs += 1
                    n_words += len(piece)
                    n_chars += len(text)
                    if n_words >= words:
                        return n_docs, n_words, n_chars
    return n_docs, n_words, n_chars


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "training" / "ner" / "model-best"), help="pipeline to run")
    parser.add_argument(
        "--texts", nargs="+", type=Path, default=DEFAULT_TEXTS, help=".spacy corpora to take texts from"
    )
    parser.add_argument("--words", type=int, default=150_000, help="words of input (at least 50,000)")
    parser.add_argument("--doc-words", type=int, default=50, help="words per document")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    parser.add_argument("--json-out", type=Path, help="also write the result as JSON here")
    parser.add_argument("--md-out", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args()
    if not Path(args.model).exists():
        sys.exit(f"no pipeline at {args.model}: train one (spacy project run train-ner) or pass --model")
    import ray

    # Other jobs on the machine take cores from the workers: recorded beside the result.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n_docs, n_words, n_chars = build_input(args.texts, args.words, args.doc_words, tmp / "input.jsonl")
        if n_words < 50_000:
            sys.exit(f"only {n_words:,} words in {args.texts}; the benchmark needs at least 50,000")
        print(f"input: {n_docs:,} documents, {n_words:,} words, {n_chars:,} characters", flush=True)
        rows, outputs = [], {}
        for engine, workers in RUNS:
            if engine == "ray" and not ray.is_initialized():
                ray.init(num_cpus=args.cpus, include_dashboard=False)
            out = tmp / f"{engine}-{workers}.jsonl"
            start = time.perf_counter()
            result = annotate(
                args.model,
                [str(tmp / "input.jsonl")],
                str(out),
                engine=engine,
                workers=workers,
                batch_size=args.batch_size,
                threads=1,
                progress_every=10.0,
            )
            seconds = time.perf_counter() - start
            assert result.docs == n_docs and not result.errors, (result.docs, result.errors)
            outputs[(engine, workers)] = sorted(out.read_text(encoding="utf-8").split("\n"))
            rows.append(
                {
                    "engine": engine,
                    "workers": workers,
                    "seconds": round(seconds, 2),
                    "docs_per_s": round(n_docs / seconds, 1),
                    "words_per_s": round(n_words / seconds),
                    "first_doc_s": round(result.first_doc_seconds, 2),
                }
            )
            print(f"{engine} x{workers}: {n_docs / seconds:,.1f} docs/s ({seconds:.1f} s)", flush=True)
        ray.shutdown()
    same = all(lines == outputs[("local", 1)] for lines in outputs.values())
    by = {(r["engine"], r["workers"]): r for r in rows}
    result = {
        "model": args.model,
        "docs": n_docs,
        "words": n_words,
        "chars": n_chars,
        "batch_size": args.batch_size,
        "torch_threads_per_worker": 1,
        "ray_cluster_cpus": args.cpus,
        "cpu_count": os.cpu_count(),
        "machine": platform.platform(),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "runs": rows,
        "identical_records": same,
        "local2_over_local1": round(by[("local", 2)]["docs_per_s"] / by[("local", 1)]["docs_per_s"], 2),
        "ray2_over_ray1": round(by[("ray", 2)]["docs_per_s"] / by[("ray", 1)]["docs_per_s"], 2),
    }
    table = [
        "| engine | workers | seconds | docs/s | words/s | s to first document |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r['engine']} | {r['workers']} | {r['seconds']:.1f} | {r['docs_per_s']:,.1f} | "
            f"{r['words_per_s']:,} | {r['first_doc_s']:.1f} |"
            for r in rows
        ),
    ]
    print("\n".join(table))
    print(f"records identical across the four runs: {same}")
    if args.md_out:
        args.md_out.write_text(
            f"Input: {n_docs:,} documents, {n_words:,} words; model `{args.model}`; batch size "
            f"{args.batch_size}; one torch thread per worker; {os.cpu_count()} CPU cores; 1-minute "
            f"load average {result['load_average_1min'][0]:.2f} before, {result['load_average_1min'][1]:.2f} after.\n\n"
            + "\n".join(table)
            + f"\n\nRay 2 actors / Ray 1 actor: {result['ray2_over_ray1']:.2f}x; local 2 / local 1: "
            f"{result['local2_over_local1']:.2f}x. Records identical across the runs: {same}.\n",
            encoding="utf-8",
        )
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
