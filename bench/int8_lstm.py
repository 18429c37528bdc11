"""Encoder time of the BTS LSTM in fp32 and int8 (``quantize = true``) on this CPU.

    python bench/int8_lstm.py [--widths 256 128] [--segments 128] [--threads 2]

Times one encoder pass (``--segments`` segments of 60 bytes through the 2-layer
LSTM, untrained weights: speed does not depend on them) and one decoder step,
median of ``--repeats`` after a warm-up. Explains when int8 pays off here.
"""

import argparse
import json
import warnings

import torch
from timing import median_seconds

from spacy_bts.heads.precision import int8_copy as quantized_int8
from spacy_bts.heads.seq2seq.module import ByteToSpanLSTM


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--segments", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", module="torch")
    torch.manual_seed(0)
    rows = {}
    print("| width | fp32 encoder ms | int8 encoder ms | int8/fp32 | fp32 step µs | int8 step µs |")
    print("| --- | --- | --- | --- | --- | --- |")
    for width in args.widths:
        fp32 = ByteToSpanLSTM(4, width, 2, 60, 0.0, 0.0, positional=True).eval()
        models = {"fp32": fp32, "int8": quantized_int8(fp32)}
        inputs = torch.randint(0, 256, (args.segments, 60))
        row = {}
        with torch.inference_mode():
            for name, model in models.items():
                x = model._embed_bytes(inputs)
                _, state = model.lstm(x)
                step = model.embed(torch.full((args.segments,), 5))[:, None]
                row[f"{name}_encoder_ms"] = 1000 * median_seconds(lambda: model.lstm(x), args.repeats)
                row[f"{name}_step_us"] = 1e6 * median_seconds(lambda: model.lstm(step, state), args.repeats)
        rows[width] = row
        print(
            f"| {width} | {row['fp32_encoder_ms']:.1f} | {row['int8_encoder_ms']:.1f} | "
            f"{row['int8_encoder_ms'] / row['fp32_encoder_ms']:.2f} | {row['fp32_step_us']:.0f} | "
            f"{row['int8_step_us']:.0f} |"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
