import pytest
import spacy
import torch
from conftest import EVERY_WINDOW, SMALL_TAGGER, train
from fixtures import ner_examples
from spacy.util import registry
from thinc.api import fix_random_seed

from spacy_bts.byte_text import PAD
from spacy_bts.encoders.embeddings import HashedWordEmbedding


def byte_ids(*texts, length=None):
    rows = [list(t.encode("utf8")) for t in texts]
    length = length or max(map(len, rows))
    return torch.tensor([row + [PAD] * (length - len(row)) for row in rows])


def test_bytes_of_one_word_share_its_vector_whatever_the_case():
    table = HashedWordEmbedding(8, 1000)
    text = "Reuters said, reuters REUTERS Reuter Müller!"
    vectors = table(byte_ids(text))[0]
    at = lambda word, nth=0: text.index(word, nth)  # noqa: E731
    reuters = vectors[at("Reuters")]
    for i in range(len("Reuters")):
        assert torch.equal(vectors[at("Reuters") + i], reuters)
    assert torch.equal(vectors[at("reuters")], reuters)
    assert torch.equal(vectors[at("REUTERS")], reuters)
    assert not torch.equal(vectors[at("Reuter ")], reuters)
    assert not torch.equal(vectors[at("said")], reuters)
    muller = text.encode().index("Müller".encode())
    assert torch.equal(vectors[muller], vectors[muller + len("Müller".encode()) - 1])
    # Spaces and punctuation have no word.
    for byte in (text.index(","), text.index(" "), len(text.encode()) - 1):
        assert not vectors[byte].any()


def test_segments_and_padding_are_hashed_independently():
    table = HashedWordEmbedding(8, 1000)
    vectors = table(byte_ids("ab cd", "cd ab  "))
    assert torch.equal(vectors[0, 0], vectors[1, 3])
    assert torch.equal(vectors[0, 3], vectors[1, 0])
    assert not vectors[0, 5:].any()
    assert not table(byte_ids("", length=4)).any()


def test_words_longer_than_the_limit_get_no_vector():
    table = HashedWordEmbedding(8, 1000, max_length=24)
    vectors = table(byte_ids("a" * 30 + " b"))[0]
    assert not vectors[:30].any()
    assert vectors[31].any()


def test_encoder_v2_adds_word_buckets_and_v1_has_none():
    resolve = lambda arch, **kw: registry.resolve({"e": {"@architectures": arch, **kw}})["e"]  # noqa: E731
    v1 = resolve("spacy-bts.BiLSTMEncoder.v1")
    v2 = resolve("spacy-bts.BiLSTMEncoder.v2")
    assert "word_buckets" not in v1.settings
    assert v2.settings == {**v1.settings, "word_buckets": 4096}
    assert resolve("spacy-bts.BiLSTMEncoder.v2", word_buckets=0) == v1
    with pytest.raises(ValueError, match="BiLSTMEncoder.v2: word_buckets"):
        resolve("spacy-bts.BiLSTMEncoder.v2", word_buckets=-1)


def test_tagger_with_word_features_overfits_and_round_trips():
    fix_random_seed(0)
    model = {
        **SMALL_TAGGER,
        "encoder": {**SMALL_TAGGER["encoder"], "@architectures": "spacy-bts.BiLSTMEncoder.v2", "word_buckets": 256},
    }
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": model, "training_windows": EVERY_WINDOW})
    examples = ner_examples(nlp)
    train(nlp, examples)
    texts = [eg.reference.text for eg in examples]
    gold = [[(e.start_char, e.end_char, e.label_) for e in eg.reference.ents] for eg in examples]
    found = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    assert found == gold
    restored = spacy.blank("xx")
    restored.add_pipe("bts_ner", config={"model": model})
    restored.from_bytes(nlp.to_bytes())
    assert restored.get_pipe("bts_ner").model.attrs["encoder_settings"]["word_buckets"] == 256
    again = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in restored.pipe(texts)]
    assert again == gold
