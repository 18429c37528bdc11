"""Resident memory of the training process, with and without heap trimming.

    python bench/training_memory.py --config configs/ner_cpu.cfg \
        --train corpus/ner_xx/train.spacy --dev corpus/ner_xx/dev.spacy --updates 1500

Trains the config exactly as ``spacy train`` does (same initialization, batcher,
optimizer and seed) for ``--updates`` updates, once with the components' periodic
``malloc_trim`` (``spacy_bts.runtime``) and once with it switched off, each in a fresh
process, one after the other. Prints resident memory every 100 updates (VmRSS, just
after a trim when trimming) and its peak (VmHWM), seconds per update, the summed
training loss (equal sums: the trimming changes no numbers) and the ratios of the
two memory growths and peaks. After training, each process evaluates the dev corpus
once as ``spacy train`` does (``nlp.evaluate``, the config's batch size) and reports
that evaluation's own peak (VmHWM reset through ``/proc/self/clear_refs``). The last
line is JSON.
"""

import argparse
import json
import subprocess
import sys
import time


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or at its peak so far (VmHWM), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> bool:
    """Restart VmHWM at the current resident memory (Linux 4.0+); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def evaluation_memory(nlp, examples) -> dict:
    """One ``nlp.evaluate`` over ``examples``: resident memory before, after, and its peak."""
    before = rss_mb()
    reset = reset_peak()
    t0 = time.perf_counter()
    scores = nlp.evaluate(examples)
    seconds = time.perf_counter() - t0
    return {
        "eval_docs": len(examples),
        "eval_seconds": seconds,
        "eval_rss_before_mb": round(before),
        "eval_rss_after_mb": round(rss_mb()),
        "eval_peak_mb": round(rss_mb("VmHWM")) if reset else None,
        "eval_scores": {k: round(v, 4) for k, v in scores.items() if k.endswith("_f") and isinstance(v, float)},
    }


def train(config_path: str, train_path: str, dev_path: str, updates: int, trim_interval: int) -> dict:
    import spacy
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import create_train_batches
    from spacy.util import load_config, registry, resolve_dot_names

    from spacy_bts import runtime as heap

    heap.TRIM_INTERVAL = trim_interval
    overrides = {"paths.train": train_path, "paths.dev": dev_path}
    nlp = init_nlp(load_config(config_path, overrides=overrides, interpolate=False))
    config = nlp.config.interpolate()
    T = registry.resolve(config["training"], schema=spacy.schemas.ConfigSchemaTraining)
    train_corpus, dev_corpus = resolve_dot_names(config, [T["train_corpus"], T["dev_corpus"]])
    optimizer = T["optimizer"]
    batches = create_train_batches(nlp, train_corpus, T["batcher"], T["max_epochs"])
    start_rss = rss_mb()
    trace = [(0, round(start_rss), round(rss_mb("VmHWM")))]
    loss = 0.0
    t0 = time.perf_counter()
    for step, (_, batch) in enumerate(batches, start=1):
        losses: dict = {}
        nlp.update(batch, drop=T["dropout"], sgd=optimizer, losses=losses)
        loss += sum(losses.values())
        if step % 100 == 0:
            trace.append((step, round(rss_mb()), round(rss_mb("VmHWM"))))
            print(
                f"trim every {trim_interval or 'never'}: {step} updates, {trace[-1][1]} MB, peak {trace[-1][2]} MB, "
                f"{time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        if step >= updates:
            break
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    trimmed = heap.release_free_heap()
    trim_ms = (time.perf_counter() - t1) * 1000 if trimmed else None
    peak = trace[-1][2]
    evaluation = evaluation_memory(nlp, list(dev_corpus(nlp)))
    return {
        "trim_interval": trim_interval,
        "updates": updates,
        "seconds_per_update": seconds / updates,
        "rss_start_mb": round(start_rss),
        "rss_end_mb": trace[-1][1],
        "peak_mb": peak,
        "trace": trace,
        "loss_sum": loss,
        "one_trim_ms": trim_ms,
        **evaluation,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/ner_cpu.cfg")
    parser.add_argument("--train", default="corpus/ner_xx/train.spacy")
    parser.add_argument("--dev", default="corpus/ner_xx/dev.spacy")
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--trim-interval", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trim_interval is not None:
        print(json.dumps(train(args.config, args.train, args.dev, args.updates, args.trim_interval)))
        return
    from spacy_bts.runtime import TRIM_INTERVAL

    runs = []
    for interval in (TRIM_INTERVAL, 0):
        command = [
            sys.executable,
            __file__,
            "--config",
            args.config,
            "--train",
            args.train,
            "--dev",
            args.dev,
            "--updates",
            str(args.updates),
            "--trim-interval",
            str(interval),
        ]
        out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    trimmed, untrimmed = runs
    print("| heap trimming | updates | RSS start MB | RSS end MB | growth MB | peak MB | s/update | loss sum |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in runs:
        label = f"every {run['trim_interval']} updates" if run["trim_interval"] else "off"
        print(
            f"| {label} | {run['updates']} | {run['rss_start_mb']} | {run['rss_end_mb']} | "
            f"{run['rss_end_mb'] - run['rss_start_mb']} | {run['peak_mb']} | "
            f"{run['seconds_per_update']:.4f} | {run['loss_sum']:.4f} |"
        )
    peak = trimmed["peak_mb"] / untrimmed["peak_mb"]
    growth = (trimmed["rss_end_mb"] - trimmed["rss_start_mb"]) / max(
        1, untrimmed["rss_end_mb"] - untrimmed["rss_start_mb"]
    )
    speed = trimmed["seconds_per_update"] / untrimmed["seconds_per_update"]
    print(
        f"memory growth with trimming / without: {growth:.3f}; peak: {peak:.3f}; time per update: {speed:.3f}x; "
        f"same losses: {trimmed['loss_sum'] == untrimmed['loss_sum']}; one trim: {trimmed['one_trim_ms']:.1f} ms"
    )
    for run in runs:
        label = f"trimming every {run['trim_interval']} updates" if run["trim_interval"] else "trimming off"
        print(
            f"{label}: one dev evaluation ({run['eval_docs']} docs, {run['eval_seconds']:.1f} s): resident "
            f"{run['eval_rss_before_mb']} MB before, {run['eval_rss_after_mb']} MB after, peak "
            f"{run['eval_peak_mb'] if run['eval_peak_mb'] is not None else 'not measurable'} MB; {run['eval_scores']}"
        )
    print(json.dumps({"runs": runs, "growth_ratio": growth, "peak_ratio": peak, "time_ratio": speed}))


if __name__ == "__main__":
    main()
