import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_bts.heads.seq2seq.stitching import SegmentSpans, parse_outputs, stitch
from spacy_bts.heads.seq2seq.vocab import IGNORE, SpanVocab
from spacy_bts.heads.seq2seq.windows import window_targets
from spacy_bts.segmenting import central_ownership, inference_offsets, ownership


def _oracle_stitch(n, starts, ends, labels, k, overlap, vocab, anchor="last"):
    """Stitch the outputs a perfect model would emit for each inference segment."""
    offsets = inference_offsets(n, k, overlap)
    targets = window_targets(offsets, starts, ends, labels, vocab)
    outputs = numpy.where(targets == IGNORE, vocab.stop, targets)
    spans = parse_outputs(outputs, numpy.ones(outputs.shape, dtype=numpy.float32), vocab)
    lo, hi = ownership(offsets, k) if anchor == "last" else central_ownership(offsets, k, n)
    seg_doc = numpy.zeros(len(offsets), dtype=int)
    return stitch(spans, seg_doc, offsets, lo, hi, 1, anchor=anchor)[0]


@st.composite
def gold_spans(draw, max_len):
    n = draw(st.integers(1, 300))
    raw = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, max_len), st.integers(0, 3)), max_size=30))
    spans = sorted({(s, min(s + l, n), lab) for s, l, lab in raw})
    return n, spans


@settings(max_examples=300)
@given(gold_spans(max_len=31), st.sampled_from(["last", "middle"]))
def test_stitching_recovers_every_span_up_to_overlap_plus_one(case, anchor):
    n, spans = case
    k, overlap = 60, 30
    vocab = SpanVocab(k, 4)
    starts, ends, labels = (
        (numpy.array(x, dtype=int).reshape(-1) for x in zip(*spans)) if spans else [numpy.zeros(0, int)] * 3
    )
    got = _oracle_stitch(n, starts, ends, labels, k, overlap, vocab, anchor)
    assert sorted(zip(got.starts.tolist(), got.ends.tolist(), got.labels.tolist())) == spans


@settings(max_examples=200)
@given(gold_spans(max_len=60), st.sampled_from(["last", "middle"]))
def test_stitching_never_duplicates_or_invents_spans(case, anchor):
    n, spans = case
    vocab = SpanVocab(60, 4)
    starts, ends, labels = (
        (numpy.array(x, dtype=int).reshape(-1) for x in zip(*spans)) if spans else [numpy.zeros(0, int)] * 3
    )
    got = _oracle_stitch(n, starts, ends, labels, 60, 30, vocab, anchor)
    triples = list(zip(got.starts.tolist(), got.ends.tolist(), got.labels.tolist()))
    assert len(triples) == len(set(triples))
    assert set(triples) <= set(spans)


def test_span_straddling_a_segment_boundary_is_found():
    # Segments of 10 bytes every 5: [0,10) [5,15) [10,20); a span over byte 10.
    vocab = SpanVocab(10, 1)
    got = _oracle_stitch(20, numpy.array([8]), numpy.array([13]), numpy.array([0]), 10, 5, vocab)
    assert list(zip(got.starts, got.ends)) == [(8, 13)]


def test_parse_outputs_drops_truncated_triple_and_multiplies_probs():
    vocab = SpanVocab(10, 2)
    s, l, lab = vocab.encode_triples([2], [3], [1])[0]
    outputs = numpy.array(
        [
            [s, l, lab, vocab.stop, vocab.stop],
            [s, l, lab, s, l],  # step limit hit mid-triple
        ]
    )
    probs = numpy.array([[0.5, 0.5, 0.5, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0]], dtype=numpy.float32)
    spans = parse_outputs(outputs, probs, vocab)
    assert spans.segment.tolist() == [0, 1]
    assert spans.starts.tolist() == [2, 2] and spans.lengths.tolist() == [3, 3]
    assert spans.labels.tolist() == [1, 1]
    assert numpy.allclose(spans.probs, [0.125, 1.0])


def segment_spans(segment, starts, lengths, labels, probs) -> SegmentSpans:
    ints = (numpy.array(a, dtype=numpy.int64) for a in (segment, starts, lengths, labels))
    return SegmentSpans(*ints, numpy.array(probs, dtype=numpy.float32))


def test_duplicates_keep_the_most_probable_copy():
    spans = segment_spans([0, 0, 0], [1, 1, 1], [2, 2, 2], [0, 0, 1], [0.3, 0.9, 0.5])
    offsets = numpy.array([0])
    lo, hi = ownership(offsets, 10)
    got = stitch(spans, numpy.array([0]), offsets, lo, hi, 1)[0]
    assert list(zip(got.labels.tolist(), got.probs.tolist())) == [(0, numpy.float32(0.9)), (1, numpy.float32(0.5))]


def test_spans_go_to_their_documents():
    spans = segment_spans([0, 1, 2], [0, 1, 2], [1, 1, 1], [0, 0, 0], [1.0, 1.0, 1.0])
    seg_doc = numpy.array([0, 2, 2])
    offsets = numpy.array([0, 0, 5])
    lo = numpy.array([0, 0, 10])
    hi = numpy.array([10, 10, 15])
    got = stitch(spans, seg_doc, offsets, lo, hi, 3)
    assert [len(d) for d in got] == [1, 0, 1]
    # The span from doc 2's first segment; doc 2's second segment's span ends
    # at byte 8, which the first segment owns, so it is dropped.
    assert got[2].starts.tolist() == [1]


def test_middle_anchor_keeps_a_span_from_the_window_where_it_is_central():
    # Windows of 10 bytes every 5: [0,10) [5,15) [10,20), owning [0,7) [7,12) [12,20)
    # by the central rule. Both of the first two windows see [6, 10) whole and label it
    # differently; its middle byte 7 is the second window's, though its last byte 9 is
    # still inside the first window (which the last-byte rule would keep).
    offsets = numpy.array([0, 5, 10])
    lo, hi = central_ownership(offsets, 10, 20)
    assert lo.tolist() == [0, 7, 12] and hi.tolist() == [7, 12, 20]
    spans = segment_spans([0, 0, 1], [3, 6, 1], [4, 4, 4], [0, 1, 2], [1.0, 1.0, 0.5])
    got = stitch(spans, numpy.zeros(3, dtype=int), offsets, lo, hi, 1, anchor="middle")[0]
    assert list(zip(got.starts.tolist(), got.ends.tolist(), got.labels.tolist())) == [(3, 7, 0), (6, 10, 2)]
    with pytest.raises(ValueError, match="anchor must be one of"):
        stitch(spans, numpy.zeros(3, dtype=int), offsets, lo, hi, 1, anchor="first")
