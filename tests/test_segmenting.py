"""Inference segments of both heads: offsets, their bytes, and which segment owns each byte."""

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spacy_bts.segmenting import (
    byte_rows,
    central_ownership,
    inference_offsets,
    ownership,
    tiles,
    training_offsets,
    windows,
)


@given(st.integers(0, 400), st.sampled_from([(8, 4), (10, 5), (10, 3), (60, 30)]))
def test_inference_segments_cover_text_and_are_full(n, shape):
    k, overlap = shape
    offsets = inference_offsets(n, k, overlap)
    if n == 0:
        assert len(offsets) == 0
        return
    assert offsets[0] == 0 and offsets[-1] + k >= n
    if n >= k:
        assert (offsets + k <= n).all()  # no PAD-filled segment
    gaps = numpy.diff(offsets)
    assert (gaps > 0).all() and (gaps <= k - overlap).all()


def test_inference_segments_bytes():
    data = numpy.arange(25) % 256
    offsets = inference_offsets(len(data), 10, 5)
    batch = windows(data, offsets, 10)
    assert offsets.tolist() == [0, 5, 10, 15]
    for offset, row, n_valid in zip(offsets, batch.inputs, batch.n_valid):
        assert row.tolist() == data[offset : offset + 10].tolist()
        assert n_valid == 10


def test_ownership_of_no_segments_is_empty():
    lo, hi = ownership(numpy.zeros(0, dtype=numpy.int64), 60)
    assert len(lo) == len(hi) == 0
    lo, hi = ownership(numpy.array([0, 30, 45]), 60)
    assert lo.tolist() == [0, 60, 90] and hi.tolist() == [60, 90, 105]


@pytest.mark.parametrize("n_bytes", [1, 63, 64, 65, 200, 1000])
def test_central_ownership_tiles_the_text(n_bytes):
    k, overlap = 64, 16
    offsets = inference_offsets(n_bytes, k, overlap)
    lo, hi = central_ownership(offsets, k, n_bytes)
    assert lo[0] == 0 and hi[-1] == n_bytes and numpy.all(lo[1:] == hi[:-1])
    assert numpy.all(lo >= offsets) and numpy.all(hi <= offsets + k)
    # Each byte is closer to its own segment's centre than to any other's.
    for b in range(0, n_bytes, 7):
        s = int(numpy.searchsorted(hi, b, side="right"))
        distances = numpy.abs(offsets + k / 2 - (b + 0.5))
        assert distances[s] <= distances.min() + 0.5


@pytest.mark.parametrize("n_bytes", [1, 63, 64, 65, 200, 257])
def test_byte_rows_point_at_each_byte_in_the_segments(n_bytes):
    data = numpy.arange(n_bytes) % 251 + 3
    offsets = training_offsets(n_bytes, 64, numpy.random.default_rng(n_bytes))
    inputs = tiles(data, offsets, 64, 0)
    rows = byte_rows(offsets, 64, n_bytes, 0)
    assert (inputs.reshape(-1)[rows] == data).all()
    shifted = byte_rows(offsets, 64, n_bytes, 3)
    assert (shifted == rows + 3 * 64).all()
