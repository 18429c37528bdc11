"""The components behave as spaCy's own pipes: settings, preset entities,
missing annotation, loss, dropout, messages, processes and scorers."""
import builtins
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy
import pytest
import spacy
import srsly
import torch
from spacy.language import Language
from spacy.scorer import Scorer, get_ner_prf
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import set_dropout_rate

from conftest import EVERY_WINDOW, SMALL_MODELS, SMALL_TAGGER
from fixtures import ner_examples, pos_examples
from spacy_bts.pipeline import gold
from spacy_bts.spans import CharSpans
from spacy_bts.heads.tagging.biluo import IGNORE_TAG
from spacy_bts.pipeline.scorers import score_ner, score_pos
from spacy_bts.heads.wiring import torch_module

ROOT = Path(__file__).parent.parent

# Non-default values of every runtime setting (the small models' segment is 64 or 60 bytes).
OVERRIDES = {
    "bts_ner": {
        "spans_key": "found",
        "threshold": 0.5,
        "alignment_mode": "expand",
        "overwrite_ents": True,
        "overlap": 10,
        "max_batch_segments": 7,
        "max_spans_per_segment": 5,
        "quantize": True,
    },
    "bts_pos": {
        "spans_key": "words",
        "threshold": 0.5,
        "retokenize": True,
        "overlap": 10,
        "max_batch_segments": 7,
        "max_spans_per_segment": 5,
        "quantize": True,
    },
}
EXAMPLES = {"bts_ner": ner_examples, "bts_pos": pos_examples}


def initialized(factory, head="tagging", **config):
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe(factory, config={"model": SMALL_MODELS[head], **config})
    examples = EXAMPLES[factory](nlp)
    nlp.initialize(lambda: examples)
    return nlp, pipe, examples


def caught(fn):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message) for w in record]


# 1. Settings given at load time win over the saved ones; saved ones are checked.


@pytest.mark.parametrize("factory", sorted(OVERRIDES))
def test_load_time_config_wins_for_every_setting(factory, tmp_path):
    nlp, _, _ = initialized(factory)
    nlp.to_disk(tmp_path / "p")
    overrides = OVERRIDES[factory]
    loaded = spacy.load(tmp_path / "p", config={"components": {factory: overrides}})
    pipe = loaded.get_pipe(factory)
    for setting, value in overrides.items():
        assert loaded.config["components"][factory][setting] == value, setting
        assert pipe.cfg[setting] == value, setting
    # Without overrides, the saved settings come back.
    plain = spacy.load(tmp_path / "p").get_pipe(factory)
    assert {s: plain.cfg[s] for s in overrides} == {s: nlp.get_pipe(factory).cfg[s] for s in overrides}


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("overlap", 10_000, r"overlap .*\[0, 64\)"),
        ("threshold", 1.5, r"threshold .*\[0, 1\]"),
        ("max_batch_segments", 0, r"max_batch_segments .*>= 1"),
        ("labels", "PER", r"labels .*list of distinct strings"),
    ],
)
def test_saved_settings_are_validated_on_load(tmp_path, setting, value, message):
    nlp, _, _ = initialized("bts_ner")
    nlp.to_disk(tmp_path / "p")
    cfg_path = tmp_path / "p" / "bts_ner" / "cfg"
    cfg = srsly.read_json(cfg_path)
    cfg[setting] = value
    srsly.write_json(cfg_path, cfg)
    with pytest.raises(ValueError, match=rf"(?s)bts_ner.*{message}.*bts_ner/cfg"):
        spacy.load(tmp_path / "p")


# 2. Preset entities; only entities re-cut tokens.

TEXT = "Anna Berg flew from Oslo to Rome in 1999."


def char_spans(pipe, spans):
    """CharSpans for (start, end, label, score) tuples."""
    ids = {label: i for i, label in enumerate(pipe.labels)}
    starts, ends, labels, probs = zip(*spans) if spans else ((), (), (), ())
    return CharSpans(
        numpy.asarray(starts, dtype=numpy.int64),
        numpy.asarray(ends, dtype=numpy.int64),
        numpy.asarray([ids[label] for label in labels], dtype=numpy.int64),
        numpy.asarray(probs, dtype=numpy.float32),
    )


def ner_pipe(**config):
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER, **config})
    for label in ("LOC", "PER"):
        pipe.add_label(label)
    nlp.initialize()
    return nlp, pipe


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


PREDICTED = [(0, 9, "PER", 0.9), (20, 24, "LOC", 0.8), (28, 32, "LOC", 0.7)]


@pytest.mark.parametrize("overwrite", [False, True])
def test_preset_entities_are_kept_unless_overwritten(overwrite):
    nlp, pipe = ner_pipe(overwrite_ents=overwrite)
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
    nlp, pipe = ner_pipe()
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


