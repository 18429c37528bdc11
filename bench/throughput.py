"""CPU training and decoding throughput of BTS model configurations.

For each configuration: train a fresh ``bts_ner`` on CoNLL-2003 English for a
fixed wall time (training segments/s), then decode the dev text (bytes/s).
Decoding speed depends on how many spans the model emits, so spans/segment is
reported beside it. Prints a table and, last, one JSON line.

    python bench/throughput.py --data \
        ../shared/data/mirror/raw.githubusercontent.com/synalp/NER/c0ea07c81ec3512b5047dcd804b0ac2b10a3bdfc/corpus/CoNLL-2003
"""

import argparse
import json
import platform
import time
from pathlib import Path

import numpy
import spacy
import torch
from spacy.training import Example
from spacy.training.converters import conll_ner_to_docs
from thinc.api import Adam, fix_random_seed

from spacy_bts.segmenting import inference_offsets

CONFIGS = {
    "paper 4x320 ByteToSpan.v1": {"@architectures": "spacy-bts.ByteToSpan.v1", "width": 320, "depth": 4},
    "small 2x256 PositionalByteToSpan.v1": {
        "@architectures": "spacy-bts.PositionalByteToSpan.v1",
        "width": 256,
        "depth": 2,
    },
}


def read_conll(path: Path, limit_docs: int):
    text = path.read_text(encoding="utf8")
    docs = list(conll_ner_to_docs(text, n_sents=10, no_print=True))
    return docs[:limit_docs]


def measure(name, arch, train_docs, dev_texts, seconds, batch_segments):
    fix_random_seed(0)
    nlp = spacy.blank("xx")
    ner = nlp.add_pipe(
        "bts_ner",
        config={
            "model": arch,
            "training_windows": {"@misc": "spacy-bts.random_windows.v1", "rate": 0.05},
            "max_batch_segments": 512,
        },
    )
    examples = [Example(nlp.make_doc(d.text), d) for d in train_docs]
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.002)
    n_segments, n_steps, start = 0, 0, time.perf_counter()
    rng = numpy.random.default_rng(0)
    # Batches of documents sized so that each update sees ~batch_segments windows.
    while time.perf_counter() - start < seconds:
        batch = [examples[i] for i in rng.choice(len(examples), size=8, replace=False)]
        segments = ner.training_batch(batch, rng)
        if len(segments) > batch_segments:
            segments = segments.select(slice(0, batch_segments))
        loss, backprop = ner.model.begin_update(segments)
        backprop(1.0)
        ner.finish_update(optimizer)
        n_segments += len(segments)
        n_steps += 1
    train_time = time.perf_counter() - start
    docs = [nlp.make_doc(t) for t in dev_texts]
    n_bytes = sum(len(t.encode("utf8")) for t in dev_texts)
    ner.predict(docs[:2])  # warm-up
    start = time.perf_counter()
    predictions = ner.predict(docs)
    decode_time = time.perf_counter() - start
    overlap = ner.cfg["overlap"]
    n_seg = sum(len(inference_offsets(len(t.encode("utf8")), ner.segment_length, overlap)) for t in dev_texts)
    return {
        "config": name,
        "train_segments_per_s": n_segments / train_time,
        "train_updates": n_steps,
        "final_loss": loss,
        "decode_bytes_per_s": n_bytes / decode_time,
        "decode_bytes": n_bytes,
        "spans_per_segment": sum(len(p) for p in predictions) / max(n_seg, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with eng.train and eng.testa")
    parser.add_argument("--seconds", type=float, default=90.0, help="training time per config")
    parser.add_argument("--decode-kb", type=int, default=50, help="KB of dev text to decode")
    parser.add_argument("--batch-segments", type=int, default=128, help="windows per update (paper: 128)")
    args = parser.parse_args()
    train_docs = read_conll(args.data / "eng.train", 2000)
    dev_texts, size = [], 0
    for doc in read_conll(args.data / "eng.testa", 10_000):
        if size >= args.decode_kb * 1000:
            break
        dev_texts.append(doc.text)
        size += len(doc.text.encode("utf8"))
    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, batch {args.batch_segments} windows, "
        f"{args.seconds:.0f} s training per config, {size} bytes decoded"
    )
    results = []
    for name, arch in CONFIGS.items():
        result = measure(name, arch, train_docs, dev_texts, args.seconds, args.batch_segments)
        results.append(result)
        print(
            f"| {name} | {result['train_segments_per_s']:.0f} segments/s | "
            f"{result['decode_bytes_per_s']:.0f} bytes/s | {result['spans_per_segment']:.2f} spans/segment |",
            flush=True,
        )
    print(json.dumps({"threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
