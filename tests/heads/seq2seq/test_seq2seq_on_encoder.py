"""The paper's seq2seq head on a byte encoder (spacy-bts.EncoderByteToSpan.v1)."""

import spacy
from conftest import EVERY_WINDOW, SMALL_TAGGER, train
from fixtures import NER_SENTENCES, entity_offsets, ner_examples
from thinc.api import fix_random_seed

ENCODED_SEQ2SEQ = {
    "@architectures": "spacy-bts.EncoderByteToSpan.v1",
    "width": 64,
    "depth": 1,
    "dropout": 0.0,
    "byte_dropout": 0.0,
    "encoder": SMALL_TAGGER["encoder"],
}


def test_seq2seq_head_on_a_bilstm_encoder_overfits_and_round_trips(tmp_path):
    fix_random_seed(0)
    nlp = spacy.blank("xx")
    ner = nlp.add_pipe("bts_ner", config={"model": ENCODED_SEQ2SEQ, "training_windows": EVERY_WINDOW})
    train(nlp, ner_examples(nlp))
    assert ner.head.name == "seq2seq" and ner.model.attrs["encoder_kind"] == "bilstm"
    found = [[(e.start_char, e.end_char, e.label_) for e in nlp(t).ents] for t, _ in NER_SENTENCES]
    right = sum(f == entity_offsets(t, g) for f, (t, g) in zip(found, NER_SENTENCES))
    assert right >= len(NER_SENTENCES) - 1
    nlp.to_disk(tmp_path)
    loaded = spacy.load(tmp_path)
    assert [[(e.start_char, e.end_char, e.label_) for e in loaded(t).ents] for t, _ in NER_SENTENCES] == found
