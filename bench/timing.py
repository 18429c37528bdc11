"""Timing helpers of the bench scripts: test texts, timed calls and passes, the CPU's name.

``speed.py``, ``precision.py``, ``limits.py``, ``profile_pipe.py`` and ``int8_lstm.py``
measure with the same warm-ups and medians through these.
"""

import collections
import platform
import re
import statistics
import time
from pathlib import Path
from typing import List

TEST_FILES = ["corpus/ner/en-test.spacy", "corpus/ner/es-test.spacy", "corpus/ner/nl-test.spacy"]


def load_texts(nlp, paths, n_words):
    from spacy.training import Corpus

    texts, words = [], 0
    for path in paths:
        if not Path(path).exists():
            continue
        for eg in Corpus(path)(nlp):
            texts.append(eg.reference.text)
            words += sum(not t.is_space for t in eg.reference)
            if words >= n_words:
                return texts, words
    if not texts:
        raise SystemExit(f"no test texts in {paths}")
    return texts, words


def timed(fn, repeats: int) -> List[float]:
    """Seconds of each of ``repeats`` calls of ``fn``."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def median_seconds(fn, repeats: int) -> float:
    """Median seconds of ``fn`` over ``repeats`` calls after one warm-up call."""
    fn()
    return statistics.median(timed(fn, repeats))


def pipe_seconds(nlp, texts, batch_size: int, repeats: int) -> List[float]:
    """Seconds of each of ``repeats`` passes of ``nlp.pipe`` over ``texts``, after a
    warm-up pass over the first few."""
    list(nlp.pipe(texts[: max(batch_size, 8)], batch_size=batch_size))
    return timed(lambda: collections.deque(nlp.pipe(texts, batch_size=batch_size), maxlen=0), repeats)


def one_document(texts, n_words: int) -> str:
    """The first ``n_words`` words of ``texts`` joined by spaces, their spacing kept."""
    text = " ".join(texts)
    cut = [m.end() for m in re.finditer(r"\S+", text)]
    return text[: cut[min(n_words, len(cut)) - 1]]


def latency_ms(nlp, texts, n_words: int, calls: int) -> float:
    """Median milliseconds of ``nlp(text)`` on ``one_document(texts, n_words)``."""
    text = one_document(texts, n_words)
    for _ in range(3):
        nlp(text)
    return statistics.median(timed(lambda: nlp(text), calls)) * 1000


def cpu_description() -> str:
    """The CPU's model name and the flags that decide the precision choice."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    shown = sorted(f for f in flags if f.startswith(("avx512_bf16", "avx512_vnni", "amx", "avx512f", "avx2")))
    return f"{name} ({', '.join(shown) or 'flags unknown'})"


def run_overrides(name: str, sets, train: str, dev: str) -> dict:
    """Config overrides of one named run: the corpora, then each ``NAME:dotted.key=JSON`` of ``sets`` for it."""
    import json

    overrides = {"paths.train": train, "paths.dev": dev}
    for item in sets:
        target, assignment = item.split(":", 1)
        if target == name:
            key, value = assignment.split("=", 1)
            overrides[key] = json.loads(value)
    return overrides
