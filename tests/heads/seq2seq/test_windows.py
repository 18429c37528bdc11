import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_bts.byte_text import PAD
from spacy_bts.heads.seq2seq.vocab import IGNORE, SpanVocab
from spacy_bts.heads.seq2seq.windows import (
    SegmentBatch,
    random_windows,
    random_windows_v2,
    sliding_windows,
    training_segments,
    window_targets,
)


@st.composite
def docs_with_spans(draw, k=12):
    n = draw(st.integers(1, 80))
    spans = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(1, k + 3), st.integers(0, 2)),
            max_size=12,
        )
    )
    spans = {(s, min(s + l, n), lab) for s, l, lab in spans}
    starts, ends, labels = (
        (numpy.array(x, dtype=int) for x in zip(*spans))
        if spans
        else (numpy.zeros(0, int), numpy.zeros(0, int), numpy.zeros(0, int))
    )
    return n, starts, ends, labels


def _decode(row, vocab):
    row = row[row != IGNORE]
    assert row[-1] == vocab.stop and (row[:-1] != vocab.stop).all()
    return [tuple(t) for t in vocab.decode_triples(row[:-1])]


@settings(max_examples=200)
@given(docs_with_spans())
def test_window_targets_are_contained_spans_backward(doc):
    n, starts, ends, labels = doc
    vocab = SpanVocab(12, 3)
    offsets = sliding_windows(1)(n, vocab.k, numpy.random.default_rng(0))
    targets = window_targets(offsets, starts, ends, labels, vocab)
    for offset, row in zip(offsets.tolist(), targets):
        triples = _decode(row, vocab)
        expected = {
            (s - offset, e - s, lab)
            for s, e, lab in zip(starts.tolist(), ends.tolist(), labels.tolist())
            if s >= offset and e <= offset + vocab.k
        }
        assert set(triples) == expected and len(triples) == len(expected)
        keys = [(s + l, s) for s, l, _ in triples]  # (end, start)
        assert keys == sorted(keys, reverse=True)


def test_backward_order_example():
    vocab = SpanVocab(10, 2)
    # spans: [0,2) lab0, [3,7) lab1, [5,7) lab0
    targets = window_targets(
        numpy.array([0]), numpy.array([0, 3, 5]), numpy.array([2, 7, 7]), numpy.array([0, 1, 0]), vocab
    )
    assert _decode(targets[0], vocab) == [(5, 2, 0), (3, 4, 1), (0, 2, 0)]


def test_short_document_gives_one_padded_segment():
    vocab = SpanVocab(8, 1)
    data = numpy.array([104, 105, 33])
    for sampler in (sliding_windows(1), random_windows(0.01)):
        offsets = sampler(len(data), vocab.k, numpy.random.default_rng(0))
        assert offsets.tolist() == [0]
        batch = training_segments(data, numpy.array([0]), numpy.array([2]), numpy.array([0]), offsets, vocab)
        assert batch.inputs.tolist() == [[104, 105, 33] + [PAD] * 5]
        assert batch.n_valid.tolist() == [3]
        assert _decode(batch.targets[0], vocab) == [(0, 2, 0)]


def test_windows_start_and_end_mid_character():
    text = "ééé".encode("utf8")  # 6 bytes, 2 per character
    offsets = sliding_windows(1)(len(text), 3, numpy.random.default_rng(0))
    assert offsets.tolist() == [0, 1, 2, 3]


@given(st.integers(1, 500), st.integers(1, 6))
def test_random_windows_match_stride_coverage(n, stride):
    rng = numpy.random.default_rng(1)
    k = 10
    counts = [len(random_windows(1 / stride)(n, k, rng)) for _ in range(200)]
    expected = max((max(n - k, 0) + 1) / stride, 1)
    assert abs(numpy.mean(counts) - expected) <= 0.1 * expected + 1
    assert min(counts) >= 1


def test_select_and_concat_keep_targets_aligned():
    vocab = SpanVocab(6, 1)
    a = training_segments(
        numpy.arange(10), numpy.array([1, 4]), numpy.array([3, 5]), numpy.array([0, 0]), numpy.array([0, 2, 4]), vocab
    )
    b = training_segments(
        numpy.arange(3), numpy.zeros(0, int), numpy.zeros(0, int), numpy.zeros(0, int), numpy.array([0]), vocab
    )
    both = SegmentBatch.concat([a, b], vocab.k)
    assert len(both) == 4
    assert both.targets[3].tolist()[0] == vocab.stop
    part = both.select(slice(3, 4))
    assert part.targets.tolist() == [[vocab.stop]]


def test_sampler_arguments_are_checked():
    with pytest.raises(ValueError, match="stride"):
        sliding_windows(0)
    with pytest.raises(ValueError, match="rate"):
        random_windows(0)
    with pytest.raises(ValueError, match="past_end"):
        random_windows_v2(0.1, past_end=1.5)


def test_windows_past_the_end_have_the_partial_targets_of_a_short_text():
    n, k = 200, 16
    rng = numpy.random.default_rng(0)
    offsets = numpy.concatenate([random_windows_v2(0.5, past_end=0.3)(n, k, rng) for _ in range(50)])
    past = offsets > n - k
    assert 0.2 < past.mean() < 0.4 and offsets.max() < n and offsets.min() >= 0
    # v2 with past_end=0 draws exactly v1's windows.
    assert random_windows_v2(0.5)(n, k, numpy.random.default_rng(3)).tolist() == (
        random_windows(0.5)(n, k, numpy.random.default_rng(3)).tolist()
    )
    # A window from byte 195 holds 5 bytes; its targets are the spans wholly inside.
    vocab = SpanVocab(k, 1)
    batch = training_segments(
        numpy.arange(n) % 250, numpy.array([190, 196]), numpy.array([197, 199]), numpy.array([0, 0]),
        numpy.array([195]), vocab,
    )  # fmt: skip
    assert batch.n_valid.tolist() == [5] and (batch.inputs[0, 5:] == PAD).all()
    assert _decode(batch.targets[0], vocab) == [(1, 3, 0)]
