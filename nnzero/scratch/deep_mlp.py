"""Lesson 05's deep MLP, built from plain tensors, and the diagnostics that show whether
a network is healthy.

The layers are small classes that hold tensors and compute with them, with nothing of
``torch.nn`` between the reader and the arithmetic::

    model = build_deep_mlp(vocab_size=27, context=3, n_embd=10, n_hidden=100, n_layers=5, seed=42)
    history = train(model, train.X, train.Y, steps=20_000, batch_size=32, lr=0.1)
    evaluate(model, val.X, val.Y)                        # mean NLL, BatchNorm in inference mode
    report = diagnose(model, train.X, train.Y)           # activations, gradients, weight gradients
    plot_histograms(report.activations, title=..., xlabel=...)
    plot_update_ratios(history)

:class:`BatchNorm1d` follows ``torch.nn.BatchNorm1d`` exactly: in training it normalises
with the batch's mean and *biased* variance (divide by n), and folds the batch's
*unbiased* variance (divide by n - 1) into its running estimate; in inference it uses
the running estimates, so one example can be evaluated on its own.
"""

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from nnzero.scratch.loop import check_batchnorm_run, mean_cross_entropy, minibatch_sgd, step_decay

# |tanh| above this counts as saturated: the local gradient 1 - t**2 is below 0.06 there,
# so almost nothing flows back through the unit.
SATURATION = 0.97

# Kaiming gains: the factor that keeps activations at unit scale through each nonlinearity
# (torch.nn.init.calculate_gain's values).
GAINS = {"linear": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0)}


class Linear:
    """``x @ weight + bias``, with weights drawn from N(0, 1/fan_in).

    Dividing by sqrt(fan_in) keeps each output's variance equal to its inputs' variance
    (for unit-variance, independent inputs); :func:`build_deep_mlp` multiplies by the
    Kaiming gain of the nonlinearity that follows. ``bias=False`` for a layer followed by
    BatchNorm, which subtracts any bias again.
    """

    def __init__(self, fan_in: int, fan_out: int, bias: bool = True, generator=None, dtype=torch.float32):
        self.weight = torch.randn((fan_in, fan_out), generator=generator, dtype=dtype) / fan_in**0.5
        self.bias = torch.zeros(fan_out, dtype=dtype) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out = self.out + self.bias
        return self.out

    def parameters(self) -> list:
        return [self.weight] + ([self.bias] if self.bias is not None else [])

    def __repr__(self) -> str:
        fan_in, fan_out = self.weight.shape
        return f"Linear({fan_in}, {fan_out}, bias={self.bias is not None})"


class BatchNorm1d:
    """Normalise each feature over the batch, then scale by ``gamma`` and shift by ``beta``.

    Training (``training=True``, the default): the batch's mean and biased variance
    normalise it; the running estimates move toward the batch's mean and *unbiased*
    variance by ``momentum`` (``running = (1 - momentum) * running + momentum * batch``).
    Inference (``training=False``): the running estimates normalise instead. Matches
    ``torch.nn.BatchNorm1d(dim, eps, momentum)`` on (batch, dim) inputs.
    """

    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1, dtype=torch.float32):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        self.gamma = torch.ones(dim, dtype=dtype)
        self.beta = torch.zeros(dim, dtype=dtype)
        self.running_mean = torch.zeros(dim, dtype=dtype)
        self.running_var = torch.ones(dim, dtype=dtype)

    def __call__(self, x):
        if x.dim() != 2 or x.shape[1] != self.gamma.numel():
            raise ValueError(f"BatchNorm1d({self.gamma.numel()}) takes a (batch, {self.gamma.numel()}) tensor, not {tuple(x.shape)}")
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError("BatchNorm1d needs at least 2 examples per batch in training; call .eval() to evaluate one")
            mean = x.mean(0)
            var = x.var(0, unbiased=False)
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / (n - 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        self.out = self.gamma * x_hat + self.beta
        return self.out

    def parameters(self) -> list:
        return [self.gamma, self.beta]

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.gamma.numel()}, eps={self.eps}, momentum={self.momentum})"


class Tanh:
    """The tanh nonlinearity (no parameters); keeps its output for the diagnostics."""

    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self) -> list:
        return []

    def __repr__(self) -> str:
        return "Tanh()"


