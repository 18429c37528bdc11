import pickle

import pytest
import spacy
from conftest import EVERY_WINDOW, SMALL_MODEL, char_spans, tagger_ner_pipe
from fixtures import NER_SENTENCES, entity_offsets, ner_examples
from spacy import displacy
from spacy.training import Example

TEXTS = [text for text, _ in NER_SENTENCES]


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def spans(doc, key="bts_ner"):
    group = doc.spans[key]
    return [(s.start_char, s.end_char, s.label_, round(p, 5)) for s, p in zip(group, group.attrs["scores"])]


def test_overfit_recovers_gold_entities_exactly(trained_ner):
    for text, gold in NER_SENTENCES:
        doc = trained_ner(text)
        assert doc.text == text
        assert ents(doc) == entity_offsets(text, gold), text


def test_unspaced_japanese_tokens_are_split_at_entities(trained_ner):
    text = "山田太郎は東京大学で働いています。"
    assert len(trained_ner.make_doc(text)) < 4  # the blank tokenizer sees one word
    doc = trained_ner(text)
    assert [e.text for e in doc.ents] == ["山田太郎", "東京大学"]


def test_spans_carry_probabilities(trained_ner):
    doc = trained_ner(TEXTS[0])
    group = doc.spans["bts_ner"]
    assert len(group) >= 2 and len(group.attrs["scores"]) == len(group)
    assert all(0.0 < p <= 1.0 for p in group.attrs["scores"])
    assert all(e in list(group) for e in doc.ents)


@pytest.mark.parametrize("mode", ["expand", "contract", "strict"])
def test_alignment_modes_keep_tokens(trained_ner, mode):
    ner = trained_ner.get_pipe("bts_ner")
    text = "山田太郎は東京大学で働いています。"
    ner.cfg["alignment_mode"] = mode
    try:
        doc = trained_ner(text)
    finally:
        ner.cfg["alignment_mode"] = "split"
    assert [t.text for t in doc] == [t.text for t in trained_ner.make_doc(text)]
    if mode == "expand":
        assert len(doc.ents) == 1 and doc.ents[0].text == doc[0].text
    else:
        assert len(doc.ents) == 0


def test_pipe_equals_call_for_any_batch_size(trained_ner):
    texts = TEXTS + ["", "   ", "\n", "x", TEXTS[3] * 7]
    expected = [(ents(d), spans(d), [t.text for t in d]) for d in map(trained_ner, texts)]
    for batch_size in (1, 2, 3, 64):
        got = [(ents(d), spans(d), [t.text for t in d]) for d in trained_ner.pipe(texts, batch_size=batch_size)]
        assert got == expected


def test_multiprocess_pipe(trained_ner):
    expected = [ents(d) for d in trained_ner.pipe(TEXTS)]
    got = [ents(d) for d in trained_ner.pipe(TEXTS, n_process=2, batch_size=3)]
    assert got == expected


def _round_trips(nlp, tmp_path):
    path = tmp_path / "pipeline"
    nlp.to_disk(path)
    yield spacy.load(path)
    yield spacy.blank("xx").from_config(nlp.config).from_bytes(nlp.to_bytes())
    yield pickle.loads(pickle.dumps(nlp))


def test_serialization_round_trips(trained_ner, tmp_path):
    expected = [(ents(d), spans(d)) for d in trained_ner.pipe(TEXTS)]
    for restored in _round_trips(trained_ner, tmp_path):
        assert restored.get_pipe("bts_ner").labels == trained_ner.get_pipe("bts_ner").labels
        assert [(ents(d), spans(d)) for d in restored.pipe(TEXTS)] == expected


def test_save_and_load_before_initialize(tmp_path):
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": SMALL_MODEL})
    nlp.to_disk(tmp_path / "blank")
    loaded = spacy.load(tmp_path / "blank")
    assert loaded.get_pipe("bts_ner").labels == ()
    restored = spacy.blank("xx")
    restored.add_pipe("bts_ner", config={"model": SMALL_MODEL})
    restored.from_bytes(nlp.to_bytes())
    pickle.loads(pickle.dumps(nlp))
    with pytest.raises(ValueError, match="E109"):
        loaded("Text before initialize.")


def test_empty_and_whitespace_docs(trained_ner):
    for text in ["", " ", "\n\n\t", "\u3000"]:
        doc = trained_ner(text)
        assert doc.text == text and doc.ents == ()


