"""The byte tagger's arithmetic per byte, this CPU's measured peak, and the fraction of it inference reaches.

    python bench/limits.py --bts training/ner/model-best --out bench/results/limits.md

FLOPs are counted from the module's shapes (a multiply-add is 2 FLOPs): per LSTM
layer and direction ``2 * 4h * (input + h)`` per byte position, plus the output
layer; embedding lookups and the Viterbi decoding are left out (no multiplications
of note). Inference computes more positions than the text has bytes: segments
overlap and short texts are padded (``segmenting.plan_segments`` on the same texts
gives the factor). Peak: the best of square matrix products (``torch.matmul`` and
oneDNN's linear layer) in each precision, with the same threads. Reached: words/s of ``nlp.pipe``
at batch 256, converted to FLOP/s.
"""

import argparse
import statistics
import sys
from pathlib import Path

import torch
from timing import TEST_FILES, cpu_description, load_texts, median_seconds, pipe_seconds

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
SETTINGS = {"float32": False, "bfloat16": "bfloat16"}


def flops_per_position(module: torch.nn.Module) -> int:
    """Multiply-add FLOPs of one byte position through every LSTM and linear layer."""
    total = 0
    for layer in module.modules():
        if isinstance(layer, torch.nn.LSTM):
            directions = 2 if layer.bidirectional else 1
            for i in range(layer.num_layers):
                n_in = layer.input_size if i == 0 else layer.hidden_size * directions
                total += directions * 2 * 4 * layer.hidden_size * (n_in + layer.hidden_size)
        elif isinstance(layer, torch.nn.Linear):
            total += 2 * layer.in_features * layer.out_features
    return total


def peak_flops(dtype: torch.dtype, sizes=(1024, 2048), repeats: int = 5) -> float:
    """The best FLOP/s of square products: ``torch.matmul`` and a oneDNN linear layer
    (which runs the LSTM's kernels; ``torch.matmul`` may not reach the CPU's peak)."""
    from torch.utils import mkldnn

    best = 0.0
    for n in sizes:
        a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
        best = max(best, 2 * n**3 / median_seconds(lambda: torch.matmul(a, b), repeats))
        layer = mkldnn.to_mkldnn(torch.nn.Linear(n, n, bias=False).eval(), dtype)
        x = torch.randn(n, n).to_mkldnn(dtype)
        best = max(best, 2 * n**3 / median_seconds(lambda: layer(x), repeats))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bts", default="training/ner/model-best")
    parser.add_argument("--texts", nargs="+", default=TEST_FILES)
    parser.add_argument("--words", type=int, default=30_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    import spacy

    from spacy_bts.heads.wiring import torch_module
    from spacy_bts.segmenting import plan_segments

    torch.set_num_threads(args.threads)
    nlp = spacy.load(args.bts)
    pipe = nlp.get_pipe("bts_ner")
    texts, n_words = load_texts(nlp, args.texts, args.words)
    n_bytes = sum(len(t.encode("utf8")) for t in texts)
    k = pipe.model.attrs["inference_segment_length"]
    positions = len(plan_segments([len(t.encode("utf8")) for t in texts], k, pipe.cfg["overlap"], True)) * k
    per_position = flops_per_position(torch_module(pipe.model))
    per_byte = per_position * positions / n_bytes
    rows = [
        f"CPU: {cpu_description()}; {args.threads} torch threads. Model: {pipe.head.describe(pipe.model)}.",
        "",
        f"- FLOPs per byte position: {per_position:,} (LSTM and output layers)",
        f"- positions computed per text byte: {positions / n_bytes:.3f} ({k}-byte segments, overlap "
        f"{pipe.cfg['overlap']}; {len(texts)} texts, {n_bytes:,} bytes)",
        f"- FLOPs per text byte: {per_byte / 1e6:.2f} M; per word: {per_byte * n_bytes / n_words / 1e6:.2f} M",
        "",
        "| precision | peak GFLOP/s (matrix products) | nlp.pipe words/s (batch 256) | bytes/s | GFLOP/s reached"
        " | of peak |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, dtype in DTYPES.items():
        peak = peak_flops(dtype)
        pipe.cfg["quantize"] = SETTINGS[name]
        seconds = statistics.median(pipe_seconds(nlp, texts, 256, 3))  # warm-up builds the copy
        reached = per_byte * n_bytes / seconds
        rows.append(
            f"| {name} | {peak / 1e9:,.0f} | {n_words / seconds:,.0f} | {n_bytes / seconds:,.0f} | "
            f"{reached / 1e9:,.1f} | {reached / peak:.0%} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    text = "\n".join(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
