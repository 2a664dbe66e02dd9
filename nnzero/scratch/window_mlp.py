"""Lesson 04's MLP language model (Bengio et al. 2003) as five plain tensors.

The model reads a window of the last ``context`` characters and predicts the next one::

    emb    = C[X]                                  (B, context, n_embd)   look up each character
    h      = tanh(emb.view(B, -1) @ W1 + b1)       (B, n_hidden)          concatenate, hidden layer
    logits = h @ W2 + b2                           (B, vocab_size)        one score per next character

Every parameter is drawn from N(0, 1) as in the lecture (lesson 05 shows what that
costs and fixes it). The pieces lesson 04 uses::

    model = init_mlp(vocab_size=27, context=3, n_embd=10, n_hidden=200, seed=2147483647)
    lrs, losses = lr_sweep(init_mlp(27), train.X, train.Y, steps=1_000)   # which rate?
    losses = train(model, train.X, train.Y, steps=20_000, batch_size=32, lr=0.1)
    split_losses(model, {"train": train, "val": val})   # {'train': 2.12, 'val': 2.16}
    sample(model, vocab, count=10, seed=0)

Every function draws its random numbers from its own ``torch.Generator`` seeded with
``seed``, so a result depends on its arguments only.
"""

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F

from nnzero.scratch.loop import mean_cross_entropy, minibatch_sgd, step_decay


class WindowMLP:
    """The five tensors of the MLP: ``C`` (vocab, n_embd), ``W1`` (context*n_embd, n_hidden),
    ``b1`` (n_hidden,), ``W2`` (n_hidden, vocab), ``b2`` (vocab,).

    ``model(X)`` maps a LongTensor (B, context) of token indices to logits (B, vocab).
    """

    def __init__(self, C, W1, b1, W2, b2):
        vocab_size, n_embd = C.shape
        n_hidden = b1.shape[0]
        fits = W1.shape[0] % n_embd == 0 and W1.shape[1] == n_hidden and W2.shape == (n_hidden, vocab_size) and b2.shape == (vocab_size,)
        if not fits:
            shapes = ", ".join(f"{name} {tuple(t.shape)}" for name, t in zip(("C", "W1", "b1", "W2", "b2"), (C, W1, b1, W2, b2)))
            raise ValueError(f"the tensors do not fit together ({shapes}); build the model with init_mlp(...)")
        self.C, self.W1, self.b1, self.W2, self.b2 = C, W1, b1, W2, b2
        self.context = W1.shape[0] // n_embd

    @property
    def vocab_size(self) -> int:
        return self.C.shape[0]

    def parameters(self) -> list:
        """``[C, W1, b1, W2, b2]``."""
        return [self.C, self.W1, self.b1, self.W2, self.b2]

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def __call__(self, X):
        if not isinstance(X, torch.Tensor) or X.dtype != torch.long or X.dim() != 2 or X.shape[1] != self.context:
            got = f"a {X.dtype} tensor of shape {tuple(X.shape)}" if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"the model reads a LongTensor (batch, {self.context}) of token indices, not {got}")
        emb = self.C[X]  # (B, context, n_embd)
        h = torch.tanh(emb.view(X.shape[0], -1) @ self.W1 + self.b1)
        return h @ self.W2 + self.b2

    def __repr__(self) -> str:
        n_embd, n_hidden = self.C.shape[1], self.b1.shape[0]
        return (
            f"WindowMLP(vocab {self.vocab_size}, context {self.context}, n_embd {n_embd}, "
            f"n_hidden {n_hidden}: {self.num_parameters():,} parameters)"
        )


