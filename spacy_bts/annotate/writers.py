"""Outputs of a job: records to JSONL or Parquet, Docs to a DocBin, all or nothing.

Outputs are written to a temporary file beside the target and moved into place
when the job succeeds, so a rerun replaces the previous output instead of
adding to it, and a failed or interrupted job leaves the previous output as it
was. A temporary file is named ``.OUT.annotate-tmp-HOST-PID-XXXX`` after the
process writing it: a job reading a directory never takes one for input
(:func:`is_temporary_output`), and :func:`remove_stale_temporaries` deletes
those of a killed run (its process gone) without touching a concurrent run's.
The output ``-`` is standard output (JSONL, written as it goes). Parquet output
has the record fields as columns (:func:`_parquet_schema`).
"""

import errno
import json
import os
import re
import socket
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, TextIO

from spacy.tokens import Doc, DocBin

from .errors import UsageError
from .signals import deferred, not_on_abandon, on_abandon

OUTPUT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
STDOUT = "-"
_TEMP_MARK = ".annotate-tmp-"
# The host goes in the name so that runs on other machines sharing the directory are left alone.
_HOST = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"
_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.annotate-tmp-(?P<host>.+)-(?P<pid>\d+)-[A-Za-z0-9_]+$")


def output_format(path: str) -> str:
    """The output format of ``path`` from its suffix (``-``: JSONL); an error if neither JSONL nor Parquet."""
    if path == STDOUT:
        return "jsonl"
    fmt = OUTPUT_SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(f"output {path}: use a .jsonl or .parquet file name (or - for standard output)")
    return fmt


def is_temporary_output(path: str) -> bool:
    """Whether ``path`` is the temporary file of an unfinished output."""
    return _TEMP_MARK in os.path.basename(path)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as err:
        # EPERM: it exists, as another user's process.
        return err.errno == errno.EPERM
    return True


def remove_stale_temporaries(path: str) -> List[str]:
    """Delete the temporary files of ``path`` left by runs on this host whose process is gone; returns them."""
    if path == STDOUT:
        return []
    directory = os.path.dirname(os.path.abspath(path))
    target = os.path.basename(path)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    for name in sorted(names):
        match = _TEMP_NAME.match(name)
        if not match or match["target"] != target or match["host"] != _HOST:
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or _process_exists(pid):
            continue
        try:
            os.remove(os.path.join(directory, name))
        except FileNotFoundError:
            continue  # another run removed it first
        removed.append(os.path.join(os.path.dirname(path), name))
    return removed


class _AtomicFile:
    """A temporary file beside ``path``, moved onto it by :meth:`commit`."""

    def __init__(self, path: str) -> None:
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        prefix = f".{os.path.basename(path)}{_TEMP_MARK}{_HOST}-{os.getpid()}-"
        fd, self.temp = tempfile.mkstemp(prefix=prefix, dir=directory)
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
    """Writes record lines to JSONL or Parquet (and Docs to a DocBin), all or nothing (``-``: to stdout)."""

    # Parquet is written in row groups of this many records.
    PARQUET_CHUNK = 1000

    def __init__(self, path: str, fields: Sequence[str] = ("entities",), docbin_path: Optional[str] = None) -> None:
        self.format = output_format(path)
        self.fields = tuple(fields)
        if docbin_path is not None and Path(docbin_path).suffix != ".spacy":
            raise UsageError(f"DocBin output {docbin_path}: use a .spacy file name")
        self.docbin = DocBin(store_user_data=True) if docbin_path else None
        self.count = 0
        # Whether the outputs are in place: the job is done, even if a signal comes now.
        self.committed = False
        self._pending: List[str] = []
        self._parquet = None
        self._handle: Optional[TextIO] = None
        self._stdout = path == STDOUT
        self._out: Optional[_AtomicFile] = None
        self._docbin_file: Optional[_AtomicFile] = None
        # A signal between creating a temporary file and keeping track of it would leave the file behind.
        with deferred():
            try:
                if not self._stdout:
                    self._out = _AtomicFile(path)
                self._docbin_file = _AtomicFile(docbin_path) if docbin_path else None
                if self.format == "jsonl" and not self._stdout:
                    self._handle = open(self._out.temp, "w", encoding="utf-8")
            except BaseException:
                self._discard()
                raise
            on_abandon(self._remove_temporaries)

    def write(self, line: str) -> None:
        self.count += 1
        if self._stdout:
            sys.stdout.buffer.write(line.encode("utf-8") + b"\n")
            return
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
            if self._stdout:
                sys.stdout.flush()
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
            self._discard()
            raise
        if not success:
            self._discard()
            return
        # Both outputs or neither: a signal now waits until both are moved.
        with deferred():
            for file in (self._out, self._docbin_file):
                if file is not None:
                    file.commit()
            self.committed = True
            not_on_abandon(self._remove_temporaries)

    def _discard(self) -> None:
        with deferred():
            for file in (self._out, self._docbin_file):
                if file is not None:
                    file.discard()
            not_on_abandon(self._remove_temporaries)

    def _remove_temporaries(self) -> None:
        """From another thread, when the job exits without its cleanup."""
        for file in (self._out, self._docbin_file):
            if file is not None:
                try:
                    os.remove(file.temp)
                except OSError:
                    pass

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(success=exc_type is None)


def _parquet_schema(fields: Sequence[str]):
    import pyarrow as pa

    span = pa.list_(
        pa.struct(
            [
                ("start", pa.int64()),
                ("end", pa.int64()),
                ("text", pa.string()),
                ("label", pa.string()),
                ("score", pa.float64()),
            ]
        )
    )
    return pa.schema([("id", pa.string()), ("source", pa.string())] + [(f, span) for f in fields])


def doc_bin_bytes(doc: Doc) -> bytes:
    """One Doc as DocBin bytes, for :meth:`RecordWriter.add_doc_bytes` (Ray actors send these)."""
    return DocBin(docs=[doc], store_user_data=True).to_bytes()
