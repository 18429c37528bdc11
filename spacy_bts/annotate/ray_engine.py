"""The ``ray`` engine of an annotation job: Ray Data with an actor pool.

Files are read on the cluster (one task per file, so input files must be
visible to every node at the same path), cut into blocks of ``batch_size``
documents and streamed through a fixed pool of actors, each loading the
pipeline once and running ``nlp.pipe`` with its own torch threads. Actors
return finished record lines (the same serialisation as the local engine) and
pass bad-input reports through, so the driver only reports, counts and writes.
Needs the ``ray`` extra: ``pip install "spacy-bts[ray]"``; Ray is imported
only when the engine runs (:func:`import_ray`). The engine shares the reading,
records, writers and reporting modules with the local engine and never imports
the job that chooses it.
"""

import logging
import os
from typing import Dict, Iterator, List, Optional

from ..runtime import set_torch_threads
from .errors import AnnotateError
from .inputs import InputError, InputFile, ReadOptions, read_file
from .records import RecordLayout, doc_record, load_pipeline, record_line
from .reporting import ErrorPolicy, Progress
from .writers import RecordWriter, doc_bin_bytes


def import_ray():
    """Ray and Ray Data, or a clear error naming the extra to install."""
    try:
        import ray
        import ray.data
    except ImportError as err:
        raise AnnotateError('the ray engine needs Ray Data: pip install "spacy-bts[ray]" (or "ray[data]")') from err
    return ray


def _read_rows(row: Dict, options: ReadOptions) -> Iterator[Dict]:
    """The documents of one input file as rows; bad ones as error rows.

    Rows have ``id``, ``text``, ``source``, ``error`` (empty for a good
    document) and ``fatal``: the whole file is unreadable, which stops the job.
    """
    file = InputFile(row["path"], row["format"], row["location"])
    try:
        for item in read_file(file, options):
            if isinstance(item, InputError):
                yield {"id": "", "text": "", "source": item.source, "error": item.message, "fatal": False}
            else:
                yield {"id": item.id, "text": item.text, "source": item.source, "error": "", "fatal": False}
    except AnnotateError as err:
        yield {"id": "", "text": "", "source": file.path, "error": str(err), "fatal": True}


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
        out: Dict[str, List] = {"id": [], "source": [], "line": [], "error": [], "fatal": [], "doc": []}
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
            out["fatal"].append(row["fatal"])
            out["doc"].append(data)
        return pa.table(
            out,
            schema=pa.schema(
                [
                    ("id", pa.string()),
                    ("source", pa.string()),
                    ("line", pa.string()),
                    ("error", pa.string()),
                    ("fatal", pa.bool_()),
                    ("doc", pa.binary()),
                ]
            ),
        )


def annotate_with_ray(
    model: str,
    files: List[InputFile],
    options: ReadOptions,
    output: str,
    docbin: Optional[str],
    policy: ErrorPolicy,
    progress: Progress,
    *,
    workers: int,
    batch_size: int,
    threads: int,
    address: Optional[str] = None,
    num_cpus: Optional[int] = None,
) -> None:
    """Annotate ``files`` into ``output`` on Ray: the cluster at ``address``, the one
    this process is already connected to, or a new local one (shut down at the end)."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        if address is not None and num_cpus is not None:
            raise AnnotateError("--num-cpus sizes a new local cluster; leave it out with --address")
        init = {"address": address, "logging_level": logging.WARNING}
        if address is None:
            init.update(include_dashboard=False, num_cpus=num_cpus)
        ray.init(**init)
        started = True
    try:
        _run(ray, model, files, options, output, docbin, policy, progress, workers, batch_size, threads)
    finally:
        if started:
            ray.shutdown()


# Blocks of about this many bytes of text: small enough that the actor pool
# shares out the documents of a single big file, large enough to cost little.
BLOCK_BYTES = 32 * 1024


def _run(ray, model, files, options, output, docbin, policy, progress, workers, batch_size, threads) -> None:
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    # A pipeline directory must be found from the actors' working directories too.
    model_ref = os.path.abspath(model) if os.path.isdir(model) else model
    # The driver loads the pipeline too, to learn the output fields and fail early.
    layout = RecordLayout.of(load_pipeline(model_ref))
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
                "with_docs": docbin is not None,
            },
            batch_size=batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=threads,
        )
        with RecordWriter(output, layout.fields, docbin) as writer:
            for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
                _write_batch(batch.to_pydict(), writer, policy, progress)
    finally:
        context.enable_progress_bars, context.target_max_block_size = saved


def _write_batch(columns: Dict[str, List], writer: RecordWriter, policy: ErrorPolicy, progress: Progress) -> None:
    for line, source, error, fatal, data in zip(
        columns["line"], columns["source"], columns["error"], columns["fatal"], columns["doc"]
    ):
        if fatal:
            raise AnnotateError(error)
        if error:
            progress.add(errors=1)
            policy.handle(InputError(source, error))
            continue
        writer.write(line)
        if data:
            writer.add_doc_bytes(data)
        progress.add(docs=1)