def test_initialize_with_labels_and_label_data():
    nlp = spacy.blank("xx")
    ner = nlp.add_pipe("bts_ner", config={"model": SMALL_MODEL})
    examples = ner_examples(nlp)
    nlp.initialize(lambda: examples)
    assert ner.labels == ("LOC", "ORG", "PER")
    assert ner.label_data == ["LOC", "ORG", "PER"]
    nlp2 = spacy.blank("xx")
    ner2 = nlp2.add_pipe("bts_ner", config={"model": SMALL_MODEL})
    ner2.initialize(lambda: examples, nlp=nlp2, labels=ner.label_data + ["MISC"])
    assert ner2.labels == ("LOC", "ORG", "PER", "MISC")


def test_initialize_without_annotation_is_a_clear_error():
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": SMALL_MODEL})
    examples = [Example.from_dict(nlp.make_doc("No entities here."), {})]
    with pytest.raises(ValueError, match="no usable training example: all 1"):
        nlp.initialize(lambda: examples)


def test_training_reads_reference_offsets_not_predicted_tokens():
    nlp = spacy.blank("xx")
    ner = nlp.add_pipe("bts_ner", config={"model": SMALL_MODEL, "training_windows": EVERY_WINDOW})
    examples = ner_examples(nlp)
    nlp.initialize(lambda: examples)
    japanese = [eg for eg in examples if eg.text.startswith("山田")]
    # The predicted doc cannot hold the entities; the reference can.
    assert len(japanese[0].predicted) < 4
    batch = ner.training_batch(japanese)
    stop = ner.head.vocab.stop
    assert len(batch) and any((row != stop).any() and row[0] != stop for row in batch.targets)


def test_update_respects_sgd_and_losses(trained_ner):
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": SMALL_MODEL})
    examples = ner_examples(nlp)
    nlp.initialize(lambda: examples)
    before = nlp.get_pipe("bts_ner").model.to_bytes()
    losses = {}
    nlp.update(examples, sgd=False, losses=losses)
    assert losses["bts_ner"] > 0
    assert nlp.get_pipe("bts_ner").model.to_bytes() == before


def test_scores_and_displacy(trained_ner):
    examples = []
    for eg in ner_examples(trained_ner):
        examples.append(Example(trained_ner(eg.text), eg.reference))
    scores = trained_ner.get_pipe("bts_ner").score(examples)
    assert scores["ents_f"] == 1.0 and set(scores["ents_per_type"]) == {"LOC", "ORG", "PER"}
    html = displacy.render(trained_ner(TEXTS[3]), style="ent")
    assert "東京大学" in html and "ORG" in html


def _ents(nlp, texts, batch_size=64):
    return [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts, batch_size=batch_size)]


def test_quantized_prediction_is_close(trained_ner):
    pipe = trained_ner.get_pipe("bts_ner")
    texts = [text for text, _ in NER_SENTENCES]
    before = pipe.cfg["quantize"]
    pipe.cfg["quantize"] = False
    try:
        float_ents = _ents(trained_ner, texts)
        assert pipe._prediction_model() is pipe.model
        pipe.cfg["quantize"] = True
        int8_ents = _ents(trained_ner, texts)
        assert pipe._quantized is not None and pipe._quantized.name.endswith("_int8")
        same = sum(a == b for a, b in zip(float_ents, int8_ents))
        assert same >= len(texts) - 1
        pipe.cfg["quantize"] = False
        assert _ents(trained_ner, texts) == float_ents
    finally:
        pipe.cfg["quantize"] = before


def test_bfloat16_prediction_is_close_and_batch_independent(trained_ner):
    pipe = trained_ner.get_pipe("bts_ner")
    texts = [text for text, _ in NER_SENTENCES]
    before = pipe.cfg["quantize"]
    try:
        pipe.cfg["quantize"] = False
        float_ents = _ents(trained_ner, texts)
        pipe.cfg["quantize"] = "bfloat16"
        if "bfloat16" not in pipe.head.precisions:
            with pytest.raises(ValueError, match="no bfloat16 prediction for the seq2seq head"):
                trained_ner(texts[0])
            return
        bf16_ents = _ents(trained_ner, texts)
        assert pipe._quantized.name.endswith("_bfloat16")
        assert sum(a == b for a, b in zip(float_ents, bf16_ents)) >= len(texts) - 1
        assert _ents(trained_ner, texts, batch_size=1) == bf16_ents
        assert _ents(trained_ner, texts[::-1], batch_size=3) == bf16_ents[::-1]
    finally:
        pipe.cfg["quantize"] = before


