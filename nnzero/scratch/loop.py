"""The one training loop of the lessons' plain-tensor models, its schedule, and their loss.

Lessons 04 to 06 each write this loop by hand first; the package keeps it once, for the
window MLP, the deep MLP with BatchNorm and the MLP trained without autograd::

    rates = [step_decay(t, steps, lr=0.1) for t in range(steps)]
    losses = minibatch_sgd(step, len(Y), rates, batch_size=32, seed=0)

where ``step(t, ix, rate)`` computes the loss on the examples ``ix``, moves every
parameter by ``-rate * gradient`` and returns the loss.
"""

import torch
import torch.nn.functional as F


def step_decay(step: int, steps: int, lr: float, decay_at: float = 0.5, factor: float = 0.1) -> float:
    """The lectures' schedule: ``lr`` for the first ``decay_at`` of the steps, then ``lr * factor``."""
    return lr if step < decay_at * steps else lr * factor


def check_batchnorm_run(steps, batch_size, n_examples: int) -> None:
    """Refuse, in one line, a step count or a batch size a network with BatchNorm cannot
    train with: BatchNorm needs at least two examples in a batch."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, not {steps!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 2 <= batch_size <= n_examples:
        raise ValueError(f"batch_size must be a whole number from 2 (BatchNorm needs two) to {n_examples} "
                         f"(the data's size), not {batch_size!r}")


def minibatch_sgd(step, n_examples: int, rates, batch_size: int, seed: int, progress=None) -> list:
    """Run ``step(t, ix, rate)`` once per rate in ``rates``; return the losses it returned.

    ``ix`` holds ``batch_size`` example indices drawn at random (with replacement) from
    ``range(n_examples)`` by a generator seeded with ``seed``, so a run depends on
    nothing else. ``progress``, if given, is called as ``progress(steps done, steps,
    loss=...)`` after every step (a notebook passes ``nnzero.progress.LiveProgress``).
    """
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for t, rate in enumerate(rates):
        ix = torch.randint(0, n_examples, (batch_size,), generator=generator)
        losses.append(step(t, ix, rate))
        if progress is not None:
            progress(t + 1, len(rates), loss=losses[-1])
    return losses


@torch.no_grad()
def mean_cross_entropy(logits_of, X, Y, batch_size: int) -> float:
    """The mean cross-entropy (negative log-likelihood per example) of ``logits_of(X)``
    against ``Y``, computed ``batch_size`` examples at a time."""
    total = 0.0
    for start in range(0, len(Y), batch_size):
        stop = start + batch_size
        total += F.cross_entropy(logits_of(X[start:stop]), Y[start:stop], reduction="sum").item()
    return total / len(Y)
