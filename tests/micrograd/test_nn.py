"""Neuron, Layer, MLP, the moons data, the hinge loss and SGD: shapes, seeding, gradients
against PyTorch, and a training run that separates the two moons."""

import math
import random

import pytest

from nnzero.micrograd.datasets import make_moons
from nnzero.micrograd.engine import Value
from nnzero.micrograd.nn import MLP, Layer, Module, Neuron, hinge_loss, sgd_step

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the reference here")


# --- shapes, parameters, labels ------------------------------------------------------


def test_the_demo_network_has_337_parameters():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337  # (2·16 + 16) + (16·16 + 16) + (16 + 1)
    assert all(isinstance(p, Value) for p in model.parameters())
    assert len(set(model.parameters())) == 337


def test_neuron_layer_and_mlp_outputs():
    rng = random.Random(0)
    assert isinstance(Neuron(3, rng=rng)([1.0, 2.0, 3.0]), Value)
    outs = Layer(3, 4, rng=rng)([1.0, 2.0, 3.0])
    assert isinstance(outs, list) and len(outs) == 4
    assert isinstance(Layer(3, 1, rng=rng)([1.0, 2.0, 3.0]), Value)  # nout == 1: one Value
    assert len(MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0])) == 2
    assert isinstance(MLP(3, [4, 1, 1], seed=0)([1.0, 2.0, 3.0]), Value)  # a 1-wide hidden layer too
    assert [len(layer.neurons) for layer in MLP(2, [16, 16, 1], seed=0).layers] == [16, 16, 1]


def test_activations_and_the_linear_last_layer():
    model = MLP(2, [8, 8, 1], activation="tanh", seed=1)
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    x = [0.3, -0.7]
    assert all(-1.0 < v.data < 1.0 for v in model.layers[0]([0.3, -0.7]))
    assert all(v.data >= 0.0 for v in Layer(2, 8, activation="relu", rng=random.Random(1))(x))
    for activation in ("linear", None):
        neuron = Neuron(2, activation=activation, rng=random.Random(2))
        neuron.b.data = -5.0  # a linear neuron passes a negative pre-activation through
        assert neuron(x).data == pytest.approx(neuron.w[0].data * 0.3 - neuron.w[1].data * 0.7 - 5.0)
        assert neuron.activation == "linear"


def test_weights_start_uniform_in_minus_one_one_and_biases_at_zero():
    model = MLP(2, [16, 16, 1], seed=3)
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    biases = [n.b for layer in model.layers for n in layer.neurons]
    assert all(-1.0 <= w.data <= 1.0 for w in weights)
    assert min(w.data for w in weights) < -0.9 and max(w.data for w in weights) > 0.9
    assert all(b.data == 0.0 for b in biases)


def test_parameters_are_labelled_by_position():
    model = MLP(2, [3, 1], seed=0)
    labels = [p.label for p in model.parameters()]
    assert labels[:3] == ["w0.0.0", "w0.0.1", "b0.0"]
    assert labels[-4:] == ["w1.0.0", "w1.0.1", "w1.0.2", "b1.0"]
    assert len(set(labels)) == len(labels)
    assert [p.label for p in Neuron(2, rng=random.Random(0)).parameters()] == ["w0", "w1", "b"]


def test_inputs_become_shared_labelled_leaves():
    model = MLP(2, [4, 1], seed=0)
    out = model([0.5, -1.5])
    leaves = {node for node in out.topological_order() if not node.children}
    inputs = sorted((v.label, v.data) for v in leaves if v.label.startswith("x"))
    assert inputs == [("x0", 0.5), ("x1", -1.5)]  # one node per input, used by all 4 neurons


def test_reprs_are_readable():
    assert repr(MLP(2, [16, 16, 1], seed=0)) == "MLP(2 → 16 relu → 16 relu → 1 linear; 337 parameters)"
    assert repr(Layer(2, 16, rng=random.Random(0))) == "Layer(2 → 16, relu)"
    assert repr(Neuron(3, activation="tanh", rng=random.Random(0))) == "Neuron(3 inputs, tanh)"


