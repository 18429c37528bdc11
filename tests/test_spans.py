"""The predicted spans a user sees (``spans.kept_spans``): at or above the threshold,
trimmed of whitespace, de-duplicated."""

from pathlib import Path

import pytest
import spacy
from conftest import char_spans, tagger_ner_pipe
from fixtures import NER_SENTENCES

TEXT = "Anna Berg flew from Oslo to Rome in 1999."
TEXTS = [text for text, _ in NER_SENTENCES]


def test_span_group_has_no_duplicates_after_trimming():
    nlp, pipe = tagger_ner_pipe()
    doc = nlp.make_doc(TEXT)
    # " Oslo" and "Oslo " are "Oslo" once trimmed; the best score is kept.
    predicted = [(19, 24, "LOC", 0.4), (20, 24, "LOC", 0.6), (20, 25, "LOC", 0.5), (20, 24, "PER", 0.3)]
    pipe.set_annotations([doc], [char_spans(pipe, predicted)])
    group = doc.spans["bts_ner"]
    found = sorted(zip(map(tuple, group.attrs["char_spans"]), (s.label_ for s in group), group.attrs["scores"]))
    assert [(o, label) for o, label, _ in found] == [((20, 24), "LOC"), ((20, 24), "PER")]
    assert found[0][2] == pytest.approx(0.6)


def test_threshold_trades_recall_for_precision(trained_ner):
    ner = trained_ner.get_pipe("bts_ner")
    docs = list(trained_ner.pipe(TEXTS))
    lowest = min(min(d.spans["bts_ner"].attrs["scores"]) for d in docs)
    old = ner.cfg["threshold"]
    ner.cfg["threshold"] = min(1.0, lowest + 1e-6)
    try:
        fewer = list(trained_ner.pipe(TEXTS))
    finally:
        ner.cfg["threshold"] = old
    assert sum(len(d.ents) for d in fewer) < sum(len(d.ents) for d in docs)


def test_each_entity_carries_its_score():
    nlp = spacy.load(Path(__file__).parent / "data" / "saved_pipelines" / "ner_tagger")
    doc = nlp("Greta Lindqvist opened a bakery in Uppsala. Aranda met Lindqvist.")
    group = doc.spans["bts_ner"]
    assert doc.ents
    for ent in doc.ents:
        i = next(
            i for i, span in enumerate(group) if (span.start, span.end, span.label) == (ent.start, ent.end, ent.label)
        )
        assert ent._.bts_score == group.attrs["scores"][i]
    outside = [t for t in doc if not t.ent_type_ and t.is_alpha][0]
    assert doc[outside.i : outside.i + 1]._.bts_score is None
