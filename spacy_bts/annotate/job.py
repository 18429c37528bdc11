"""One annotation job, :func:`annotate`: entities and/or words per document of files of text.

This is what ``python -m spacy_bts.annotate`` runs; each command option is a
keyword here (``--max-chars`` is ``max_chars``). The model is an installed
pipeline's name or a directory. Inputs are files, globs or directories of
JSONL (an object per line with a ``text`` field), Parquet (a ``text`` column)
or plain text (one document per line). The output is ``.jsonl`` or
``.parquet``: per document its ``id`` (the input's ``id`` field, else
``path:line``), its ``source`` (``path:line``) and its ``entities`` and/or
``words`` with character offsets, labels and scores; ``--docbin X.spacy`` also
saves the Docs. Engines: ``local`` (``nlp.pipe``, ``--workers`` processes;
:mod:`.local_engine`) and ``ray`` (Ray Data, an actor pool of ``--workers`` actors;
``--address`` joins a running cluster, default a new local one;
:mod:`.ray_engine`). Records are the same whatever the engine, workers and
batch size; ``ray`` writes them in completion order.

Every input line becomes a record or a reported skip: bad documents
(malformed JSON, a missing or null text field, a bad id, not UTF-8, over
``--max-chars``, blank lines) are reported with file and line and skipped, or
stop the job with ``--on-error stop``; a file that cannot be read is one
error. Output files are replaced only when the job succeeds (something was
annotated), so rerunning with the same output path never duplicates records,
and an output that the job would also read is refused (:mod:`.files`).
SIGINT and SIGTERM stop the job (:mod:`.signals`): no worker is left and the
previous output stays as it was.
"""

import sys
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from .errors import AnnotateError, Interrupted, UsageError
from .files import expand_inputs
from .inputs import DEFAULT_MAX_CHARS, FORMATS, InputError, ReadOptions, read_inputs
from .local_engine import annotate_locally
from .ray_engine import annotate_with_ray
from .records import RecordLayout, load_pipeline
from .reporting import ErrorPolicy, Progress, emit
from .signals import checkpoint
from .writers import STDOUT, RecordWriter, output_format, remove_stale_temporaries

ENGINES = ("local", "ray")


@dataclass
class AnnotateResult:
    """What a job did: documents written, bad input skipped, wall time, time to the first document."""

    docs: int
    errors: List[InputError] = field(default_factory=list)
    seconds: float = 0.0
    first_doc_seconds: Optional[float] = None


def check_options(
    engine: str,
    workers: int,
    batch_size: int,
    threads: int,
    input_format: Optional[str],
    max_chars: int,
    text_field: str,
    num_cpus: Optional[int],
) -> None:
    """A :class:`UsageError` naming the first option with a value the job cannot use."""
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {ENGINES}, got {engine!r}")
    numbers = [("--workers", workers), ("--batch-size", batch_size), ("--threads", threads)]
    numbers += [("--max-chars", max_chars)] + [("--num-cpus", num_cpus)] * (num_cpus is not None)
    for name, value in numbers:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"{name} must be a whole number >= 1, got {value!r}")
    if input_format is not None and input_format not in FORMATS:
        raise UsageError(f"--format must be one of {FORMATS}, got {input_format!r}")
    if not text_field:
        raise UsageError("--text-field must not be empty")


def annotate(
    model: str,
    inputs: Sequence[str],
    output: str,
    *,
    engine: str = "local",
    workers: int = 1,
    batch_size: int = 64,
    threads: int = 1,
    docbin: Optional[str] = None,
    text_field: str = "text",
    id_field: Optional[str] = "id",
    input_format: Optional[str] = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    on_error: str = "skip",
    address: Optional[str] = None,
    num_cpus: Optional[int] = None,
    progress_every: float = 5.0,
    verbose: bool = False,
    stream=sys.stderr,
) -> AnnotateResult:
    """Annotate ``inputs`` with the pipeline ``model`` into ``output`` (see the module doc).

    Raises :class:`UsageError` for what it was asked (options, inputs,
    pipeline, output) before writing anything, :class:`AnnotateError` when the
    job fails (nothing annotated included), :class:`Interrupted` on SIGINT or
    SIGTERM where :func:`~.signals.stop_on_signals` is in force.
    """
    check_options(engine, workers, batch_size, threads, input_format, max_chars, text_field, num_cpus)
    output_format(output)
    if docbin is not None and not docbin.endswith(".spacy"):
        raise UsageError(f"DocBin output {docbin}: use a .spacy file name")
    policy = ErrorPolicy(on_error, stream)
    files, notes = expand_inputs(inputs, input_format, outputs=[output, docbin])
    for note in notes:
        emit(stream, f"note: {note}")
    for path in remove_stale_temporaries(output) + (remove_stale_temporaries(docbin) if docbin else []):
        emit(stream, f"note: removed {path}, left by an interrupted run")
    options = ReadOptions(text_field=text_field, id_field=id_field, max_chars=max_chars)
    nlp = load_pipeline(model, max_chars)
    layout = RecordLayout.of(nlp)
    progress = Progress(stream, progress_every)
    where = "standard output" if output == STDOUT else output
    emit(
        stream,
        f"annotating {len(files)} file(s) with {model}: engine {engine}, {workers} worker(s), "
        f"batch size {batch_size} -> {where}",
    )
    writer: Optional[RecordWriter] = None
    checkpoint()  # a signal while the pipeline loaded may have been dropped
    try:
        with RecordWriter(output, layout.fields, docbin) as writer:
            if engine == "local":
                items = read_inputs(files, options)
                annotate_locally(nlp, items, writer, layout, policy, progress, workers, batch_size, threads)
            else:
                del nlp  # the actors load their own
                annotate_with_ray(
                    model, files, options, writer, layout, policy, progress, workers=workers, batch_size=batch_size,
                    threads=threads, address=address, num_cpus=num_cpus, verbose=verbose,
                )  # fmt: skip
            progress.end()
            if progress.docs == 0:
                raise AnnotateError(_nothing_annotated(policy.errors, text_field, where))
    except Interrupted as stop:
        stop.output_written = writer is not None and writer.committed
        raise
    finally:
        progress.end()
    progress.print("done")
    return AnnotateResult(progress.docs, policy.errors, progress.seconds, progress.first_doc_seconds)


def _nothing_annotated(errors: List[InputError], text_field: str, output: str) -> str:
    if not errors:
        reason = "the input has no documents"
    else:
        reason = f"all {len(errors):,} input(s) were skipped (listed above)"
        if any(e.message.startswith(("no text field", "no column")) for e in errors):
            reason += f"; is the text field {text_field!r}? (--text-field)"
    kept = "" if output == "standard output" else f"; {output} not written"
    return f"nothing annotated: {reason}{kept}"
