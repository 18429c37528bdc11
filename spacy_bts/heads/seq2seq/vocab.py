"""Output symbols of the seq2seq span generator (paper, section 3.1).

Input ids: the byte alphabet (``byte_text.py``), then one id per output symbol
(the decoder is fed its previous output through the same embedding table as the
bytes, since one LSTM both reads and generates).

Output ids, for segment length ``k`` and ``n_labels`` labels::

    [0, k)             span start 0..k-1
    [k, 2k)            span length 1..k
    [2k, 2k+n_labels)  label
    2k+n_labels        STOP
"""

from dataclasses import dataclass

import numpy

from ...byte_text import N_SPECIAL_INPUTS

# Padding value for target sequences; ignored by the loss.
IGNORE = -1


@dataclass(frozen=True)
class SpanVocab:
    segment_length: int
    n_labels: int

    @property
    def k(self) -> int:
        return self.segment_length

    @property
    def label_offset(self) -> int:
        return 2 * self.segment_length

    @property
    def stop(self) -> int:
        return 2 * self.segment_length + self.n_labels

    @property
    def n_outputs(self) -> int:
        return self.stop + 1

    @property
    def n_inputs(self) -> int:
        return N_SPECIAL_INPUTS + self.n_outputs

    def encode_triples(self, starts: numpy.ndarray, lengths: numpy.ndarray, labels: numpy.ndarray) -> numpy.ndarray:
        """Output ids of ``[start, length, label]`` triples, shape (n, 3)."""
        return numpy.stack(
            [
                numpy.asarray(starts, dtype=numpy.int64),
                self.k + numpy.asarray(lengths, dtype=numpy.int64) - 1,
                self.label_offset + numpy.asarray(labels, dtype=numpy.int64),
            ],
            axis=-1,
        ).reshape(-1, 3)

    def decode_triples(self, triples: numpy.ndarray) -> numpy.ndarray:
        """Inverse of ``encode_triples``: (start, length, label) per row."""
        triples = numpy.asarray(triples, dtype=numpy.int64).reshape(-1, 3)
        return numpy.stack(
            [
                triples[:, 0],
                triples[:, 1] - self.k + 1,
                triples[:, 2] - self.label_offset,
            ],
            axis=-1,
        )