def test_pos_recuts_tokens_only_to_predicted_words():
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_pos", config={"model": SMALL_TAGGER, "threshold": 0.5, "retokenize": True})
    for tag in ("NOUN", "VERB"):
        pipe.add_label(tag)
    nlp.initialize()
    doc = nlp.make_doc("Hundebellen stört")
    words = [(0, 5, "NOUN", 0.9), (5, 11, "NOUN", 0.9), (12, 17, "VERB", 0.9), (1, 3, "VERB", 0.1)]
    pipe.set_annotations([doc], [char_spans(pipe, words)])
    assert [(t.text, t.pos_) for t in doc] == [("Hunde", "NOUN"), ("bellen", "NOUN"), ("stört", "VERB")]


# 3. De-duplication after trimming.


def test_span_group_has_no_duplicates_after_trimming():
    nlp, pipe = ner_pipe()
    doc = nlp.make_doc(TEXT)
    # " Oslo" and "Oslo " are "Oslo" once trimmed; the best score is kept.
    predicted = [(19, 24, "LOC", 0.4), (20, 24, "LOC", 0.6), (20, 25, "LOC", 0.5), (20, 24, "PER", 0.3)]
    pipe.set_annotations([doc], [char_spans(pipe, predicted)])
    group = doc.spans["bts_ner"]
    found = sorted(zip(map(tuple, group.attrs["char_spans"]), (s.label_ for s in group), group.attrs["scores"]))
    assert [(o, label) for o, label, _ in found] == [((20, 24), "LOC"), ((20, 24), "PER")]
    assert found[0][2] == pytest.approx(0.6)


# 4. Missing annotation is unknown, not "nothing here".


def partially_annotated(nlp):
    # "Oslo" and "Rome" have no IOB value (missing); the rest is annotated.
    words = ["Anna", "Berg", "flew", "from", "Oslo", "to", "Rome", "."]
    spaces = [True, True, True, True, True, True, False, False]
    doc = Doc(nlp.vocab, words=words, spaces=spaces, ents=["B-PER", "I-PER", "O", "O", "", "O", "", "O"])
    return Example(nlp.make_doc(doc.text), doc)


def test_ner_missing_tokens_are_masked_in_tagging_targets():
    nlp, pipe = ner_pipe()
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


# 5. get_loss: the loss of the given examples, without side effects.


@pytest.mark.parametrize("head", sorted(SMALL_MODELS))
def test_get_loss_has_no_side_effects(head):
    nlp, pipe, examples = initialized("bts_ner", head)
    plain = Example(nlp.make_doc("Nothing here."), nlp.make_doc("Nothing here."))
    examples = examples + [plain]
    numpy_state = numpy.random.get_state()[1].copy()
    torch_state = torch.get_rng_state().clone()
    dropout = pipe.model.attrs.get("dropout_rate")
    (loss, _), messages = caught(lambda: pipe.get_loss(examples, None))
    assert numpy.isfinite(loss) and loss > 0
    assert pipe.get_loss(examples, None)[0] == loss
    assert (numpy.random.get_state()[1] == numpy_state).all()
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert pipe.model.attrs.get("dropout_rate") == dropout
    assert not pipe.skipped and not messages
    # It measures the model: training on the examples lowers it.
    before = pipe.get_loss(examples[:3], None)[0]
    optimizer = nlp.resume_training()
    optimizer.learn_rate = 0.01
    for _ in range(5):
        nlp.update(examples[:3], sgd=optimizer)
    assert pipe.get_loss(examples[:3], None)[0] < before


# 6. Dropout: Thinc's dropout_rate, set by nlp.update(drop=...) / [training] dropout.


@pytest.mark.parametrize("head", sorted(SMALL_MODELS))
def test_dropout_follows_thincs_convention(head):
    nlp, pipe, examples = initialized("bts_ner", head)
    module = torch_module(pipe.model)
    set_dropout_rate(pipe.model, 0.4)
    pipe.model.begin_update(pipe.training_batch(examples[:2]))
    assert module.dropout.p == pytest.approx(0.4)
    nlp.update(examples[:2], drop=0.25)
    assert pipe.model.attrs["dropout_rate"] == 0.25 and module.dropout.p == pytest.approx(0.25)


