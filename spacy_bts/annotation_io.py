"""Inputs and outputs of ``python -m spacy_bts.annotate``, shared by every engine.

Inputs are JSONL (one object per line with a text field), Parquet (a text
column) or plain text (one document per line). Every document keeps its
provenance, ``path:line`` (``path:row`` for Parquet, 1-based), which is its id
unless the input has an id field. Bad input never disappears: each problem is
an :class:`InputError` naming its file and line, which the caller reports and
skips, or raises to stop the job.

Records are plain JSON objects built by :func:`doc_record` and serialised by
:func:`record_line`; every engine uses both, so their outputs are byte-identical.
Outputs are written to a temporary file beside the target and moved into place
when the job succeeds, so a rerun replaces the previous output instead of
adding to it, and a failed job leaves no partial file.
"""
import glob
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, TextIO, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, DocBin

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


class AnnotateError(Exception):
    """A job-level problem: no input, an unreadable file, a stopped job."""


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
        if real in excluded or _is_temporary_output(path):
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
            found = sorted(
                os.path.join(root, name)
                for root, _, names in os.walk(pattern)
                for name in names
            )
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
                yield InputError(
                    source, f"not UTF-8 (byte {raw[err.start]:#04x} at column {err.start + 1})"
                )
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
        raise AnnotateError(
            f"reading Parquet ({path}) needs pyarrow: pip install pyarrow (or spacy-bts[ray])"
        ) from err
    try:
        parquet = pq.ParquetFile(file.location)
    except Exception as err:
        raise AnnotateError(f"cannot read Parquet file {path}: {err}") from err
    names = parquet.schema_arrow.names
    if options.text_field not in names:
        raise AnnotateError(
            f"{path}: no column {options.text_field!r} (columns: {names}); set --text-field"
        )
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
        return InputError(
            source, f"document has {len(text):,} characters > --max-chars {options.max_chars:,}"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        # JSON escapes can carry lone surrogates, which no spaCy Doc can hold.
        return InputError(source, f"text is not valid Unicode ({err.reason} at character {err.start})")
    return InputDoc(doc_id, text, source)


# Records -------------------------------------------------------------------


@dataclass(frozen=True)
class RecordLayout:
    """Where a pipeline's predictions are: entities and/or BTS words."""

    entities: bool
    ner_spans_key: Optional[str]
    words_spans_key: Optional[str]

    @classmethod
    def of(cls, nlp: Language) -> "RecordLayout":
        from .ner_component import ByteToSpanNER
        from .pos_component import ByteToSpanTagger

        ner_key = words_key = None
        entities = False
        for name, pipe in nlp.pipeline:
            if "doc.ents" in nlp.get_pipe_meta(name).assigns:
                entities = True
            if isinstance(pipe, ByteToSpanNER) and ner_key is None:
                ner_key = pipe.cfg["spans_key"]
            if isinstance(pipe, ByteToSpanTagger) and words_key is None:
                words_key = pipe.cfg["spans_key"]
        if not entities and words_key is None:
            raise AnnotateError(
                f"pipeline {nlp.pipe_names} predicts neither entities (doc.ents) nor bts_pos words"
            )
        return cls(entities, ner_key, words_key)

    @property
    def fields(self) -> Tuple[str, ...]:
        """The span fields of each record."""
        return ("entities",) * self.entities + ("words",) * (self.words_spans_key is not None)


def doc_record(doc: Doc, doc_id: str, source: str, layout: RecordLayout) -> Dict:
    """The output record of one annotated document.

    Entities are ``doc.ents``; a ``bts_ner`` span gives each its exact predicted
    character offsets and score (other NER components: Doc offsets, score null).
    Words are the ``bts_pos`` spans with their UPOS tags and scores.
    """
    record: Dict = {"id": doc_id, "source": source}
    if layout.entities:
        exact = _span_table(doc, layout.ner_spans_key)
        entities = []
        for ent in doc.ents:
            start, end, score = exact.get(
                (ent.start, ent.end, ent.label_), (ent.start_char, ent.end_char, None)
            )
            entities.append({"start": start, "end": end, "label": ent.label_, "score": score})
        record["entities"] = entities
    if layout.words_spans_key is not None:
        group = doc.spans.get(layout.words_spans_key)
        record["words"] = [] if group is None else [
            {"start": s, "end": e, "label": span.label_, "score": score}
            for span, (s, e), score in zip(group, group.attrs["char_spans"], group.attrs["scores"])
        ]
    return record


def _span_table(doc: Doc, key: Optional[str]) -> Dict[Tuple[int, int, str], Tuple[int, int, float]]:
    if key is None or key not in doc.spans:
        return {}
    group = doc.spans[key]
    return {
        (span.start, span.end, span.label_): (s, e, score)
        for span, (s, e), score in zip(group, group.attrs["char_spans"], group.attrs["scores"])
    }


def record_line(record: Dict) -> str:
    """One JSONL line (no newline); the one serialisation every engine uses."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


# Outputs -------------------------------------------------------------------

OUTPUT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_TEMP_MARK = ".annotate-tmp-"


def output_format(path: str) -> str:
    fmt = OUTPUT_SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise AnnotateError(f"output {path}: use a .jsonl or .parquet file name")
    return fmt


def _is_temporary_output(path: str) -> bool:
    return _TEMP_MARK in os.path.basename(path)


class _AtomicFile:
    """A temporary file beside ``path``, moved onto it by :meth:`commit`."""

    def __init__(self, path: str) -> None:
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, self.temp = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}{_TEMP_MARK}", dir=directory
        )
        os.close(fd)
        # mkstemp makes the file private; give it the permissions of a normal new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.temp, 0o666 & ~umask)

    def commit(self) -> None:
        os.replace(self.temp, self.path)

    def discard(self) -> None:
        if os.path.exists(self.temp):
            os.remove(self.temp)


class RecordWriter:
    """Writes record lines to JSONL or Parquet (and Docs to a DocBin), all or nothing."""

    # Parquet is written in row groups of this many records.
    PARQUET_CHUNK = 1000

    def __init__(
        self, path: str, fields: Sequence[str] = ("entities",), docbin_path: Optional[str] = None
    ) -> None:
        self.format = output_format(path)
        self.fields = tuple(fields)
        if docbin_path is not None and Path(docbin_path).suffix != ".spacy":
            raise AnnotateError(f"DocBin output {docbin_path}: use a .spacy file name")
        self._out = _AtomicFile(path)
        self._docbin_file = _AtomicFile(docbin_path) if docbin_path else None
        self.docbin = DocBin(store_user_data=True) if docbin_path else None
        self.count = 0
        self._pending: List[str] = []
        self._parquet = None
        self._handle: Optional[TextIO] = None
        if self.format == "jsonl":
            self._handle = open(self._out.temp, "w", encoding="utf-8")

    def write(self, line: str) -> None:
        self.count += 1
        if self._handle is not None:
            self._handle.write(line + "\n")
            return
        self._pending.append(line)
        if len(self._pending) >= self.PARQUET_CHUNK:
            self._flush_parquet()

    def add_doc_bytes(self, data: bytes) -> None:
        """Add one document serialised by :func:`doc_bin_bytes`."""
        if self.docbin is not None:
            self.docbin.merge(DocBin(store_user_data=True).from_bytes(data))

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        records = [json.loads(line) for line in self._pending]
        self._pending = []
        if not records:
            return
        table = pa.Table.from_pylist(records, schema=_parquet_schema(self.fields))
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._out.temp, table.schema)
        self._parquet.write_table(table)

    def close(self, success: bool) -> None:
        try:
            if self._handle is not None:
                self._handle.close()
            if self.format == "parquet" and success:
                self._flush_parquet()
                if self._parquet is None:
                    import pyarrow.parquet as pq

                    pq.write_table(_parquet_schema(self.fields).empty_table(), self._out.temp)
            if self._parquet is not None:
                self._parquet.close()
            if success and self.docbin is not None:
                self.docbin.to_disk(self._docbin_file.temp)
        except BaseException:
            success = False
            raise
        finally:
            for file in (self._out, self._docbin_file):
                if file is None:
                    continue
                if success:
                    file.commit()
                else:
                    file.discard()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(success=exc_type is None)


def _parquet_schema(fields: Sequence[str]):
    import pyarrow as pa

    span = pa.list_(
        pa.struct(
            [("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("score", pa.float64())]
        )
    )
    return pa.schema([("id", pa.string()), ("source", pa.string())] + [(f, span) for f in fields])


def doc_bin_bytes(doc: Doc) -> bytes:
    return DocBin(docs=[doc], store_user_data=True).to_bytes()


# Bad input and progress ------------------------------------------------------

ON_ERROR = ("skip", "stop")


class ErrorPolicy:
    """Reports each bad document (file and line) and skips it, or stops the job."""

    def __init__(self, on_error: str = "skip", stream: TextIO = sys.stderr) -> None:
        if on_error not in ON_ERROR:
            raise AnnotateError(f"--on-error must be one of {ON_ERROR}, got {on_error!r}")
        self.on_error = on_error
        self.stream = stream
        self.errors: List[InputError] = []

    def handle(self, error: InputError) -> None:
        if self.on_error == "stop":
            raise AnnotateError(f"{error}; stopped (--on-error stop)")
        self.errors.append(error)
        print(f"skipped {error}", file=self.stream, flush=True)


# Progress ------------------------------------------------------------------


class Progress:
    """Documents done, docs/s and problems, printed every ``every`` seconds."""

    def __init__(self, stream: TextIO = sys.stderr, every: float = 5.0) -> None:
        self.stream = stream
        self.every = every
        self.start = time.perf_counter()
        self._last = self.start
        self.docs = 0
        self.errors = 0
        # Seconds until the first document was done: startup (workers, pipeline loading).
        self.first_doc_seconds: Optional[float] = None

    def add(self, docs: int = 0, errors: int = 0) -> None:
        self.docs += docs
        self.errors += errors
        now = time.perf_counter()
        if docs and self.first_doc_seconds is None:
            self.first_doc_seconds = now - self.start
        if self.every >= 0 and now - self._last >= self.every:
            self._last = now
            self.print("annotating")

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    @property
    def docs_per_s(self) -> float:
        return self.docs / max(self.seconds, 1e-9)

    def print(self, what: str) -> None:
        print(
            f"{what}: {self.docs:,} documents, {self.docs_per_s:,.1f} docs/s, "
            f"{self.errors:,} skipped, {self.seconds:,.1f} s",
            file=self.stream,
            flush=True,
        )
