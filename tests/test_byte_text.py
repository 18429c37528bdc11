import numpy
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_bts.byte_text import ByteText

# All of Unicode, lone surrogates (category Cs) included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)

SAMPLES = [
    "",
    "plain ascii",
    "lone \ud800 surrogate and \udfff",
    "NUL\x00 and \x1b control",
    "👩‍👩‍👧 family, 🇯🇵 flag, 👍🏽 tone",
    "combining: e\u0301 a\u0308\u0323",
    "עברית ومرحبا",
    "\ufeffBOM \u2028 \u2029 \u200d",
    "private \ue000 and non-char \uffff \U0010ffff",
]


def _reference_starts(text):
    starts, offset = [], 0
    for char in text:
        starts.append(offset)
        offset += len(char.encode("utf-8", "surrogatepass"))
    return starts + [offset]


@given(any_text)
def test_char_offsets_match_per_character_encoding(text):
    bt = ByteText(text)
    assert bt.data == text.encode("utf-8", "surrogatepass")
    assert bt.char_starts.tolist() == _reference_starts(text)


@given(any_text)
def test_char_spans_round_trip_exactly(text):
    bt = ByteText(text)
    n = len(text)
    starts = numpy.array([i for i in range(n) for j in range(i + 1, n + 1)], dtype=int)
    ends = numpy.array([j for i in range(n) for j in range(i + 1, n + 1)], dtype=int)
    b_starts, b_ends = bt.chars_to_bytes(starts, ends)
    assert bt.is_char_boundary(b_starts).all() and bt.is_char_boundary(b_ends).all()
    c_starts, c_ends = bt.bytes_to_chars(b_starts, b_ends)
    assert c_starts.tolist() == starts.tolist()
    assert c_ends.tolist() == ends.tolist()


@settings(max_examples=200)
@given(any_text.filter(len), st.data())
def test_byte_spans_expand_to_smallest_covering_char_span(text, data):
    bt = ByteText(text)
    start = data.draw(st.integers(0, len(bt) - 1))
    end = data.draw(st.integers(start + 1, len(bt)))
    c_start, c_end = (int(a[0]) for a in bt.bytes_to_chars([start], [end]))
    # Covers every byte of the span...
    assert bt.char_starts[c_start] <= start and bt.char_starts[c_end] >= end
    # ...and no character lies wholly outside it.
    assert bt.char_starts[c_start + 1] > start
    assert bt.char_starts[c_end - 1] < end
    assert c_start < c_end


def test_samples_have_exact_maps():
    for text in SAMPLES:
        bt = ByteText(text)
        assert bt.char_starts[-1] == len(bt)
        assert bt.char_starts.tolist() == _reference_starts(text)


def test_span_inside_multibyte_character_expands():
    bt = ByteText("aé🙂b")  # a=1 byte, é=2, 🙂=4, b=1
    assert bt.char_starts.tolist() == [0, 1, 3, 7, 8]
    # Byte 2 is the second byte of "é"; bytes 4..6 are inside the emoji.
    starts, ends = bt.bytes_to_chars([2, 4, 2], [3, 5, 8])
    assert starts.tolist() == [1, 2, 1]
    assert ends.tolist() == [2, 3, 4]
    assert bt.is_char_boundary([0, 1, 2, 3, 4, 7, 8]).tolist() == [
        True,
        True,
        False,
        True,
        False,
        True,
        True,
    ]
