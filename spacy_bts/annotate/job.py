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
this module) and ``ray`` (Ray Data, an actor pool of ``--workers`` actors;
``--address`` joins a running cluster, default a new local one;
:mod:`.ray_engine`). Records are the same whatever the engine, workers and
batch size; ``ray`` writes them in completion order.

Bad documents (malformed JSON, missing text field, not UTF-8, over
``--max-chars``) are reported with file and line and skipped, or stop the job
with ``--on-error stop``. Output files are replaced only when the job
succeeds, so rerunning with the same output path never duplicates records.
"""

import sys
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence

from spacy.language import Language

from ..runtime import torch_threads
from .errors import AnnotateError
from .inputs import DEFAULT_MAX_CHARS, FORMATS, InputDoc, InputError, Item, ReadOptions, expand_inputs, read_inputs
from .ray_engine import annotate_with_ray
from .records import RecordLayout, doc_record, load_pipeline, record_line
from .reporting import ErrorPolicy, Progress
from .writers import RecordWriter, output_format

ENGINES = ("local", "ray")


@dataclass
class AnnotateResult:
    """What a job did: documents written, bad input skipped, wall time, time to the first document."""

    docs: int
    errors: List[InputError] = field(default_factory=list)
    seconds: float = 0.0
    first_doc_seconds: Optional[float] = None


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
    stream=sys.stderr,
) -> AnnotateResult:
    """Annotate ``inputs`` with the pipeline ``model`` into ``output`` (see the module doc)."""
    if engine not in ENGINES:
        raise AnnotateError(f"--engine must be one of {ENGINES}, got {engine!r}")
    for name, value in (("--workers", workers), ("--batch-size", batch_size), ("--threads", threads)):
        if value < 1:
            raise AnnotateError(f"{name} must be >= 1, got {value}")
    if input_format is not None and input_format not in FORMATS:
        raise AnnotateError(f"--format must be one of {FORMATS}, got {input_format!r}")
    output_format(output)
    policy = ErrorPolicy(on_error, stream)
    files, notes = expand_inputs(inputs, input_format, exclude=[p for p in (output, docbin) if p])
    for note in notes:
        print(f"note: {note}", file=stream)
    options = ReadOptions(text_field=text_field, id_field=id_field, max_chars=max_chars)
    progress = Progress(stream, progress_every)
    print(
        f"annotating {len(files)} file(s) with {model}: engine {engine}, {workers} worker(s), "
        f"batch size {batch_size} -> {output}",
        file=stream,
        flush=True,
    )
    if engine == "local":
        nlp = load_pipeline(model, max_chars)
        layout = RecordLayout.of(nlp)
        with RecordWriter(output, layout.fields, docbin) as writer:
            _annotate_local(
                nlp, read_inputs(files, options), writer, layout, policy, progress, workers, batch_size, threads
            )
    else:
        annotate_with_ray(
            model,
            files,
            options,
            output,
            docbin,
            policy,
            progress,
            workers=workers,
            batch_size=batch_size,
            threads=threads,
            address=address,
            num_cpus=num_cpus,
        )
    progress.print("done")
    return AnnotateResult(progress.docs, policy.errors, progress.seconds, progress.first_doc_seconds)


def _annotate_local(
    nlp: Language,
    items: Iterator[Item],
    writer: RecordWriter,
    layout: RecordLayout,
    policy: ErrorPolicy,
    progress: Progress,
    workers: int,
    batch_size: int,
    threads: int,
) -> None:
    """The local engine: ``nlp.pipe`` over the documents in ``workers`` processes, in input order."""

    def documents() -> Iterator:
        for item in items:
            if isinstance(item, InputError):
                progress.add(errors=1)
                policy.handle(item)
            else:
                yield item.text, item

    with torch_threads(threads):
        annotated = nlp.pipe(documents(), as_tuples=True, n_process=workers, batch_size=batch_size)
        for doc, item in annotated:
            item: InputDoc
            writer.write(record_line(doc_record(doc, item.id, item.source, layout)))
            if writer.docbin is not None:
                writer.docbin.add(doc)
            progress.add(docs=1)
