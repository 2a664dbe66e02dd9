"""Lesson 06: backpropagation by hand through the MLP with BatchNorm, no autograd.

The network is lesson 04's MLP with a BatchNorm layer, written as plain tensors::

    emb     = C[X]                                  (n, context, n_embd)
    embcat  = emb.view(n, -1)                       (n, context * n_embd)
    hprebn  = embcat @ W1 + b1                      (n, n_hidden)
    x_hat   = (hprebn - mean) / sqrt(var + eps)     mean, biased var over the batch
    hpreact = bngain * x_hat + bnbias
    h       = tanh(hpreact)
    logits  = h @ W2 + b2                           (n, vocab_size)
    loss    = cross_entropy(logits, Y)

:meth:`ManualMLP.backward` walks it backwards with the chain rule, one line per tensor,
using the three results the lesson derives:

* cross-entropy:  ``dlogits = (softmax(logits) - one_hot(Y)) / n``  (:func:`cross_entropy_backward`)
* BatchNorm:      ``dx = gamma / (n sqrt(var + eps)) * (n dout - sum(dout) - x_hat sum(dout x_hat))``
  (:func:`batchnorm_backward`)
* embedding:      each row of C collects the gradients of every place it was looked up,
  one ``index_add_`` and no loop (:func:`embedding_backward`)

:func:`compare` is the learner's yardstick: it sets a hand-made gradient beside
autograd's and says whether they agree exactly, approximately, or not at all.
"""

import torch
import torch.nn.functional as F

from nnzero.scratch.loop import check_batchnorm_run, minibatch_sgd, step_decay


def compare(name: str, manual, reference) -> str:
    """Print how a hand-computed gradient ``manual`` matches autograd's, return the verdict.

    ``reference`` is autograd's gradient (``t.grad``), or the tensor ``t`` itself, whose
    ``.grad`` is then used (as in the lecture's ``cmp``). The verdict is ``"exact"``
    (bit for bit), ``"approx"`` (``torch.allclose``: within rounding error) or ``"wrong"``
    (different values or a different shape). One line is printed::

        dlogits        exact: False  approx: True   max diff: 3.7e-09
    """
    if not isinstance(manual, torch.Tensor):
        raise ValueError(f"{name}: the hand-computed gradient must be a tensor, not {type(manual).__name__}")
    if not isinstance(reference, torch.Tensor):
        raise ValueError(f"{name}: the reference must be a tensor (t or t.grad), not {type(reference).__name__}")
    if reference.requires_grad:
        if not (reference.is_leaf or reference.retains_grad):
            raise ValueError(f"{name}: autograd keeps no gradient for this tensor; call .retain_grad() on it before loss.backward()")
        if reference.grad is None:
            raise ValueError(f"{name}: the tensor has no gradient yet; call loss.backward() first")
        reference = reference.grad
    if manual.shape != reference.shape:
        print(f"{name:<14} wrong shape: {tuple(manual.shape)}, autograd's is {tuple(reference.shape)}")
        return "wrong"
    manual = manual.detach()
    exact = torch.equal(manual, reference)
    approx = torch.allclose(manual, reference)
    max_diff = (manual - reference).abs().max().item() if manual.numel() else 0.0
    print(f"{name:<14} exact: {exact!s:<6} approx: {approx!s:<6} max diff: {max_diff:.1e}")
    return "exact" if exact else "approx" if approx else "wrong"


def cross_entropy_backward(logits, Y):
    """Gradient of ``F.cross_entropy(logits, Y)`` (the mean over the batch) w.r.t. the logits.

    ``(softmax(logits) - one_hot(Y)) / n``: every row's probabilities, minus 1 at the
    right answer, averaged over the batch.
    """
    n = logits.shape[0]
    dlogits = F.softmax(logits, dim=1)
    dlogits[torch.arange(n), Y] -= 1
    return dlogits / n


