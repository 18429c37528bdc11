"""Outputs of a job: records to JSONL or Parquet, Docs to a DocBin, all or nothing.

Outputs are written to a temporary file beside the target and moved into place
when the job succeeds, so a rerun replaces the previous output instead of
adding to it, and a failed job leaves no partial file. The temporary files
carry a mark (:func:`is_temporary_output`) so that a job reading a directory
never takes an unfinished output (of a killed or concurrent run) for input. Parquet output has the
record fields as columns (:func:`_parquet_schema`).
"""

import json
import os
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, TextIO

from spacy.tokens import Doc, DocBin

from .errors import AnnotateError

OUTPUT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_TEMP_MARK = ".annotate-tmp-"


def output_format(path: str) -> str:
    """The output format of ``path`` from its suffix; an error if it is neither JSONL nor Parquet."""
    fmt = OUTPUT_SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise AnnotateError(f"output {path}: use a .jsonl or .parquet file name")
    return fmt


def is_temporary_output(path: str) -> bool:
    """Whether ``path`` is the temporary file of an unfinished output."""
    return _TEMP_MARK in os.path.basename(path)


class _AtomicFile:
    """A temporary file beside ``path``, moved onto it by :meth:`commit`."""

    def __init__(self, path: str) -> None:
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, self.temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}{_TEMP_MARK}", dir=directory)
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

    def __init__(self, path: str, fields: Sequence[str] = ("entities",), docbin_path: Optional[str] = None) -> None:
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
        pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("score", pa.float64())])
    )
    return pa.schema([("id", pa.string()), ("source", pa.string())] + [(f, span) for f in fields])


def doc_bin_bytes(doc: Doc) -> bytes:
    """One Doc as DocBin bytes, for :meth:`RecordWriter.add_doc_bytes` (Ray actors send these)."""
    return DocBin(docs=[doc], store_user_data=True).to_bytes()