class DeepMLP:
    """An embedding table ``C`` and a stack of layers: context windows in, logits out.

    ``model(X)`` maps a LongTensor (batch, context) of token indices to logits
    (batch, vocab_size). After a call, every layer holds its output in ``layer.out``;
    with ``retain_grads = True`` those outputs also keep their gradients after
    ``loss.backward()``, for :func:`gradient_stats`.
    """

    def __init__(self, embedding, layers, context: int):
        self.C = embedding
        self.layers = list(layers)
        self.context = context
        self.retain_grads = False

    @property
    def vocab_size(self) -> int:
        return self.C.shape[0]

    def __call__(self, X):
        if not isinstance(X, torch.Tensor) or X.dtype != torch.long or X.dim() != 2 or X.shape[1] != self.context:
            got = f"a {X.dtype} tensor of shape {tuple(X.shape)}" if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"the model takes a LongTensor (batch, {self.context}) of token indices, not {got}")
        x = self.C[X].view(X.shape[0], -1)
        for layer in self.layers:
            x = layer(x)
            if self.retain_grads and x.requires_grad:
                x.retain_grad()
        return x

    def named_parameters(self) -> list:
        """``[(name, tensor), ...]``: C, then W1, b1, gamma1, beta1, W2, ... in layer order."""
        named = [("C", self.C)]
        linears = norms = 0
        for layer in self.layers:
            if isinstance(layer, Linear):
                linears += 1
                named.append((f"W{linears}", layer.weight))
                if layer.bias is not None:
                    named.append((f"b{linears}", layer.bias))
            elif isinstance(layer, BatchNorm1d):
                norms += 1
                named += [(f"gamma{norms}", layer.gamma), (f"beta{norms}", layer.beta)]
        return named

    def parameters(self) -> list:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def train(self) -> "DeepMLP":
        """BatchNorm layers use batch statistics (and update their running estimates)."""
        for layer in self.layers:
            if isinstance(layer, BatchNorm1d):
                layer.training = True
        return self

    def eval(self) -> "DeepMLP":
        """BatchNorm layers use their running estimates: outputs no longer depend on the batch."""
        for layer in self.layers:
            if isinstance(layer, BatchNorm1d):
                layer.training = False
        return self

    def __repr__(self) -> str:
        inner = "\n".join(f"  {layer!r}" for layer in self.layers)
        return f"DeepMLP(C: {tuple(self.C.shape)}, context {self.context},\n{inner}\n)"


