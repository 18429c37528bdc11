"""The corpus reader ``spacy-bts.JsonlSpans.v1``: JSONL of texts and character spans -> Examples.

One JSON object per line, the shape annotation tools export::

    {"text": "東京に住む田中さん。", "spans": [{"start": 0, "end": 2, "label": "LOC"}, [5, 7, "PER"]]}

The spans are under ``"spans"`` or ``"entities"``, each an object with
``start``, ``end`` and ``label`` (other keys, e.g. token offsets, are ignored)
or a ``[start, end, label]`` triple, in character offsets. An optional
``"unannotated_labels"`` list names labels the record is not annotated for
(unknown there, not absent: e.g. a corpus without MISC). Each record becomes
an Example as ``examples.example_from_spans`` builds it, so no span is lost to
the tokenizer. A bad line (not UTF-8, not JSON, no text, no span list, a span
the Doc cannot hold) is a ValueError naming the file and line; blank lines and
empty texts are skipped.
"""

import json
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional, Tuple, Union

from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

from .examples import TASKS, check_unannotated_labels, example_from_spans

SPAN_KEYS = ("spans", "entities")


@registry.readers("spacy-bts.JsonlSpans.v1")
def create_jsonl_spans_reader(
    path: Optional[Path], task: str = "ner", limit: int = 0, spans_key: Optional[str] = None, max_length: int = 0,
    gold_preproc: bool = False, augmenter: Optional[Callable] = None,
) -> Callable[[Language], Iterable[Example]]:  # fmt: skip
    """Examples from a JSONL file, or every ``*.jsonl`` file under a directory.

    task: "ner" (spans are entities) or "pos" (spans are words with UPOS tags).
    limit: the first ``limit`` examples (0: all).
    spans_key: ``doc.spans`` key for overlapping entities (default ``bts_ner``).
    max_length, gold_preproc, augmenter: the settings of spaCy's corpus readers,
    so that a config's ``[corpora.*]`` block takes this reader by changing its
    ``@readers`` only. max_length: texts longer than this many characters are
    left out (0: none); gold_preproc must be false (the reader knows no
    sentences); augmenter: a spaCy augmenter applied to each example.
    """
    return JsonlSpansCorpus(
        path, task=task, limit=limit, spans_key=spans_key, max_length=max_length, gold_preproc=gold_preproc,
        augmenter=augmenter,
    )  # fmt: skip


class JsonlSpansCorpus:
    """Iterate over the Examples of JSONL span files; read anew on every call (every epoch)."""

    def __init__(
        self, path: Optional[Union[str, Path]], *, task: str = "ner", limit: int = 0, spans_key: Optional[str] = None,
        max_length: int = 0, gold_preproc: bool = False, augmenter: Optional[Callable] = None,
    ) -> None:  # fmt: skip
        if path is None:
            raise ValueError("spacy-bts.JsonlSpans.v1: path is null; set it (e.g. --paths.train data/train.jsonl)")
        if task not in TASKS:
            raise ValueError(f"spacy-bts.JsonlSpans.v1: task must be one of {TASKS}, not {task!r}")
        if gold_preproc:
            raise ValueError("spacy-bts.JsonlSpans.v1: gold_preproc must be false (the reader knows no sentences)")
        self.path = Path(path)
        self.task = task
        self.limit = limit
        self.spans_key = spans_key
        self.max_length = max_length
        self.augmenter = augmenter

    def files(self) -> List[Path]:
        if self.path.is_dir():
            return sorted(self.path.rglob("*.jsonl"))
        if not self.path.exists():
            raise ValueError(f"spacy-bts.JsonlSpans.v1: {self.path} does not exist")
        return [self.path]

    def records(self) -> Iterator[Tuple[str, str, list, list]]:
        """``(file:line, text, spans, unannotated labels)`` of each record, in file order."""
        for path in self.files():
            yield from read_records(path)

    def __call__(self, nlp: Language) -> Iterator[Example]:
        n = 0
        for source, text, spans, unannotated in self.records():
            if not text or (self.max_length and len(text) > self.max_length):
                continue
            try:
                example = example_from_spans(
                    nlp, text, spans, task=self.task, spans_key=self.spans_key, unannotated_labels=unannotated
                )
            except ValueError as err:
                raise ValueError(f"{source}: {err}") from err
            for eg in self.augmenter(nlp, example) if self.augmenter else (example,):
                yield eg
            n += 1
            if self.limit and n >= self.limit:
                return


def read_records(path: Path) -> Iterator[Tuple[str, str, list, list]]:
    """``(file:line, text, spans, unannotated labels)`` of each non-blank line (spans not yet checked)."""
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            source = f"{path}:{number}"
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                raise ValueError(f"{source}: not UTF-8 ({err.reason} at byte {err.start})") from None
            if not line.strip():
                continue
            yield (source, *parse_record(line, source))


def parse_record(line: str, source: str) -> Tuple[str, list, list]:
    """The text, the span list and the unannotated labels of one JSONL line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"{source}: malformed JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{source}: expected a JSON object, not {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError(f"{source}: no string field 'text'")
    keys = [key for key in SPAN_KEYS if key in record]
    if len(keys) != 1:
        what = "both" if keys else "neither"
        raise ValueError(f"{source}: expected one list of spans, 'spans' or 'entities'; the record has {what}")
    spans = record[keys[0]]
    if not isinstance(spans, list):
        raise ValueError(f"{source}: '{keys[0]}' must be a list, not {type(spans).__name__}")
    unannotated = record.get("unannotated_labels", [])
    try:
        check_unannotated_labels(unannotated)
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from None
    return text, spans, unannotated
