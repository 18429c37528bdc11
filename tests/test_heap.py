import itertools
import sys

import pytest
import spacy

from conftest import SMALL_MODEL
from fixtures import ner_examples
from spacy_bts import runtime as heap


@pytest.fixture
def releases(monkeypatch):
    """A fresh update count; returns the list that each heap release appends to."""
    calls = []
    monkeypatch.setattr(heap, "release_free_heap", lambda: calls.append(1) or True)
    monkeypatch.setattr(heap, "_updates", itertools.count(1))
    return calls


@pytest.mark.parametrize("interval,released", [(3, 2), (1, 7), (0, 0)])
def test_every_interval_th_update_releases_the_heap(monkeypatch, releases, interval, released):
    monkeypatch.setattr(heap, "TRIM_INTERVAL", interval)
    for _ in range(7):
        heap.after_update()
    assert len(releases) == released


def test_component_updates_release_the_heap(monkeypatch, releases):
    monkeypatch.setattr(heap, "TRIM_INTERVAL", 2)
    nlp = spacy.blank("xx")
    nlp.add_pipe("bts_ner", config={"model": SMALL_MODEL})
    examples = ner_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(4):
        nlp.update(examples, sgd=optimizer)
    assert len(releases) == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is a glibc function")
def test_release_free_heap_runs_where_glibc_has_malloc_trim():
    assert heap.release_free_heap() is (heap._MALLOC_TRIM is not None)
