"""Training targets from reference Docs (``pipeline/gold.py``). Faulty training data: every
repair or skip is reported with its document and offsets. Missing annotation is unknown
(masked or skipped), not "nothing here"."""

import pytest
import spacy
from conftest import EVERY_WINDOW, SMALL_MODEL, SMALL_MODELS, SMALL_TAGGER, caught, initialized, tagger_ner_pipe
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc, Span
from spacy.training import Example

from spacy_bts.byte_text import ByteText
from spacy_bts.heads.seq2seq.vocab import IGNORE
from spacy_bts.heads.tagging.biluo import IGNORE_TAG
from spacy_bts.pipeline import gold
from spacy_bts.pipeline.gold import check_gold_spans


def ner_pipe(labels=("LOC", "PER"), model=SMALL_MODEL):
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": model})
    for label in labels:
        pipe.add_label(label)
    nlp.initialize()
    return nlp, pipe


def example_with_spans(nlp, words, spaces, spans):
    """A reference doc whose gold is the span group ``bts_ner`` (may overlap / be empty)."""
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    doc.spans["bts_ner"] = [Span(doc, s, e, label=label) for s, e, label in spans]
    return Example(nlp.make_doc(doc.text), doc)


def test_trailing_whitespace_is_trimmed_and_reported():
    nlp, pipe = ner_pipe()
    # "Paris" + the following space token as the entity.
    doc = Doc(nlp.vocab, words=["I", "saw", "Paris", " ", "today"], spaces=[True, True, True, False, False])
    doc.ents = [Span(doc, 2, 4, label="LOC")]
    eg = Example(nlp.make_doc(doc.text), doc)
    batch, messages = caught(lambda: pipe.training_batch([eg]))
    assert any(
        "leading/trailing whitespace" in m
        and "not in the corpus read by initialize (text 'I saw Paris" in m
        and "chars [6, 13)" in m
        and "trimmed to [6, 11)" in m
        for m in messages
    ), messages
    assert pipe.skipped[gold.TRIMMED] == 1
    # The text is shorter than a segment: one window at 0, whose only target
    # is exactly "Paris" (bytes 6-11): trimmed, not shifted.
    assert len(batch) == 1
    row = batch.targets[0]
    decoded = pipe.head.vocab.decode_triples(row[row != IGNORE][:-1].reshape(-1, 3))
    assert decoded.tolist() == [[6, 5, 0]]


def test_empty_and_overlapping_gold_spans_are_skipped_with_offsets():
    nlp, pipe = ner_pipe(model=SMALL_TAGGER)  # BILUO tags cannot overlap
    words = ["Anna", "Maria", "lives", "in", "Rome"]
    eg = example_with_spans(
        nlp,
        words,
        [True] * 4 + [False],
        [(0, 2, "PER"), (1, 2, "PER"), (3, 3, "LOC"), (4, 5, "LOC")],
    )
    _, messages = caught(lambda: pipe.training_batch([eg]))
    text = eg.reference.text
    overlap = [m for m in messages if gold.OVERLAPPING in m]
    empty = [m for m in messages if gold.EMPTY in m]
    assert overlap and "chars [5, 10) 'Maria'" in overlap[0] and "'Anna Maria lives" in overlap[0]
    at = text.index(" in ") + 1
    assert empty and f"chars [{at}, {at}) '' label 'LOC': skipped" in empty[0]
    assert pipe.skipped[gold.OVERLAPPING] == 1 and pipe.skipped[gold.EMPTY] == 1


@pytest.mark.parametrize("head", ["seq2seq", "span_pointer"])
def test_seq2seq_heads_keep_overlapping_gold_spans_and_skip_repeats(head):
    nlp, pipe = ner_pipe(model=SMALL_MODELS[head])
    words = ["Anna", "Maria", "lives", "in", "Rome"]
    spans = [(0, 2, "PER"), (1, 2, "PER"), (4, 5, "LOC"), (4, 5, "LOC"), (3, 5, "LOC")]
    eg = example_with_spans(nlp, words, [True] * 4 + [False], spans)
    batch, messages = caught(lambda: pipe.training_batch([eg]))
    repeated = [m for m in messages if gold.OVERLAPPING in m]
    assert len(repeated) == 1 and "'Rome' label 'LOC': skipped (the same span is given twice)" in repeated[0]
    assert pipe.skipped[gold.OVERLAPPING] == 1
    # The four distinct spans, nested ones included, are all targets of the window holding them all.
    targets = batch.targets[(batch.targets != -1).sum(axis=1).argmax()]
    assert (targets != -1).sum() == 3 * 4 + 1


