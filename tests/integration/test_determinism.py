import spacy
from conftest import SMALL_MODEL
from fixtures import ner_examples
from thinc.api import fix_random_seed


def run(seed):
    fix_random_seed(seed)
    nlp = spacy.blank("xx")
    model = dict(SMALL_MODEL, dropout=0.2, byte_dropout=0.2)
    nlp.add_pipe(
        "bts_ner", config={"model": model, "training_windows": {"@misc": "spacy-bts.random_windows.v1", "rate": 0.3}}
    )
    examples = ner_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(15):
        nlp.update(examples, sgd=optimizer, drop=0.2)
    docs = list(nlp.pipe([eg.text for eg in examples]))
    return nlp.get_pipe("bts_ner").model.to_bytes(), [d.spans["bts_ner"].attrs["char_spans"] for d in docs]


def test_same_seed_same_weights_and_predictions():
    first, second, other = run(7), run(7), run(8)
    assert first == second
    assert first[0] != other[0]
