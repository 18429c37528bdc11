"""The corpus reader ``spacy-bts.SampledCorpora.v1``: several ``.spacy`` corpora mixed by size.

Its settings are those of ``spacy.Corpus.v1`` plus ``temperature``, ``weights``
and ``seed``, so a config switches to it by its ``@readers`` line; every
``.spacy`` file under ``path`` (a directory) is one corpus. One merged corpus
gives each of its parts a share of the training bytes equal to its size. This
reader draws each epoch about as many bytes as the corpora
hold together, corpus ``i`` getting the share ``q_i`` proportional to
``size_i ** (1 / temperature)`` (temperature sampling by corpus size, in bytes
of text): temperature 1 reads every document once an epoch, as the merged
corpus does; higher temperatures move toward equal shares, so small corpora are
read more often and large ones less. ``weights`` sets the shares instead.

Within a corpus, documents come from a reshuffled pass over all of them, the
next epoch continuing where the last one stopped, so every document of a corpus
is read equally often in the long run. spaCy's training loop calls its corpus
once per epoch only with ``[training] max_epochs = -1``; with ``max_epochs >= 0``
it keeps the first epoch's draw and reshuffles it.
"""

from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Union

import numpy
from spacy.language import Language
from spacy.training import Corpus, Example
from spacy.util import registry
from wasabi import msg

NAME = "spacy-bts.SampledCorpora.v1"


@registry.readers(NAME)
def create_sampled_corpora(
    path: Optional[Union[str, Path]], temperature: float = 1.0, weights: Optional[Sequence[float]] = None,
    seed: int = 0, max_length: int = 0, gold_preproc: bool = False, limit: int = 0,
    augmenter: Optional[Callable] = None,
) -> Callable[[Language], Iterator[Example]]:  # fmt: skip
    """Examples of the ``.spacy`` files under ``path``, each file one corpus, each epoch
    mixed by ``temperature`` (or by ``weights``, one per file in sorted order); ``seed``
    fixes the draws. ``max_length``, ``gold_preproc``, ``limit`` (per corpus) and
    ``augmenter`` are those of ``spacy.Corpus.v1``."""
    if path is None:
        raise ValueError(f"{NAME}: path is null; set it to a directory of .spacy files (--paths.train)")
    root = Path(path)
    if not root.exists():
        raise ValueError(f"{NAME}: {root} does not exist")
    paths = sorted(root.rglob("*.spacy")) if root.is_dir() else [root]
    if not paths:
        raise ValueError(f"{NAME}: no .spacy file under {root}")
    return SampledCorpora(
        paths, temperature=temperature, weights=weights, seed=seed, max_length=max_length,
        gold_preproc=gold_preproc, limit=limit, augmenter=augmenter,
    )  # fmt: skip


class SampledCorpora:
    """Called once per epoch, as spaCy's training loop calls its train corpus."""

    def __init__(
        self, paths: Sequence[Union[str, Path]], *, temperature: float = 1.0, weights: Optional[Sequence[float]] = None,
        seed: int = 0, max_length: int = 0, gold_preproc: bool = False, limit: int = 0,
        augmenter: Optional[Callable] = None,
    ) -> None:  # fmt: skip
        self.paths = [Path(path) for path in paths]
        if not self.paths:
            raise ValueError(f"{NAME}: paths is empty; give the .spacy files to mix")
        missing = [str(path) for path in self.paths if not path.exists()]
        if missing:
            raise ValueError(f"{NAME}: corpus not found: {', '.join(missing)}")
        if not temperature > 0:
            raise ValueError(f"{NAME}: temperature must be > 0, got {temperature}")
        if weights is not None and (len(weights) != len(self.paths) or min(weights) < 0 or sum(weights) <= 0):
            raise ValueError(
                f"{NAME}: weights must be {len(self.paths)} non-negative numbers (one per path) with a positive sum, "
                f"got {list(weights)}"
            )
        self.temperature = temperature
        self.weights = None if weights is None else [float(w) for w in weights]
        self.corpora = [
            Corpus(path, max_length=max_length, gold_preproc=gold_preproc, limit=limit, augmenter=augmenter)
            for path in self.paths
        ]
        self.rng = numpy.random.default_rng(seed)
        self.examples: Optional[List[List[Example]]] = None
        self.sizes: Optional[List[numpy.ndarray]] = None  # bytes of each document, per corpus
        self.queues: List[List[int]] = [[] for _ in self.paths]
        self.balance = numpy.zeros(len(self.paths))

    def shares(self) -> numpy.ndarray:
        """Each corpus's share of an epoch's bytes."""
        assert self.sizes is not None
        if self.weights is not None:
            raw = numpy.asarray(self.weights, dtype=float)
        else:
            raw = numpy.array([float(s.sum()) for s in self.sizes]) ** (1.0 / self.temperature)
        return raw / raw.sum()

    def __call__(self, nlp: Language) -> Iterator[Example]:
        if self.examples is None:
            # Read once and kept, as spaCy's training loop keeps a corpus it reads once.
            self.examples = [list(corpus(nlp)) for corpus in self.corpora]
            self.sizes = [numpy.array([len(eg.reference.text.encode("utf8")) for eg in egs]) for egs in self.examples]
            self._log_shares()
        total = sum(float(s.sum()) for s in self.sizes)
        self.balance += self.shares() * total
        drawn = []
        for i, egs in enumerate(self.examples):
            while egs and self.balance[i] > 0:
                if not self.queues[i]:
                    self.queues[i] = self.rng.permutation(len(egs)).tolist()
                index = self.queues[i].pop()
                self.balance[i] -= self.sizes[i][index]
                drawn.append(egs[index])
        # The training loop shuffles only a corpus it reads once (max_epochs >= 0).
        for j in self.rng.permutation(len(drawn)):
            yield drawn[j]

    def _log_shares(self) -> None:
        total = sum(float(s.sum()) for s in self.sizes)
        for path, size, share in zip(self.paths, self.sizes, self.shares()):
            msg.info(
                f"{NAME}: {path}: {len(size)} documents, {100 * size.sum() / max(total, 1):.1f}% of the bytes, "
                f"{100 * share:.1f}% of each epoch"
            )
