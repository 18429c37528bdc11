"""``python -m spacy_bts.corpus IN.jsonl OUT.spacy --task ner``: JSONL spans -> spaCy's ``.spacy`` corpus.

The reference Docs are those of ``spacy-bts.JsonlSpans.v1`` (tokens cut at
every span boundary), saved in a DocBin for ``spacy train``'s default reader.
"""

import argparse
import sys
from pathlib import Path
from typing import List, Optional

import spacy
from spacy.tokens import DocBin

from .examples import TASKS
from .reader import JsonlSpansCorpus


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m spacy_bts.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path, help="a JSONL file, or a directory of *.jsonl files")
    parser.add_argument("output", type=Path, help="the .spacy file to write")
    parser.add_argument("--task", choices=TASKS, default="ner", help="ner: entities; pos: words with UPOS tags")
    parser.add_argument("--lang", default="xx", help="language of the tokenizer the tokens start from (default xx)")
    parser.add_argument("--spans-key", default=None, help="doc.spans key for overlapping entities (default bts_ner)")
    parser.add_argument("--limit", type=int, default=0, help="convert the first N records (0: all)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    nlp = spacy.blank(args.lang)
    corpus = JsonlSpansCorpus(args.input, task=args.task, limit=args.limit, spans_key=args.spans_key)
    try:
        docs = [example.reference for example in corpus(nlp)]
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs).to_disk(args.output)
    print(f"{len(docs)} documents from {args.input} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
