import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from thinc.api import Adam, fix_random_seed

from spacy_bts.byte_text import PAD
from spacy_bts.heads.seq2seq.architectures import build_byte_to_span, build_positional_byte_to_span
from spacy_bts.heads.seq2seq.vocab import SpanVocab
from spacy_bts.heads.seq2seq.windows import SegmentBatch, sliding_windows, training_segments


def _model(builder=build_byte_to_span, **kwargs):
    args = dict(width=32, depth=2, segment_length=12, dropout=0.1, byte_dropout=0.1, nO=3)
    args.update(kwargs)
    model = builder(**args)
    model.initialize()
    return model


def _check_grammar(outputs, n_valid, vocab):
    for row, valid in zip(outputs.tolist(), n_valid.tolist()):
        stop = row.index(vocab.stop)
        assert stop % 3 == 0
        assert all(t == vocab.stop for t in row[stop:])
        for i in range(0, stop, 3):
            start, length, label = vocab.decode_triples(row[i : i + 3])[0]
            assert 0 <= start < valid
            assert 1 <= length <= valid - start
            assert 0 <= label < vocab.n_labels


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(1, 12), min_size=1, max_size=16))
def test_untrained_model_decodes_well_formed_triples(seed, lengths):
    fix_random_seed(seed)
    model = _model(builder=build_positional_byte_to_span if seed % 2 else build_byte_to_span)
    rng = numpy.random.default_rng(seed)
    inputs = rng.integers(0, 256, size=(len(lengths), 12))
    n_valid = numpy.array(lengths)
    inputs[numpy.arange(12)[None, :] >= n_valid[:, None]] = PAD
    outputs, probs = model.predict(SegmentBatch(inputs, n_valid))
    _check_grammar(outputs, n_valid, SpanVocab(12, 3))
    assert ((probs > 0) & (probs <= 1)).all()


@pytest.mark.parametrize("width", [32, 256])
def test_batched_decoding_equals_one_segment_at_a_time(width):
    """Bit for bit: a segment's outputs and probabilities do not depend on how
    many segments share its batch, nor on its position there."""
    fix_random_seed(1)
    model = _model(width=width)
    rng = numpy.random.default_rng(0)
    n = 40
    inputs = rng.integers(0, 256, size=(n, 12))
    n_valid = rng.integers(1, 13, size=n)
    inputs[numpy.arange(12)[None, :] >= n_valid[:, None]] = PAD
    outputs, probs = model.predict(SegmentBatch(inputs, n_valid))
    stop = SpanVocab(12, 3).stop
    for size in range(1, 21):
        lo = (size * 7) % (n - size)
        part, part_probs = model.predict(SegmentBatch(inputs[lo : lo + size], n_valid[lo : lo + size]))
        steps = part.shape[1]
        assert part.tolist() == outputs[lo : lo + size, :steps].tolist()
        assert (outputs[lo : lo + size, steps:] == stop).all()
        assert numpy.array_equal(part_probs, probs[lo : lo + size, :steps])


def test_prediction_is_deterministic_despite_dropout():
    fix_random_seed(2)
    model = _model(dropout=0.5, byte_dropout=0.5)
    batch = SegmentBatch(numpy.random.default_rng(0).integers(0, 256, size=(4, 12)), numpy.full(4, 12))
    first = model.predict(batch)
    second = model.predict(batch)
    assert (first[0] == second[0]).all() and numpy.allclose(first[1], second[1])


def test_training_lowers_loss_and_needs_targets():
    fix_random_seed(3)
    model = _model(dropout=0.0, byte_dropout=0.0)
    vocab = SpanVocab(12, 3)
    data = numpy.frombuffer("Ana visits Rome and Oslo.".encode(), dtype=numpy.uint8).astype(int)
    offsets = sliding_windows(1)(len(data), 12, numpy.random.default_rng(0))
    batch = training_segments(
        data, numpy.array([0, 11, 20]), numpy.array([3, 15, 24]), numpy.array([0, 1, 1]), offsets, vocab
    )
    optimizer = Adam(0.01)
    first, _ = model.begin_update(batch)
    for _ in range(300):
        loss, backprop = model.begin_update(batch)
        backprop(1.0)
        model.finish_update(optimizer)
    assert numpy.isfinite(loss) and loss < first / 10
    with pytest.raises(ValueError, match="targets"):
        model.begin_update(SegmentBatch(batch.inputs, batch.n_valid))


def test_architecture_arguments_are_checked():
    with pytest.raises(ValueError, match="byte_dropout"):
        build_byte_to_span(byte_dropout=1.5)
    with pytest.raises(ValueError, match="segment_length"):
        build_byte_to_span(segment_length=1)


def test_paper_size_parameter_count():
    model = _model(width=320, depth=4, segment_length=60, nO=4)
    module = model.layers[0].shims[0]._model
    n_params = sum(p.numel() for p in module.parameters())
    vocab = SpanVocab(60, 4)
    width = 320
    lstm = 4 * (4 * width * (width + width) + 2 * 4 * width)
    embeddings = vocab.n_inputs * width
    output = width * vocab.n_outputs + vocab.n_outputs
    assert n_params == lstm + embeddings + output


def test_max_spans_bounds_decoding():
    fix_random_seed(4)
    model = _model()
    batch = SegmentBatch(numpy.random.default_rng(0).integers(0, 256, size=(5, 12)), numpy.full(5, 12), max_spans=2)
    outputs, _ = model.predict(batch)
    assert outputs.shape[1] <= 3 * 2 + 1
    _check_grammar(outputs, batch.n_valid, SpanVocab(12, 3))
