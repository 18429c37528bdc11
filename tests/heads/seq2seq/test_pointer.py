"""The span pointer head (spacy-bts.EncoderSpanPointer.v1): its batches, prediction and settings.

Overfitting, serialization, ``nlp.pipe`` == ``nlp()`` and multiprocessing are
covered with the other heads through ``SMALL_MODELS`` (conftest).
"""

import numpy
import pytest
import spacy
from conftest import SMALL_POINTER, train
from fixtures import NER_SENTENCES, entity_offsets, ner_examples
from thinc.api import fix_random_seed

from spacy_bts.byte_text import ByteText
from spacy_bts.heads.seq2seq.pointer import PointerBatch, window_rows
from spacy_bts.heads.seq2seq.vocab import IGNORE

EVERY_WINDOW = {"@misc": "spacy-bts.sliding_windows.v1", "stride": 1}


def test_window_rows_are_minus_one_past_the_end():
    rows = numpy.arange(10) + 100
    found = window_rows(rows, numpy.array([0, 7]), 5)
    assert found.tolist() == [[100, 101, 102, 103, 104], [107, 108, 109, -1, -1]]


def _pipe(model=None, **config):
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": model or SMALL_POINTER, "training_windows": EVERY_WINDOW, **config})
    return nlp, pipe


def test_training_batch_keeps_documents_whole_when_split():
    fix_random_seed(0)
    nlp, pipe = _pipe()
    examples = ner_examples(nlp)
    nlp.initialize(lambda: examples)
    batch, _, _ = pipe._segments(examples, numpy.random.default_rng(0))
    assert isinstance(batch, PointerBatch) and len(batch) >= len(examples)
    window = SMALL_POINTER["window"]
    # Every window row holds its document's byte (or is past its end).
    for w in range(len(batch.rows)):
        doc = batch.window_doc[w]
        data = ByteText(examples[doc].reference.text).as_array()
        valid = batch.rows[w] >= 0
        assert valid.sum() == batch.n_valid[w] <= window
        assert (batch.segment_doc[batch.rows[w][valid] // batch.inputs.shape[1]] == doc).all()
        held = batch.inputs.reshape(-1)[batch.rows[w][valid]]
        assert any((data[o : o + len(held)] == held).all() for o in range(len(data) - len(held) + 1))
    # Parts of three segments: each document goes whole to the part holding its first segment.
    parts = [batch.select(slice(i, i + 3)) for i in range(0, len(batch), 3)]
    assert sum(len(p) for p in parts) == len(batch)
    assert sum(len(p.rows) for p in parts) == len(batch.rows)
    for part in parts:
        if len(part.rows):
            assert part.rows.max() < part.inputs.size
            assert (part.targets != IGNORE).any(axis=0).all()  # no all-padding column


def test_pointer_learns_the_sentences_and_predicts_them_in_any_batch():
    fix_random_seed(0)
    nlp, pipe = _pipe()
    train(nlp, ner_examples(nlp))
    assert pipe.head.name == "span_pointer"
    texts = [t for t, _ in NER_SENTENCES]
    found = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts, batch_size=3)]
    right = sum(f == entity_offsets(t, g) for f, (t, g) in zip(found, NER_SENTENCES))
    assert right >= len(NER_SENTENCES) - 1
    # Groups of documents (max_batch_segments) do not change what is found.
    pipe.cfg["max_batch_segments"] = 1
    assert [[(e.start_char, e.end_char, e.label_) for e in nlp(t).ents] for t in texts] == found


def test_window_overlap_given_at_load_wins_over_the_saved_one(tmp_path):
    fix_random_seed(0)
    nlp, pipe = _pipe()
    train(nlp, ner_examples(nlp), max_steps=20)
    nlp.to_disk(tmp_path)
    for overlap in (12, 36):  # saved: 24
        override = {"components": {"bts_ner": {"model": {"window_overlap": overlap}}}}
        loaded = spacy.load(tmp_path, config=override)
        assert loaded.get_pipe("bts_ner").model.attrs["window_overlap"] == overlap
        assert loaded.config["components"]["bts_ner"]["model"]["window_overlap"] == overlap


@pytest.mark.parametrize(
    "change, message",
    [
        ({"window": 100}, "window <= segment_length"),
        ({"window_overlap": 48}, "window_overlap must be in"),
        ({"tagging_weight": -1.0}, "tagging_weight >= 0"),
        ({"encoder": {"@architectures": "spacy-bts.ByteToSpan.v1"}}, "encoder must be a byte encoder"),
    ],
)
def test_bad_settings_name_the_architecture(change, message):
    model = {**SMALL_POINTER, **change}
    with pytest.raises(Exception, match=message):
        _pipe(model)


def test_without_tagging_loss_the_model_has_no_tag_layer():
    nlp, pipe = _pipe({**SMALL_POINTER, "tagging_weight": 0.0})
    nlp.initialize(lambda: ner_examples(nlp))
    from spacy_bts.heads.wiring import torch_module

    assert torch_module(pipe.model).tagger is None
    batch, _, _ = pipe._segments(ner_examples(nlp), numpy.random.default_rng(0))
    assert batch.tags is None


