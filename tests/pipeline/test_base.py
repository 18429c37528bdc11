"""What both components share as spaCy pipes (``pipeline/base.py``): the loss of
given examples, and dropout as Thinc's ``dropout_rate``."""

import builtins
import re
from pathlib import Path

import numpy
import pytest
import torch
from conftest import SMALL_MODELS, caught, initialized
from spacy.training import Example
from thinc.api import set_dropout_rate

from spacy_bts.heads.wiring import torch_module

ROOT = Path(__file__).parents[2]


# get_loss: the loss of the given examples, without side effects.


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


# Dropout: Thinc's dropout_rate, set by nlp.update(drop=...) / [training] dropout.


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