def batchnorm_backward(dout, x_hat, gamma, var_inv):
    """Gradient of a training-mode BatchNorm's input, given the gradient at its output.

    The forward pass was ``out = gamma * x_hat + beta`` with
    ``x_hat = (x - mean) * var_inv``, ``var_inv = 1 / sqrt(var + eps)`` and the batch's
    mean and *biased* variance. The gradient reaches x directly and through the mean and
    the variance, which every row shares; together::

        dx = gamma * var_inv / n * (n * dout - dout.sum(0) - x_hat * (dout * x_hat).sum(0))
    """
    n = dout.shape[0]
    return gamma * var_inv / n * (n * dout - dout.sum(0) - x_hat * (dout * x_hat).sum(0))


def embedding_backward(demb, X, vocab_size: int):
    """Gradient of the embedding table C, given the gradient of ``emb = C[X]``.

    Row ``C[i]`` was copied to every place where ``X`` holds ``i``, so its gradient is the
    sum of the gradients at those places: one ``index_add_`` over all of them (a token
    that occurs twice in a batch adds twice, which plain ``dC[X] += demb`` would not).
    """
    n_embd = demb.shape[-1]
    dC = torch.zeros((vocab_size, n_embd), dtype=demb.dtype, device=demb.device)
    return dC.index_add_(0, X.reshape(-1), demb.reshape(-1, n_embd))


# What a training-mode forward pass keeps for the backward pass, by name.
CACHE = ("X", "Y", "embcat", "x_hat", "var_inv", "h", "logits")


def backward(cache: dict, params: dict) -> dict:
    """Every parameter's gradient of the MLP's loss, ``{name: tensor}``, from what its
    forward pass kept (``cache``, the tensors of :data:`CACHE`) and its parameters: the
    cross-entropy in one expression, two matrix products, tanh, BatchNorm in one
    expression, and the embedding table with ``index_add_``."""
    X, Y, embcat, x_hat, var_inv, h, logits = (cache[name] for name in CACHE)
    dlogits = cross_entropy_backward(logits, Y)
    dh = dlogits @ params["W2"].T
    dhpreact = (1 - h**2) * dh
    dhprebn = batchnorm_backward(dhpreact, x_hat, params["bngain"], var_inv)
    dembcat = dhprebn @ params["W1"].T
    return {
        "C": embedding_backward(dembcat.view(*X.shape, -1), X, params["C"].shape[0]),
        "W1": embcat.T @ dhprebn,
        "b1": dhprebn.sum(0),
        "bngain": (x_hat * dhpreact).sum(0),
        "bnbias": dhpreact.sum(0),
        "W2": h.T @ dlogits,
        "b2": dlogits.sum(0),
    }