def _whole(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, not {value!r}")


def init_mlp(vocab_size: int, context: int = 3, n_embd: int = 10, n_hidden: int = 200, seed: int = 2147483647) -> WindowMLP:
    """A new MLP with every parameter drawn from N(0, 1), as in the lecture.

    The draws come from a ``torch.Generator`` seeded with ``seed``, in the order C, W1,
    b1, W2, b2, so the same arguments always give the same model. The tensors come back
    with ``requires_grad`` set.
    """
    for name, value in (("vocab_size", vocab_size), ("context", context), ("n_embd", n_embd), ("n_hidden", n_hidden)):
        _whole(name, value)
    g = torch.Generator().manual_seed(seed)
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((context * n_embd, n_hidden), generator=g)
    b1 = torch.randn(n_hidden, generator=g)
    W2 = torch.randn((n_hidden, vocab_size), generator=g)
    b2 = torch.randn(vocab_size, generator=g)
    model = WindowMLP(C, W1, b1, W2, b2)
    for p in model.parameters():
        p.requires_grad = True
    return model


def _check_data(model, X, Y, batch_size):
    if not isinstance(X, torch.Tensor) or not isinstance(Y, torch.Tensor) or X.dim() != 2 or Y.shape != X.shape[:1]:
        raise ValueError("X must be a (N, context) tensor of windows and Y an (N,) tensor of next tokens, as WindowDataset makes them")
    if X.shape[1] != model.context:
        raise ValueError(f"the windows hold {X.shape[1]} tokens but the model reads {model.context}; build the dataset with context={model.context}")
    _whole("batch_size", batch_size)
    if batch_size > len(Y):
        raise ValueError(f"batch_size {batch_size} is more than the {len(Y):,} examples; use at most {len(Y):,}")


def _sgd_step(model, X, Y, ix, lr):
    """One step of plain gradient descent on the minibatch ``ix``; returns its loss."""
    loss = F.cross_entropy(model(X[ix]), Y[ix])
    for p in model.parameters():
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()


def train(
    model: WindowMLP,
    X,
    Y,
    *,
    steps: int,
    batch_size: int = 32,
    lr: float = 0.1,
    decay_at: float = 0.5,
    decay_factor: float = 0.1,
    seed: int = 0,
    progress=None,
) -> list:
    """Minibatch gradient descent on the cross-entropy, with the lecture's step decay.

    Each step draws ``batch_size`` random rows of ``X``/``Y`` (with replacement, from a
    generator seeded with ``seed``) and moves every parameter by ``-rate * gradient``,
    where the rate is ``lr`` for the first ``decay_at`` of the steps and
    ``lr * decay_factor`` after (:func:`step_decay`). Changes ``model`` in place and
    returns the minibatch loss of every step.
    ``progress``: called as ``progress(step, steps, loss=...)`` after every step (see :func:`minibatch_sgd`).
    """
    _whole("steps", steps, low=0)
    _check_data(model, X, Y, batch_size)
    if not lr > 0 or not decay_factor > 0 or not 0 <= decay_at <= 1:
        raise ValueError(f"lr and decay_factor must be > 0 and decay_at in [0, 1], not {lr!r}, {decay_factor!r}, {decay_at!r}")
    rates = [step_decay(t, steps, lr, decay_at, decay_factor) for t in range(steps)]
    return minibatch_sgd(lambda t, ix, rate: _sgd_step(model, X, Y, ix, rate), len(Y), rates, batch_size, seed, progress)


def lr_sweep(
    model: WindowMLP,
    X,
    Y,
    *,
    lr_min: float = 1e-3,
    lr_max: float = 1.0,
    steps: int = 1_000,
    batch_size: int = 32,
    seed: int = 0,
    progress=None,
):
    """The exponential learning-rate sweep: one training step at each of ``steps`` rates.

    The rates climb evenly in log10 from ``lr_min`` to ``lr_max`` (``10 ** linspace``),
    so each decade gets the same number of steps. Start from a fresh model: the loss
    falls while the rate is too small to matter, fastest where it is about right, and
    blows up once it is too large. Changes ``model`` in place; returns ``(lrs, losses)``,
    two lists of floats, the rate and the minibatch loss of every step.
    ``progress``: called as ``progress(step, steps, loss=...)`` after every step (see :func:`minibatch_sgd`).
    """
    _whole("steps", steps, low=2)
    _check_data(model, X, Y, batch_size)
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, not lr_min={lr_min!r}, lr_max={lr_max!r}")
    lrs = torch.logspace(math.log10(lr_min), math.log10(lr_max), steps, dtype=torch.float64).tolist()
    return lrs, minibatch_sgd(lambda t, ix, rate: _sgd_step(model, X, Y, ix, rate), len(Y), lrs, batch_size, seed, progress)


@torch.no_grad()
def evaluate(model: WindowMLP, X, Y, batch_size: int = 32_768) -> float:
    """Mean cross-entropy (negative log-likelihood per character) of the model on all of ``X``/``Y``."""
    if len(Y) == 0:
        raise ValueError("evaluate needs at least one example")
    _check_data(model, X, Y, 1)
    return mean_cross_entropy(model, X, Y, batch_size)


def split_losses(model: WindowMLP, datasets: Mapping) -> dict:
    """``{name: mean loss}`` for each dataset (anything with ``X`` and ``Y``, e.g. a WindowDataset)."""
    return {name: evaluate(model, data.X, data.Y) for name, data in datasets.items()}


@torch.no_grad()
def sample(model: WindowMLP, vocab, count: int = 10, seed: int = 0, max_length: int = 30) -> list:
    """Draw ``count`` words from the model, one character at a time.

    Each word starts from a window of boundary tokens; the next character is drawn from
    the softmax of the model's logits (a generator seeded with ``seed``) and slides into
    the window, until the boundary token comes out or the word has ``max_length``
    characters.
    """
    _whole("count", count, low=0)
    _whole("max_length", max_length)
    g = torch.Generator().manual_seed(seed)
    words = []
    for _ in range(count):
        window = [vocab.BOUNDARY] * model.context
        ids = []
        while len(ids) < max_length:
            probs = F.softmax(model(torch.tensor([window])), dim=1)
            nxt = torch.multinomial(probs, num_samples=1, generator=g).item()
            if nxt == vocab.BOUNDARY:
                break
            ids.append(nxt)
            window = window[1:] + [nxt]
        words.append(vocab.decode(ids))
    return words
