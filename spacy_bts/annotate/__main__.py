"""The command line: ``python -m spacy_bts.annotate PIPELINE INPUT [INPUT ...] --output OUT``.

Each option is a keyword of :func:`~spacy_bts.annotate.job.annotate`, whose
module doc says what a job reads, writes and reports. Messages go to stderr
only (``-o -`` writes the records to stdout). Exit status: 0 when the job
succeeds (skipped input is listed on stderr); 1 when it fails: nothing
annotated, ``--on-error stop``, a worker that died, or with ``--strict`` any
skipped line or file (the output is written first); 2 on a usage error: an
option, input, pipeline or output the job cannot use, named in the message;
130 on SIGINT and 143 on SIGTERM (the previous output is kept).
"""

import argparse
import os
import signal
import sys
from typing import Optional, Sequence

from .errors import AnnotateError, Interrupted
from .inputs import DEFAULT_MAX_CHARS, FORMATS
from .job import ENGINES, annotate
from .reporting import ON_ERROR
from .signals import SIGNALS, stop_on_signals


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The command's options, from ``argv`` (default: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        prog="python -m spacy_bts.annotate",
        description="Annotate JSONL, Parquet or text files with a spaCy pipeline.",
    )
    count = _at_least_one
    parser.add_argument("model", help="pipeline name or directory")
    parser.add_argument("inputs", nargs="+", help="input files, globs or directories; - for standard input")
    parser.add_argument("-o", "--output", required=True, help="output file, .jsonl or .parquet; - for standard output")
    parser.add_argument("--docbin", help="also save the annotated Docs to this .spacy file")
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--workers", type=count, default=1, help="processes (local) or actors (ray)")
    parser.add_argument("--batch-size", type=count, default=64, help="documents per batch")
    parser.add_argument("--threads", type=count, default=1, help="torch threads per worker")
    parser.add_argument("--text-field", default="text", help="JSONL field / Parquet column with the text")
    parser.add_argument("--id-field", default="id", help="field / column with the document id, if present")
    parser.add_argument("--format", choices=FORMATS, help="input format (default: from each file's suffix)")
    parser.add_argument("--max-chars", type=count, default=DEFAULT_MAX_CHARS, help="longest document accepted")
    parser.add_argument("--on-error", choices=ON_ERROR, default="skip", help="bad input: report and skip, or stop")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any line or file was skipped")
    parser.add_argument("--address", help="ray: address of a running cluster (default: start a local one)")
    parser.add_argument("--num-cpus", type=count, help="ray: CPUs of the local cluster (default: all)")
    parser.add_argument("--progress-every", type=float, default=5.0, help="seconds between progress lines (0: none)")
    parser.add_argument("--verbose", action="store_true", help="also show Ray's own log lines")
    args = parser.parse_args(argv)
    if not args.text_field:
        parser.error("argument --text-field: must not be empty")
    return args


# The command's options that are keywords of annotate() under the same name.
JOB_OPTIONS = (
    "engine", "workers", "batch_size", "threads", "docbin", "text_field", "max_chars", "on_error", "address",
    "num_cpus", "progress_every", "verbose",
)  # fmt: skip


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command; returns its exit status."""
    args = parse_args(argv)
    try:
        with stop_on_signals():
            result = annotate(
                args.model,
                args.inputs,
                args.output,
                id_field=args.id_field or None,
                input_format=args.format,
                **{option: getattr(args, option) for option in JOB_OPTIONS},
            )
    except AnnotateError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except Interrupted as stop:
        if stop.output_written or args.output == "-":
            kept = ""
        else:
            kept = f"; {args.output} not written (a previous one is left as it was)"
        print(f"interrupted ({stop}){kept}", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        # A Ctrl-C before the handlers were in place.
        print("interrupted (SIGINT)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of -o - went away (e.g. `| head`); nothing more can be written there.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("error: standard output was closed before the job ended", file=sys.stderr)
        return 1
    if result.errors:
        print(f"note: {len(result.errors):,} input line(s) or file(s) skipped (listed above)", file=sys.stderr)
        if args.strict:
            print("error: input was skipped (--strict)", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    status = main()
    # The job is over and cleaned up (workers stopped, Ray shut down, outputs in place or removed).
    # A signal now must not turn its outcome into a traceback, and the interpreter's own shutdown,
    # where Ray's native threads can still crash the process, has nothing left to do.
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    try:
        sys.stdout.flush()
    finally:
        sys.stderr.flush()
        os._exit(status)
