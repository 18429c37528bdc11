"""Any string a Doc can hold through bts_ner + bts_pos: no exception, nothing shifted.

spaCy's tokenizer and StringStore reject lone surrogates (strict UTF-8), so no Doc
can hold them; the byte layer itself handles them (test_byte_text.py).
"""

import pytest
import spacy
from fixtures import NER_SENTENCES, POS_SENTENCES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

NASTY = [
    "",
    " ",
    "x",
    "\x00",
    "a\x00b\x1bc\x7f",
    "\u2028\u2029",
    "\ufeffBOM",
    "👩‍👩‍👧 👍🏽 🇯🇵",
    "e\u0301\u0323",
    "עברית ومرحبا",
    "\ue000\uffff\U0010ffff",
    "\t\n\r\x0b\x0c",
    "Zola\u200dParis",
]
pieces = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(NASTY + [t for t, _ in NER_SENTENCES + POS_SENTENCES]),
)
texts = st.lists(pieces, min_size=1, max_size=6).map("".join)


@pytest.fixture(scope="module")
def both(trained_ner, trained_pos):
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", source=trained_ner)
    nlp.add_pipe("bts_pos", source=trained_pos)
    return nlp


def check_doc(doc, text):
    assert doc.text == text
    n = len(text)
    position = 0
    for token in doc:
        assert token.idx == position  # tokens tile the text, nothing lost
        position += len(token.text_with_ws)
    assert position == n
    for ent in doc.ents:
        assert 0 <= ent.start_char < ent.end_char <= n
        assert ent.text == text[ent.start_char : ent.end_char]
    for key in ("bts_ner", "bts_pos"):
        group = doc.spans[key]
        for span, (start, end) in zip(group, group.attrs["char_spans"]):
            assert 0 <= start < end <= n
            assert span.start_char <= start and end <= span.end_char


def summary(doc):
    return (
        [t.text for t in doc],
        [t.pos_ for t in doc],
        [(e.start_char, e.end_char, e.label_) for e in doc.ents],
        {k: list(map(tuple, doc.spans[k].attrs["char_spans"])) for k in ("bts_ner", "bts_pos")},
        {k: list(doc.spans[k].attrs["scores"]) for k in ("bts_ner", "bts_pos")},
    )


# A batch on which the span pointer's decoder once rounded by a window's row in the batch
# (a one-output layer); kept as an explicit example.
FOUND_BATCH = [
    "007}\x8bÌ檯𫽆\U0005e60e\U0006bc94𜽙\U001094900000000\x80\x80\x80\x80\x80\x80\x80𐀀𐀀%·\U000685bffî"
    "\U0002ec9b`é\x18v¥\U001040d6Þ3鿯7\U000ad2833\x8f¤Angela Merkel traf Emmanuel Macron in Straßburg.",
    "007}\x8bÌ檯𫽆\U0005e60e\U0006bc94𜽙\U001094900000000\x80\x80\x80\x80\x80\x80\x80𐀀𐀀Émile Zola est né à "
    "Paris en 1840.Émile Zola est né à Paris en 1840.",
    "0000000\x80\x80\x80\x80\x80\x80\x80𐀀𐀀Émile Zola est né à Paris en 1840.Angela Merkel traf Emmanuel Macron "
    "in Straßburg.007}\x8bÌ檯𫽆\U0005e60e\U0006bc94𜽙\U00109490",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(texts, min_size=1, max_size=4))
@example(batch=FOUND_BATCH)
def test_any_text_is_annotated_without_shifting(both, batch):
    single = [both(text) for text in batch]
    for doc, text in zip(single, batch):
        check_doc(doc, text)
    for batch_size in (1, 3):
        piped = list(both.pipe(batch, batch_size=batch_size))
        assert [summary(d) for d in piped] == [summary(d) for d in single]


@pytest.mark.parametrize("text", NASTY)
def test_nasty_strings(both, text):
    check_doc(both(text), text)


def random_text(rng) -> str:
    """1-6 pieces: nasty strings, fixture sentences, or random code points (no surrogates)."""
    sentences = [t for t, _ in NER_SENTENCES + POS_SENTENCES]
    pieces = []
    for _ in range(rng.randint(1, 6)):
        kind = rng.random()
        if kind < 0.3:
            pieces.append(rng.choice(NASTY))
        elif kind < 0.6:
            pieces.append(rng.choice(sentences))
        else:
            top = rng.choice([0x80, 0x800, 0x10000, 0x110000])
            points = (rng.randrange(top) for _ in range(rng.randint(0, 30)))
            pieces.append("".join(chr(p) for p in points if not 0xD800 <= p < 0xE000))
    return "".join(pieces)


@pytest.mark.parametrize("text", ["a\ud800b", "\udfff", "Berlin \udc00 Paris"])
def test_lone_surrogates_fail_in_spacy_before_the_components(both, text):
    """No Doc can hold a lone surrogate: blank spaCy and this pipeline raise the same
    error from the tokenizer. Should spaCy ever accept them, this fails and the fuzz
    run below must include them."""
    with pytest.raises(UnicodeEncodeError) as blank:
        spacy.blank("xx")(text)
    with pytest.raises(UnicodeEncodeError) as ours:
        both(text)
    assert str(ours.value) == str(blank.value)


@pytest.mark.slow
def test_fuzz_ten_thousand_documents(both):
    """Invariants hold for every document, and every batch size gives the same
    annotations and scores, bit for bit."""
    import random

    rng = random.Random(20261121)
    texts = [random_text(rng) for _ in range(10_000)]
    reference = None
    for batch_size in (1000, 1, 37):
        docs = list(both.pipe(texts, batch_size=batch_size))
        for doc, text in zip(docs, texts):
            check_doc(doc, text)
        summaries = [summary(d) for d in docs]
        if reference is None:
            reference = summaries
            n_ents = sum(len(s[2]) for s in summaries)
            print(f"fuzzed {len(texts)} documents ({sum(map(len, texts))} chars, {n_ents} entities)")
        else:
            differing = sum(a != b for a, b in zip(summaries, reference))
            print(f"batch_size={batch_size}: {differing} documents differ from batch_size=1000")
            assert differing == 0
