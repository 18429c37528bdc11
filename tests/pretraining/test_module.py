import pytest
import torch

from spacy_bts.byte_text import DROP, N_BYTES, PAD
from spacy_bts.encoders import EncoderSpec
from spacy_bts.pretraining.module import MaskedByteModule, corrupt_spans, load_encoder_state

SMALL_ENCODER = EncoderSpec(
    "bilstm", {"embed_width": 16, "ngram_sizes": [2, 3], "ngram_buckets": 64, "hidden": 16, "depth": 1}
)


def random_bytes(rows=64, k=128, pad_from=100):
    inputs = torch.randint(0, N_BYTES, (rows, k))
    inputs[:, pad_from:] = PAD
    return inputs


def test_corrupt_spans_chooses_about_the_rate_of_real_bytes_in_spans():
    torch.manual_seed(0)
    inputs = random_bytes()
    corrupted, chosen = corrupt_spans(inputs, 0.15, 3.0)
    real = inputs < N_BYTES
    assert not (chosen & ~real).any()  # padding is never a target
    assert 0.10 < chosen.sum() / real.sum() < 0.20
    # Spans: most chosen bytes have a chosen neighbour.
    neighbour = torch.zeros_like(chosen)
    neighbour[:, 1:] |= chosen[:, :-1]
    neighbour[:, :-1] |= chosen[:, 1:]
    assert (chosen & neighbour).sum() / chosen.sum() > 0.5
    assert torch.equal(corrupted[~chosen], inputs[~chosen])
    share_dropped = (corrupted[chosen] == DROP).float().mean()
    assert 0.7 < share_dropped < 0.9


def test_corrupted_inputs_do_not_depend_on_the_bytes_they_hide():
    a = random_bytes(rows=8)
    b = a.clone()
    torch.manual_seed(1)
    corrupted_a, chosen = corrupt_spans(a, 0.3, 3.0)
    hidden = chosen & (corrupted_a != a)
    b[hidden] = (b[hidden] + 1) % N_BYTES
    torch.manual_seed(1)
    corrupted_b, chosen_b = corrupt_spans(b, 0.3, 3.0)
    assert torch.equal(chosen, chosen_b)
    assert torch.equal(corrupted_a, corrupted_b)


def test_masked_byte_module_learns_a_repeated_text():
    torch.manual_seed(0)
    row = torch.tensor(list("Lisboa fica em Portugal. ".encode()) * 4)[:96]
    inputs = row.repeat(16, 1)
    module = MaskedByteModule(SMALL_ENCODER.build(0.0), 0.15, 3.0, 0.0)
    optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    losses = []
    for _ in range(150):
        loss = module(inputs)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    counts = torch.bincount(row).float()
    probs = counts[counts > 0] / counts.sum()
    unigram_entropy = float(-(probs * probs.log()).sum())  # the best loss without context
    assert losses[0] > 4.0
    assert sum(losses[-5:]) / 5 < unigram_entropy - 0.3


def test_masked_byte_module_handles_rows_without_text():
    module = MaskedByteModule(SMALL_ENCODER.build(0.0), 0.15, 3.0, 0.0)
    assert float(module(torch.full((2, 8), PAD)).detach()) == 0.0
    assert torch.isfinite(module(torch.tensor([[65] + [PAD] * 7])))


def test_load_encoder_state_names_what_does_not_fit():
    encoder = SMALL_ENCODER.build(0.0)
    other = EncoderSpec("bilstm", dict(SMALL_ENCODER.settings, hidden=8)).build(0.0)
    with pytest.raises(ValueError, match="wrong shape"):
        load_encoder_state(encoder, other.state_dict())
    state = other.state_dict()
    load_encoder_state(other, {name: torch.zeros_like(value) for name, value in state.items()})
    assert all(float(value.abs().sum()) == 0.0 for value in other.state_dict().values())
