"""Inputs of an annotation job: which files, and the documents in them.

Inputs are JSONL (one object per line with a text field), Parquet (a text
column) or plain text (one document per line). Every document keeps its
provenance, ``path:line`` (``path:row`` for Parquet, 1-based), which is its id
unless the input has an id field. Bad input never disappears: each problem is
an :class:`InputError` naming its file and line, which the caller reports and
skips, or raises to stop the job (see ``reporting.ErrorPolicy``). Both engines
read through :func:`read_file`, so they see the same documents and errors.
"""

import glob
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from .errors import AnnotateError
from .writers import is_temporary_output

FORMATS = ("jsonl", "parquet", "text")
SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".txt": "text",
    ".text": "text",
}
# spaCy's own default for nlp.max_length.
DEFAULT_MAX_CHARS = 1_000_000


@dataclass(frozen=True)
class InputFile:
    """An input file: ``path`` as given (used in ids and messages) and its format."""

    path: str
    format: str
    # Absolute, so that workers with another working directory find the file.
    location: str = ""

    def __post_init__(self) -> None:
        if not self.location:
            object.__setattr__(self, "location", os.path.abspath(self.path))


@dataclass(frozen=True)
class InputDoc:
    """One document to annotate: its id, text and provenance ``path:line``."""

    id: str
    text: str
    source: str


@dataclass(frozen=True)
class InputError:
    """A document that cannot be annotated, with where it is and why."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


Item = Union[InputDoc, InputError]


@dataclass(frozen=True)
class ReadOptions:
    """What to read from each input: the text and id fields, and the longest document accepted."""

    text_field: str = "text"
    id_field: Optional[str] = "id"
    max_chars: int = DEFAULT_MAX_CHARS


def format_of(path: str, forced: Optional[str] = None) -> Optional[str]:
    """The input format of a file: ``forced`` if given, else from its suffix."""
    if forced:
        return forced
    return SUFFIXES.get(Path(path).suffix.lower())


def expand_inputs(
    patterns: Sequence[str], forced_format: Optional[str] = None, exclude: Sequence[str] = ()
) -> Tuple[List[InputFile], List[str]]:
    """Files named by paths, globs and directories, in a stable order.

    Directories and globs yield the files with a known suffix; a file named
    explicitly without one is read as plain text. Returns the files and
    notes on what was passed over (unknown suffixes in directories, the output
    files in ``exclude``), for the caller to report.
    """
    excluded = {os.path.realpath(p) for p in exclude}
    files: List[InputFile] = []
    notes: List[str] = []
    seen = set()

    def add(path: str, explicit: bool) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        if real in excluded or is_temporary_output(path):
            notes.append(f"{path}: an output of this job; not read as input")
            return
        fmt = format_of(path, forced_format)
        if fmt is None and explicit:
            fmt = "text"
        if fmt is None:
            notes.append(f"{path}: unknown suffix (use .jsonl, .parquet or .txt, or --format); not read")
            return
        files.append(InputFile(path, fmt))

    for pattern in patterns:
        if os.path.isdir(pattern):
            found = sorted(os.path.join(root, name) for root, _, names in os.walk(pattern) for name in names)
            if not found:
                raise AnnotateError(f"input directory {pattern} has no files")
            for path in found:
                add(path, explicit=False)
        elif os.path.isfile(pattern):
            add(pattern, explicit=True)
        else:
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise AnnotateError(f"no input file matches {pattern}")
            for path in matches:
                if not os.path.isdir(path):
                    add(path, explicit=False)
    if not files:
        raise AnnotateError(f"no input files in {', '.join(patterns)}")
    return files, notes


def read_file(file: InputFile, options: ReadOptions) -> Iterator[Item]:
    """The documents of one file, and an :class:`InputError` for each bad one."""
    if file.format == "parquet":
        yield from _read_parquet(file, options)
    elif file.format in ("jsonl", "text"):
        yield from _read_lines(file, options)
    else:
        raise AnnotateError(f"{file.path}: unknown input format {file.format!r}; one of {FORMATS}")


def read_inputs(files: Iterable[InputFile], options: ReadOptions) -> Iterator[Item]:
    """The documents and errors of ``files``, one file after the other."""
    for file in files:
        yield from read_file(file, options)


def _read_lines(file: InputFile, options: ReadOptions) -> Iterator[Item]:
    path, fmt = file.path, file.format
    try:
        handle = open(file.location, "rb")
    except OSError as err:
        raise AnnotateError(f"cannot read input file {path}: {err}") from err
    with handle:
        for number, raw in enumerate(handle, 1):
            source = f"{path}:{number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                yield InputError(source, f"not UTF-8 (byte {raw[err.start]:#04x} at column {err.start + 1})")
                continue
            line = line.rstrip("\n").rstrip("\r")
            if fmt == "text":
                yield _checked(source, source, line, options)
                continue
            if not line.strip():
                continue  # blank lines are not JSONL records
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                yield InputError(source, f"malformed JSON ({err.msg} at column {err.colno})")
                continue
            if not isinstance(obj, dict):
                yield InputError(source, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield _from_mapping(obj, source, options)


def _read_parquet(file: InputFile, options: ReadOptions) -> Iterator[Item]:
    path = file.path
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise AnnotateError(f"reading Parquet ({path}) needs pyarrow: pip install pyarrow (or spacy-bts[ray])") from err
    try:
        parquet = pq.ParquetFile(file.location)
    except Exception as err:
        raise AnnotateError(f"cannot read Parquet file {path}: {err}") from err
    names = parquet.schema_arrow.names
    if options.text_field not in names:
        raise AnnotateError(f"{path}: no column {options.text_field!r} (columns: {names}); set --text-field")
    columns = [options.text_field]
    if options.id_field and options.id_field in names and options.id_field != options.text_field:
        columns.append(options.id_field)
    number = 0
    for batch in parquet.iter_batches(columns=columns):
        for row in batch.to_pylist():
            number += 1
            yield _from_mapping(row, f"{path}:{number}", options)


def _from_mapping(obj: Dict, source: str, options: ReadOptions) -> Item:
    field = options.text_field
    if field not in obj or obj[field] is None:
        return InputError(source, f"no text field {field!r}")
    text = obj[field]
    if not isinstance(text, str):
        return InputError(source, f"text field {field!r} is a {type(text).__name__}, not a string")
    doc_id = source
    if options.id_field and obj.get(options.id_field) is not None:
        doc_id = str(obj[options.id_field])
    return _checked(doc_id, source, text, options)


def _checked(doc_id: str, source: str, text: str, options: ReadOptions) -> Item:
    if len(text) > options.max_chars:
        return InputError(source, f"document has {len(text):,} characters > --max-chars {options.max_chars:,}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        # JSON escapes can carry lone surrogates, which no spaCy Doc can hold.
        return InputError(source, f"text is not valid Unicode ({err.reason} at character {err.start})")
    return InputDoc(doc_id, text, source)
