"""Convert CoNLL NER and Universal Dependencies files into ``.spacy`` corpora.

Used by the workflow in ``project.yml``::

    python scripts/corpora.py ner SRC DEST.spacy [--sents-per-doc 10] [--form spaced|natural|mixed]
                                  [--lang en] [--optional]
    python scripts/corpora.py uner SRC.iob2 DEST.spacy [--sents-per-doc 10] [--no-spaces]
                                  [--unannotated-labels MISC]
    python scripts/corpora.py pos SRC.conllu DEST.spacy [--sents-per-doc 10] [--no-spaces]
    python scripts/corpora.py merge DEST.spacy SRC.spacy [SRC.spacy ...] [--skip-missing]

``--optional`` / ``--skip-missing`` let a step work without a licence-restricted
file the user may not have placed (CoNLL-2003 German).

NER: BTS reads whole documents, so CoNLL ``-DOCSTART-`` lines (whatever their
columns, e.g. Dutch ``-DOCSTART- -DOCSTART- O``) delimit documents; files
without them (Spanish) are grouped into documents of ``--sents-per-doc``
sentences. IOB1 and IOB2 tags both work.

CoNLL has no raw text, only tokens. ``--form spaced`` joins them with single
spaces, as spaCy's converter does ("Germany 's representative , ..."). ``--form
natural`` gives each sentence the spacing of text as it is written, from the
Moses detokenizer (sacremoses, rules for ``--lang``: punctuation, clitics,
quotes and brackets attached); tokens and entity offsets stay exact, only
spaces change. ``--form mixed``: each document one or the other, half each (a
fixed seed). ``--sents-per-doc 1`` with ``--sentences`` cuts every CoNLL
document into one document per sentence.

Universal NER (``uner``): each sentence's ``# text`` is its raw text; the
tokens are located in it, in order, so spaces are as written (none in Chinese).
OTH ("other" names) becomes MISC, CoNLL's label for them. Labels a treebank
does not annotate (``--unannotated-labels``, e.g. MISC where it has no OTH) are
stored as unknown on the gold span group (``doc.spans["bts_ner"]``,
``attrs["unannotated_labels"]``): ``bts_ner`` neither learns them as absent nor
scores them there. POS: CoNLL-U multiword tokens are kept
as their surface form (e.g. Portuguese "no", not "em o") so that ``doc.text``
is the original text. ``--no-spaces`` is for treebanks of scripts written
without spaces whose files do not mark it (first UD Chinese-GSD: no ``# text``,
no ``SpaceAfter=No``): ``doc.text`` is then the words joined without any space,
within and between sentences.
"""

import argparse
import random
import re
import shutil
import sys
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple

from spacy.tokens import Doc, DocBin
from spacy.training.converters import conll_ner_to_docs, conllu_to_docs
from spacy.vocab import Vocab

from spacy_bts.corpus.examples import DEFAULT_SPANS_KEYS

DOC_DELIMITER = "-DOCSTART- -X- O O"
# bts_ner's default spans_key: a gold span group there is what it learns from.
GOLD_SPANS_KEY = DEFAULT_SPANS_KEYS["ner"]
# Universal NER's OTH is what CoNLL calls MISC.
UNER_LABELS = {"OTH": "MISC"}
FORMS = ("spaced", "natural", "mixed")
# Clitics the Moses detokenizer leaves apart (it attaches those starting with an apostrophe).
ATTACHED_CLITICS = {"en": {"n't"}}


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


def natural_spaces(words: Sequence[str], detokenizer) -> List[bool]:
    """Whether each word of a sentence is followed by a space in its detokenized form."""
    text = detokenizer.detokenize(list(words), unescape=False)
    spaces, pos = [], 0
    for word in words:
        while text.startswith(" ", pos):
            pos += 1
        if not text.startswith(word, pos):
            raise ValueError(f"the detokenizer changed {word!r} in {' '.join(words)!r}")
        pos += len(word)
        spaces.append(text.startswith(" ", pos))
    clitics = ATTACHED_CLITICS.get(getattr(detokenizer, "lang", None), set())
    for i in range(len(words) - 1):
        if words[i + 1].lower() in clitics:
            spaces[i] = False
    return spaces


