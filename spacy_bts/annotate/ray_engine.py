"""The ``ray`` engine of an annotation job: Ray Data with an actor pool.

Files are read on the cluster (one task per file, so input files must be
visible to every node at the same path), cut into blocks of ``batch_size``
documents and streamed through a fixed pool of actors, each loading the
pipeline once and running ``nlp.pipe`` with its own torch threads. Actors
return finished record lines (the same serialisation as the local engine) and
pass bad-input reports through, so the driver only reports, counts and writes.
Needs the ``ray`` extra: ``pip install "spacy-bts[ray]"``; Ray is imported
only when the engine runs (:func:`import_ray`). Ray's own log lines are kept
off stderr unless ``verbose``. A cluster the job starts is shut down when the
job ends, however it ends (SIGINT and SIGTERM included); starting and shutting
down are never cut short by a signal. The engine shares the reading, records,
writers and reporting modules with the local engine and never imports the job
that chooses it.
"""

import contextlib
import logging
import os
import re
import signal
import sys
import threading
from typing import Dict, Iterator, List, Optional

from ..runtime import set_torch_threads
from .errors import AnnotateError, Interrupted, UsageError
from .inputs import STDIN, InputError, InputFile, ReadOptions, read_file
from .records import RecordLayout, doc_record, load_pipeline, record_line
from .reporting import ErrorPolicy, Progress
from .signals import checkpoint, deferred, handlers_kept, if_abandoned
from .writers import RecordWriter, doc_bin_bytes

# Ray's loggers, quiet unless the job is verbose.
RAY_LOGGERS = ("ray", "ray.data", "ray.train", "ray.tune")


def import_ray():
    """Ray and Ray Data, or a clear error naming the extra to install."""
    # A signal's exception raised inside the import of Ray's native module would be dropped.
    with deferred():
        setting = "ray" not in sys.modules and _NO_CRASH_HANDLER not in os.environ
        if setting:
            # Read once, when Ray is imported. Ray's C++ crash handler, installed while ray.init
            # connects the driver, would turn a SIGTERM then into an abort, without any cleanup.
            os.environ[_NO_CRASH_HANDLER] = "1"
        try:
            import ray
            import ray.data
        except ImportError as err:
            raise AnnotateError('the ray engine needs Ray Data: pip install "spacy-bts[ray]" (or "ray[data]")') from err
        finally:
            if setting:
                # Only this process: the cluster's own processes keep their crash reports.
                del os.environ[_NO_CRASH_HANDLER]
    return ray


_NO_CRASH_HANDLER = "RAY_DISABLE_FAILURE_SIGNAL_HANDLER"


def _read_rows(row: Dict, options: ReadOptions) -> Iterator[Dict]:
    """The documents of one input file as rows ``id``, ``text``, ``source``, ``error`` (empty
    for a good document); bad documents, and a file that cannot be read, as error rows."""
    file = InputFile(row["path"], row["format"], row["location"])
    try:
        for item in read_file(file, options):
            if isinstance(item, InputError):
                yield {"id": "", "text": "", "source": item.source, "error": item.message}
            else:
                yield {"id": item.id, "text": item.text, "source": item.source, "error": ""}
    except Exception as err:
        # Whatever went wrong on the cluster, it is one error for the file, not the end of the job.
        yield {"id": "", "text": "", "source": file.path, "error": f"cannot read: {type(err).__name__}: {err}"}


class Annotator:
    """One actor: loads the pipeline once, turns batches of rows into record lines."""

    def __init__(self, model: str, max_chars: int, threads: int, batch_size: int, with_docs: bool) -> None:
        # One worker per core: more threads per actor would fight over the cores.
        set_torch_threads(threads)
        self.nlp = load_pipeline(model, max_chars)
        self.layout = RecordLayout.of(self.nlp)
        self.batch_size = batch_size
        self.with_docs = with_docs

    def __call__(self, batch):
        import pyarrow as pa

        rows = batch.to_pylist()
        good = [r for r in rows if not r["error"]]
        docs = iter(self.nlp.pipe((r["text"] for r in good), batch_size=self.batch_size))
        out: Dict[str, List] = {"id": [], "source": [], "line": [], "error": [], "chars": [], "doc": []}
        for row in rows:
            line, data = "", b""
            if not row["error"]:
                doc = next(docs)
                line = record_line(doc_record(doc, row["id"], row["source"], self.layout))
                data = doc_bin_bytes(doc) if self.with_docs else b""
            out["id"].append(row["id"])
            out["source"].append(row["source"])
            out["line"].append(line)
            out["error"].append(row["error"])
            out["chars"].append(len(row["text"]))
            out["doc"].append(data)
        return pa.table(
            out,
            schema=pa.schema(
                [
                    ("id", pa.string()),
                    ("source", pa.string()),
                    ("line", pa.string()),
                    ("error", pa.string()),
                    ("chars", pa.int64()),
                    ("doc", pa.binary()),
                ]
            ),
        )


def annotate_with_ray(
    model: str, files: List[InputFile], options: ReadOptions, writer: RecordWriter, layout: RecordLayout,
    policy: ErrorPolicy, progress: Progress, *, workers: int, batch_size: int, threads: int,
    address: Optional[str] = None, num_cpus: Optional[int] = None, verbose: bool = False,
) -> None:  # fmt: skip
    """Annotate ``files`` into ``writer`` on Ray: the cluster at ``address``, the one
    this process is already connected to, or a new local one (shut down at the end)."""
    ray = import_ray()
    if any(f.location == STDIN for f in files):
        raise UsageError("the ray engine reads its inputs on the cluster, not from standard input: use --engine local")
    started = False
    if not ray.is_initialized():
        if address is not None and num_cpus is not None:
            raise UsageError("--num-cpus sizes a new local cluster; leave it out with --address")
        init = {"address": address, "logging_level": logging.INFO if verbose else logging.ERROR}
        if not verbose:
            init["log_to_driver"] = False
        if address is None:
            init.update(include_dashboard=False, num_cpus=num_cpus)
        started = True
    with _native_log_hidden(verbose), _quiet(verbose):
        try:
            if started:
                _start(ray, init)
            _run(ray, model, files, options, writer, layout, policy, progress, workers, batch_size, threads)
        finally:
            if started:
                with deferred():
                    ray.shutdown()


