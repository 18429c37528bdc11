"""Where ``nlp.pipe`` spends its time: cProfile of one pass over a corpus's texts.

python bench/profile_pipe.py training/ner/model-best corpus/ner/en-test.spacy
"""

import argparse
import cProfile
import pstats
import time

import spacy
from spacy.tokens import DocBin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("corpus")
    parser.add_argument("--docs", type=int, default=120)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    nlp = spacy.load(args.model)
    texts = [doc.text for doc in DocBin().from_disk(args.corpus).get_docs(nlp.vocab)][: args.docs]
    list(nlp.pipe(texts[:10]))  # warm-up
    start = time.perf_counter()
    list(nlp.pipe(texts, batch_size=args.batch_size))
    print(f"{sum(len(t.split()) for t in texts)} words in {time.perf_counter() - start:.2f} s")
    profile = cProfile.Profile()
    profile.enable()
    list(nlp.pipe(texts, batch_size=args.batch_size))
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
