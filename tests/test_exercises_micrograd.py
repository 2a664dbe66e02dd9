"""The lesson 01–02 exercise checks accept right answers and refuse typical wrong ones."""

import math

from nnzero.exercises.micrograd import check_derivative, check_op, check_training_step
from nnzero.micrograd import Value
from nnzero.micrograd.nn import sgd_step


def f(x):
    return 3 * x**2 - 4 * x + 5


def test_check_derivative(capsys):
    assert check_derivative(f, 3.0, 14.0)
    assert not check_derivative(f, 3.0, 18.0)  # forgot the -4x term
    assert "✗ not yet" in capsys.readouterr().out.splitlines()[-1]


def softplus(x):
    return Value(math.log1p(math.exp(x.data)), (x,), (1 / (1 + math.exp(-x.data)),), "softplus")


def softplus_wrong_derivative(x):
    return Value(math.log1p(math.exp(x.data)), (x,), (math.exp(x.data),), "softplus")


def softplus_not_connected(x):
    return Value(math.log1p(math.exp(x.data)))


def reference_softplus(x):
    return math.log1p(math.exp(x))


def test_check_op(capsys):
    assert check_op(softplus, reference_softplus)
    assert check_op(lambda x: (x.exp() + 1).log(), reference_softplus)  # built from existing ops: also right
    assert not check_op(softplus_wrong_derivative, reference_softplus)
    assert "gradient at" in capsys.readouterr().out
    assert not check_op(softplus_not_connected, reference_softplus)
    assert "as its child" in capsys.readouterr().out
    assert not check_op(lambda x: x.data, reference_softplus)


def mse(model, X, y):
    return Value.sum([(model(x) - t) ** 2 for x, t in zip(X, y)]) / len(X)


def good_step(model, X, y, lr):
    model.zero_grad()
    mse(model, X, y).backward()
    sgd_step(model.parameters(), lr)


def step_without_zero_grad(model, X, y, lr):
    mse(model, X, y).backward()
    sgd_step(model.parameters(), lr)


def step_going_uphill(model, X, y, lr):
    model.zero_grad()
    mse(model, X, y).backward()
    sgd_step(model.parameters(), -lr)


def test_check_training_step(capsys):
    assert check_training_step(good_step)
    assert not check_training_step(step_without_zero_grad)
    assert "second was not" in capsys.readouterr().out
    assert not check_training_step(step_going_uphill)
    assert "after step 1" in capsys.readouterr().out
