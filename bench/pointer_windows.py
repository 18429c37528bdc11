"""How the span pointer's prediction windows are stitched, and how it does on short texts.

    python bench/pointer_windows.py stitching training/ner_seq2seq/model-best \
        --sets corpus/ner/en-dev.spacy corpus/ner/es-dev.spacy corpus/ner/nl-dev.spacy
    python bench/pointer_windows.py lengths training/ner_seq2seq_v2/model-best training/ner_seq2seq/model-best \
        --sets corpus/ner/en_sents-test.spacy corpus/ner/nl_sents-test.spacy

``stitching``: NER F1 (every label) of one model with each span kept from the
window owning its last byte (windows owned by the last-byte rule, as before)
or its middle byte (central rule, the default), at several ``window_overlap``
values; float32 prediction, so only the rule changes.

``lengths``: precision and recall by text length in bytes (shorter than one
64-byte window, shorter than two, longer), per model and set: one document a
sentence shows what single short inputs get.

``taglayer``: NER F1 of the pointer's per-byte BILUO layer (its tagging loss),
decoded by Viterbi as the byte tagger decodes: what the encoder itself knows,
without the decoder.

    python bench/pointer_windows.py taglayer training/ner_seq2seq/model-best \
        --sets corpus/ner/nl-test.spacy corpus/ner/nl_sents-test.spacy
"""

import argparse
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import spacy
from spacy.scorer import Scorer
from spacy.tokens import DocBin
from spacy.training import Example

import spacy_bts.heads.seq2seq.pointer as pointer

# The loaded model's window length: plans of this length are prediction windows.
pointer_window = [64]


@contextmanager
def last_byte_rule():
    """Prediction windows owned by the last-byte rule, spans kept by their last byte."""
    plan, stitch = pointer.plan_segments, pointer.stitch

    def plan_last(lengths, k, overlap, central):
        return plan(lengths, k, overlap, central and k != pointer_window[0])

    def stitch_last(*args, anchor="last"):
        return stitch(*args, anchor="last")

    pointer.plan_segments, pointer.stitch = plan_last, stitch_last
    try:
        yield
    finally:
        pointer.plan_segments, pointer.stitch = plan, stitch


def predict(nlp, path):
    gold = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    start = time.perf_counter()
    predicted = list(nlp.pipe([nlp.make_doc(doc.text) for doc in gold], batch_size=64))
    return gold, predicted, time.perf_counter() - start


def stitching(args) -> None:
    print("| rule | window_overlap | " + " | ".join(Path(s).stem for s in args.sets) + " | seconds |")
    print("| --- | --- |" + " --- |" * (len(args.sets) + 1))
    for rule in ("last", "middle"):
        for overlap in args.overlaps:
            override = {"components": {"bts_ner": {"quantize": False, "model": {"window_overlap": overlap}}}}
            nlp = spacy.load(args.models[0], config=override)
            pointer_window[0] = nlp.get_pipe("bts_ner").model.attrs["window"]
            scores, seconds = [], 0.0
            with last_byte_rule() if rule == "last" else nullcontext():
                for path in args.sets:
                    gold, predicted, spent = predict(nlp, path)
                    seconds += spent
                    examples = [Example(p, g) for p, g in zip(predicted, gold)]
                    scores.append(100 * Scorer.score_spans(examples, "ents")["ents_f"])
            print(f"| {rule} byte | {overlap} | " + " | ".join(f"{s:.2f}" for s in scores) + f" | {seconds:.1f} |")


def lengths(args) -> None:
    bounds = (64, 128)
    print("| model | set | bytes | gold entities | P | R |")
    print("| --- | --- | --- | --- | --- | --- |")
    for model in args.models:
        nlp = spacy.load(model)
        for path in args.sets:
            gold, predicted, _ = predict(nlp, path)
            counts = {}
            for g, p in zip(gold, predicted):
                n = len(g.text.encode("utf8"))
                bucket = next((f"< {b}" for b in bounds if n < b), f">= {bounds[-1]}")
                right = {(e.start_char, e.end_char, e.label_) for e in g.ents}
                found = {(e.start_char, e.end_char, e.label_) for e in p.ents}
                c = counts.setdefault(bucket, [0, 0, 0])
                c[0] += len(right & found)
                c[1] += len(found)
                c[2] += len(right)
            for bucket in [f"< {b}" for b in bounds] + [f">= {bounds[-1]}"]:
                tp, n_found, n_gold = counts.get(bucket, [0, 0, 0])
                p = 100 * tp / max(n_found, 1)
                r = 100 * tp / max(n_gold, 1)
                print(f"| {model} | {Path(path).stem} | {bucket} | {n_gold} | {p:.1f} | {r:.1f} |", flush=True)


def taglayer(args) -> None:
    import torch

    from spacy_bts.heads.tagging.biluo import tags_to_spans, viterbi
    from spacy_bts.heads.wiring import torch_module

    def predict_group(head, model, arrays):
        layer = torch_module(model).tagger
        with torch.inference_mode():
            emissions = [
                torch.log_softmax(layer(torch.from_numpy(s[:-1]).to(layer.weight.dtype)).float(), -1).numpy()
                for s in head.byte_states(model, arrays)
            ]
        paths = viterbi(emissions, head.n_labels)
        return [tags_to_spans(path, lp, head.n_labels) for path, lp in zip(paths, emissions)]

    original = pointer.SpanPointerHead._predict_group
    pointer.SpanPointerHead._predict_group = predict_group
    try:
        for model in args.models:
            nlp = spacy.load(model)
            for path in args.sets:
                gold, predicted, _ = predict(nlp, path)
                f = Scorer.score_spans([Example(p, g) for p, g in zip(predicted, gold)], "ents")["ents_f"]
                print(f"| {model} | {Path(path).stem} | tag layer F1 {100 * f:.2f} |", flush=True)
    finally:
        pointer.SpanPointerHead._predict_group = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["stitching", "lengths", "taglayer"])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--sets", nargs="+", required=True)
    parser.add_argument("--overlaps", nargs="+", type=int, default=[32, 48])
    args = parser.parse_args()
    {"stitching": stitching, "lengths": lengths, "taglayer": taglayer}[args.what](args)


if __name__ == "__main__":
    main()
