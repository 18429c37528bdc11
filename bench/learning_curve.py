"""Dev score against training minutes for several configs, in one run, and a plot.

Each run trains one config with spaCy's own corpus readers, batcher and
optimizer (as ``spacy train`` does) for ``--minutes`` of training time, pausing
every ``--eval-every`` minutes to score the dev set (time spent scoring is not
counted). Runs go one after another, so they get the same machine.

    python bench/learning_curve.py \
        --run tagger=configs/ner_cpu.cfg --run cnn=configs/ner_baseline.cfg \
        --train corpus/ner/en-train.spacy --dev corpus/ner/en-dev.spacy \
        --minutes 20 --eval-every 2 --out bench/results/curves_ner.json --png bench/results/curves_ner.png

``--save DIR`` keeps each run's last model (``DIR/NAME``) for a per-corpus evaluation.
``--keep`` adds the runs of an earlier output (run on the same machine) to the
table and plot, so a run can join a comparison later.
"""

import argparse
import json
import random
import time
from pathlib import Path

from spacy.schemas import ConfigSchemaTraining
from spacy.training.initialize import init_nlp
from spacy.util import load_config, registry, resolve_dot_names
from thinc.api import fix_random_seed
from timing import run_overrides


def score_key(nlp) -> str:
    weights = {k: v for k, v in nlp.config["training"]["score_weights"].items() if v}
    return max(weights, key=weights.get)


def curve(name, config_path, args, overrides):
    config = load_config(config_path, overrides=overrides, interpolate=True)
    fix_random_seed(config["training"]["seed"])
    nlp = init_nlp(config)
    T = registry.resolve(nlp.config["training"], schema=ConfigSchemaTraining)
    train_corpus, dev_corpus = resolve_dot_names(nlp.config, [T["train_corpus"], T["dev_corpus"]])
    optimizer, batcher, key = T["optimizer"], T["batcher"], score_key(nlp)
    dev = list(dev_corpus(nlp))
    if args.dev_limit:
        dev = dev[: args.dev_limit]
    points, trained, steps, words = [], 0.0, 0, 0
    next_eval = args.eval_every * 60
    budget = args.minutes * 60

    def evaluate():
        if optimizer.averages:
            with nlp.use_params(optimizer.averages):
                scores = nlp.evaluate(dev)
        else:
            scores = nlp.evaluate(dev)
        value = scores.get(key) or 0.0
        points.append({"minutes": round(trained / 60, 3), "steps": steps, "words": words, key: value})
        print(f"[{name}] {trained / 60:6.2f} min {steps:6d} steps {words:9d} words  {key} {value:.4f}", flush=True)

    # As spacy train does: with max_epochs -1 the corpus is read anew every epoch
    # (a sampling reader draws a new mix), otherwise read once and reshuffled.
    stream = T["max_epochs"] == -1
    examples = None if stream else list(train_corpus(nlp))
    while trained < budget:
        if stream:
            epoch = train_corpus(nlp)
        else:
            random.shuffle(examples)
            epoch = examples
        for batch in batcher(epoch):
            start = time.perf_counter()
            nlp.update(batch, drop=T["dropout"], sgd=optimizer, losses={})
            # As spacy train does: learning-rate schedules advance once per update.
            optimizer.step_schedules()
            trained += time.perf_counter() - start
            steps += 1
            words += sum(len(eg.reference) for eg in batch)
            if trained >= next_eval or trained >= budget:
                evaluate()
                next_eval += args.eval_every * 60
            if trained >= budget:
                break
    if args.save:
        Path(args.save).mkdir(parents=True, exist_ok=True)
        nlp.to_disk(Path(args.save) / name)
    return {"name": name, "config": str(config_path), "score": key, "points": points}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for run in results:
        xs = [0.0] + [p["minutes"] for p in run["points"]]
        ys = [0.0] + [100 * p[run["score"]] for p in run["points"]]
        ax.plot(xs, ys, marker="o", label=f"{run['name']} ({run['score']})")
    ax.set_xlabel("training minutes (2 CPU cores)")
    ax.set_ylabel("dev score (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="NAME=CONFIG (repeatable)")
    parser.add_argument("--train", required=True)
    parser.add_argument("--dev", required=True)
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--eval-every", type=float, default=2)
    parser.add_argument("--dev-limit", type=int, default=0, help="dev documents scored (0: all)")
    parser.add_argument("--set", action="append", default=[], help="NAME:dot.path=JSON value for one run")
    parser.add_argument("--out", required=True)
    parser.add_argument("--save", help="directory: each run's last model is saved under it, by run name")
    parser.add_argument("--png")
    parser.add_argument(
        "--keep", help="an earlier output of this script (same machine): its runs are kept in --out and the plot"
    )
    args = parser.parse_args()
    results = json.loads(Path(args.keep).read_text())["runs"] if args.keep else []
    for spec in args.run:
        name, config_path = spec.split("=", 1)
        overrides = run_overrides(name, args.set, args.train, args.dev)
        results.append(curve(name, config_path, args, overrides))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"minutes": args.minutes, "runs": results}, indent=1))
        if args.png:
            plot(results, args.png)
    print(json.dumps({r["name"]: r["points"][-1] if r["points"] else None for r in results}))


if __name__ == "__main__":
    main()
