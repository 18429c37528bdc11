"""The ``local`` engine of an annotation job: ``nlp.pipe`` in this process or in worker processes.

With one worker the pipeline runs in the job's own process. With more, the
job forks ``--workers`` processes (they share the loaded pipeline) and hands
each a batch at a time over its own pipe; a worker returns finished record
lines (and DocBin bytes for ``--docbin``), and the job writes them in input
order, so the output does not depend on the number of workers or the batch
size. The job owns its workers: they ignore SIGINT (a Ctrl-C reaches the
whole process group, and the job stops them), die on SIGTERM and with the
job's process, and are stopped (SIGTERM, then SIGKILL) whenever the job ends
early. spaCy's own ``n_process`` is not used: its workers cannot be stopped
from outside and keep an interrupted job from exiting.
"""

import multiprocessing
import os
import signal
import sys
import traceback
from multiprocessing.connection import wait
from typing import Dict, Iterator, List, Tuple

from spacy.language import Language

from ..runtime import torch_threads
from .errors import AnnotateError, Interrupted
from .inputs import InputDoc, InputError, Item
from .records import RecordLayout, doc_record, record_line
from .reporting import ErrorPolicy, Progress
from .signals import checkpoint, deferred, in_child_process, not_on_abandon, on_abandon
from .writers import RecordWriter, doc_bin_bytes

# Seconds a stopped worker gets to exit before it is killed.
STOP_GRACE = 2.0


def annotate_locally(
    nlp: Language, items: Iterator[Item], writer: RecordWriter, layout: RecordLayout, policy: ErrorPolicy,
    progress: Progress, workers: int, batch_size: int, threads: int,
) -> None:  # fmt: skip
    """Annotate ``items`` into ``writer`` in input order, reporting bad ones through ``policy``."""
    with torch_threads(threads):
        if workers == 1:
            _in_process(nlp, items, writer, layout, policy, progress, batch_size)
        else:
            with _Pool(nlp, layout, workers, writer.docbin is not None) as pool:
                progress.begin()
                pool.run(_batches(items, policy, progress, batch_size), writer, progress)


def _documents(items: Iterator[Item], policy: ErrorPolicy, progress: Progress) -> Iterator[InputDoc]:
    """The good documents of ``items``; bad ones are counted and reported on the way."""
    for item in items:
        checkpoint()
        if isinstance(item, InputError):
            progress.add(errors=1)
            policy.handle(item)
        else:
            yield item


def _in_process(nlp, items, writer, layout, policy, progress, batch_size) -> None:
    def texts() -> Iterator[Tuple[str, InputDoc]]:
        for item in _documents(items, policy, progress):
            progress.started(1, len(item.text))
            yield item.text, item

    progress.begin()
    for doc, item in nlp.pipe(texts(), as_tuples=True, batch_size=batch_size):
        checkpoint()
        writer.write(record_line(doc_record(doc, item.id, item.source, layout)))
        if writer.docbin is not None:
            writer.docbin.add(doc)
        progress.add(docs=1, chars=len(item.text))


Batch = List[Tuple[str, str, str]]


def _batches(items: Iterator[Item], policy: ErrorPolicy, progress: Progress, size: int) -> Iterator[Batch]:
    """Batches of ``(text, id, source)``; bad items are reported on the way."""
    batch: Batch = []
    for item in _documents(items, policy, progress):
        batch.append((item.text, item.id, item.source))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _work(nlp: Language, layout: RecordLayout, conn, with_docs: bool, parent: int) -> None:
    """A worker: batches in, ``(ok, lines and DocBin bytes or a traceback)`` out, until ``None`` or EOF."""
    in_child_process(parent)
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        try:
            docs = nlp.pipe([text for text, _, _ in batch], batch_size=len(batch))
            out = [
                (record_line(doc_record(doc, doc_id, source, layout)), doc_bin_bytes(doc) if with_docs else b"")
                for doc, (_, doc_id, source) in zip(docs, batch)
            ]
            conn.send((True, out))
        except Exception:
            conn.send((False, traceback.format_exc()))


class _Pool:
    """Forked workers, one batch in flight each; results written in input order."""

    def __init__(self, nlp: Language, layout: RecordLayout, workers: int, with_docs: bool) -> None:
        context = multiprocessing.get_context("fork")
        # A forked worker flushes its copy of the standard streams when it ends: leave nothing to repeat.
        sys.stdout.flush()
        sys.stderr.flush()
        self.procs: List[multiprocessing.Process] = []
        self.conns: List = []
        # Started workers must be known to close() even if a signal comes meanwhile.
        with deferred():
            try:
                for _ in range(workers):
                    mine, theirs = context.Pipe()
                    proc = context.Process(
                        target=_work, args=(nlp, layout, theirs, with_docs, os.getpid()), daemon=True
                    )
                    proc.start()
                    theirs.close()
                    self.procs.append(proc)
                    self.conns.append(mine)
            except BaseException:
                self.close(clean=False)
                raise
            on_abandon(self._kill)

    def _kill(self) -> None:
        """From another thread, when the job exits without its cleanup."""
        for proc in self.procs:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except OSError:
                pass

    def run(self, batches: Iterator[Batch], writer: RecordWriter, progress: Progress) -> None:
        idle = list(range(len(self.conns)))
        busy: Dict[int, Tuple[int, Batch]] = {}
        done: Dict[int, list] = {}
        sent = written = 0
        exhausted = False
        while True:
            checkpoint()
            while idle and not exhausted:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                worker = idle.pop()
                try:
                    self.conns[worker].send(batch)
                except OSError:
                    self._died(worker)
                busy[worker] = (sent, batch)
                progress.started(len(batch), sum(len(text) for text, _, _ in batch))
                sent += 1
            if not busy:
                return
            for conn in wait([self.conns[w] for w in busy]):
                worker = self.conns.index(conn)
                number, batch = busy.pop(worker)
                done[number] = list(zip(self._receive(worker), batch))
                idle.append(worker)
            while written in done:
                for (line, data), (text, _, _) in done.pop(written):
                    writer.write(line)
                    if data:
                        writer.add_doc_bytes(data)
                    progress.add(docs=1, chars=len(text))
                written += 1

    def _receive(self, worker: int) -> list:
        try:
            ok, payload = self.conns[worker].recv()
        except (EOFError, OSError):
            self._died(worker)
        if not ok:
            raise AnnotateError(f"a worker failed: {payload.strip().splitlines()[-1]}\n{payload}")
        return payload

    def _died(self, worker: int) -> None:
        proc = self.procs[worker]
        proc.join(STOP_GRACE)
        code = proc.exitcode
        # Stopped by the same signal as the job (sent to the process group): the job was interrupted.
        if code is not None and -code in (signal.SIGINT, signal.SIGTERM):
            raise Interrupted(-code) from None
        raise AnnotateError(f"worker process {proc.pid} died (exit code {code})") from None

    def close(self, clean: bool) -> None:
        """Stop the workers: let them finish (``clean``), else terminate them; either way, none is left."""
        with deferred():
            not_on_abandon(self._kill)
            for conn, proc in zip(self.conns, self.procs):
                if clean:
                    try:
                        conn.send(None)
                    except OSError:
                        pass
                else:
                    proc.terminate()
            for proc in self.procs:
                proc.join(STOP_GRACE)
                if proc.exitcode is None:
                    proc.kill()
                    proc.join()
            for conn in self.conns:
                conn.close()

    def __enter__(self) -> "_Pool":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(clean=exc_type is None)
