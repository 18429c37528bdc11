"""Raw text for ``spacy pretrain``: fetch the listed files, then build one deduplicated JSONL corpus.

Used by the workflow in ``project.yml``::

    python scripts/raw_text.py fetch scripts/raw_text_files.tsv assets/raw_text --mirror MIRROR
    python scripts/raw_text.py build assets/raw_text corpus/raw_text.jsonl --exclude assets/ud assets/uner assets/ner

``fetch`` downloads (or, for a local mirror folder, copies) each file of the
list to the same path under the destination, checks its md5, and skips files
already there with the right md5. ``build`` reads every file (one sentence a
line), keeps each distinct sentence once, drops every sentence of an evaluation
split (dev and test files under ``--exclude``: CoNLL, CoNLL-U, Universal NER;
compared without whitespace, so spaced and unspaced forms of a sentence match)
and writes the rest in a fixed random order as ``{"text": ...}`` lines: the
first N (``--max-sentences``; spaCy's JSONL reader does not apply its
``limit``) are a uniform sample, and set how long one pretraining epoch is.
"""

import argparse
import hashlib
import random
import re
import shutil
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import srsly

# Names of evaluation splits: en_ewt-ud-dev.conllu, eng.testa, da_ddt-ud-dev.iob2, ...
EVAL_FILE = re.compile(r"(^|[-_.])(dev|test|testa|testb)([-_.]|$)")
_WHITESPACE = re.compile(r"\s+")


def read_list(path: Path) -> List[Tuple[str, str, int]]:
    """(path under the mirror, md5, bytes) of each non-comment line."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            fields = line.split("\t")
            entries.append((fields[0], fields[1], int(fields[2])))
    return entries


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as file_:
        for block in iter(lambda: file_.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(list_path: Path, dest: Path, mirror: str, retries: int = 3) -> int:
    entries = read_list(list_path)
    total = sum(size for _, _, size in entries)
    done = fetched = 0
    start = time.time()
    for i, (rel, md5, size) in enumerate(entries, 1):
        target = dest / rel
        if not (target.is_file() and md5_of(target) == md5):
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy(f"{mirror.rstrip('/')}/{rel}", target, retries)
            found = md5_of(target)
            if found != md5:
                target.unlink()
                raise SystemExit(f"raw_text fetch: {rel}: md5 {found}, expected {md5} (file removed)")
            fetched += 1
        done += size
        if i % 100 == 0 or i == len(entries):
            print(f"{i}/{len(entries)} files, {done / 1e6:.1f}/{total / 1e6:.1f} MB, {time.time() - start:.0f} s")
    print(f"{fetched} fetched, {len(entries) - fetched} already there, in {dest}")
    return 0


def _copy(source: str, target: Path, retries: int) -> None:
    is_url = re.match(r"^[a-z]+://", source) is not None
    partial = target.with_name(target.name + ".part")
    for attempt in range(1, retries + 1):
        try:
            if is_url:
                with urllib.request.urlopen(source, timeout=60) as response, partial.open("wb") as out:
                    shutil.copyfileobj(response, out)
            else:
                shutil.copyfile(source, partial)
            partial.replace(target)
            return
        except OSError as err:
            # A local mirror fails the same way every time; a download may not.
            if attempt == retries or not is_url:
                raise SystemExit(f"raw_text fetch: {source}: {err}") from None
            time.sleep(2 * attempt)


def comparison_key(text: str) -> str:
    """A sentence without any whitespace: spaced and unspaced forms compare equal."""
    return _WHITESPACE.sub("", text)


def eval_sentences(path: Path) -> Iterator[str]:
    """Sentences of a CoNLL / CoNLL-U / Universal NER file: the ``# text`` line, else the
    tokens (column 2 of tab-separated files with token ids, else column 1)."""
    tabbed = path.suffix in (".conllu", ".iob2")
    text, words = None, []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines() + [""]:
        if line.startswith("# text = "):
            text = line[len("# text = ") :]
        elif line.startswith("#"):
            continue
        elif not line.strip():
            if text or words:
                yield text if text is not None else "".join(words)
            text, words = None, []
        else:
            fields = line.split("\t") if tabbed else line.split()
            if tabbed and len(fields) > 1 and fields[0].replace(".", "").isdigit():
                words.append(fields[1])
            elif not tabbed and fields and not fields[0].startswith("-DOCSTART-"):
                words.append(fields[0])


def eval_keys(paths: List[Path]) -> Tuple[Set[str], int]:
    keys: Set[str] = set()
    n_files = 0
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if EVAL_FILE.search(path.name) and not path.name.endswith(".zip"):
                n_files += 1
                keys.update(comparison_key(s) for s in eval_sentences(path))
    keys.discard("")
    return keys, n_files


def build(source: Path, output: Path, exclude: List[Path], seed: int, max_sentences: int = 0) -> int:
    if not source.is_dir():
        raise SystemExit(f"raw_text build: no such folder: {source} (run the fetch step first)")
    keys, n_eval = eval_keys(exclude)
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.endswith(".part"))
    if not files:
        raise SystemExit(f"raw_text build: no files under {source}")
    seen: Set[str] = set()
    kept: List[str] = []
    n_lines = n_repeated = n_eval_hits = 0
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            text = line.strip()
            if not text:
                continue
            n_lines += 1
            if text in seen:
                n_repeated += 1
                continue
            seen.add(text)
            if comparison_key(text) in keys:
                n_eval_hits += 1
                continue
            kept.append(text)
    random.Random(seed).shuffle(kept)
    n_distinct = len(kept)
    if max_sentences:
        kept = kept[:max_sentences]
    output.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_jsonl(output, ({"text": text} for text in kept))
    n_bytes = sum(len(text.encode("utf-8", "surrogatepass")) for text in kept)
    print(
        f"{len(files)} files, {n_lines} sentences: {n_repeated} repeats and {n_eval_hits} sentences of "
        f"{n_eval} evaluation files dropped; {len(kept)} of {n_distinct} sentences ({n_bytes / 1e6:.1f} MB) -> {output}"
    )
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fetch", help="download or copy the listed files, md5-checked")
    p.add_argument("list", type=Path)
    p.add_argument("dest", type=Path)
    p.add_argument("--mirror", required=True, help="base URL or local folder the listed paths are under")
    p = sub.add_parser("build", help="one deduplicated, shuffled JSONL corpus without evaluation sentences")
    p.add_argument("source", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--exclude", type=Path, nargs="*", default=[], help="files or folders of evaluation splits")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--max-sentences", type=int, default=0, help="keep the first N after shuffling (0: all): the pretraining length"
    )
    args = parser.parse_args(argv)
    if args.command == "fetch":
        return fetch(args.list, args.dest, args.mirror)
    return build(args.source, args.output, args.exclude, args.seed, args.max_sentences)


if __name__ == "__main__":
    sys.exit(main())