def with_spaces(doc: Doc, spaces: Sequence[bool]) -> Doc:
    """The doc's words, sentence starts and entities with other spaces after the words."""
    iob = [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else t.ent_iob_ for t in doc]
    starts = [bool(t.is_sent_start) for t in doc] if doc.has_annotation("SENT_START") else None
    return Doc(doc.vocab, words=[t.text for t in doc], spaces=list(spaces), sent_starts=starts, ents=iob)


def without_trailing_space(doc: Doc) -> Doc:
    return with_spaces(doc, [bool(t.whitespace_) for t in doc][:-1] + [False])


def sentences(doc: Doc) -> List:
    """The doc's sentences; the whole doc where none are marked."""
    return list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]


def natural_doc(doc: Doc, detokenizer) -> Doc:
    """The document as written: sentences detokenized, one space between them, none at the end."""
    spaces: List[bool] = []
    for sent in sentences(doc):
        spaces += natural_spaces([t.text for t in sent], detokenizer)
        spaces[-1] = True
    spaces[-1] = False
    return with_spaces(doc, spaces)


def sentence_docs(doc: Doc) -> List[Doc]:
    """One document per sentence, without the space that followed it."""
    return [without_trailing_space(sent.as_doc()) for sent in sentences(doc)]


def conll_forms(docs: List[Doc], form: str, lang: str, seed: int = 0) -> List[Doc]:
    """CoNLL documents in ``form`` (see the module docstring); mixed: each document one form at random."""
    if form == "spaced":
        return docs
    from sacremoses import MosesDetokenizer

    detokenizer = MosesDetokenizer(lang=lang)
    rng = random.Random(seed)
    return [natural_doc(doc, detokenizer) if form == "natural" or rng.random() < 0.5 else doc for doc in docs]


def uner_sentences(text: str) -> Iterator[Tuple[str, str, List[str], List[str]]]:
    """``(sent_id, text, tokens, IOB2 tags)`` of each sentence of a Universal NER ``.iob2`` file."""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        sent_id, raw, words, tags = "?", None, [], []
        for line in block.split("\n"):
            if line.startswith("# sent_id = "):
                sent_id = line[len("# sent_id = ") :].strip()
            elif line.startswith("# text = "):
                raw = line[len("# text = ") :].strip()
            elif line and not line.startswith("#"):
                cols = line.split("\t")
                words.append(cols[1])
                tags.append(cols[2])
        if words:
            if raw is None:
                raise ValueError(f"sentence {sent_id}: no '# text = ' line")
            yield sent_id, raw, words, tags


def uner_sentence_doc(vocab, sent_id: str, raw: str, words: List[str], tags: List[str]) -> Doc:
    """The sentence's raw text as a Doc of its tokens, spaces as written, entities from the tags."""
    out_words: List[str] = []
    spaces: List[bool] = []
    iob: List[str] = []
    pos = 0
    for word, tag in zip(words, tags):
        found = raw.find(word, pos)
        gap = raw[pos:found]
        if found < 0 or gap.strip():
            raise ValueError(f"sentence {sent_id}: token {word!r} not found in order in its text {raw!r}")
        if gap == " " and out_words:
            spaces[-1] = True
        elif gap:  # other whitespace: a token of its own
            out_words.append(gap)
            spaces.append(False)
            iob.append("O")
        prefix, _, label = tag.partition("-")
        out_words.append(word)
        spaces.append(False)
        iob.append(f"{prefix}-{UNER_LABELS.get(label, label)}" if label else tag)
        pos = found + len(word)
    if raw[pos:].strip():
        raise ValueError(f"sentence {sent_id}: text after the last token: {raw[pos:]!r}")
    return Doc(vocab, words=out_words, spaces=spaces, ents=iob)


