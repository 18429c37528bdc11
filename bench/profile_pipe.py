"""Where ``nlp.pipe`` spends its time: cProfile of one pass over a corpus's texts.

python bench/profile_pipe.py training/ner/model-best corpus/ner/en-test.spacy
python bench/profile_pipe.py training/ner/model-best corpus/ner/en-test.spacy --one-doc-words 50

``--one-doc-words N``: instead, ``--calls`` calls of ``nlp(text)`` on one document of
the first N words of the texts (the document of ``bench/speed.py``'s latency).
"""

import argparse
import cProfile
import pstats
import time

import spacy
from spacy.tokens import DocBin
from timing import one_document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("corpus")
    parser.add_argument("--docs", type=int, default=120)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--one-doc-words", type=int, default=0)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    nlp = spacy.load(args.model)
    texts = [doc.text for doc in DocBin().from_disk(args.corpus).get_docs(nlp.vocab)][: args.docs]
    list(nlp.pipe(texts[:10]))  # warm-up
    if args.one_doc_words:
        return profile_one_document(nlp, texts, args)
    start = time.perf_counter()
    list(nlp.pipe(texts, batch_size=args.batch_size))
    print(f"{sum(len(t.split()) for t in texts)} words in {time.perf_counter() - start:.2f} s")
    profile = cProfile.Profile()
    profile.enable()
    list(nlp.pipe(texts, batch_size=args.batch_size))
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


def profile_one_document(nlp, texts, args) -> None:
    text = one_document(texts, args.one_doc_words)
    start = time.perf_counter()
    for _ in range(args.calls):
        nlp(text)
    seconds = (time.perf_counter() - start) / args.calls
    print(f"{args.one_doc_words} words, {len(text.encode('utf8'))} bytes: {seconds * 1000:.2f} ms a call")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.calls):
        nlp(text)
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