def test_unannotated_docs_and_unknown_labels_are_counted():
    nlp, pipe = ner_pipe(labels=["PER"])
    plain = Example(nlp.make_doc("No annotation at all."), nlp.make_doc("No annotation at all."))
    annotated = Example.from_dict(nlp.make_doc("Anna flew to Oslo."), {"entities": [(0, 4, "PER"), (13, 17, "LOC")]})
    _, messages = caught(lambda: pipe.training_batch([plain, annotated, plain]))
    unannotated = [m for m in messages if gold.UNANNOTATED in m]
    unknown = [m for m in messages if gold.UNKNOWN_LABEL in m]
    assert unannotated and "2 in this batch" in unannotated[0] and "'No annotation at all.'" in unannotated[0]
    assert unknown and "'Anna flew to Oslo.'" in unknown[0] and "'Oslo' label 'LOC'" in unknown[0]
    assert pipe.skipped[gold.UNANNOTATED] == 2 and pipe.skipped[gold.UNKNOWN_LABEL] == 1
    # Reported once per kind; later ones are only counted.
    _, again = caught(lambda: pipe.training_batch([plain]))
    assert not again and pipe.skipped[gold.UNANNOTATED] == 3


@pytest.mark.parametrize("factory", ["bts_ner", "bts_pos"])
def test_corpus_without_usable_example_is_an_error(factory):
    nlp = spacy.blank("xx")
    nlp.add_pipe(factory, config={"model": SMALL_MODEL})
    texts = ["Plain text.", "", "More plain text."]
    examples = [Example(nlp.make_doc(t), nlp.make_doc(t)) for t in texts]
    with pytest.raises(ValueError, match="no usable training example: all 3 initialization examples"):
        nlp.initialize(lambda: examples)


def test_pos_whitespace_tokens_are_not_targets():
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_pos", config={"model": SMALL_MODEL})
    doc = Doc(nlp.vocab, words=["Hi", "\n", "there"], spaces=[False, False, False], pos=["INTJ", "SPACE", "ADV"])
    pipe.initialize(lambda: [Example(nlp.make_doc(doc.text), doc)], nlp=nlp)
    _, messages = caught(lambda: pipe.training_batch([Example(nlp.make_doc(doc.text), doc)]))
    assert not messages
    assert "SPACE" not in pipe.labels


spans = st.lists(st.tuples(st.integers(-3, 40), st.integers(-3, 40), st.sampled_from(["A", "B", "Z"])), max_size=12)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=" \n\tab語🎉", max_size=30), spans=spans)
def test_check_gold_spans_accounts_for_every_span(text, spans):
    starts, ends, labels = zip(*spans) if spans else ((), (), ())
    checked = check_gold_spans(text, starts, ends, labels, {"A", "B"})
    kept = list(zip(checked.starts.tolist(), checked.ends.tolist(), checked.labels))
    dropped = [f for f in checked.faults if f.kind != gold.TRIMMED]
    assert len(kept) + len(dropped) == len(spans)
    for (start, end, label), nxt in zip(kept, kept[1:] + [None]):
        piece = text[start:end]
        assert 0 <= start < end <= len(text) and piece == piece.strip() and label in {"A", "B"}
        if nxt is not None:
            assert end <= nxt[0]
    # A kept span is a trimmed input span, never moved outside it.
    inputs = [(int(s), int(e)) for s, e, _ in spans]
    for start, end, _ in kept:
        assert any(s <= start and end <= e for s, e in inputs)
    assert ByteText(text).char_starts[-1] == len(text.encode("utf8"))


# Missing annotation is unknown, not "nothing here".


