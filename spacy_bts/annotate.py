"""Annotate files of text with a pipeline: entities and/or words per document.

    python -m spacy_bts.annotate PIPELINE INPUT [INPUT ...] --output OUT.jsonl

PIPELINE is an installed pipeline's name or a directory. INPUT is a file, a
glob or a directory of JSONL (an object per line with a ``text`` field),
Parquet (a ``text`` column) or plain text (one document per line). OUT is
``.jsonl`` or ``.parquet``: per document its ``id`` (the input's ``id`` field,
else ``path:line``), its ``source`` (``path:line``) and its ``entities`` and/or
``words`` with character offsets, labels and scores; ``--docbin X.spacy`` also
saves the Docs. Engines: ``local`` (``nlp.pipe``, ``--workers`` processes) and
``ray`` (Ray Data, an actor pool of ``--workers`` actors; ``--address`` joins a
running cluster, default a new local one). Records are the same whatever the
engine, workers and batch size; ``ray`` writes them in completion order.

Bad documents (malformed JSON, missing text field, not UTF-8, over
``--max-chars``) are reported with file and line and skipped, or stop the job
with ``--on-error stop``. Output files are replaced only when the job
succeeds, so rerunning with the same output path never duplicates records.
"""
import argparse
import contextlib
import os
import sys
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence

import spacy
from spacy.language import Language

from .annotation_io import (
    DEFAULT_MAX_CHARS,
    FORMATS,
    ON_ERROR,
    AnnotateError,
    ErrorPolicy,
    InputDoc,
    InputError,
    Item,
    Progress,
    ReadOptions,
    RecordLayout,
    RecordWriter,
    doc_record,
    expand_inputs,
    output_format,
    read_inputs,
    record_line,
)
from .torch_wiring import set_torch_threads

ENGINES = ("local", "ray")


@dataclass
class AnnotateResult:
    """What a job did: documents written, bad input skipped, wall time, time to the first document."""

    docs: int
    errors: List[InputError] = field(default_factory=list)
    seconds: float = 0.0
    first_doc_seconds: Optional[float] = None

    @property
    def docs_per_s(self) -> float:
        return self.docs / max(self.seconds, 1e-9)


def load_pipeline(model: str, max_chars: int = DEFAULT_MAX_CHARS) -> Language:
    """Load a pipeline by name or path, accepting documents up to ``max_chars``."""
    nlp = spacy.load(model)
    nlp.max_length = max(nlp.max_length, max_chars + 1)
    return nlp


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch threads, also in worker processes started meanwhile."""
    env_before = os.environ.get("OMP_NUM_THREADS")
    before = set_torch_threads(n)
    # Forked workers inherit the setting; spawned ones read the variable.
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        yield
    finally:
        set_torch_threads(before)
        if env_before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = env_before


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
            _annotate_local(nlp, read_inputs(files, options), writer, layout, policy, progress, workers, batch_size, threads)
    else:
        from .annotate_ray import annotate_with_ray

        annotate_with_ray(
            model, files, options, output, docbin, policy, progress,
            workers=workers, batch_size=batch_size, threads=threads, address=address, num_cpus=num_cpus,
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


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m spacy_bts.annotate",
        description="Annotate JSONL, Parquet or text files with a spaCy pipeline.",
    )
    parser.add_argument("model", help="pipeline name or directory")
    parser.add_argument("inputs", nargs="+", help="input files, globs or directories")
    parser.add_argument("-o", "--output", required=True, help="output file, .jsonl or .parquet")
    parser.add_argument("--docbin", help="also save the annotated Docs to this .spacy file")
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--workers", type=int, default=1, help="processes (local) or actors (ray)")
    parser.add_argument("--batch-size", type=int, default=64, help="documents per batch")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    parser.add_argument("--text-field", default="text", help="JSONL field / Parquet column with the text")
    parser.add_argument("--id-field", default="id", help="field / column with the document id, if present")
    parser.add_argument("--format", choices=FORMATS, help="input format (default: from each file's suffix)")
    parser.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS, help="longest document accepted")
    parser.add_argument("--on-error", choices=ON_ERROR, default="skip", help="bad input: report and skip, or stop")
    parser.add_argument("--address", help="ray: address of a running cluster (default: start a local one)")
    parser.add_argument("--num-cpus", type=int, help="ray: CPUs of the local cluster (default: all)")
    parser.add_argument("--progress-every", type=float, default=5.0, help="seconds between progress lines")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        result = annotate(
            args.model, args.inputs, args.output, engine=args.engine, workers=args.workers,
            batch_size=args.batch_size, threads=args.threads, docbin=args.docbin,
            text_field=args.text_field, id_field=args.id_field or None, input_format=args.format,
            max_chars=args.max_chars, on_error=args.on_error, address=args.address,
            num_cpus=args.num_cpus, progress_every=args.progress_every,
        )
    except AnnotateError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if result.errors:
        print(f"{len(result.errors):,} bad document(s) skipped (listed above)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
