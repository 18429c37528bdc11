"""What ``spacy train`` saves: the pipeline without the corpus's strings, with a config that resumes.

The byte components read ``doc.text`` and never the vocabulary, yet spaCy saves every
string the training corpus added to the vocab (1.5 MB for CoNLL NER, a sixth of the
pipeline). Used as ``[training.before_to_disk]``, the callback below saves a copy of the
pipeline built from the same config, so only the strings a freshly built pipeline holds
are written. Labels live in the components' own files and are unaffected.

``v2`` also writes the optimizer block of the saved config with its variables filled in
(e.g. a learning-rate schedule ending at ``${training.max_steps}``): ``nlp.resume_training()``
builds the optimizer from that block alone, where no variable can be resolved.
"""

from typing import Callable

from spacy.language import Language
from spacy.util import load_model_from_config, registry

# What the copy gets from the trained pipeline: everything except the vocab, whose
# vectors (with the strings of their keys) and lookups are copied below.
_EXCLUDED = ["vocab"]


@registry.callbacks("spacy-bts.without_corpus_strings.v1")
def make_without_corpus_strings() -> Callable[[Language], Language]:
    """``before_to_disk`` callback: the pipeline to save, without corpus strings."""
    return without_corpus_strings


@registry.callbacks("spacy-bts.without_corpus_strings.v2")
def make_without_corpus_strings_v2() -> Callable[[Language], Language]:
    """``v1``, and the saved config's optimizer block without variables."""
    return resumable_without_corpus_strings


def resumable_without_corpus_strings(nlp: Language) -> Language:
    """``without_corpus_strings``; the copy's ``[training.optimizer]`` has its variables filled in."""
    copy = without_corpus_strings(nlp)
    config = copy.config
    training = nlp.config.interpolate().get("training", {})
    if "optimizer" in training:
        config["training"]["optimizer"] = training["optimizer"]
    copy.config = config
    return copy


def without_corpus_strings(nlp: Language) -> Language:
    """A copy of ``nlp`` (same config, weights, meta, vectors, lookups) whose string
    store holds only what building the pipeline adds. ``nlp`` itself is not changed,
    so training goes on with its vocab intact."""
    copy = load_model_from_config(nlp.config, auto_fill=False, validate=False)
    vectors = nlp.vocab.vectors
    if len(vectors) or vectors.shape[0]:
        # Assigning the Vectors object would pull in (and rebind) the whole string store.
        copy.vocab.vectors.from_bytes(vectors.to_bytes(exclude=["strings"]), exclude=["strings"])
        for key in vectors.keys():
            if key in nlp.vocab.strings:
                copy.vocab.strings.add(nlp.vocab.strings[key])
    copy.vocab.lookups = nlp.vocab.lookups
    copy.from_bytes(nlp.to_bytes(exclude=_EXCLUDED), exclude=_EXCLUDED)
    return copy
