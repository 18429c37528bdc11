"""BILUO tags over bytes: gold spans to tags, and constrained Viterbi back to spans."""

import itertools

import numpy
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_bts.heads.tagging.biluo import _argmax_if_well_formed, _search, n_tags, spans_to_tags, tags_to_spans, viterbi


def _well_formed(tags, n):
    inside = None
    for tag in tags.tolist():
        kind = 0 if tag == 0 else (tag - 1) // n + 1
        label = (tag - 1) % n
        if kind in (0, 1, 4):
            if inside is not None:
                return False
            inside = label if kind == 1 else None
        else:
            if inside != label:
                return False
            inside = None if kind == 3 else label
    return inside is None


def _best_by_enumeration(lp, n):
    best = None
    for seq in itertools.product(range(n_tags(n)), repeat=len(lp)):
        seq = numpy.asarray(seq)
        if _well_formed(seq, n):
            score = lp[numpy.arange(len(seq)), seq].sum()
            if best is None or score > best[0]:
                best = (score, seq)
    return best[0]


def test_viterbi_finds_the_best_well_formed_path():
    rng = numpy.random.default_rng(0)
    for _ in range(20):
        lengths = rng.integers(0, 5, size=3)
        lps = [numpy.log(rng.dirichlet(numpy.ones(n_tags(2)), size=int(m))).astype(numpy.float32) for m in lengths]
        for lp, path in zip(lps, viterbi(lps, 2)):
            assert len(path) == len(lp) and _well_formed(path, 2)
            if len(lp):
                assert numpy.isclose(lp[numpy.arange(len(lp)), path].sum(), _best_by_enumeration(lp, 2))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 400), st.integers(0, 3), st.integers(2, 40), st.integers(0, 2**16))
def test_viterbi_output_is_always_well_formed(n_bytes, n_labels, peaky, seed):
    n_labels = max(n_labels, 1)
    rng = numpy.random.default_rng(seed)
    logits = rng.normal(size=(n_bytes, n_tags(n_labels))) * peaky / 10
    lp = (logits - numpy.log(numpy.exp(logits).sum(1, keepdims=True))).astype(numpy.float32)
    path = viterbi([lp], n_labels)[0]
    assert _well_formed(path, n_labels)
    spans = tags_to_spans(path, lp, n_labels)
    assert numpy.all(spans.starts < spans.ends) and numpy.all(spans.starts[1:] >= spans.ends[:-1])
    assert numpy.all((spans.probs > 0) & (spans.probs <= 1))


def test_gold_tags_decode_back_to_the_spans():
    starts, ends, labels = numpy.array([0, 3, 9, 20]), numpy.array([2, 8, 10, 120]), numpy.array([1, 0, 1, 2])
    tags = spans_to_tags(130, starts, ends, labels, 3)
    lp = numpy.log(numpy.full((130, n_tags(3)), 1e-4, dtype=numpy.float32))
    lp[numpy.arange(130), tags] = 0.0
    spans = tags_to_spans(viterbi([lp], 3)[0], lp, 3)
    assert spans.starts.tolist() == starts.tolist() and spans.ends.tolist() == ends.tolist()
    assert spans.labels.tolist() == labels.tolist()  # a 100-byte span: no length limit


def _peaky(rng, n_bytes, n_labels, peak):
    """Log-probabilities that favour the tags of random gold spans, with noise."""
    starts = numpy.sort(rng.choice(n_bytes, size=min(n_bytes, int(rng.integers(0, 6))), replace=False))
    ends = numpy.minimum(numpy.append(starts[1:], n_bytes), starts + rng.integers(1, 30, size=len(starts)))
    tags = spans_to_tags(n_bytes, starts, ends, rng.integers(0, n_labels, size=len(starts)), n_labels)
    x = rng.normal(size=(n_bytes, n_tags(n_labels)))
    x[numpy.arange(n_bytes), tags] += peak
    return (x - numpy.log(numpy.exp(x).sum(1, keepdims=True))).astype(numpy.float32)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 4), st.floats(0.0, 8.0), st.integers(0, 2**16))
def test_the_well_formed_argmax_shortcut_gives_the_searched_path(n_bytes, n_labels, peak, seed):
    lps = [_peaky(numpy.random.default_rng(seed + i), n_bytes, n_labels, peak) for i in range(3)]
    for lp, fast, searched in zip(lps, viterbi(lps, n_labels), _search(lps, n_labels)):
        assert numpy.array_equal(fast, searched)


def test_the_shortcut_takes_only_unique_well_formed_argmax_paths():
    n = 2
    lp = numpy.log(numpy.full((4, n_tags(n)), 0.01, dtype=numpy.float32))
    for tags, taken in (
        ([0, 1, 5, 0], True),
        ([1, 3, 5, 8], True),
        ([0, 3, 3, 0], False),
        ([1, 0, 0, 0], False),
        ([0, 0, 0, 1], False),
    ):
        x = lp.copy()
        x[numpy.arange(4), tags] = 0.0
        assert (_argmax_if_well_formed(x, n) is not None) is taken, tags
    tied = lp.copy()
    tied[:, 0] = tied[:, 7] = 0.0  # O and U-0 equally likely everywhere
    assert _argmax_if_well_formed(tied, n) is None
    assert viterbi([tied], n)[0].tolist() == [0, 0, 0, 0]  # ties go to O


def test_uniform_log_probabilities_decode_to_all_outside():
    lp = numpy.zeros((7, n_tags(3)), dtype=numpy.float32)
    assert viterbi([lp], 3)[0].tolist() == [0] * 7
