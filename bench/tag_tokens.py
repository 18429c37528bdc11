"""Time of writing ``token.pos`` from predicted words: ``bts_pos``'s array write against
the token-by-token rule (``_best_word`` for every token, as before), on the same Docs.

    python bench/tag_tokens.py training/joint/model-best corpus/pos/en_ewt-test.spacy

The words are the pipeline's own predictions (``doc.spans["bts_pos"]``); both ways must
give every token the same tag, which the script checks before timing.
"""

import argparse
import statistics
import time

import numpy
import spacy
from spacy.tokens import DocBin
from timing import cpu_description

from spacy_bts.pipeline.pos import _best_word, _tag_tokens


def words_of(doc, key):
    group = doc.spans[key]
    offsets = numpy.asarray(group.attrs["char_spans"], dtype=numpy.int64).reshape(-1, 2)
    probs = numpy.asarray(group.attrs["scores"], dtype=numpy.float32)
    return offsets[:, 0], offsets[:, 1], [span.label_ for span in group], probs


def token_by_token(doc, starts, ends, labels, probs):
    order = numpy.argsort(starts, kind="stable")
    starts, ends, probs = starts[order], ends[order], probs[order]
    labels = [labels[i] for i in order.tolist()]
    longest = int((ends - starts).max()) if len(starts) else 0
    for token in doc:
        if token.is_space or not len(starts):
            continue
        best = _best_word(token.idx, token.idx + len(token.text), starts, ends, probs, longest)
        if best is not None:
            token.pos_ = labels[best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("corpus")
    parser.add_argument("--key", default="bts_pos")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    nlp = spacy.load(args.model)
    texts = [doc.text for doc in DocBin().from_disk(args.corpus).get_docs(nlp.vocab)]
    predicted = list(nlp.pipe(texts, batch_size=64))
    words = [words_of(doc, args.key) for doc in predicted]
    n_tokens = sum(len(doc) for doc in predicted)
    ways = {"token by token": token_by_token, "array write": _tag_tokens}
    tags = {}
    for name, tag in ways.items():
        docs = [nlp.make_doc(text) for text in texts]
        for doc, w in zip(docs, words):
            tag(doc, *w)
        tags[name] = [[t.pos_ for t in doc] for doc in docs]
    assert tags["token by token"] == tags["array write"], "the two ways disagree"
    seconds = {}
    for name, tag in ways.items():
        runs = []
        for _ in range(args.repeats):
            docs = [nlp.make_doc(text) for text in texts]
            start = time.perf_counter()
            for doc, w in zip(docs, words):
                tag(doc, *w)
            runs.append(time.perf_counter() - start)
        seconds[name] = statistics.median(runs)
    print(f"CPU: {cpu_description()}")
    print(f"{len(texts)} documents, {n_tokens:,} tokens, {sum(len(w[0]) for w in words):,} predicted words")
    for name, s in seconds.items():
        print(f"{name}: {s * 1000:.1f} ms ({s / n_tokens * 1e6:.2f} us a token)")
    print(f"array write / token by token: {seconds['array write'] / seconds['token by token']:.3f}")


if __name__ == "__main__":
    main()
