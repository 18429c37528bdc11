"""The corpus reader spacy-bts.SampledCorpora.v1: corpora mixed by temperature."""

import collections

import pytest
import spacy
from spacy.tokens import DocBin
from spacy.util import registry

from spacy_bts.corpus import SampledCorpora


def write_corpus(path, texts):
    nlp = spacy.blank("xx")
    DocBin(docs=[nlp.make_doc(text) for text in texts]).to_disk(path)
    return path


@pytest.fixture
def corpora(tmp_path):
    # A large corpus of 40 ten-byte texts and a small one of 4 (400 and 40 bytes).
    big = write_corpus(tmp_path / "big.spacy", [f"Big text{i:02d}" for i in range(40)])
    small = write_corpus(tmp_path / "small.spacy", [f"Small t{i:02d}" for i in range(4)])
    return big, small


def epochs(reader, n):
    nlp = spacy.blank("xx")
    return [[eg.reference.text for eg in reader(nlp)] for _ in range(n)]


def test_temperature_one_reads_every_document_once_an_epoch_in_a_new_order(corpora):
    reader = SampledCorpora(corpora, temperature=1.0, seed=1)
    first, second = epochs(reader, 2)
    assert sorted(first) == sorted(second) and len(set(first)) == 44
    assert first != second


def test_high_temperature_evens_the_shares_and_reads_a_small_corpus_in_whole_passes(corpora):
    reader = SampledCorpora(corpora, temperature=100.0, seed=0)
    texts = [text for epoch in epochs(reader, 10) for text in epoch]
    counts = collections.Counter(text.split()[0] for text in texts)
    # Nearly equal bytes from each: about 220 texts of each kind over 10 epochs.
    assert abs(counts["Big"] - counts["Small"]) <= 0.05 * len(texts)
    small = collections.Counter(text for text in texts if text.startswith("Small"))
    assert max(small.values()) - min(small.values()) <= 1


def test_weights_set_the_shares_and_the_draws_follow_the_seed(corpora):
    reader = SampledCorpora(corpora, weights=[3, 1], seed=5)
    texts = [text for epoch in epochs(reader, 5) for text in epoch]
    big = sum(text.startswith("Big") for text in texts)
    assert abs(big / len(texts) - 0.75) < 0.03
    assert epochs(SampledCorpora(corpora, weights=[3, 1], seed=5), 5) == epochs(
        SampledCorpora(corpora, weights=[3, 1], seed=5), 5
    )


def test_the_reader_takes_each_spacy_file_of_a_directory_as_a_corpus(corpora, tmp_path):
    create = registry.readers.get("spacy-bts.SampledCorpora.v1")
    reader = create(tmp_path, temperature=2.0)
    assert isinstance(reader, SampledCorpora) and reader.paths == sorted(corpora)
    assert len(create(corpora[1])(spacy.blank("xx")).__next__().reference.text) > 0
    (tmp_path / "empty").mkdir()
    for path, message in [
        (None, "path is null"),
        (tmp_path / "none", "does not exist"),
        (tmp_path / "empty", "no .spacy"),
    ]:
        with pytest.raises(ValueError, match=message):
            create(path)


def test_the_reader_checks_its_settings(corpora, tmp_path):
    with pytest.raises(ValueError, match="not found: .*missing.spacy"):
        SampledCorpora([corpora[0], tmp_path / "missing.spacy"])
    with pytest.raises(ValueError, match="temperature must be > 0"):
        SampledCorpora(corpora, temperature=0)
    with pytest.raises(ValueError, match="weights must be 2 non-negative numbers"):
        SampledCorpora(corpora, weights=[1.0])
    with pytest.raises(ValueError, match="paths is empty"):
        SampledCorpora([])
