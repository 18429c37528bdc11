"""The command line: ``python -m spacy_bts.annotate PIPELINE INPUT [INPUT ...] --output OUT``.

Each option is a keyword of :func:`~spacy_bts.annotate.job.annotate`, whose
module doc says what a job reads, writes and reports. Exit status 0 when the
job succeeds (bad documents skipped are listed on stderr), 1 on an
:class:`AnnotateError` (printed as ``error: ...``), 2 on a usage error.
"""

import argparse
import sys
from typing import Optional, Sequence

from .errors import AnnotateError
from .inputs import DEFAULT_MAX_CHARS, FORMATS
from .job import ENGINES, annotate
from .reporting import ON_ERROR


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The command's options, from ``argv`` (default: ``sys.argv``)."""
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
    """Run the command; returns its exit status."""
    args = parse_args(argv)
    try:
        result = annotate(
            args.model,
            args.inputs,
            args.output,
            engine=args.engine,
            workers=args.workers,
            batch_size=args.batch_size,
            threads=args.threads,
            docbin=args.docbin,
            text_field=args.text_field,
            id_field=args.id_field or None,
            input_format=args.format,
            max_chars=args.max_chars,
            on_error=args.on_error,
            address=args.address,
            num_cpus=args.num_cpus,
            progress_every=args.progress_every,
        )
    except AnnotateError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if result.errors:
        print(f"{len(result.errors):,} bad document(s) skipped (listed above)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