def build_deep_mlp(
    vocab_size: int,
    context: int,
    n_embd: int = 10,
    n_hidden: int = 100,
    n_layers: int = 5,
    *,
    batchnorm: bool = True,
    gain: float = GAINS["tanh"],
    last_layer_scale: float = 0.1,
    momentum: float = 0.1,
    seed: int | None = None,
    dtype=torch.float32,
) -> DeepMLP:
    """Embedding -> ``n_layers`` x [Linear -> BatchNorm1d -> Tanh] -> Linear, initialised well.

    * hidden weights ~ N(0, gain**2 / fan_in): Kaiming initialisation, with tanh's gain 5/3
      by default, so activations neither shrink nor blow up with depth;
    * the output weights are scaled by ``last_layer_scale`` and its bias is zero, so the
      first predictions are nearly uniform and the first loss is near ln(vocab_size);
    * ``batchnorm=False`` drops the BatchNorm layers (the Linear layers then get biases);
      ``momentum`` is BatchNorm's running-estimate rate.

    ``seed`` seeds a private generator (None: torch's global one). All parameters come
    back with ``requires_grad`` set.
    """
    for name, value in (("vocab_size", vocab_size), ("context", context), ("n_embd", n_embd), ("n_hidden", n_hidden), ("n_layers", n_layers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, not {value!r}")
    if not gain > 0 or not last_layer_scale > 0:
        raise ValueError(f"gain and last_layer_scale must be > 0, not {gain!r} and {last_layer_scale!r}")
    generator = torch.Generator().manual_seed(seed) if seed is not None else None

    C = torch.randn((vocab_size, n_embd), generator=generator, dtype=dtype)
    layers = []
    fan_in = context * n_embd
    for _ in range(n_layers):
        linear = Linear(fan_in, n_hidden, bias=not batchnorm, generator=generator, dtype=dtype)
        linear.weight *= gain
        layers.append(linear)
        if batchnorm:
            layers.append(BatchNorm1d(n_hidden, momentum=momentum, dtype=dtype))
        layers.append(Tanh())
        fan_in = n_hidden
    head = Linear(fan_in, vocab_size, generator=generator, dtype=dtype)
    head.weight *= last_layer_scale
    layers.append(head)

    model = DeepMLP(C, layers, context)
    for p in model.parameters():
        p.requires_grad = True
    return model


@dataclass
class History:
    """What :func:`train` recorded: the loss and learning rate of every step, and the
    update:data ratio of every weight matrix (C, W1, W2, ...) at ``ratio_steps``.

    ``update_ratio[name][i]`` is log10(std(lr * grad) / std(weights)) at step
    ``ratio_steps[i]``: how big a step is relative to the numbers it changes.
    """

    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    ratio_steps: list = field(default_factory=list)
    update_ratio: dict = field(default_factory=dict)


def train(
    model: DeepMLP,
    X,
    Y,
    *,
    steps: int,
    batch_size: int = 32,
    lr: float = 0.1,
    decay_at: float = 0.5,
    seed: int = 0,
    ratio_every: int = 1,
    progress=None,
) -> History:
    """Plain minibatch SGD on the cross-entropy, with the lectures' step decay.

    Each step draws ``batch_size`` random rows of ``X``/``Y`` (a generator seeded with
    ``seed``), so the run depends on nothing else. The learning rate is ``lr`` for the
    first ``decay_at`` of the steps and a tenth of it after. Every ``ratio_every`` steps
    the update:data ratio of each weight matrix is recorded. Leaves the model in training mode.
    ``progress``: called as ``progress(step, steps, loss=...)`` after every step (see
    :func:`~nnzero.scratch.loop.minibatch_sgd`).
    """
    check_batchnorm_run(steps, batch_size, len(Y))
    parameters = model.parameters()
    weights = [(name, p) for name, p in model.named_parameters() if p.dim() == 2]
    history = History(lr=[step_decay(t, steps, lr, decay_at) for t in range(steps)],
                      update_ratio={name: [] for name, _ in weights})

    def step(t, ix, rate):
        loss = F.cross_entropy(model(X[ix]), Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in parameters:
                p -= rate * p.grad
            if t % ratio_every == 0:
                history.ratio_steps.append(t)
                for name, p in weights:
                    history.update_ratio[name].append(((rate * p.grad).std() / p.std()).log10().item())
        return loss.item()

    model.train()
    history.loss = minibatch_sgd(step, len(Y), history.lr, batch_size, seed, progress)
    return history


@torch.no_grad()
def evaluate(model: DeepMLP, X, Y, batch_size: int = 16384) -> float:
    """Mean cross-entropy over all of ``X``/``Y``, with BatchNorm in inference mode.

    The model's mode (training or inference) is the same afterwards as before.
    """
    was_training = [getattr(layer, "training", None) for layer in model.layers]
    model.eval()
    loss = mean_cross_entropy(model, X, Y, batch_size)
    for layer, training in zip(model.layers, was_training):
        if training is not None:
            layer.training = training
    return loss


@torch.no_grad()
def sample(model: DeepMLP, vocab, count: int = 10, seed: int = 0, max_length: int = 30) -> list:
    """Draw ``count`` words, one character at a time, each from the model's softmax.

    Runs in inference mode, so BatchNorm uses its running estimates and each word is
    independent of the others in the batch (the model's mode is restored afterwards).
    A word ends at the boundary token or after ``max_length`` characters.
    """
    was_training = [getattr(layer, "training", None) for layer in model.layers]
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    windows = torch.zeros((count, model.context), dtype=torch.long)
    words = [[] for _ in range(count)]
    done = torch.zeros(count, dtype=torch.bool)
    for _ in range(max_length):
        probs = F.softmax(model(windows), dim=1)
        nxt = torch.multinomial(probs, 1, generator=generator)
        for i in range(count):
            if not done[i] and nxt[i, 0] != vocab.BOUNDARY:
                words[i].append(int(nxt[i, 0]))
        done |= nxt[:, 0] == vocab.BOUNDARY
        if done.all():
            break
        windows = torch.cat([windows[:, 1:], nxt], dim=1)
    for layer, training in zip(model.layers, was_training):
        if training is not None:
            layer.training = training
    return [vocab.decode(word) for word in words]


@dataclass
class TensorStats:
    """Summary of one layer's tensor for the diagnostics: its name, mean, standard
    deviation, the fraction of saturated tanh units (activations only; else None), the
    grad:data ratio (weight gradients only; else None) and the values, for a histogram."""

    name: str
    mean: float
    std: float
    values: torch.Tensor
    saturated: float | None = None
    grad_to_data: float | None = None


@dataclass
class Diagnostics:
    """:func:`diagnose`'s report: one :class:`TensorStats` per tanh layer's output and
    its gradient, and per weight matrix's gradient."""

    activations: list
    gradients: list
    weight_gradients: list


def activation_stats(model: DeepMLP) -> list:
    """Stats of each Tanh layer's output from the model's latest forward pass."""
    stats = []
    for i, layer in enumerate(_tanh_layers(model), start=1):
        t = layer.out.detach()
        stats.append(TensorStats(f"layer {i} (Tanh)", t.mean().item(), t.std().item(), t.flatten(), saturated=(t.abs() > SATURATION).float().mean().item()))
    return stats


def gradient_stats(model: DeepMLP) -> list:
    """Stats of the gradient at each Tanh layer's output; needs ``model.retain_grads = True``
    before the forward pass and ``loss.backward()`` after it."""
    stats = []
    for i, layer in enumerate(_tanh_layers(model), start=1):
        if not layer.out.retains_grad or layer.out.grad is None:
            raise ValueError("the layer outputs have no gradients: set model.retain_grads = True, run the forward pass and loss.backward()")
        g = layer.out.grad
        stats.append(TensorStats(f"layer {i} (Tanh)", g.mean().item(), g.std().item(), g.flatten()))
    return stats


def weight_gradient_stats(model: DeepMLP) -> list:
    """Stats of the gradient of each weight matrix (C, W1, W2, ...), with its grad:data
    ratio std(grad) / std(weights): how large the gradient is next to the weights it will change."""
    stats = []
    for name, p in model.named_parameters():
        if p.dim() != 2:
            continue
        if p.grad is None:
            raise ValueError(f"{name} has no gradient: run the forward pass and loss.backward() first")
        g = p.grad
        label = f"{name} {tuple(p.shape)}"
        stats.append(TensorStats(label, g.mean().item(), g.std().item(), g.flatten(), grad_to_data=(g.std() / p.detach().std()).item()))
    return stats


def diagnose(model: DeepMLP, X, Y, batch_size: int = 32, seed: int = 0) -> Diagnostics:
    """One forward and backward pass on a random training batch, and the three stats.

    Runs in training mode (batch statistics) like a training step, but changes nothing:
    the BatchNorm running estimates are restored and the parameters' gradients cleared.
    """
    generator = torch.Generator().manual_seed(seed)
    ix = torch.randint(0, len(Y), (batch_size,), generator=generator)
    norms = [layer for layer in model.layers if isinstance(layer, BatchNorm1d)]
    saved = [(bn.running_mean.clone(), bn.running_var.clone(), bn.training) for bn in norms]
    was_retaining = model.retain_grads
    model.train()
    model.retain_grads = True
    try:
        loss = F.cross_entropy(model(X[ix]), Y[ix])
        for p in model.parameters():
            p.grad = None
        loss.backward()
        report = Diagnostics(activation_stats(model), gradient_stats(model), weight_gradient_stats(model))
    finally:
        model.retain_grads = was_retaining
        for p in model.parameters():
            p.grad = None
        for bn, (mean, var, training) in zip(norms, saved):
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.training = training
    return report


def _tanh_layers(model):
    layers = [layer for layer in model.layers if isinstance(layer, Tanh)]
    if any(not hasattr(layer, "out") for layer in layers):
        raise ValueError("the model has not run yet: call model(X) first")
    return layers


def plot_histograms(stats, *, title: str, xlabel: str, ax=None, bins: int = 60):
    """One histogram curve per layer (density against value), the layer's numbers in its legend.

    ``stats`` is a list of :class:`TensorStats` (e.g. ``diagnose(...).activations``).
    The legend, outside the axes on the right so that it covers no curve, gives each
    layer's mean and std, plus its saturation (activations) or grad:data ratio (weight
    gradients). Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4))
    for s in stats:
        density, edges = torch.histogram(s.values.double().cpu(), bins=bins, density=True)
        centres = (edges[:-1] + edges[1:]) / 2
        label = f"{s.name}: mean {s.mean:+.2g}, std {s.std:.2g}"
        if s.saturated is not None:
            label += f", saturated {s.saturated:.1%}"
        if s.grad_to_data is not None:
            label += f", grad:data {s.grad_to_data:.2g}"
        ax.plot(centres.numpy(), density.numpy(), label=label)
    ax.set(title=title, xlabel=xlabel, ylabel="density")
    _legend_outside(ax)
    return ax


def plot_update_ratios(history: History, *, title: str = "update:data ratio of each weight matrix", ax=None, guide: float = -3.0):
    """log10 of each weight matrix's update:data ratio over the steps, with a dashed
    guide line at ``guide`` (1e-3: updates a thousandth the size of the weights), the legend
    outside the axes on the right. Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.4))
    for name, ratios in history.update_ratio.items():
        ax.plot(history.ratio_steps, ratios, label=name, linewidth=1)
    ax.axhline(guide, color="black", linestyle="--", label=f"guide: 10^{guide:g}")
    ax.set(title=title, xlabel="training step", ylabel="log10(std(lr·grad) / std(weights))")
    _legend_outside(ax)
    return ax


def _legend_outside(ax):
    """The legend to the right of the axes, top-aligned: it never hides a curve."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)