# --- seeding ------------------------------------------------------------------------


def weights(model):
    return [p.data for p in model.parameters()]


def test_the_same_seed_gives_the_same_network_and_another_seed_another():
    assert weights(MLP(2, [16, 16, 1], seed=7)) == weights(MLP(2, [16, 16, 1], seed=7))
    assert weights(MLP(2, [16, 16, 1], seed=7)) != weights(MLP(2, [16, 16, 1], seed=8))
    assert weights(MLP(2, [4, 1])) != weights(MLP(2, [4, 1]))  # seed=None: a fresh network


def test_seeding_leaves_pythons_global_random_state_alone():
    random.seed(123)
    state = random.getstate()
    MLP(2, [16, 16, 1], seed=1)
    MLP(2, [16, 16, 1])
    Neuron(4)
    Layer(4, 2)
    make_moons(50, seed=2)
    make_moons(50)
    assert random.getstate() == state
    # and seeding the global generator does not fix an MLP: its seed argument does
    random.seed(0)
    first = weights(MLP(2, [4, 1], seed=5))
    random.seed(1)
    assert weights(MLP(2, [4, 1], seed=5)) == first


# --- gradients --------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_forward_and_gradients_match_torch(activation):
    model = MLP(3, [5, 4, 1], activation=activation, seed=11)
    x = [0.5, -1.2, 2.0]
    out = model(x)
    model.zero_grad()
    out.backward()

    # The same network in torch, from the same numbers.
    act = torch.relu if activation == "relu" else torch.tanh
    h = torch.tensor(x, dtype=torch.float64)
    tensors = []
    for i, layer in enumerate(model.layers):
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        tensors.append((W, b))
        h = W @ h + b
        if i < len(model.layers) - 1:
            h = act(h)
    h.sum().backward()

    assert out.data == pytest.approx(h.item(), rel=1e-12)
    for layer, (W, b) in zip(model.layers, tensors):
        mine = [w.grad for n in layer.neurons for w in n.w]
        assert mine == pytest.approx(W.grad.flatten().tolist(), rel=1e-12, abs=1e-15)
        assert [n.b.grad for n in layer.neurons] == pytest.approx(b.grad.tolist(), rel=1e-12, abs=1e-15)


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [4, 4, 1], seed=0)
    model([1.0, -2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert Module().parameters() == []


def test_sgd_step_moves_against_the_gradient():
    p, q = Value(1.0), Value(-2.0)
    p.grad, q.grad = 0.5, -4.0
    sgd_step([p, q], lr=0.1)
    assert (p.data, q.data) == (pytest.approx(0.95), pytest.approx(-1.6))


# --- the moons, the loss, training ---------------------------------------------------


def test_make_moons_shape_labels_and_geometry():
    X, y = make_moons(101, noise=0.0, seed=0)
    assert len(X) == len(y) == 101 and all(len(point) == 2 for point in X)
    assert (y.count(-1.0), y.count(1.0)) == (50, 51)
    for (x0, x1), label in zip(X, y):  # noiseless points lie on their half circle
        cx, cy = (0.0, 0.0) if label == -1.0 else (1.0, 0.5)
        assert math.hypot(x0 - cx, x1 - cy) == pytest.approx(1.0)
        assert (x1 >= -1e-12) if label == -1.0 else (x1 <= 0.5 + 1e-12)
    assert y != sorted(y) and y != sorted(y, reverse=True)  # shuffled, not in two blocks


def test_make_moons_is_seeded_and_noisy():
    assert make_moons(100, seed=4) == make_moons(100, seed=4)
    assert make_moons(100, seed=4) != make_moons(100, seed=5)
    X, y = make_moons(2000, noise=0.1, seed=0)
    distances = [math.hypot(x0 - (label == 1.0), x1 - 0.5 * (label == 1.0)) - 1.0 for (x0, x1), label in zip(X, y)]
    spread = math.sqrt(sum(d * d for d in distances) / len(distances))
    assert 0.07 < spread < 0.13  # the radial part of 2-D noise of standard deviation 0.1


@pytest.mark.parametrize("kwargs", [{"n_samples": 1}, {"n_samples": "100"}, {"noise": -0.1}, {"noise": "x"}])
def test_make_moons_refuses_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="n_samples|noise"):
        make_moons(**kwargs)


@needs_torch
def test_hinge_loss_and_accuracy_match_a_torch_computation():
    X, y = make_moons(30, noise=0.1, seed=1)
    model = MLP(2, [6, 1], seed=2)
    loss, accuracy = hinge_loss(model, X, y, alpha=1e-2)
    model.zero_grad()
    loss.backward()

    params = torch.tensor([p.data for p in model.parameters()], dtype=torch.float64, requires_grad=True)
    per_neuron = params[:18].reshape(6, 3)  # parameters come neuron by neuron: w0, w1, b
    W1, b1 = per_neuron[:, :2], per_neuron[:, 2]
    W2, b2 = params[18:24], params[24]
    scores = torch.relu(torch.tensor(X, dtype=torch.float64) @ W1.T + b1) @ W2 + b2
    labels = torch.tensor(y, dtype=torch.float64)
    ref = torch.relu(1 - labels * scores).mean() + 1e-2 * (params * params).sum()
    ref.backward()

    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    assert [p.grad for p in model.parameters()] == pytest.approx(params.grad.tolist(), rel=1e-10, abs=1e-15)
    assert accuracy == ((scores > 0) == (labels > 0)).double().mean().item()


def test_hinge_loss_refuses_mismatched_data_and_multi_output_models():
    with pytest.raises(ValueError, match="same, non-zero length"):
        hinge_loss(MLP(2, [1], seed=0), [[0.0, 1.0]], [1.0, -1.0])
    with pytest.raises(ValueError, match="single output"):
        hinge_loss(MLP(2, [2], seed=0), [[0.0, 1.0]], [1.0])


def test_training_on_the_moons_reaches_100_percent_accuracy():
    # micrograd's demo: 100 points, MLP(2, [16, 16, 1]), hinge loss + 1e-4 L2, full-batch
    # SGD with the learning rate decaying linearly from 1.0 (to 0.109 at step 99).
    X, y = make_moons(100, noise=0.1, seed=4)
    model = MLP(2, [16, 16, 1], seed=4)
    loss, accuracy = hinge_loss(model, X, y)
    first_loss, history = loss.data, []
    for step in range(100):
        model.zero_grad()
        loss.backward()
        sgd_step(model.parameters(), lr=1.0 - 0.9 * step / 100)
        loss, accuracy = hinge_loss(model, X, y)
        history.append(accuracy)
        if accuracy == 1.0:
            break  # reached: the rest of the run would only widen the margins
    assert history[-1] == 1.0, f"best accuracy {max(history):.2f} after {len(history)} steps"
    assert loss.data < first_loss / 5


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: MLP(2, 16), ValueError, "list of layer sizes"),
        (lambda: MLP(2, []), ValueError, "list of layer sizes"),
        (lambda: MLP(0, [4]), ValueError, "nin must be at least 1"),
        (lambda: MLP(2.5, [4]), TypeError, "nin must be a whole number"),
        (lambda: Layer(2, 0), ValueError, "nout must be at least 1"),
        (lambda: MLP(2, [4], activation="sigmoid"), ValueError, "activation must be one of"),
        (lambda: Neuron(2, activation="Relu"), ValueError, "activation must be one of"),
        (lambda: MLP(2, [4], seed=0)([1.0, 2.0, 3.0]), ValueError, "takes 2 inputs, got 3"),
        (lambda: MLP(1, [4], seed=0)(0.5), TypeError, "takes a list of inputs"),
        (lambda: MLP(2, [4], seed=0)(["a", 1.0]), TypeError, "Value expects a number"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()