def uner_docs(
    text: str, sents_per_doc: int = 10, no_spaces: bool = False, unannotated_labels: Sequence[str] = ()
) -> List[Doc]:
    """Documents of ``sents_per_doc`` consecutive Universal NER sentences, joined by a space
    (``no_spaces``: by nothing); gold spans also in ``doc.spans[GOLD_SPANS_KEY]`` with the
    labels the treebank does not annotate."""
    vocab = Vocab()
    sents = [uner_sentence_doc(vocab, *sentence) for sentence in uner_sentences(text)]
    docs = []
    for i in range(0, len(sents), sents_per_doc):
        doc = Doc.from_docs(sents[i : i + sents_per_doc], ensure_whitespace=not no_spaces)
        if doc.text.endswith(" "):
            doc = without_trailing_space(doc)
        doc.spans[GOLD_SPANS_KEY] = list(doc.ents)
        doc.spans[GOLD_SPANS_KEY].attrs["unannotated_labels"] = sorted(unannotated_labels)
        docs.append(doc)
    return docs


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
    for name in ("ner", "pos", "uner"):
        p = sub.add_parser(name)
        p.add_argument("src", type=Path)
        p.add_argument("dest", type=Path)
        p.add_argument("--sents-per-doc", type=int, default=10)
        p.add_argument("--optional", action="store_true", help="skip a missing SRC")
        if name in ("pos", "uner"):
            p.add_argument("--no-spaces", action="store_true", help="words joined without spaces (e.g. Chinese)")
        if name == "ner":
            p.add_argument("--form", choices=FORMS, default="spaced", help="how the tokens become text")
            p.add_argument("--lang", default="en", help="the detokenizer's language rules (natural, mixed)")
            p.add_argument("--sentences", action="store_true", help="one document per sentence")
        if name == "uner":
            p.add_argument("--unannotated-labels", nargs="*", default=[], help="labels the treebank does not mark")
    p = sub.add_parser("merge")
    p.add_argument("dest", type=Path)
    p.add_argument("srcs", type=Path, nargs="+")
    p.add_argument("--skip-missing", action="store_true", help="skip missing SRCs")
    p.add_argument(
        "--parts", type=Path, help="also copy each SRC into this directory, one corpus a file, named by its folder "
        "and stem (for spacy-bts.SampledCorpora.v1)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if getattr(args, "optional", False) and not args.src.exists():
        print(f"{args.src}: not present, skipped (optional)")
        return
    if args.command == "merge":
        merged = DocBin()
        if args.parts:
            args.parts.mkdir(parents=True, exist_ok=True)
        for src in args.srcs:
            if args.skip_missing and not src.exists():
                print(f"{src}: not present, skipped")
                continue
            merged.merge(DocBin().from_disk(src))
            if args.parts:
                shutil.copyfile(src, args.parts / f"{src.parent.name}-{src.name}")
        docs = len(merged)
    else:
        text = read_text(args.src)
        try:
            found = convert(args, text)
        except ValueError as err:
            sys.exit(f"{args.src}: {err}")
        if not found:
            sys.exit(f"{args.src}: no documents found")
        merged = DocBin(docs=found)
        docs = len(found)
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    merged.to_disk(args.dest)
    print(f"{args.dest}: {docs} documents")


def convert(args, text: str) -> List[Doc]:
    if args.command == "pos":
        return pos_docs(text, args.sents_per_doc, args.no_spaces)
    if args.command == "uner":
        return uner_docs(text, args.sents_per_doc, args.no_spaces, args.unannotated_labels)
    docs = ner_docs(text, args.sents_per_doc)
    if args.sentences:
        docs = [sent for doc in docs for sent in sentence_docs(doc)]
    return conll_forms(docs, args.form, args.lang)


if __name__ == "__main__":
    main()