def partially_annotated(nlp):
    # "Oslo" and "Rome" have no IOB value (missing); the rest is annotated.
    words = ["Anna", "Berg", "flew", "from", "Oslo", "to", "Rome", "."]
    spaces = [True, True, True, True, True, True, False, False]
    doc = Doc(nlp.vocab, words=words, spaces=spaces, ents=["B-PER", "I-PER", "O", "O", "", "O", "", "O"])
    return Example(nlp.make_doc(doc.text), doc)


def test_ner_missing_tokens_are_masked_in_tagging_targets():
    nlp, pipe = tagger_ner_pipe()
    eg = partially_annotated(nlp)
    text = eg.reference.text
    batch, messages = caught(lambda: pipe.training_batch([eg]))
    assert len(batch) == 1 and not messages  # shorter than a segment: one window at 0
    targets = batch.targets[0][: len(text)]
    for token in eg.reference:
        lo, hi = token.idx, token.idx + len(token.text_with_ws)
        if token.ent_iob == 0:
            assert (targets[lo:hi] == IGNORE_TAG).all(), token.text
        else:
            assert (targets[token.idx : token.idx + len(token)] != IGNORE_TAG).all(), token.text
    assert (targets[text.index("flew") : text.index("flew") + 4] == 0).all()  # O is still a target


def test_ner_windows_touching_missing_tokens_are_skipped():
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": SMALL_MODELS["seq2seq"], "training_windows": EVERY_WINDOW})
    pipe.add_label("PER")
    nlp.initialize()
    known = "Anna Berg and Emil Holm met for lunch on a sunny day by the river bank "
    words = known.split() + ["Somewhere", "else"]
    iob = ["B-PER", "I-PER", "O", "B-PER", "I-PER"] + ["O"] * (len(words) - 7) + ["", ""]
    doc = Doc(nlp.vocab, words=words, ents=iob)
    k = pipe.segment_length
    first_missing = doc[-2].idx
    batch = pipe.training_batch([Example(nlp.make_doc(doc.text), doc)])
    # Every window (stride 1) that ends before the missing words, and no other.
    assert len(batch) == first_missing - k + 1


def test_pos_untagged_tokens_are_masked():
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_pos", config={"model": SMALL_TAGGER})
    for tag in ("NOUN", "VERB"):
        pipe.add_label(tag)
    nlp.initialize()
    doc = Doc(nlp.vocab, words=["Dogs", "bark", "loudly"], pos=["NOUN", "VERB", ""])
    batch, _ = caught(lambda: pipe.training_batch([Example(nlp.make_doc(doc.text), doc)]))
    targets = batch.targets[0]
    assert (targets[10:16] == IGNORE_TAG).all()
    assert (targets[:9] != IGNORE_TAG).all()


@pytest.mark.parametrize("factory", ["bts_ner", "bts_pos"])
def test_documents_without_annotation_are_skipped_counted_and_reported(factory):
    nlp, pipe, examples = initialized(factory)
    plain = Example(nlp.make_doc("Nothing is annotated here."), nlp.make_doc("Nothing is annotated here."))
    _, messages = caught(lambda: pipe.training_batch([examples[0], plain]))
    assert pipe.skipped[gold.UNANNOTATED] == 1
    assert any(gold.UNANNOTATED in m and "Nothing is annotated" in m for m in messages), messages


# Messages name the document by its place in the corpus.


def test_warnings_name_the_document_in_the_corpus():
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER})
    texts = ["Anna lives here.", "Olaf lives there."]
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": [(0, 4, "PER")]}) for t in texts]
    # "Rome " as the entity: trimmed, and reported.
    doc = Doc(nlp.vocab, words=["Nobody", "knows", "Rome", " "], spaces=[True, True, False, False])
    doc.ents = [Span(doc, 2, 4, label="LOC")]
    examples.append(Example(nlp.make_doc(doc.text), doc))
    nlp.initialize(lambda: examples)
    _, messages = caught(lambda: pipe.training_batch([examples[2], examples[0]]))
    trimmed = [m for m in messages if gold.TRIMMED in m]
    assert trimmed and "document 2 of the corpus" in trimmed[0] and "'Nobody knows" in trimmed[0]
    assert "of the batch" not in trimmed[0]