class ManualMLP:
    """Lesson 04's MLP with BatchNorm, as plain tensors, trained with a hand-written backward.

    ``forward(X, Y)`` returns the mean cross-entropy and keeps what ``backward()`` needs;
    ``backward()`` returns the gradient of that loss for every parameter, in a dict keyed
    like :meth:`parameters`. No tensor here requires autograd: ``sgd_step`` updates them
    in place. BatchNorm keeps running estimates (biased variance to normalise, unbiased
    for the estimate, as ``torch.nn.BatchNorm1d``) for ``forward(..., training=False)``.

    Initialisation: C ~ N(0, 1); W1 Kaiming for tanh, (5/3)/sqrt(fan_in); W2 scaled by
    0.1 so the first loss is near ln(vocab_size); biases 0, bngain 1.
    """

    NAMES = ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")

    def __init__(
        self,
        vocab_size: int,
        context: int,
        n_embd: int = 10,
        n_hidden: int = 200,
        *,
        momentum: float = 0.01,
        eps: float = 1e-5,
        seed: int | None = None,
        dtype=torch.float32,
    ):
        for name, value in (("vocab_size", vocab_size), ("context", context), ("n_embd", n_embd), ("n_hidden", n_hidden)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, not {value!r}")
        if not 0 < momentum <= 1:
            raise ValueError(f"momentum must be in (0, 1], not {momentum!r}")
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        fan_in = context * n_embd
        self.vocab_size, self.context = vocab_size, context
        self.momentum, self.eps = momentum, eps
        self.C = torch.randn((vocab_size, n_embd), generator=g, dtype=dtype)
        self.W1 = torch.randn((fan_in, n_hidden), generator=g, dtype=dtype) * (5 / 3) / fan_in**0.5
        self.b1 = torch.zeros(n_hidden, dtype=dtype)
        self.bngain = torch.ones(n_hidden, dtype=dtype)
        self.bnbias = torch.zeros(n_hidden, dtype=dtype)
        self.W2 = torch.randn((n_hidden, vocab_size), generator=g, dtype=dtype) * 0.1 / n_hidden**0.5
        self.b2 = torch.zeros(vocab_size, dtype=dtype)
        self.running_mean = torch.zeros(n_hidden, dtype=dtype)
        self.running_var = torch.ones(n_hidden, dtype=dtype)
        self._cache = None

    def parameters(self) -> dict:
        """``{name: tensor}`` for C, W1, b1, bngain, bnbias, W2, b2."""
        return {name: getattr(self, name) for name in self.NAMES}

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters().values())

    def forward(self, X, Y, training: bool = True):
        """Mean cross-entropy of the batch. ``training=True``: BatchNorm uses the batch's
        statistics, updates its running estimates, and the pass is kept for :meth:`backward`;
        ``training=False``: the running estimates, nothing kept."""
        if not isinstance(X, torch.Tensor) or X.dtype != torch.long or X.dim() != 2 or X.shape[1] != self.context:
            got = f"a {X.dtype} tensor of shape {tuple(X.shape)}" if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"X must be a LongTensor (batch, {self.context}) of token indices, not {got}")
        n = X.shape[0]
        emb = self.C[X]
        embcat = emb.view(n, -1)
        hprebn = embcat @ self.W1 + self.b1
        if training:
            if n < 2:
                raise ValueError("training needs at least 2 examples per batch (BatchNorm averages over the batch)")
            mean = hprebn.mean(0)
            var = hprebn.var(0, unbiased=False)
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var * n / (n - 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        var_inv = (var + self.eps) ** -0.5
        x_hat = (hprebn - mean) * var_inv
        h = torch.tanh(self.bngain * x_hat + self.bnbias)
        logits = h @ self.W2 + self.b2
        self._cache = dict(zip(CACHE, (X, Y, embcat, x_hat, var_inv, h, logits))) if training else None
        return F.cross_entropy(logits, Y)

    def backward(self) -> dict:
        """Gradients of the last training-mode :meth:`forward`'s loss, ``{name: tensor}``."""
        if self._cache is None:
            raise ValueError("backward() needs a training-mode forward(X, Y) just before it")
        return backward(self._cache, self.parameters())

    def sgd_step(self, grads: dict, lr: float) -> None:
        """``p -= lr * grad`` for every parameter, in place."""
        for name, p in self.parameters().items():
            p -= lr * grads[name]

    @torch.no_grad()
    def evaluate(self, X, Y, batch_size: int = 16384) -> float:
        """Mean cross-entropy over all of ``X``/``Y``, BatchNorm with its running estimates."""
        total = 0.0
        for start in range(0, len(Y), batch_size):
            loss = self.forward(X[start : start + batch_size], Y[start : start + batch_size], training=False)
            total += loss.item() * len(Y[start : start + batch_size])
        return total / len(Y)


@torch.no_grad()
def train_manual(model: ManualMLP, X, Y, *, steps: int, batch_size: int = 32, lr: float = 0.1, decay_at: float = 0.5, seed: int = 0,
                 progress=None) -> list:
    """Minibatch SGD with only the hand-written backward (autograd is switched off).

    ``lr`` for the first ``decay_at`` of the steps, a tenth of it after; batches drawn
    with a generator seeded by ``seed``. Returns the training loss of every step.
    ``progress``: called as ``progress(step, steps, loss=...)`` after every step (see :func:`minibatch_sgd`).
    """
    check_batchnorm_run(steps, batch_size, len(Y))

    def step(t, ix, rate):
        loss = model.forward(X[ix], Y[ix])
        model.sgd_step(model.backward(), rate)
        return loss.item()

    return minibatch_sgd(step, len(Y), [step_decay(t, steps, lr, decay_at) for t in range(steps)], batch_size, seed, progress)
