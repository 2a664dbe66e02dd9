"""Neural networks made of `Value` scalars: Neuron, Layer, MLP, and what trains them.

A `Neuron` computes ``activation(w·x + b)``; a `Layer` is a list of neurons that all
see the same inputs; an `MLP` is layers in sequence, the last one linear so its output
is an unbounded score. `hinge_loss` and `sgd_step` are the loss and the update rule of
the two-moons classifier in micrograd's demo.
"""

import random

from .engine import Value

__all__ = ["Module", "Neuron", "Layer", "MLP", "hinge_loss", "sgd_step"]

ACTIVATIONS = ("relu", "tanh", "linear")


class Module:
    """What every model has: its parameters, and a way to reset their gradients."""

    def parameters(self):
        """Every trainable `Value` of the model, in a fixed order."""
        return []

    def zero_grad(self):
        """Set every parameter's ``grad`` to 0.0; call it before each ``backward()``,
        since gradients add up across backward passes."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``activation(w·x + b)`` for an input list ``x`` of ``nin`` numbers or Values.

    Weights start uniform in [-1, 1], drawn from ``rng`` (a ``random.Random``; a fresh,
    unseeded one if None), and the bias starts at 0. ``activation`` is "relu", "tanh"
    or "linear" (None means "linear"). ``name`` prefixes the labels of the
    parameters: with name "0.1", weights are labelled "w0.1.0", "w0.1.1", … and the
    bias "b0.1".
    """

    def __init__(self, nin, activation="relu", rng=None, name=""):
        _check_size("nin", nin)
        self.activation = _check_activation(activation)
        rng = random.Random() if rng is None else rng
        prefix = f"{name}." if name else ""
        self.w = [Value(rng.uniform(-1.0, 1.0), label=f"w{prefix}{i}") for i in range(nin)]
        self.b = Value(0.0, label=f"b{name}")

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        # w·x + b as one n-input "sum" node over the products wᵢ·xᵢ and b: the graph
        # still shows every product, and it is about half the nodes of a chain of
        # n binary additions (so about twice as fast to build and back-propagate).
        act = Value.sum([wi * xi for wi, xi in zip(self.w, x)] + [self.b])
        if self.activation == "relu":
            return act.relu()
        if self.activation == "tanh":
            return act.tanh()
        return act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"Neuron({len(self.w)} inputs, {self.activation})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs.

    Calling it returns a list of ``nout`` Values, or a single Value when ``nout == 1``
    (so a one-output network gives its score directly, as in micrograd). The other
    arguments are those of `Neuron`; neuron j of a layer named "0" is named "0.j".
    """

    def __init__(self, nin, nout, activation="relu", rng=None, name=""):
        _check_size("nin", nin)
        _check_size("nout", nout)
        rng = random.Random() if rng is None else rng
        prefix = f"{name}." if name else ""
        self.neurons = [Neuron(nin, activation, rng, name=f"{prefix}{j}") for j in range(nout)]

    def __call__(self, x):
        x = _as_inputs(x)
        outs = [neuron(x) for neuron in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self):
        first = self.neurons[0]
        return f"Layer({len(first.w)} → {len(self.neurons)}, {first.activation})"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one layer per entry of ``nouts``.

    Every layer uses ``activation`` except the last, which is linear, so the outputs
    are scores of any sign and size. ``seed`` fixes the initial weights (the same seed
    gives the same network) without touching Python's global ``random`` state; with
    ``seed=None`` every network is different. Calling it on a list of ``nin`` numbers
    returns a list of Values, or one Value when the last layer has a single neuron.
    Parameters are labelled by position: "w1.3.0" is layer 1, neuron 3, input 0.

    >>> MLP(2, [16, 16, 1], seed=0)
    MLP(2 → 16 relu → 16 relu → 1 linear; 337 parameters)
    """

    def __init__(self, nin, nouts, activation="relu", seed=None):
        _check_size("nin", nin)
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"nouts is the list of layer sizes, e.g. [16, 16, 1]; got {nouts!r}")
        _check_activation(activation)
        rng = random.Random(seed)
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear", rng, name=str(i))
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        x = _as_inputs(x)
        for layer in self.layers:
            x = [neuron(x) for neuron in layer.neurons]  # a list even for a 1-neuron layer
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        sizes = [str(len(self.layers[0].neurons[0].w))]
        sizes += [f"{len(layer.neurons)} {layer.neurons[0].activation}" for layer in self.layers]
        return f"MLP({' → '.join(sizes)}; {len(self.parameters())} parameters)"


def hinge_loss(model, X, y, alpha=1e-4):
    """The loss of micrograd's two-moons demo, and the accuracy: ``(loss, accuracy)``.

    ``X`` is a list of input lists, ``y`` their labels, each +1 or -1, and ``model``
    gives one score per input. The loss is the SVM "max-margin" hinge loss, averaged
    over the examples, plus L2 regularisation:

        loss = mean(relu(1 - yᵢ·scoreᵢ)) + alpha · Σ p²  (over the model's parameters)

    An example stops adding to the loss once its score is on the right side with a
    margin of 1. ``loss`` is a Value (call ``loss.backward()``); ``accuracy`` is a float
    in [0, 1], the fraction of scores whose sign matches the label.
    """
    if len(X) != len(y) or not X:
        raise ValueError(f"X and y need the same, non-zero length; got {len(X)} inputs and {len(y)} labels")
    scores = [model(x) for x in X]
    if not isinstance(scores[0], Value):
        raise ValueError("hinge_loss needs a model with a single output (one score per input)")
    margins = [(1.0 - yi * score).relu() for yi, score in zip(y, scores)]
    data_loss = Value.sum(margins) / len(margins)
    reg_loss = alpha * Value.sum([p * p for p in model.parameters()])
    accuracy = sum((yi > 0) == (score.data > 0) for yi, score in zip(y, scores)) / len(y)
    return data_loss + reg_loss, accuracy


def sgd_step(parameters, lr):
    """One step of gradient descent: ``p.data -= lr * p.grad`` for every parameter."""
    for p in parameters:
        p.data -= lr * p.grad


def _as_inputs(x):
    """Plain numbers become leaf Values labelled "x0", "x1", …, once per call, so all
    the neurons of a layer share one node per input (and the graph shows it once)."""
    if isinstance(x, (Value, int, float)):
        raise TypeError(f"a network takes a list of inputs, e.g. [0.5, -1.2]; got the single {type(x).__name__} {x!r}")
    return [xi if isinstance(xi, Value) else Value(xi, label=f"x{i}") for i, xi in enumerate(x)]


def _check_size(name, n):
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"{name} must be a whole number, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")


def _check_activation(activation):
    if activation is None:
        return "linear"
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))} or None, got {activation!r}")
    return activation
