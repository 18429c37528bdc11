"""Convert CoNLL NER and Universal Dependencies files into ``.spacy`` corpora.

Used by the workflow in ``project.yml``::

    python scripts/corpora.py ner SRC DEST.spacy [--sents-per-doc 10] [--optional]
    python scripts/corpora.py pos SRC.conllu DEST.spacy [--sents-per-doc 10] [--no-spaces]
    python scripts/corpora.py merge DEST.spacy SRC.spacy [SRC.spacy ...] [--skip-missing]

``--optional`` / ``--skip-missing`` let a step work without a licence-restricted
file the user may not have placed (CoNLL-2003 German).

NER: BTS reads whole documents, so CoNLL ``-DOCSTART-`` lines (whatever their
columns, e.g. Dutch ``-DOCSTART- -DOCSTART- O``) delimit documents; files
without them (Spanish) are grouped into documents of ``--sents-per-doc``
sentences. IOB1 and IOB2 tags both work. POS: CoNLL-U multiword tokens are kept
as their surface form (e.g. Portuguese "no", not "em o") so that ``doc.text``
is the original text. ``--no-spaces`` is for treebanks of scripts written
without spaces whose files do not mark it (first UD Chinese-GSD: no ``# text``,
no ``SpaceAfter=No``): ``doc.text`` is then the words joined without any space,
within and between sentences.
"""

import argparse
import re
import sys
from pathlib import Path
from typing import List

from spacy.tokens import Doc, DocBin
from spacy.training.converters import conll_ner_to_docs, conllu_to_docs

DOC_DELIMITER = "-DOCSTART- -X- O O"


def read_text(path: Path) -> str:
    """A corpus file as text: UTF-8, else Latin-1 (the original CoNLL-2002 encoding)."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf8")
    except UnicodeDecodeError as err:
        print(f"{path}: not UTF-8 ({err}); reading it as Latin-1", file=sys.stderr)
        return data.decode("latin-1")


def ner_docs(text: str, sents_per_doc: int = 10) -> List[Doc]:
    """Documents from CoNLL-2002/2003 NER columns (first: word, last: tag)."""
    text = text.replace("\r\n", "\n")
    text = re.sub(r"^-DOCSTART-[^\n]*$", DOC_DELIMITER, text, flags=re.M)
    docs = list(conll_ner_to_docs(text, n_sents=sents_per_doc, no_print=True))
    return [doc for doc in docs if len(doc)]


def pos_docs(text: str, sents_per_doc: int = 10, no_spaces: bool = False) -> List[Doc]:
    """Documents of ``sents_per_doc`` sentences from CoNLL-U (UPOS in column 4).

    ``no_spaces``: no space after any word, nor between sentences.
    """
    if not no_spaces:
        return list(conllu_to_docs(text, n_sents=sents_per_doc, merge_subtokens=True, no_print=True))
    # Grouped here: spaCy's converter puts a space between sentences, which unspaced text has not.
    sents = list(conllu_to_docs(no_space_after(text), n_sents=1, merge_subtokens=True, no_print=True))
    return [
        Doc.from_docs(sents[i : i + sents_per_doc], ensure_whitespace=False)
        for i in range(0, len(sents), sents_per_doc)
    ]


def no_space_after(conllu: str) -> str:
    """CoNLL-U with ``SpaceAfter=No`` in the MISC column of every word and multiword token."""
    lines = conllu.split("\n")
    for i, line in enumerate(lines):
        cols = line.split("\t")
        if len(cols) == 10 and not line.startswith("#") and "SpaceAfter=No" not in cols[9]:
            cols[9] = "SpaceAfter=No" if cols[9] == "_" else f"{cols[9]}|SpaceAfter=No"
            lines[i] = "\t".join(cols)
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("ner", "pos"):
        p = sub.add_parser(name)
        p.add_argument("src", type=Path)
        p.add_argument("dest", type=Path)
        p.add_argument("--sents-per-doc", type=int, default=10)
        p.add_argument("--optional", action="store_true", help="skip a missing SRC")
        if name == "pos":
            p.add_argument("--no-spaces", action="store_true", help="words joined without spaces (e.g. Chinese)")
    p = sub.add_parser("merge")
    p.add_argument("dest", type=Path)
    p.add_argument("srcs", type=Path, nargs="+")
    p.add_argument("--skip-missing", action="store_true", help="skip missing SRCs")
    args = parser.parse_args(argv)
    if getattr(args, "optional", False) and not args.src.exists():
        print(f"{args.src}: not present, skipped (optional)")
        return
    if args.command == "merge":
        merged = DocBin()
        for src in args.srcs:
            if args.skip_missing and not src.exists():
                print(f"{src}: not present, skipped")
                continue
            merged.merge(DocBin().from_disk(src))
        docs = len(merged)
    else:
        text = read_text(args.src)
        if args.command == "ner":
            found = ner_docs(text, args.sents_per_doc)
        else:
            found = pos_docs(text, args.sents_per_doc, args.no_spaces)
        if not found:
            sys.exit(f"{args.src}: no documents found")
        merged = DocBin(docs=found)
        docs = len(found)
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    merged.to_disk(args.dest)
    print(f"{args.dest}: {docs} documents")


if __name__ == "__main__":
    main()
