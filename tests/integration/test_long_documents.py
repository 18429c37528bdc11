"""Long documents: results do not depend on how the segments are batched or where
the text is cut at segment boundaries; memory grows linearly (bench/long_docs.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures import NER_SENTENCES
from spacy.tokens import Doc

ROOT = Path(__file__).parents[2]


def long_text(n_sentences=60):
    texts = [t for t, _ in NER_SENTENCES]
    return " ".join(texts[i % len(texts)] for i in range(n_sentences))


def spans_of(pipe, texts):
    """(start, end, label, prob) per text, from predict() alone."""
    docs = [pipe_doc(pipe, t) for t in texts]
    return [
        list(zip(p.starts.tolist(), p.ends.tolist(), p.labels.tolist(), p.probs.tolist())) for p in pipe.predict(docs)
    ]


def pipe_doc(pipe, text):
    return Doc(pipe.vocab, words=[text], spaces=[False]) if text else Doc(pipe.vocab, words=[])


def same(a, b):
    assert a == b


@pytest.fixture()
def ner(trained_ner):
    pipe = trained_ner.get_pipe("bts_ner")
    saved = dict(pipe.cfg)
    yield pipe
    pipe.cfg.update(saved)


def test_segment_batching_does_not_change_results(ner):
    text = long_text()
    whole = spans_of(ner, [text])[0]
    assert whole, "the overfitted model finds entities in its own sentences"
    for size in (1, 7, 64):
        ner.cfg["max_batch_segments"] = size
        same(spans_of(ner, [text])[0], whole)


def test_cutting_at_segment_boundaries_changes_nothing(ner):
    """With overlap 0, segments start every k bytes; a cut at a multiple of k on a
    character boundary leaves every segment (and so every span) unchanged.
    Seq2seq head only: the tagging head decodes the whole document at once, so a
    span may run across the cut."""
    if ner.head.name != "seq2seq":
        pytest.skip("the tagging head's spans may cross segment boundaries")
    ner.cfg["overlap"] = 0
    k = ner.segment_length
    text = long_text()
    data = text.encode("utf8")
    char_at = {len(text[:i].encode("utf8")): i for i in range(len(text) + 1)}
    cuts = [b for b in range(k, len(data) - k, k) if b in char_at][::3]
    assert len(cuts) >= 3
    whole = spans_of(ner, [text])[0]
    pieces, starts = [], []
    bounds = [0] + [char_at[b] for b in cuts] + [len(text)]
    for lo, hi in zip(bounds, bounds[1:]):
        pieces.append(text[lo:hi])
        starts.append(lo)
    joined = []
    for lo, spans in zip(starts, spans_of(ner, pieces)):
        joined += [(s + lo, e + lo, label, p) for s, e, label, p in spans]
    same(sorted(joined), sorted(whole))


@pytest.mark.slow
def test_memory_grows_linearly_with_document_length():
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "long_docs.py"), "--mb", "1", "10", "--alignment-mode", "expand"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = json.loads(out.strip().splitlines()[-1])["rows"]
    small, large = rows
    # The 9 MB between the two documents cost the components a few bytes per byte
    # (offset maps and the output spans): the working memory is set by the
    # segment batch, not by the document (measured: ~100 MB + ~18 B/byte).
    marginal = (large["components_mb"] - small["components_mb"]) * 2**20 / (large["bytes"] - small["bytes"])
    assert marginal <= 40, rows