def test_readme_quickstart_trains_with_dropout(monkeypatch):
    from spacy_bts.pipeline.base import ByteToSpanPipe

    text = (ROOT / "README.md").read_text(encoding="utf8")
    section = text.split("## Quickstart", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    drops = []
    update = ByteToSpanPipe.update

    def recording(self, examples, *, drop=0.0, **kwargs):
        drops.append(drop)
        return update(self, examples, drop=drop, **kwargs)

    monkeypatch.setattr(ByteToSpanPipe, "update", recording)
    namespace = {"range": lambda n: builtins.range(min(n, 2))}
    exec(compile(code, "README.md", "exec"), namespace)
    assert drops and min(drops) > 0


# 7. Messages name the document by its place in the corpus.


def test_warnings_name_the_document_in_the_corpus():
    nlp = spacy.blank("xx")
    pipe = nlp.add_pipe("bts_ner", config={"model": SMALL_TAGGER})
    texts = ["Anna lives here.", "Olaf lives there."]
    examples = [
        Example.from_dict(nlp.make_doc(t), {"entities": [(0, 4, "PER")]}) for t in texts
    ]
    # "Rome " as the entity: trimmed, and reported.
    doc = Doc(nlp.vocab, words=["Nobody", "knows", "Rome", " "], spaces=[True, True, False, False])
    doc.ents = [Span(doc, 2, 4, label="LOC")]
    examples.append(Example(nlp.make_doc(doc.text), doc))
    nlp.initialize(lambda: examples)
    _, messages = caught(lambda: pipe.training_batch([examples[2], examples[0]]))
    trimmed = [m for m in messages if gold.TRIMMED in m]
    assert trimmed and "document 2 of the corpus" in trimmed[0] and "'Nobody knows" in trimmed[0]
    assert "of the batch" not in trimmed[0]


# 8. Torch threads: limited in nlp.pipe(n_process=...) children, not by importing.


def run_python(code):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)


def test_import_works_without_register_at_fork():
    # As on Windows, where os has no register_at_fork (the standard library is loaded first).
    code = "import os, random, spacy, torch\ndel os.register_at_fork\nimport spacy_bts.heads.seq2seq.module\nprint('ok')"
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


# 9. spaCy's own helpers, with the same results.


def scored_examples(nlp, cases):
    """Examples from (text, gold ents or None for no annotation, predicted ents)."""
    examples = []
    for text, gold_ents, predicted in cases:
        reference = nlp.make_doc(text)
        if gold_ents is not None:
            reference.ents = [reference.char_span(s, e, label=l, alignment_mode="expand") for s, e, l in gold_ents]
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label=l, alignment_mode="expand") for s, e, l in predicted]
        examples.append(Example(doc, reference))
    return examples


def test_ner_scores_are_spacys_and_skip_unannotated_references():
    nlp = spacy.blank("xx")
    annotated = [
        ("Anna flew to Oslo.", [(0, 4, "PER"), (13, 17, "LOC")], [(0, 4, "PER"), (13, 17, "PER")]),
        ("Rome is far from Oslo.", [(0, 4, "LOC")], [(0, 4, "LOC"), (17, 21, "LOC")]),
    ]
    examples = scored_examples(nlp, annotated)
    assert score_ner(examples) == get_ner_prf(examples)
    # A reference without entity annotation is not scored (spaCy's rule).
    unannotated = scored_examples(nlp, [("Berlin again.", None, [(0, 6, "LOC")])])
    assert score_ner(examples + unannotated) == score_ner(examples)


def test_ner_scores_stay_on_exact_character_offsets():
    nlp = spacy.blank("xx")
    reference = Doc(nlp.vocab, words=["The", "Oslo-based", "firm"], ents=["O", "B-LOC", "O"])
    predicted = Doc(nlp.vocab, words=["The", "Oslo", "-based", "firm"], spaces=[True, False, True, False])
    predicted.ents = [Span(predicted, 1, 2, label="LOC")]
    # Token alignment alone would count "Oslo" as the gold "Oslo-based".
    scores = score_ner([Example(predicted, reference)])
    assert scores["ents_p"] == 0.0 and scores["ents_r"] == 0.0
    assert scores["ents_per_type"]["LOC"] == {"p": 0.0, "r": 0.0, "f": 0.0}


def test_word_segmentation_equals_spacys_tokenization_score_on_tokens():
    """``word_seg_*`` scores the predicted words; where they are the Doc's tokens it
    is spaCy's ``score_tokenization`` (which can only score tokens)."""
    nlp = spacy.blank("xx")
    reference = Doc(nlp.vocab, words=["Hunde", "bellen", "laut", "."], spaces=[False, True, False, False],
                    pos=["NOUN", "NOUN", "ADV", "PUNCT"])
    predicted = Doc(nlp.vocab, words=["Hundebellen", "laut", "."], spaces=[True, False, False])
    examples = [Example(predicted, reference)]
    ours = score_pos(examples, spans_key=None)
    spacys = Scorer.score_tokenization(examples)
    assert (ours["word_seg_p"], ours["word_seg_r"], ours["word_seg_f"]) == pytest.approx(
        (spacys["token_p"], spacys["token_r"], spacys["token_f"])
    )


def test_slow_tests_are_deselected_by_pytest_markers():
    def collected(*args):
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/test_readme.py", *args],
            capture_output=True, text=True, cwd=ROOT,
        )
        return result.stdout

    assert "test_whole_quickstart_runs" not in collected()
    assert "test_whole_quickstart_runs" in collected("-m", "slow")
    assert "--slow" not in (ROOT / "tests" / "conftest.py").read_text()
