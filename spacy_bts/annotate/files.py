"""Which files a job reads: paths, globs, directories and ``-`` (standard input).

:func:`expand_inputs` lists them in a stable order and says what it passed
over: a file named twice, or through a link or another path, is read once and
noted by name; files of unknown suffix in directories and globs, and other
runs' temporary outputs, are noted and not read. An output that the job would
read, because it is one of the input files, or lies in an input directory, or
matches an input glob (whether or not it exists yet), is a :class:`UsageError`
before anything is written: reading an output while replacing it would lose
it or feed the job its own records.
"""

import fnmatch
import glob
import os
import re
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import UsageError
from .inputs import STDIN, STDIN_NAME, InputFile, format_of
from .writers import STDOUT, is_temporary_output


def expand_inputs(
    patterns: Sequence[str], forced_format: Optional[str] = None, outputs: Sequence[Optional[str]] = ()
) -> Tuple[List[InputFile], List[str]]:
    """The files named by ``patterns``, and notes on what was passed over.

    Directories (searched recursively) and globs yield the files with a known
    suffix; a file named explicitly without one is read as plain text.
    ``outputs`` are the job's output paths, none of which may be read.
    """
    outputs = [p for p in outputs if p and p != STDOUT]
    files: List[InputFile] = []
    notes: List[str] = []
    seen: Dict[Tuple[int, int], str] = {}

    def add(path: str, explicit: bool) -> None:
        if is_temporary_output(path):
            notes.append(f"{path}: the temporary output of another run; not read")
            return
        fmt = format_of(path, forced_format)
        if fmt is None and explicit:
            fmt = "text"
        if fmt is None:
            notes.append(f"{path}: unknown suffix (use .jsonl, .parquet or .txt, or --format); not read")
            return
        try:
            stat = os.stat(path)
        except OSError:
            files.append(InputFile(path, fmt))  # reading it will report why not
            return
        key = (stat.st_dev, stat.st_ino)
        if key in seen:
            first = seen[key]
            again = "given more than once" if first == path else f"the same file as {first}"
            notes.append(f"{path}: {again}; read once")
            return
        for output in outputs:
            if os.path.exists(output) and os.path.samefile(output, path):
                raise UsageError(f"the output {output} is also an input ({path}); write the output elsewhere")
        seen[key] = path
        files.append(InputFile(path, fmt))

    for pattern in patterns:
        if pattern == STDIN:
            _add_stdin(files, notes, forced_format)
        elif os.path.isdir(pattern):
            _check_not_inside(pattern, outputs, forced_format)
            found = sorted(os.path.join(root, name) for root, _, names in os.walk(pattern) for name in names)
            if not found:
                raise UsageError(f"input directory {pattern} has no files")
            for path in found:
                add(path, explicit=False)
        elif os.path.isfile(pattern):
            add(pattern, explicit=True)
        else:
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise UsageError(f"no input file matches {pattern}")
            for output in outputs:
                if format_of(output, forced_format) and _glob_matches(pattern, output):
                    raise UsageError(f"the output {output} matches the input {pattern}; write the output elsewhere")
            for path in matches:
                if not os.path.isdir(path):
                    add(path, explicit=False)
    if not files:
        raise UsageError(f"no input files in {', '.join(patterns)}")
    return files, notes


def _add_stdin(files: List[InputFile], notes: List[str], forced_format: Optional[str]) -> None:
    if any(f.location == STDIN for f in files):
        notes.append(f"{STDIN}: given more than once; read once")
        return
    fmt = forced_format or "jsonl"
    if fmt == "parquet":
        raise UsageError("standard input (-) is read as JSONL or text, not Parquet: use --format jsonl or text")
    files.append(InputFile(STDIN_NAME, fmt, STDIN))


def _check_not_inside(directory: str, outputs: Sequence[str], forced_format: Optional[str]) -> None:
    root = os.path.realpath(directory)
    for output in outputs:
        # The output may not exist yet: its directory decides.
        where = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(output))), os.path.basename(output))
        if format_of(output, forced_format) and os.path.commonpath([root, where]) == root:
            raise UsageError(
                f"the output {output} is inside the input directory {directory}, which would read it; "
                "write the output elsewhere"
            )


def _glob_matches(pattern: str, path: str) -> bool:
    """Whether ``glob.glob(pattern, recursive=True)`` would list ``path``, were it there."""
    parts = os.path.abspath(pattern).split(os.sep)
    names = os.path.abspath(path).split(os.sep)
    return _match(parts, names)


def _match(parts: List[str], names: List[str]) -> bool:
    if not parts:
        return not names
    part, rest = parts[0], parts[1:]
    if part == "**":
        # Zero or more directories; like glob, not hidden ones.
        for i in range(len(names) + 1):
            if _match(rest, names[i:]):
                return True
            if i < len(names) and names[i].startswith("."):
                return False
        return False
    if not names:
        return False
    name = names[0]
    if name.startswith(".") and not part.startswith(".") and re.search(r"[*?[]", part):
        return False
    return fnmatch.fnmatchcase(name, part) and _match(rest, names[1:])
