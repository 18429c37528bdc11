"""The documents in an annotation job's input files.

Inputs are JSONL (one object per line with a text field), Parquet (a text
column) or plain text (one document per line); ``-`` is standard input
(JSONL, or text with ``--format text``). Every document keeps its provenance,
``path:line`` (``path:row`` for Parquet, 1-based), which is its id unless the
input has an id field (a string or a number; any other id is a bad document).
Bad input never disappears: every line of a JSONL or text file becomes a
document or an :class:`InputError` naming its file and line, blank and
whitespace-only lines included ("blank line"); a file that cannot be read at
all (missing, binary, another encoding, a broken Parquet file: see
:mod:`.sniff`) is one error naming the file. The caller reports and skips
errors, or stops the job (``reporting.ErrorPolicy``). Both engines read
through :func:`read_file`, so they see the same documents and errors. Which
files a job reads is :mod:`.files`.
"""

import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, Optional, Union

from .sniff import HEAD_BYTES, sniff

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
# Standard input as an input, and its name in sources and messages.
STDIN = "-"
STDIN_NAME = "<stdin>"


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


def read_file(file: InputFile, options: ReadOptions) -> Iterator[Item]:
    """The documents of one file, and an :class:`InputError` for each bad one (or for the file)."""
    if file.format == "parquet":
        yield from _read_parquet(file, options)
    else:
        yield from _read_lines(file, options)


def read_inputs(files: Iterable[InputFile], options: ReadOptions) -> Iterator[Item]:
    """The documents and errors of ``files``, one file after the other."""
    for file in files:
        yield from read_file(file, options)


def _read_lines(file: InputFile, options: ReadOptions) -> Iterator[Item]:
    path = file.path
    if file.location == STDIN:
        handle = sys.stdin.buffer
    else:
        try:
            handle = open(file.location, "rb")
        except OSError as err:
            yield InputError(path, f"cannot read: {err.strerror or err}")
            return
    try:
        try:
            head = handle.read(HEAD_BYTES)
        except OSError as err:
            yield InputError(path, f"cannot read: {err.strerror or err}")
            return
        sniffed = sniff(head, complete=len(head) < HEAD_BYTES)
        if sniffed.problem:
            yield InputError(path, sniffed.problem)
            return
        lines = _raw_lines(head[sniffed.skip :], handle)
        for number, raw in enumerate(lines, 1):
            yield _line_item(raw, f"{path}:{number}", file.format, options)
    except OSError as err:
        yield InputError(path, f"cannot read further: {err.strerror or err}")
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _raw_lines(head: bytes, handle) -> Iterator[bytes]:
    """The lines of ``head`` and then of the rest of ``handle``, newlines kept."""
    *complete, partial = head.split(b"\n")
    for line in complete:
        yield line + b"\n"
    rest = handle.readline()
    if partial or rest:
        yield partial + rest
    yield from handle


def _line_item(raw: bytes, source: str, fmt: str, options: ReadOptions) -> Item:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return InputError(source, f"not UTF-8 (byte {raw[err.start]:#04x} at column {err.start + 1})")
    line = line.rstrip("\n").rstrip("\r")
    if not line.strip():
        return InputError(source, "blank line")
    if fmt == "text":
        return _checked(source, source, line, options)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        # Some of json's messages end in "at" ("Unterminated string starting at").
        where = "column" if err.msg.endswith(" at") else "at column"
        return InputError(source, f"malformed JSON ({err.msg} {where} {err.colno})")
    if not isinstance(obj, dict):
        return InputError(source, f"expected a JSON object, got {type(obj).__name__}")
    return _from_mapping(obj, source, options)


def _read_parquet(file: InputFile, options: ReadOptions) -> Iterator[Item]:
    path = file.path
    try:
        import pyarrow.parquet as pq
    except ImportError:
        yield InputError(path, "reading Parquet needs pyarrow: pip install pyarrow (or spacy-bts[ray])")
        return
    try:
        parquet = pq.ParquetFile(file.location)
    except Exception as err:
        yield InputError(path, f"cannot read Parquet file ({_one_line(err)})")
        return
    names = parquet.schema_arrow.names
    if options.text_field not in names:
        yield InputError(path, f"no column {options.text_field!r} (columns: {names}); set --text-field")
        return
    columns = [options.text_field]
    if options.id_field and options.id_field in names and options.id_field != options.text_field:
        columns.append(options.id_field)
    number = 0
    try:
        for batch in parquet.iter_batches(columns=columns):
            for row in batch.to_pylist():
                number += 1
                yield _from_mapping(row, f"{path}:{number}", options)
    except Exception as err:
        yield InputError(path, f"cannot read Parquet rows after row {number} ({_one_line(err)})")


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _from_mapping(obj: Dict, source: str, options: ReadOptions) -> Item:
    field = options.text_field
    if field not in obj:
        return InputError(source, f"no text field {field!r}")
    text = obj[field]
    if text is None:
        return InputError(source, f"text field {field!r} is null")
    if not isinstance(text, str):
        return InputError(source, f"text field {field!r} is a {type(text).__name__}, not a string")
    doc_id = source
    value = obj.get(options.id_field) if options.id_field else None
    if value is not None:
        if isinstance(value, str):
            doc_id = value
        elif isinstance(value, int) and not isinstance(value, bool):
            doc_id = str(value)
        elif isinstance(value, float) and math.isfinite(value):
            doc_id = repr(value)
        else:
            return InputError(
                source, f"id field {options.id_field!r} is a {type(value).__name__}, not a string or number"
            )
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
