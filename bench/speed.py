"""Speed of a BTS pipeline against spaCy's CNN baseline, measured in one run.

    python bench/speed.py --quick          # < 5 min; trains small pipelines first if needed
    python bench/speed.py                  # full: more batch sizes and repeats, float32 and int8 rows

Pipelines: ``--bts`` / ``--baseline`` (default: the workflow's ``training/ner/model-best``
and ``training/ner_baseline/model-best``); full mode also measures ``--small``
(``training/ner_small/model-best``, from the ``small`` workflow) when it exists. With
``--quick``, the test sets are converted from ``--mirror`` if absent and missing pipelines
are trained briefly: their speed, not their accuracy, is what is measured then.

BTS components run with ``quantize`` set to the factories' default (``"auto"``:
bfloat16 for the byte tagger where the CPU computes it natively) whatever the stored
pipeline says; full mode adds rows with ``quantize = false`` (float32) and ``true``
(int8), and both pipelines again with oneDNN and ATen limited to AVX2 (``AVX2_LIMIT``).
Each pipeline's median latency of ``nlp(text)`` on one 50-word document is reported too.
The CPU's model name and flags are printed with the table.

Inference: ``nlp.pipe`` over the same test texts (>= ``--words`` words of CoNLL en/es/nl
test), per batch size; one warm-up pass, then ``--repeats`` timed passes, median reported.
Training: ``nlp.update`` on batches of ~500 words of the training corpus (words/s, and
segments/s for BTS). Each pipeline runs in its own process so that its peak RSS
(``ru_maxrss``) is its own. The last line printed is JSON with ``bts_wps``,
``baseline_wps`` and ``ratio`` (each pipeline at its best batch size).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Optional

from timing import TEST_FILES, cpu_description, latency_ms, load_texts, pipe_seconds

ROOT = Path(__file__).resolve().parent.parent
CONLL = "synalp/NER/c0ea07c81ec3512b5047dcd804b0ac2b10a3bdfc/corpus/CoNLL-2003"
CONLL2002_ZIP = "nltk/nltk_data/5db857e6f7df11eabb5e5665836db9ec8df07e28/packages/corpora/conll2002.zip"
TRAIN_FILE = "corpus/ner_xx/train.spacy"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Child: measure one pipeline ------------------------------------------------


def train_batches(nlp, path, n_batches, words_per_batch=500):
    from spacy.training import Corpus

    batches, batch, size = [], [], 0
    for eg in Corpus(path)(nlp):
        batch.append(eg)
        size += len(eg.reference)
        if size >= words_per_batch:
            batches.append(batch)
            batch, size = [], 0
            if len(batches) == n_batches:
                break
    return batches


def child(args) -> None:
    import spacy
    import torch

    torch.set_num_threads(args.threads)
    if args.gpu_id >= 0:
        spacy.require_gpu(args.gpu_id)
    nlp = spacy.load(args.model)
    # Stored pipelines keep the settings they were trained with; measure the given ones.
    quantize = {"default": "auto", "float32": False, "int8": True, "bfloat16": "bfloat16"}[args.quantize]
    for _, pipe in nlp.pipeline:
        if "max_batch_segments" in getattr(pipe, "cfg", {}) and args.max_batch_segments:
            pipe.cfg["max_batch_segments"] = args.max_batch_segments
        if "quantize" in getattr(pipe, "cfg", {}):
            pipe.cfg["quantize"] = quantize
    texts, n_words = load_texts(nlp, args.texts, args.words)
    n_bytes = sum(len(t.encode("utf8")) for t in texts)
    result = {
        "model": args.model,
        "quantize": args.quantize,
        "words": n_words,
        "bytes": n_bytes,
        "docs": len(texts),
        "inference": {},
    }
    for batch_size in args.batch_sizes:
        seconds = pipe_seconds(nlp, texts, batch_size, args.repeats)
        median = statistics.median(seconds)
        result["inference"][str(batch_size)] = {
            "seconds": seconds,
            "wps": n_words / median,
            "bytes_per_s": n_bytes / median,
        }
        log(f"  {Path(args.model).parent.name} {args.quantize} batch {batch_size}: {n_words / median:,.0f} words/s")
    result["latency_ms"] = latency_ms(nlp, texts, args.latency_words, args.latency_calls)
    log(
        f"  {Path(args.model).parent.name} {args.quantize} nlp(text), {args.latency_words} words: "
        f"median {result['latency_ms']:.2f} ms"
    )
    result["inference_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.train_updates and Path(args.train).exists() and args.quantize == "default":
        batches = train_batches(nlp, args.train, args.train_updates + 2)
        optimizer = nlp.resume_training()
        for batch in batches[:2]:
            nlp.update(batch, sgd=optimizer)
        timed = batches[2:]
        segments = 0
        for name, pipe in nlp.pipeline:
            if hasattr(pipe, "training_batch"):
                segments += sum(len(pipe.training_batch(b)) for b in timed)
        start = time.perf_counter()
        for batch in timed:
            nlp.update(batch, sgd=optimizer)
        seconds = time.perf_counter() - start
        words = sum(len(eg.reference) for b in timed for eg in b)
        result["training"] = {
            "updates": len(timed),
            "seconds": seconds,
            "wps": words / seconds,
            "segments_per_s": segments / seconds if segments else None,
        }
        result["training_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# Parent ---------------------------------------------------------------------


def ensure_corpus(args) -> None:
    """Convert the test sets (en, es, nl) and the English training set from the
    mirror's raw files, as the workflow's convert-ner step does, where missing."""
    sources = {
        "corpus/ner/en-test.spacy": Path(args.mirror) / CONLL / "eng.testb",
        "corpus/ner/es-test.spacy": "esp.testb",
        "corpus/ner/nl-test.spacy": "ned.testb",
        "corpus/ner/en-train.spacy": Path(args.mirror) / CONLL / "eng.train",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for dest, src in sources.items():
            if (ROOT / dest).exists():
                continue
            if isinstance(src, str):  # a member of the CoNLL-2002 archive
                with zipfile.ZipFile(Path(args.mirror) / CONLL2002_ZIP) as archive:
                    src = Path(archive.extract(f"conll2002/{src}", tmp))
            log(f"converting {src} -> {dest}")
            subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "corpora.py"), "ner", str(src), dest], check=True, cwd=ROOT
            )


def ensure_pipeline(args, path: str, config: str, steps: int) -> str:
    if (ROOT / path).exists():
        return path
    if not args.quick:
        raise SystemExit(f"{path} not found: run the workflow first (README), or use --quick")
    train = TRAIN_FILE if (ROOT / TRAIN_FILE).exists() else "corpus/ner/en-train.spacy"
    output = Path("training") / ("quick_" + Path(config).stem)
    log(f"{path} not found: training {config} for {steps} steps into {output} (speed only)")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "train",
            config,
            "--paths.train",
            train,
            "--paths.dev",
            "corpus/ner/en-test.spacy",
            "--output",
            str(output),
            "--training.max_steps",
            str(steps),
            "--training.eval_frequency",
            str(steps),
            "--corpora.dev.limit",
            "20",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return str(output / "model-best")


# Instruction-set limit of the "AVX2" rows: oneDNN (the LSTM) and ATen's kernels.
AVX2_LIMIT = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}


def measure(args, model: str, quantize: str = "default", env: Optional[dict] = None) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--model",
        model,
        "--threads",
        str(args.threads),
        "--max-batch-segments",
        str(args.max_batch_segments),
        "--words",
        str(args.words),
        "--repeats",
        str(args.repeats),
        "--gpu-id",
        str(args.gpu_id),
        "--train-updates",
        str(args.train_updates),
        "--train",
        args.train,
        "--batch-sizes",
        *map(str, args.batch_sizes),
        "--texts",
        *args.texts,
        "--quantize",
        quantize,
        "--latency-words",
        str(args.latency_words),
        "--latency-calls",
        str(args.latency_calls),
    ]
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))
    if done.returncode:
        raise SystemExit(f"measuring {model} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(result: dict) -> tuple:
    size, row = max(result["inference"].items(), key=lambda kv: kv[1]["wps"])
    return int(size), row["wps"], row["bytes_per_s"]


def table(results: dict) -> str:
    sizes = sorted({int(s) for r in results.values() for s in r["inference"]})
    lines = [
        "| pipeline | "
        + " | ".join(f"words/s @ batch {s}" for s in sizes)
        + " | bytes/s (best) | nlp(text) ms | peak RSS inference | training words/s | training segments/s"
        + " | peak RSS training |",
        "| --- " * (len(sizes) + 7) + "|",
    ]
    for name, r in results.items():
        cells = [f"{r['inference'][str(s)]['wps']:,.0f}" if str(s) in r["inference"] else "–" for s in sizes]
        train = r.get("training") or {}
        seg = train.get("segments_per_s")
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {best(r)[2]:,.0f} | {r['latency_ms']:.2f} | {r['inference_peak_rss_mb']:.0f} MB | "
            + (f"{train['wps']:,.0f}" if train else "–")
            + " | "
            + (f"{seg:,.0f}" if seg else "–")
            + " | "
            + (f"{r['training_peak_rss_mb']:.0f} MB" if train else "–")
            + " |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one batch size, 3 repeats, no int8 run")
    parser.add_argument("--bts", default="training/ner/model-best")
    parser.add_argument("--baseline", default="training/ner_baseline/model-best")
    parser.add_argument(
        "--small",
        default="training/ner_small/model-best",
        help="small-config BTS pipeline (full mode, measured if present)",
    )
    parser.add_argument("--texts", nargs="+", default=TEST_FILES)
    parser.add_argument("--train", default=TRAIN_FILE)
    parser.add_argument("--words", type=int, default=50_000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--train-updates", type=int, default=None)
    parser.add_argument(
        "--max-batch-segments", type=int, default=0, help="BTS segments per forward pass (0: the pipeline's own)"
    )
    parser.add_argument("--latency-words", type=int, default=50, help="words of the nlp(text) latency document")
    parser.add_argument("--latency-calls", type=int, default=200, help="timed nlp(text) calls")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--no-int8", action="store_true", help="skip the int8 (quantize) run")
    parser.add_argument("--mirror", default=str(ROOT.parent / "shared/data/mirror/raw.githubusercontent.com"))
    parser.add_argument("--json-out", type=Path, default=None, help="also write the results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument(
        "--quantize", default="default", choices=["default", "float32", "int8", "bfloat16"], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.batch_sizes is None:
        args.batch_sizes = [64] if args.quick else [16, 64, 256]
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    if args.train_updates is None:
        args.train_updates = 10 if args.quick else 40
    if args.child:
        return child(args)
    started = time.perf_counter()
    if args.quick:
        ensure_corpus(args)
    bts = ensure_pipeline(args, args.bts, "configs/ner_cpu.cfg", 20)
    baseline = ensure_pipeline(args, args.baseline, "configs/ner_baseline.cfg", 100)
    if not (ROOT / args.train).exists():
        args.train = "corpus/ner/en-train.spacy"
    results = {}
    log(f"measuring {baseline}")
    results["spaCy CNN ner (baseline)"] = measure(args, baseline)
    log(f"measuring {bts}")
    results["bts_ner"] = measure(args, bts)
    int8 = not args.quick and not args.no_int8 and args.gpu_id < 0
    if not args.quick and args.gpu_id < 0:
        log(f"measuring {bts} with quantize = false")
        results["bts_ner, quantize = false (float32)"] = measure(args, bts, quantize="float32")
    if int8:
        log(f"measuring {bts} with quantize = true")
        results["bts_ner, quantize = true (int8)"] = measure(args, bts, quantize="int8")
    if not args.quick and (ROOT / args.small).exists():
        log(f"measuring {args.small}")
        results["bts_ner small (2 x 128)"] = measure(args, args.small)
        if int8:
            log(f"measuring {args.small} with quantize = true")
            results["bts_ner small (2 x 128), quantize = true (int8)"] = measure(args, args.small, quantize="int8")
    elif not args.quick:
        log(f"{args.small} not found (run the 'small' workflow): no small-config rows")
    if not args.quick and args.gpu_id < 0:
        log(f"measuring {baseline} and {bts} with oneDNN and ATen limited to AVX2")
        results["spaCy CNN ner (baseline), AVX2 limit"] = measure(args, baseline, env=AVX2_LIMIT)
        results["bts_ner, AVX2 limit"] = measure(args, bts, env=AVX2_LIMIT)
    base_size, base_wps, _ = best(results["spaCy CNN ner (baseline)"])
    bts_size, bts_wps, _ = best(results["bts_ner"])
    r = results["bts_ner"]
    print(f"CPU: {cpu_description()}")
    print(
        f"Texts: {r['docs']} documents, {r['words']:,} words, {r['bytes']:,} bytes; "
        f"{'GPU ' + str(args.gpu_id) if args.gpu_id >= 0 else f'CPU, {args.threads} torch threads'}; "
        f"median of {args.repeats} after a warm-up."
    )
    print(table(results))
    summary = {
        "bts_wps": round(bts_wps),
        "baseline_wps": round(base_wps),
        "ratio": round(bts_wps / base_wps, 3),
        "bts_batch_size": bts_size,
        "baseline_batch_size": base_size,
        "seconds": round(time.perf_counter() - started, 1),
    }
    smallest = str(min(int(b) for b in r["inference"]))
    summary[f"ratio_batch_{smallest}"] = round(
        r["inference"][smallest]["wps"] / results["spaCy CNN ner (baseline)"]["inference"][smallest]["wps"], 3
    )
    summary["latency_ms"] = round(r["latency_ms"], 2)
    summary["baseline_latency_ms"] = round(results["spaCy CNN ner (baseline)"]["latency_ms"], 2)
    if "bts_ner, AVX2 limit" in results:
        avx2, avx2_base = results["bts_ner, AVX2 limit"], results["spaCy CNN ner (baseline), AVX2 limit"]
        largest = str(max(int(b) for b in avx2["inference"]))
        summary[f"avx2_ratio_batch_{largest}"] = round(
            avx2["inference"][largest]["wps"] / avx2_base["inference"][largest]["wps"], 3
        )
    for key, name in (
        ("float32", "bts_ner, quantize = false (float32)"),
        ("int8", "bts_ner, quantize = true (int8)"),
        ("small", "bts_ner small (2 x 128)"),
        ("small_int8", "bts_ner small (2 x 128), quantize = true (int8)"),
    ):
        if name in results:
            wps = best(results[name])[1]
            summary[f"bts_{key}_wps"] = round(wps)
            summary[f"{key}_ratio"] = round(wps / base_wps, 3)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps({"summary": summary, "results": results}, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
