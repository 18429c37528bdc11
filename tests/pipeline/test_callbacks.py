import numpy
import spacy
import srsly
from conftest import SMALL_TAGGER
from fixtures import ner_examples
from spacy.util import registry

from spacy_bts.pipeline.callbacks import without_corpus_strings

CORPUS_WORDS = ["Kowalska", "Straßburg", "Reykjavík"]


def test_copy_saves_without_corpus_strings_and_predicts_the_same(trained_ner, tmp_path):
    nlp = trained_ner
    nlp.meta["performance"] = {"ents_f": 0.5}
    assert all(word in nlp.vocab.strings for word in CORPUS_WORDS)

    without_corpus_strings(nlp).to_disk(tmp_path / "slim")
    nlp.to_disk(tmp_path / "full")

    slim_strings = set(srsly.read_json(tmp_path / "slim" / "vocab" / "strings.json"))
    full_strings = set(srsly.read_json(tmp_path / "full" / "vocab" / "strings.json"))
    assert not slim_strings & set(CORPUS_WORDS)
    assert set(CORPUS_WORDS) <= full_strings
    assert len(slim_strings) < len(full_strings)
    # The training pipeline keeps its own vocab.
    assert all(word in nlp.vocab.strings for word in CORPUS_WORDS)

    slim = spacy.load(tmp_path / "slim")
    assert slim.meta["performance"] == {"ents_f": 0.5}
    texts = ["Angela Merkel traf Emmanuel Macron in Straßburg.", "Björk sang in Reykjavík 🎤 last night."]
    for ours, theirs in zip(slim.pipe(texts), nlp.pipe(texts)):
        assert [(e.start_char, e.end_char, e.label_) for e in ours.ents] == [
            (e.start_char, e.end_char, e.label_) for e in theirs.ents
        ]
        assert [t.text for t in ours] == [t.text for t in theirs]


def test_callback_is_registered_for_before_to_disk():
    callback = registry.resolve({"cb": {"@callbacks": "spacy-bts.without_corpus_strings.v1"}})["cb"]
    assert callback is without_corpus_strings


def test_vectors_and_their_strings_are_kept(tmp_path):
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER})
    nlp.initialize(lambda: ner_examples(nlp))
    nlp.vocab.set_vector("Vektorwort", numpy.asarray([1.0, 2.0, 3.0], dtype="f"))
    nlp.vocab.strings.add("Korpuswort")
    without_corpus_strings(nlp).to_disk(tmp_path / "slim")
    slim = spacy.load(tmp_path / "slim")
    assert slim.vocab.get_vector("Vektorwort").tolist() == [1.0, 2.0, 3.0]
    assert "Vektorwort" in slim.vocab.strings
    assert "Korpuswort" not in slim.vocab.strings
    # The original's vectors still use its own string store.
    assert nlp.vocab.vectors.strings is nlp.vocab.strings