# Read by the processes that ray.init starts. When a SIGTERM to the process group has killed the
# cluster, the driver's shutdown waits this long to send task events to it: 5 s by default.
_CLUSTER_ENV = {"RAY_task_events_shutdown_flush_timeout_ms": "500"}


def _start(ray, init: Dict) -> None:
    """``ray.init`` uninterrupted, with the job's SIGINT and SIGTERM handlers in place and put back after.

    Ray cannot be shut down cleanly from the middle of its init, so a signal
    waits until init ends. If the signal went to the whole process group, it
    stopped the cluster's processes too and init may wait for them: the
    watchdog of :func:`~.signals.stop_on_signals` then ends the job.
    """
    saved = {name: os.environ.get(name) for name in _CLUSTER_ENV}
    for name, value in _CLUSTER_ENV.items():
        os.environ.setdefault(name, value)
    utils = getattr(getattr(ray, "_private", None), "utils", None)
    ray_sets_handler = getattr(utils, "set_sigterm_handler", None)
    try:
        with deferred(), handlers_kept():
            if ray_sets_handler is not None:
                # Ray's own handler would turn a SIGTERM into a bare sys.exit while it starts.
                utils.set_sigterm_handler = lambda handler: None
            try:
                ray.init(**init)
            except SystemExit as stop:
                if stop.code == signal.SIGTERM:
                    raise Interrupted(signal.SIGTERM) from None
                raise
            finally:
                if ray_sets_handler is not None:
                    utils.set_sigterm_handler = ray_sets_handler
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


# A line of the log of Ray's C++ core in this process, which writes to fd 2 whatever the Python
# logging levels: "[2026-01-30 17:30:17,367 E 18325 18325] core_worker.cc:2465: ...".
_NATIVE_LOG_LINE = re.compile(rb"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z] \d+ \d+\] ")


@contextlib.contextmanager
def _native_log_hidden(verbose: bool) -> Iterator[None]:
    """Drop the lines of Ray's C++ log from stderr (fd 2) in this block, unless ``verbose``; the rest passes."""
    if verbose:
        yield
        return
    try:
        sys.stderr.flush()
        original = os.dup(2)
    except (OSError, ValueError):
        yield  # no usable stderr: nothing to keep clean
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    thread = threading.Thread(target=_forward, args=(read_end, original), name="annotate-stderr", daemon=True)
    thread.start()
    try:
        # A job that exits without its cleanup says so on the real stderr.
        with if_abandoned(lambda: os.dup2(original, 2)):
            yield
    finally:
        sys.stderr.flush()
        # The pipe closes once no process holds it: Ray's processes are gone by now.
        os.dup2(original, 2)
        thread.join(timeout=2.0)
        if not thread.is_alive():
            os.close(original)


def _forward(read_end: int, original: int) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        for line in iter(pipe.readline, b""):
            if not _NATIVE_LOG_LINE.match(line):
                os.write(original, line)


@contextlib.contextmanager
def _quiet(verbose: bool) -> Iterator[None]:
    """Ray's Python loggers at ERROR in this block, unless ``verbose``."""
    loggers = [logging.getLogger(name) for name in RAY_LOGGERS]
    levels = [logger.level for logger in loggers]
    if not verbose:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


# Blocks of about this many bytes of text: small enough that the actor pool
# shares out the documents of a single big file, large enough to cost little.
BLOCK_BYTES = 32 * 1024


def _run(ray, model, files, options, writer, layout, policy, progress, workers, batch_size, threads) -> None:
    # A pipeline directory must be found from the actors' working directories too.
    model_ref = os.path.abspath(model) if os.path.isdir(model) else model
    context = ray.data.DataContext.get_current()
    saved = context.enable_progress_bars, context.target_max_block_size
    context.enable_progress_bars = False  # the driver prints its own progress lines
    # Read before the dataset is built: each operator keeps the block size it was made with.
    context.target_max_block_size = BLOCK_BYTES
    try:
        ds = ray.data.from_items(
            [{"path": f.path, "format": f.format, "location": f.location} for f in files],
            override_num_blocks=len(files),
        )
        # Reading is light: zero CPUs, so it never waits for the annotating actors' cores.
        ds = ds.flat_map(_read_rows, fn_kwargs={"options": options}, num_cpus=0)
        ds = ds.map_batches(
            Annotator,
            fn_constructor_kwargs={
                "model": model_ref,
                "max_chars": options.max_chars,
                "threads": threads,
                "batch_size": batch_size,
                "with_docs": writer.docbin is not None,
            },
            batch_size=batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=threads,
        )
        progress.begin()
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            checkpoint()
            _write_batch(batch.to_pydict(), writer, policy, progress)
    finally:
        context.enable_progress_bars, context.target_max_block_size = saved


def _write_batch(columns: Dict[str, List], writer: RecordWriter, policy: ErrorPolicy, progress: Progress) -> None:
    for line, source, error, chars, data in zip(
        columns["line"], columns["source"], columns["error"], columns["chars"], columns["doc"]
    ):
        if error:
            progress.add(errors=1)
            policy.handle(InputError(source, error))
            continue
        writer.write(line)
        if data:
            writer.add_doc_bytes(data)
        progress.add(docs=1, chars=chars)