# Sentences with nested entities: (text, [(entity text, label, occurrence)]).
NESTED = [
    (
        "Kari studies at the University of Bergen.",
        [("Kari", "PER"), ("University of Bergen", "ORG"), ("Bergen", "LOC")],
    ),
    ("The Bank of Lisbon opened late.", [("Bank of Lisbon", "ORG"), ("Lisbon", "LOC")]),
    ("Per Olsen visited Oslo City Hall.", [("Per Olsen", "PER"), ("Oslo City Hall", "LOC"), ("Oslo", "LOC")]),
    ("Ana read about the Madrid Open.", [("Ana", "PER"), ("Madrid Open", "MISC"), ("Madrid", "LOC")]),
    ("Nobody came to the meeting.", []),
    ("Rome Airport was closed for Lena.", [("Rome Airport", "LOC"), ("Rome", "LOC"), ("Lena", "PER")]),
]


def nested_examples(nlp):
    from spacy.training import Example

    examples = []
    for text, entities in NESTED:
        reference = nlp.make_doc(text)
        spans = []
        for entity, label in entities:
            start = text.index(entity)
            spans.append(reference.char_span(start, start + len(entity), label=label))
        reference.spans["bts_ner"] = spans
        examples.append(Example(nlp.make_doc(text), reference))
    return examples


def _char_set(spans):
    return {(s.start_char, s.end_char, s.label_) for s in spans}


@pytest.mark.parametrize("head", ["span_pointer", "seq2seq"])
def test_nested_spans_are_learned_into_doc_spans_and_doc_ents_keeps_a_flat_subset(head):
    from conftest import SMALL_MODELS

    fix_random_seed(0)
    nlp, pipe = _pipe(SMALL_MODELS[head])
    examples = nested_examples(nlp)
    train(nlp, examples, max_steps=1500)
    assert pipe.skipped.get("overlapping spans", 0) == 0
    right = 0
    for eg in examples:
        doc = nlp(eg.reference.text)
        found = _char_set(doc.spans["bts_ner"])
        right += found == _char_set(eg.reference.spans["bts_ner"])
        ents = sorted(_char_set(doc.ents))
        assert set(ents) <= found
        assert all(a[1] <= b[0] for a, b in zip(ents, ents[1:]))
    assert right >= len(examples) - 1


def _misc_doc(nlp, unannotated):
    from spacy.tokens import Span
    from spacy.training import Example

    reference = nlp.make_doc("Ana saw the Nordic Cup in Oslo.")
    reference.ents = [Span(reference, 0, 1, label="PER"), Span(reference, 6, 7, label="LOC")]
    reference.spans["bts_ner"] = list(reference.ents)
    reference.spans["bts_ner"].attrs["unannotated_labels"] = list(unannotated)
    return Example(nlp.make_doc(reference.text), reference)


@pytest.mark.parametrize("tagging_weight", [1.0, 0.0])
def test_a_document_with_unannotated_labels_trains_no_window_and_leaves_their_tags_open(tagging_weight):
    from conftest import tagger_ner_pipe

    model = {**SMALL_POINTER, "tagging_weight": tagging_weight}
    nlp, pipe = tagger_ner_pipe(labels=("LOC", "MISC", "PER"), model=model, training_windows=EVERY_WINDOW)
    rng = numpy.random.default_rng(0)
    open_doc, closed_doc = _misc_doc(nlp, ["MISC"]), _misc_doc(nlp, [])
    closed, _, _ = pipe._segments([closed_doc], rng)
    assert len(closed.rows) > 0 and closed.open_labels is None
    both, _, _ = pipe._segments([open_doc, closed_doc], rng)
    assert (both.window_doc == 1).all() and len(both.rows) == len(closed.rows)
    if tagging_weight:
        misc = 1 << pipe.labels.index("MISC")
        first = both.segment_doc == 0
        assert set(numpy.unique(both.open_labels[first][both.tags[first] == 0]).tolist()) == {misc}
        assert (both.open_labels[~first] == 0).all() and (both.open_labels[both.tags != 0] == 0).all()
    else:
        assert (both.segment_doc == 1).all()  # nothing of the open document is read
    loss, _ = pipe.get_loss([open_doc, closed_doc])
    assert numpy.isfinite(loss)


@pytest.mark.parametrize("freeze", [True, False])
def test_a_frozen_encoder_keeps_its_weights_while_the_decoder_learns(freeze):
    from spacy_bts.heads.wiring import torch_module

    fix_random_seed(0)
    nlp, pipe = _pipe({**SMALL_POINTER, "freeze_encoder": freeze})
    examples = ner_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    module = torch_module(pipe.model)
    before = {name: p.detach().clone() for name, p in module.named_parameters()}
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    changed = {name for name, p in module.named_parameters() if not (p.detach() == before[name]).all()}
    encoder = {name for name in before if name.startswith("encoder.")}
    assert any(name.startswith("decoder.") for name in changed)
    assert (changed & encoder == set()) if freeze else bool(changed & encoder)
