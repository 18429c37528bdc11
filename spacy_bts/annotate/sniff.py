"""What the first block of a JSONL or text input says about the whole file.

Inputs are UTF-8. A UTF-8 byte order mark is skipped: the first document
starts after it, and its offsets count from there. A file that is not UTF-8
text at all (UTF-16 or UTF-32, with or without a byte order mark; compressed;
binary, with NUL bytes; or more lines that fail to decode than lines that do)
is one problem for the file instead of one per line (:func:`sniff`).
"""

import codecs
import re
from dataclasses import dataclass
from typing import Optional

# Bytes looked at: enough lines to tell a stray bad line from a file in another encoding.
HEAD_BYTES = 64 * 1024
UTF8_BOM = codecs.BOM_UTF8
# Longest first: the UTF-32LE mark starts with the UTF-16LE one.
_BOMS = (
    (codecs.BOM_UTF32_BE, "UTF-32BE"),
    (codecs.BOM_UTF32_LE, "UTF-32LE"),
    (codecs.BOM_UTF16_BE, "UTF-16BE"),
    (codecs.BOM_UTF16_LE, "UTF-16LE"),
)
_MAGIC = (
    (re.compile(rb"\x1f\x8b"), "gzip-compressed; decompress it first"),
    (re.compile(rb"BZh[1-9]1AY&SY"), "bzip2-compressed; decompress it first"),
    (re.compile(rb"\xfd7zXZ\x00"), "xz-compressed; decompress it first"),
    (re.compile(rb"\x28\xb5\x2f\xfd"), "zstd-compressed; decompress it first"),
    (re.compile(rb"PK\x03\x04"), "a zip archive; extract it first"),
)


@dataclass(frozen=True)
class Sniffed:
    """Bytes to skip at the start (a UTF-8 BOM), or why the file cannot be read as text."""

    skip: int = 0
    problem: Optional[str] = None


def sniff(head: bytes, complete: bool) -> Sniffed:
    """Judge a file by its first bytes ``head`` (``complete``: the whole file)."""
    for magic, problem in _MAGIC:
        if magic.match(head):
            return Sniffed(problem=f"not text: {problem}")
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return Sniffed(problem=f"{encoding} text (byte order mark); convert it to UTF-8")
    skip = len(UTF8_BOM) if head.startswith(UTF8_BOM) else 0
    if b"\x00" in head:
        return Sniffed(problem=_nul_problem(head))
    problem = _decoding_problem(head[skip:], complete)
    return Sniffed(skip, problem)


def _nul_problem(head: bytes) -> str:
    # ASCII-heavy UTF-16 or UTF-32 has its NUL bytes at fixed positions of each unit.
    n = len(head) - len(head) % 4
    if n >= 4:
        zeros = [sum(1 for b in head[i:n:4] if b == 0) / (n // 4) for i in range(4)]
        if min(zeros[1:]) > 0.9:
            return "UTF-32LE text (no byte order mark); convert it to UTF-8"
        if min(zeros[:3]) > 0.9:
            return "UTF-32BE text (no byte order mark); convert it to UTF-8"
        even, odd = (zeros[0] + zeros[2]) / 2, (zeros[1] + zeros[3]) / 2
        if odd > 0.4 and even < 0.05:
            return "UTF-16LE text (no byte order mark); convert it to UTF-8"
        if even > 0.4 and odd < 0.05:
            return "UTF-16BE text (no byte order mark); convert it to UTF-8"
    return f"not text: a NUL byte at offset {head.index(0)} (a binary file?)"


def _decoding_problem(head: bytes, complete: bool) -> Optional[str]:
    lines = head.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    bad, first = 0, None
    for number, line in enumerate(lines, 1):
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            # The last line may be cut in the middle of a character.
            decoder.decode(line, final=complete or number < len(lines))
        except UnicodeDecodeError as err:
            bad += 1
            first = first or (number, err.start, line[err.start])
    if first is None or bad * 2 <= len(lines):
        return None  # a few bad lines are reported one by one
    number, column, byte = first
    return (
        f"not UTF-8 text ({bad} of the first {len(lines)} lines do not decode; byte {byte:#04x} "
        f"at line {number}, column {column + 1}); convert it to UTF-8"
    )