def test_auto_precision_is_bfloat16_where_it_is_native_and_the_head_has_it(trained_ner, monkeypatch):
    import spacy_bts.heads.precision as pytorch_tagger

    pipe = trained_ner.get_pipe("bts_ner")
    assert pipe.cfg["quantize"] == "auto"
    for native in (True, False):
        monkeypatch.setattr(pytorch_tagger, "native_bfloat16", lambda: native)
        expected = "bfloat16" if native and "bfloat16" in pipe.head.precisions else None
        assert pipe._prediction_precision() == expected
        model = pipe._prediction_model()
        assert model is pipe.model if expected is None else model.name.endswith("_bfloat16")


@pytest.mark.parametrize("value", ["float16", 1, 0, None])
def test_invalid_quantize_setting_is_named(value):
    nlp = spacy.blank("xx")
    with pytest.raises(ValueError, match="quantize"):
        nlp.add_pipe("bts_ner", config={"quantize": value})


# Preset entities; only entities re-cut tokens.

TEXT = "Anna Berg flew from Oslo to Rome in 1999."
PREDICTED = [(0, 9, "PER", 0.9), (20, 24, "LOC", 0.8), (28, 32, "LOC", 0.7)]


@pytest.mark.parametrize("overwrite", [False, True])
def test_preset_entities_are_kept_unless_overwritten(overwrite):
    nlp, pipe = tagger_ner_pipe(overwrite_ents=overwrite)
    doc = nlp.make_doc(TEXT)
    # An earlier component set "Berg" (inside a predicted entity) and "1999".
    doc.ents = [doc.char_span(5, 9, label="FAMILY"), doc.char_span(36, 40, label="DATE")]
    pipe.set_annotations([doc], [char_spans(pipe, PREDICTED)])
    if overwrite:
        # As entity_ruler's overwrite_ents: predictions replace the preset entities they overlap.
        assert ents(doc) == [(0, 9, "PER"), (20, 24, "LOC"), (28, 32, "LOC"), (36, 40, "DATE")]
    else:
        assert ents(doc) == [(5, 9, "FAMILY"), (20, 24, "LOC"), (28, 32, "LOC"), (36, 40, "DATE")]
    # Every prediction is in the span group either way.
    assert doc.spans["bts_ner"].attrs["char_spans"] == [[s, e] for s, e, _, _ in PREDICTED]


def test_entity_ruler_before_bts_ner_keeps_its_entities(trained_ner):
    nlp = spacy.blank("xx")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "DATE", "pattern": "1840"}, {"label": "FAMILY", "pattern": "Zola"}])
    ner = nlp.add_pipe("bts_ner", source=trained_ner)  # the same object as trained_ner's
    text = "Émile Zola est né à Paris en 1840."
    assert ents(trained_ner(text)) == [(0, 10, "PER"), (20, 25, "LOC")]
    assert ents(nlp(text)) == [(6, 10, "FAMILY"), (20, 25, "LOC"), (29, 33, "DATE")]
    ner.cfg["overwrite_ents"] = True
    try:
        assert ents(nlp(text)) == [(0, 10, "PER"), (20, 25, "LOC"), (29, 33, "DATE")]
    finally:
        ner.cfg["overwrite_ents"] = False


def test_split_cuts_tokens_only_for_entities():
    nlp, pipe = tagger_ner_pipe()
    doc = nlp.make_doc(TEXT)
    tokens = [t.text for t in doc]
    # Low-scoring spans inside the entities never reach doc.ents.
    predicted = PREDICTED + [(1, 3, "LOC", 0.1), (21, 23, "PER", 0.05)]
    pipe.set_annotations([doc], [char_spans(pipe, predicted)])
    assert [t.text for t in doc] == tokens
    assert ents(doc) == [(s, e, label) for s, e, label, _ in PREDICTED]
    group = doc.spans["bts_ner"]
    assert len(group) == 5 and sorted(map(tuple, group.attrs["char_spans"])) == sorted(
        (s, e) for s, e, _, _ in predicted
    )
    # An entity cut inside a token still splits it.
    doc = nlp.make_doc("OsloAnna")
    pipe.set_annotations([doc], [char_spans(pipe, [(0, 4, "LOC", 0.9), (1, 2, "PER", 0.1)])])
    assert [t.text for t in doc] == ["Oslo", "Anna"] and ents(doc) == [(0, 4, "LOC")]
