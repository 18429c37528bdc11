"""One joint pipeline (bts_encoder + listening bts_ner and bts_pos) against the two separate
pipelines run one after the other: words/s, peak memory and size on disk, on the same texts.

Each shape runs in a child process of its own (peak RSS is the child's own maximum) with
two torch threads; ratios are joint / separate from the same run. The pipelines are built
from configs/joint_cpu.cfg, ner_cpu.cfg and pos_cpu.cfg and initialized with the labels of
the corpora (trained pipelines can be given instead): speed, memory and size depend on
the architecture and the labels, not on the weights' values.

    python bench/joint_speed.py [--words 30000] [--joint DIR --ner DIR --pos DIR] [--out results.json]
"""

import argparse
import collections
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import cpu_description, load_texts

TEXTS = ["corpus/ner/en-test.spacy", "corpus/pos/en_ewt-test.spacy", "corpus/ner/es-test.spacy",
         "corpus/pos/zh_gsd-test.spacy"]  # fmt: skip
LABEL_SAMPLES = {"ner": "corpus/ner_xx/dev.spacy", "pos": "corpus/pos_xx/dev.spacy"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(config: str, out: Path, samples: list) -> None:
    """A pipeline from ``config``, initialized on the label samples' examples, saved at ``out``."""
    import spacy
    from spacy.training import Corpus
    from spacy.util import load_config

    nlp = spacy.util.load_model_from_config(load_config(config, interpolate=True), auto_fill=True, validate=True)
    examples = [eg for path in samples for eg in list(Corpus(path)(nlp))[:200]]
    nlp.initialize(lambda: examples)
    nlp.to_disk(out)


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def child(args) -> None:
    import spacy
    import torch

    torch.set_num_threads(2)
    import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pipelines = [spacy.load(path) for path in args.pipelines]
    texts, n_words = load_texts(pipelines[0], args.texts, args.words)
    loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for nlp in pipelines:  # warm-up
        collections.deque(nlp.pipe(texts[:16], batch_size=args.batch_size), maxlen=0)
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for nlp in pipelines:
            collections.deque(nlp.pipe(texts, batch_size=args.batch_size), maxlen=0)
        seconds.append(time.perf_counter() - start)
    best = min(seconds)
    print(
        json.dumps(
            {
                "words": n_words,
                "docs": len(texts),
                "seconds": seconds,
                "wps": n_words / best,
                "import_rss_mb": import_rss,
                "loaded_rss_mb": loaded_rss,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def measure(args, pipelines) -> dict:
    command = [sys.executable, __file__, "--child", *map(str, pipelines), "--words", str(args.words)]
    command += ["--batch-size", str(args.batch_size), "--repeats", str(args.repeats)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs="+", dest="pipelines", help=argparse.SUPPRESS)
    parser.add_argument("--joint", help="a saved joint pipeline (default: built from configs/joint_cpu.cfg)")
    parser.add_argument("--ner", help="a saved bts_ner pipeline (default: built from configs/ner_cpu.cfg)")
    parser.add_argument("--pos", help="a saved bts_pos pipeline (default: built from configs/pos_cpu.cfg)")
    parser.add_argument("--words", type=int, default=30_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--texts", nargs="+", default=TEXTS)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    if args.pipelines:
        return child(args)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, config, samples in (
            ("joint", "configs/joint_cpu.cfg", list(LABEL_SAMPLES.values())),
            ("ner", "configs/ner_cpu.cfg", [LABEL_SAMPLES["ner"]]),
            ("pos", "configs/pos_cpu.cfg", [LABEL_SAMPLES["pos"]]),
        ):
            paths[name] = getattr(args, name)
            if paths[name] is None:
                paths[name] = Path(tmp) / name
                log(f"building {name} from {config}")
                build(config, paths[name], samples)
        log("measuring the joint pipeline")
        joint = measure(args, [paths["joint"]])
        log("measuring bts_ner then bts_pos")
        separate = measure(args, [paths["ner"], paths["pos"]])
        joint["size_mb"] = size_mb(paths["joint"])
        separate["size_mb"] = size_mb(paths["ner"]) + size_mb(paths["pos"])
    results = {
        "cpu": cpu_description(),
        "texts": args.texts,
        "batch_size": args.batch_size,
        "joint": joint,
        "separate": separate,
        "ratios": {
            "words_per_second": joint["wps"] / separate["wps"],
            "peak_rss": joint["peak_rss_mb"] / separate["peak_rss_mb"],
            "size_on_disk": joint["size_mb"] / separate["size_mb"],
        },
    }
    print(f"CPU: {results['cpu']}; {joint['docs']} documents, {joint['words']:,} words, batch {args.batch_size}")
    print("| shape | words/s | peak RSS (MB) | peak RSS above imports (MB) | size on disk (MB) |")
    print("|---|---:|---:|---:|---:|")
    for name, r in (("joint (bts_encoder + bts_ner + bts_pos)", joint), ("separate (bts_ner, then bts_pos)", separate)):
        r["pipeline_rss_mb"] = r["peak_rss_mb"] - r["import_rss_mb"]
        print(
            f"| {name} | {r['wps']:,.0f} | {r['peak_rss_mb']:,.0f} | {r['pipeline_rss_mb']:,.0f} | {r['size_mb']:.1f} |"
        )
    ratios = results["ratios"]
    ratios["peak_rss_above_imports"] = joint["pipeline_rss_mb"] / separate["pipeline_rss_mb"]
    print(
        f"| joint / separate | {ratios['words_per_second']:.2f}x | {ratios['peak_rss']:.2f}x | "
        f"{ratios['peak_rss_above_imports']:.2f}x | {ratios['size_on_disk']:.2f}x |"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
