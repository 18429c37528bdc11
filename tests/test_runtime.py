"""Process-wide runtime policy (``runtime.py``): torch threads in child processes, and
the freed heap handed back to the system."""

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
import torch
from conftest import SMALL_MODEL, initialized
from fixtures import ner_examples
from spacy.language import Language

from spacy_bts import runtime as heap

ROOT = Path(__file__).parent.parent


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


# Torch threads: limited in nlp.pipe(n_process=...) children, not by importing.


def run_python(code):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)


def test_import_works_without_register_at_fork():
    # As on Windows, where os has no register_at_fork (the standard library is loaded first).
    code = (
        "import os, random, spacy, torch\ndel os.register_at_fork\nimport spacy_bts.heads.seq2seq.module\nprint('ok')"
    )
    result = run_python(code)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


def test_importing_does_not_change_forked_children():
    code = """
import multiprocessing as mp
import torch
import spacy_bts.heads.seq2seq.module

def threads(queue):
    queue.put(torch.get_num_threads())

torch.set_num_threads(2)
ctx = mp.get_context("fork")
queue = ctx.Queue()
child = ctx.Process(target=threads, args=(queue,))
child.start()
print("child threads", queue.get())
child.join()
"""
    result = run_python(code)
    assert "child threads 2" in result.stdout, result.stdout + result.stderr


@Language.component("torch_threads_probe")
def torch_threads_probe(doc):
    doc.user_data["torch_threads"] = torch.get_num_threads()
    return doc


def test_pipe_children_use_one_torch_thread():
    nlp, _, _ = initialized("bts_ner")
    nlp.add_pipe("torch_threads_probe")
    texts = ["Anna lives in Oslo."] * 4
    docs = list(nlp.pipe(texts, n_process=2, batch_size=1))
    assert [d.user_data["torch_threads"] for d in docs] == [1] * 4
