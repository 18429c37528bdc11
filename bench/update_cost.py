"""Seconds per training update of several configs on the same batches, in one process.

Each config is initialised as ``spacy train`` does; the first ``--batches``
batches of the shuffled training set (the same for every config) are each
given to ``nlp.update`` after ``--warmup`` updates, and the median time is
printed with its ratio to the first run. ``--profile`` adds the top functions
of a cProfile of the timed updates. The table also gives, per update, the rows
and bytes per row the encoder (or the seq2seq LSTM) reads, the span windows and
the decoder's output steps.

    python bench/update_cost.py --run tagger=configs/ner_cpu.cfg \
        --run seq2seq=configs/ner_seq2seq_encoder_cpu.cfg \
        --train corpus/ner/en-train.spacy --dev corpus/ner/en-dev.spacy
"""

import argparse
import cProfile
import io
import pstats
import random
import statistics
import time

import numpy
from spacy.schemas import ConfigSchemaTraining
from spacy.training.initialize import init_nlp
from spacy.util import load_config, registry, resolve_dot_names
from thinc.api import fix_random_seed
from timing import cpu_description, run_overrides


def update_seconds(config_path, args, overrides):
    config = load_config(config_path, overrides=overrides, interpolate=True)
    fix_random_seed(config["training"]["seed"])
    nlp = init_nlp(config)
    T = registry.resolve(nlp.config["training"], schema=ConfigSchemaTraining)
    (train_corpus,) = resolve_dot_names(nlp.config, [T["train_corpus"]])
    examples = list(train_corpus(nlp))
    random.Random(0).shuffle(examples)
    batches = []
    for batch in T["batcher"](examples):
        batches.append(batch)
        if len(batches) == args.warmup + args.batches:
            break
    optimizer = T["optimizer"]
    shapes = batch_shapes(nlp, batches[args.warmup :])
    for batch in batches[: args.warmup]:
        nlp.update(batch, drop=T["dropout"], sgd=optimizer, losses={})
    seconds, words = [], 0
    profiler = cProfile.Profile() if args.profile else None
    for batch in batches[args.warmup :]:
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        nlp.update(batch, drop=T["dropout"], sgd=optimizer, losses={})
        if profiler:
            profiler.disable()
        seconds.append(time.perf_counter() - start)
        words += sum(len(eg.reference) for eg in batch)
    report = None
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        report = out.getvalue()
    return statistics.median(seconds), words / sum(seconds), report, shapes


def batch_shapes(nlp, batches):
    """Mean sizes of what each BTS component's model reads per update: rows x bytes through
    the encoder (or the seq2seq LSTM), windows, and decoder output steps."""
    found = {}
    for name, pipe in nlp.pipeline:
        if not hasattr(pipe, "training_batch"):
            continue
        rows, width, windows, steps = [], [], [], []
        for batch in batches:
            head_batch = pipe.training_batch(batch, numpy.random.default_rng(0))
            rows.append(head_batch.inputs.shape[0])
            width.append(head_batch.inputs.shape[1])
            window_rows = getattr(head_batch, "rows", head_batch.inputs)
            windows.append(window_rows.shape[0] if getattr(head_batch, "targets", None) is not None else 0)
            targets = getattr(head_batch, "targets", None)
            steps.append(
                targets.shape[1] if targets is not None and targets.ndim == 2 and hasattr(head_batch, "n_valid") else 0
            )
        found[name] = {
            "rows": statistics.mean(rows),
            "bytes per row": statistics.mean(width),
            "windows": statistics.mean(windows) if any(steps) else 0,
            "output steps": statistics.mean(steps),
        }
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="NAME=CONFIG")
    parser.add_argument("--set", action="append", default=[], help="NAME:dotted.key=JSON value")
    parser.add_argument("--train", required=True)
    parser.add_argument("--dev", required=True)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--profile", type=int, default=0, help="print this many functions of a cProfile")
    args = parser.parse_args()
    print(f"CPU: {cpu_description()}")
    rows, first = [], None
    for run in args.run:
        name, path = run.split("=", 1)
        overrides = run_overrides(name, args.set, args.train, args.dev)
        median, words_per_s, report, shapes = update_seconds(path, args, overrides)
        first = first or median
        rows.append((name, median, words_per_s, median / first, shapes))
        print(f"[{name}] {median * 1000:.0f} ms/update, {words_per_s:,.0f} words/s, {median / first:.2f}x", flush=True)
        if report:
            print(report)
    print(
        "\n| run | ms per update (median) | training words/s | ratio to first | rows x bytes read | windows "
        "| output steps |\n| --- | --- | --- | --- | --- | --- | --- |"
    )
    for name, median, words_per_s, ratio, shapes in rows:
        for shape in shapes.values():
            print(
                f"| {name} | {median * 1000:.0f} | {words_per_s:,.0f} | {ratio:.2f}x | {shape['rows']:.0f} x "
                f"{shape['bytes per row']:.0f} | {shape['windows']:.0f} | {shape['output steps']:.1f} |"
            )


if __name__ == "__main__":
    main()
