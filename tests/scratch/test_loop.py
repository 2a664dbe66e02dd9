"""The lessons' one training loop: the step decay, the seeded minibatches, the mean loss."""

import pytest
import torch
import torch.nn.functional as F

from nnzero.scratch.loop import mean_cross_entropy, minibatch_sgd, step_decay


def test_step_decay():
    assert [step_decay(s, 10, 0.1) for s in (0, 4, 5, 9)] == [0.1, 0.1, pytest.approx(0.01), pytest.approx(0.01)]
    assert step_decay(5, 10, 1.0, decay_at=0.8, factor=0.5) == 1.0
    assert step_decay(8, 10, 1.0, decay_at=0.8, factor=0.5) == 0.5


def test_each_step_gets_its_index_a_seeded_minibatch_and_its_rate():
    calls = []

    def step(t, ix, rate):
        calls.append((t, ix.tolist(), rate))
        return float(t) * 10

    losses = minibatch_sgd(step, n_examples=7, rates=[0.5, 0.25, 0.125], batch_size=4, seed=3)
    assert losses == [0.0, 10.0, 20.0]
    generator = torch.Generator().manual_seed(3)
    expected = [torch.randint(0, 7, (4,), generator=generator).tolist() for _ in range(3)]
    assert [(t, rate) for t, _, rate in calls] == [(0, 0.5), (1, 0.25), (2, 0.125)]
    assert [ix for _, ix, _ in calls] == expected  # the same seed, the same batches


def test_progress_hears_of_every_step_with_its_loss():
    reports = []
    minibatch_sgd(lambda t, ix, rate: 1.0 / (t + 1), 5, [0.1] * 3, 2, 0,
                  progress=lambda step, total, loss: reports.append((step, total, loss)))
    assert reports == [(1, 3, 1.0), (2, 3, 0.5), (3, 3, 1 / 3)]


def test_the_mean_loss_does_not_depend_on_the_chunk_size():
    torch.manual_seed(0)
    X, Y = torch.randn(50, 6), torch.randint(0, 6, (50,))
    whole = F.cross_entropy(X, Y).item()
    for batch_size in (1, 7, 50, 1000):
        assert mean_cross_entropy(lambda x: x, X, Y, batch_size) == pytest.approx(whole, rel=1e-6)
