"""Words/s and dev F1 of one trained bts_ner in each precision, per instruction-set limit.

    python bench/precision.py --bts training/ner/model-best --out bench/results/precision.md

The CPU's own instruction sets, then oneDNN (which runs the LSTM) and ATen limited
to weaker ones (``ONEDNN_MAX_CPU_ISA``, ``ATEN_CPU_CAPABILITY``), each in its own
process: the words/s of ``nlp.pipe`` at batch 256 and 16 for float32, bfloat16 and
int8 and each number of segments per forward pass (``max_batch_segments``), beside
spaCy's CNN ``ner`` (``--baseline``) in the same run. ``--f1`` adds the F1 of each
precision on every dev set (``--dev``), with the CPU's own instruction sets. What
``quantize = "auto"`` chooses under each limit is printed with it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from timing import TEST_FILES, load_texts, pipe_seconds

ROOT = Path(__file__).resolve().parent.parent

LIMITS = {
    "native": {},
    "AVX-512 without BF16": {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_VNNI"},
    "AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
}
PRECISIONS = {"float32": False, "bfloat16": "bfloat16", "int8": "int8"}
DEV_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "corpus").glob("ner/*-dev.spacy")) + sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "corpus").glob("uner/*-dev.spacy")
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def words_per_s(nlp, texts, n_words, batch_size, repeats) -> float:
    return n_words / statistics.median(pipe_seconds(nlp, texts, batch_size, repeats))


def child(args) -> None:
    import spacy
    import torch
    from spacy.training import Corpus

    from spacy_bts.heads import precision

    torch.set_num_threads(args.threads)
    # The sweep sets the rows itself: lift the components' own choice.
    precision.CPU_PREDICTION_ROWS = dict.fromkeys(precision.CPU_PREDICTION_ROWS, 1 << 30)
    nlp = spacy.load(args.model)
    texts, n_words = load_texts(nlp, args.texts, args.words)
    pipe = next((p for _, p in nlp.pipeline if "quantize" in getattr(p, "cfg", {})), None)
    result = {"capability": precision.cpu_capability(), "words": n_words, "wps": {}, "f1": {}}
    if pipe is not None:
        pipe.cfg["quantize"] = "auto"
        result["auto"] = pipe._prediction_precision() or "float32"
        pipe.cfg["quantize"] = PRECISIONS[args.precision]
    for rows in args.rows if pipe is not None else [None]:
        if pipe is not None:
            pipe.cfg["max_batch_segments"] = rows
        for batch_size in args.batch_sizes:
            wps = words_per_s(nlp, texts, n_words, batch_size, args.repeats)
            result["wps"][f"{rows}/{batch_size}"] = wps
            log(f"  {args.precision} rows {rows} batch {batch_size}: {wps:,.0f} words/s")
    for path in args.dev:
        examples = list(Corpus(str(ROOT / path))(nlp))
        result["f1"][path] = nlp.evaluate(examples)["ents_f"] * 100
        log(f"  {args.precision} {path}: F1 {result['f1'][path]:.2f}")
    print(json.dumps(result))


def run_child(args, model, limit, precision_name, rows, dev) -> dict:
    env = dict(os.environ, **LIMITS[limit])
    cmd = [sys.executable, __file__, "--child", "--model", model, "--precision", precision_name]
    cmd += ["--threads", str(args.threads), "--words", str(args.words), "--repeats", str(args.repeats)]
    cmd += ["--rows", *map(str, rows), "--batch-sizes", *map(str, args.batch_sizes), "--texts", *args.texts]
    if dev:
        cmd += ["--dev", *dev]
    done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"measuring {model} ({limit}, {precision_name}) failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bts", default="training/ner/model-best")
    parser.add_argument("--baseline", default="training/ner_baseline/model-best")
    parser.add_argument("--limits", nargs="+", default=list(LIMITS), choices=list(LIMITS))
    parser.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=list(PRECISIONS))
    parser.add_argument("--rows", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 16])
    parser.add_argument("--texts", nargs="+", default=TEST_FILES)
    parser.add_argument("--words", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--f1", action="store_true", help="also F1 of each precision on every dev set")
    parser.add_argument("--dev", nargs="+", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="float32", choices=list(PRECISIONS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.dev = args.dev or []
        return child(args)
    speed_rows = [
        "| instruction-set limit | auto chooses | pipeline | precision | "
        + " | ".join(f"rows {r}, batch {b}" for r in args.rows for b in args.batch_sizes)
        + " | best / CNN |",
        "| --- " * (5 + len(args.rows) * len(args.batch_sizes)) + "|",
    ]
    f1_rows = []
    capability = None
    for limit in args.limits:
        log(f"{limit}: spaCy CNN")
        cnn = run_child(args, args.baseline, limit, "float32", [0], [])
        cnn_best = max(cnn["wps"].values())
        cnn_cells = " | ".join(f"{cnn['wps'][f'None/{b}']:,.0f}" for _ in args.rows for b in args.batch_sizes)
        speed_rows.append(f"| {limit} | | spaCy CNN ner | float32 | {cnn_cells} | 1.00 |")
        for name in args.precisions:
            log(f"{limit}: bts_ner {name}")
            dev = DEV_FILES if args.f1 and limit == "native" else []
            r = run_child(args, args.bts, limit, name, args.rows, dev)
            capability = capability or r["capability"]
            cells = " | ".join(f"{r['wps'][f'{rows}/{b}']:,.0f}" for rows in args.rows for b in args.batch_sizes)
            ratio = max(r["wps"].values()) / cnn_best
            speed_rows.append(f"| {limit} | {r['auto']} | bts_ner | {name} | {cells} | {ratio:.2f} |")
            if r["f1"]:
                f1_rows.append((name, r["f1"]))
    out = [
        f"CPU capability (torch): {json.dumps(capability)}; {args.threads} torch threads; words/s of `nlp.pipe` "
        f"over {args.words:,}+ words of CoNLL test text, median of {args.repeats} after a warm-up; rows: "
        "`max_batch_segments`.",
        "",
        *speed_rows,
    ]
    if f1_rows:
        names = [Path(p).stem.replace("-dev", "") for p in f1_rows[0][1]]
        out += ["", "| precision | " + " | ".join(names) + " | max abs. diff. to float32 |"]
        out.append("| --- " * (len(names) + 2) + "|")
        reference = dict(f1_rows)["float32"] if "float32" in dict(f1_rows) else None
        for name, f1 in f1_rows:
            diff = max(abs(f1[p] - reference[p]) for p in f1) if reference else float("nan")
            out.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in f1.values()) + f" | {diff:.2f} |")
    text = "\n".join(out)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
