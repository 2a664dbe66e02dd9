"""Checks for the exercises of lesson 02 (micrograd: backpropagation and training).

    check_training_step(step)             one step of gradient descent on the mean squared error
    check_parameter_count(parameter_count)  how many numbers an MLP of given sizes learns
    check_tanh_chain_gradient(gradient)   the gradient through a chain of 100,000 tanh

Each check prints one line, right or wrong and why, and returns a `Verdict`; an exercise
left as handed out gets "not answered yet". ``solution(check)`` shows a worked solution.
"""

import math
import numbers

from nnzero.exercises import check_number, exercise_check, verdict
from nnzero.micrograd import MLP, Value
from nnzero.micrograd.nn import sgd_step

# ---------------------------------------------------------------------------------------
# 1. The training step
# ---------------------------------------------------------------------------------------

STEP_X = [[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1]]
STEP_Y = [1.0, -1.0, 1.0]
STEP_LR = 0.05
STEP_SEED = 0
TOLERANCE = 1e-9


def training_step(model, X, y, lr):
    """One step of gradient descent on the mean squared error, as in section 3's loop.

    1. Forward: score every example and average the squared errors into one Value, the
       loss (the mean, so divide the sum by the number of examples).
    2. Reset: ``backward()`` *adds* to every parameter's ``grad``, so the gradients of
       the previous step must go first: ``model.zero_grad()``, before ``backward()``.
    3. Backward: ``loss.backward()`` fills every parameter's ``grad`` with d(loss)/d(p).
    4. Update: a small move against the gradient lowers the loss, ``p.data -= lr * p.grad``.
    """
    loss = sum((model(x) - target) ** 2 for x, target in zip(X, y)) / len(X)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad


def _reference_parameters(steps, lr=STEP_LR, mean=True, reset=True):
    """The parameters of the check's network after ``steps`` steps done a given way:
    the right way, or with one of the usual mistakes."""
    model = MLP(2, [4, 1], seed=STEP_SEED)
    for _ in range(steps):
        if reset:
            model.zero_grad()
        loss = Value.sum([(model(x) - target) ** 2 for x, target in zip(STEP_X, STEP_Y)])
        if mean:
            loss = loss / len(STEP_X)
        loss.backward()
        sgd_step(model.parameters(), lr)
    return [p.data for p in model.parameters()]


def _same(a, b):
    return len(a) == len(b) and all(abs(u - v) <= TOLERANCE for u, v in zip(a, b))


@exercise_check(solution=training_step)
def check_training_step(step):
    """Exercise (02): ``step(model, X, y, lr)`` does one step of gradient descent on the
    mean squared error of ``model`` over the examples ``X`` with targets ``y``.

    It runs your step twice in a row on a small network and compares the parameters with
    steps computed here, each from a fresh backward pass. A step that forgets to reset
    the gradients passes the first comparison and fails the second: the gradients of
    the first step are still there and add to the new ones.
    """
    model = MLP(2, [4, 1], seed=STEP_SEED)
    start = [p.data for p in model.parameters()]
    for attempt in (1, 2):
        try:
            step(model, [list(x) for x in STEP_X], list(STEP_Y), STEP_LR)
        except Exception as error:  # the learner's code: report it in one line
            return verdict(False, f"step {attempt} raised {type(error).__name__}: {error}")
        got = [p.data for p in model.parameters()]
        if _same(got, _reference_parameters(attempt)):
            continue
        if attempt == 2 and _same(got, _reference_parameters(2, reset=False)):
            return verdict(False, "the first step was right, the second was not: the gradients of the first step were "
                                  "still there and added to the new ones; reset them (model.zero_grad()) before "
                                  "backward(), in every step (section 3, the forgotten zero_grad)")
        if _same(got, start if attempt == 1 else _reference_parameters(1)):
            return verdict(False, f"step {attempt} did not move the parameters: after backward(), move each one by "
                                  "-lr * p.grad, and reset the gradients before backward(), not after it")
        if _same(got, _reference_parameters(attempt, lr=-STEP_LR)):
            return verdict(False, "the parameters moved uphill, along the gradient: the loss grows that way; "
                                  "subtract lr * p.grad from each one")
        if _same(got, _reference_parameters(attempt, mean=False)):
            return verdict(False, f"the step is {len(STEP_X)} times too long: that is the gradient of the sum of the "
                                  "squared errors; the loss here is their mean, so divide the sum by len(X)")
        worst = max((abs(u - v) for u, v in zip(got, _reference_parameters(attempt))), default=math.inf)
        return verdict(False, f"after step {attempt} a parameter is off by {worst:.3g}: compute the mean squared error, "
                              "reset the gradients, call backward(), then move every parameter by -lr * grad "
                              "(section 3, the training loop)")
    return verdict(True, "two steps in a row match a fresh backward pass each time: the gradients are reset")


# ---------------------------------------------------------------------------------------
# 2. Counting parameters
# ---------------------------------------------------------------------------------------

COUNT_CASES = [(3, [4, 4, 1]), (2, [16, 16, 1]), (784, [128, 64, 10]), (1, [1]), (5, [3]), (10, [20, 30, 40, 2])]


def parameter_count(nin, nouts):
    """How many numbers ``MLP(nin, nouts)`` learns, without building it.

    Layer by layer: a layer of ``nout`` neurons that each read ``nin`` inputs holds
    ``nin * nout`` weights (one per input per neuron) and ``nout`` biases (one per
    neuron), so ``(nin + 1) * nout`` parameters. Each layer's inputs are the outputs of
    the layer before, so the sizes pair up as (nin, nouts[0]), (nouts[0], nouts[1]), …
    The inputs themselves are data, not parameters: they add nothing.
    """
    sizes = [nin] + list(nouts)
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def _pairs(nin, nouts):
    sizes = [nin] + list(nouts)
    return list(zip(sizes, sizes[1:]))


# The usual mistakes, each a formula a learner might write, with what to fix.
_COUNT_MISTAKES = [
    (lambda nin, nouts: sum(a * b for a, b in _pairs(nin, nouts)),
     "that counts the weights only: every neuron has a bias too, one more parameter per neuron"),
    (lambda nin, nouts: sum(a * b + a for a, b in _pairs(nin, nouts)),
     "that gives each layer one bias per input; a bias belongs to a neuron: one per output of the layer"),
    (lambda nin, nouts: parameter_count(nin, nouts) + nin,
     "the inputs are data, not parameters: they have no bias of their own"),
    (lambda nin, nouts: sum((a + 1) * b for a, b in _pairs(nouts[0], nouts[1:])),
     "the first layer is missing: it reads the nin inputs, so it holds (nin + 1) * nouts[0] parameters"),
    (lambda nin, nouts: sum((a + 1) * b for a, b in _pairs(nin, nouts[:-1])),
     "the last layer is missing: the output neurons have weights and biases too"),
    (lambda nin, nouts: sum((nin + 1) * b for b in nouts),
     "every layer after the first reads the outputs of the layer before it, not the network's nin inputs"),
]


@exercise_check(solution=parameter_count)
def check_parameter_count(count):
    """Exercise (02): ``count(nin, nouts)`` returns the number of parameters of
    ``MLP(nin, nouts)`` (weights and biases), computed from the sizes alone.

    It is tried on several sizes; a formula that matches one of the usual mistakes on
    all of them gets the hint for that mistake.
    """
    got = []
    for nin, nouts in COUNT_CASES:
        try:
            value = count(nin, list(nouts))
        except Exception as error:  # the learner's code: report it in one line
            return verdict(False, f"parameter_count({nin}, {nouts}) raised {type(error).__name__}: {error}")
        finite = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        if not finite or value != int(value):
            return verdict(False, f"parameter_count({nin}, {nouts}) returned {value!r}; return a whole number")
        got.append(int(value))
    right = [parameter_count(nin, nouts) for nin, nouts in COUNT_CASES]
    if got == right:
        return verdict(True, f"(nin + 1) * nout per layer, summed: right on all {len(COUNT_CASES)} networks tried")
    for formula, why in _COUNT_MISTAKES:
        if got == [formula(nin, nouts) for nin, nouts in COUNT_CASES]:
            return verdict(False, why)
    i = next(i for i, (a, b) in enumerate(zip(got, right)) if a != b)
    nin, nouts = COUNT_CASES[i]
    return verdict(False, f"parameter_count({nin}, {nouts}) gave {got[i]:,}, which is not it: count each layer's "
                          "weights (one per input per neuron) and biases (one per neuron), then add the layers up "
                          "(section 3 counts MLP(3, [4, 4, 1]) this way)")


# ---------------------------------------------------------------------------------------
# 3. The gradient through a long chain of tanh
# ---------------------------------------------------------------------------------------

CHAIN_LENGTH = 100_000
CHAIN_START = 0.5


def tanh_chain_gradient(n=CHAIN_LENGTH, start=CHAIN_START):
    """d(end)/d(start) for ``end = tanh(tanh(… tanh(start)))``, n times, by backpropagation.

    Build the chain one tanh at a time, then one backward pass. The package's
    ``backward()`` keeps its own stack, so 100,000 levels are no problem (the recursive
    version of section 1 would stop near 1,000).

    Why it is so small: each tanh multiplies the gradient by its local derivative
    1 - tanh²(x), a little below 1. Along the chain x shrinks slowly towards 0 (about
    √(3 / 2k) after k steps), so the factors creep towards 1 too slowly to help: the
    product of all 100,000 of them is below one in a million. A gradient that fades
    through many steps is the vanishing gradient of recurrent networks (lesson 08).
    """
    first = Value(start)
    end = first
    for _ in range(n):
        end = end.tanh()
    end.backward()
    return first.grad


def _tanh_chain(n, start):
    """The chain's end value and gradient computed with plain floats: the reference."""
    x, gradient = start, 1.0
    for _ in range(n):
        x = math.tanh(x)
        gradient *= 1.0 - x * x
    return x, gradient


@exercise_check(solution=tanh_chain_gradient)
def check_tanh_chain_gradient(gradient, n=CHAIN_LENGTH, start=CHAIN_START):
    """Exercise (02): the gradient d(end)/d(start) of a chain of ``n`` tanh operations
    starting from ``Value(start)``: ``start.grad`` after ``end.backward()``. Three
    significant digits are enough."""
    end, right = _tanh_chain(n, start)
    hints = [
        (end, "that is the value at the end of the chain (end.data); the question asks for the start's gradient, "
              "start.grad after end.backward()"),
        (2 * right, "that is twice the gradient: backward() ran twice and the start's gradient added up; build a "
                    "fresh chain and call backward() once"),
        (1.0, "1 is d(end)/d(end), end's own gradient; and each tanh multiplies the gradient by 1 - tanh², which "
              "is below 1 whenever its input is not 0: read start.grad after end.backward()"),
        (0.0, "the gradient is tiny but not zero: print start.grad in scientific notation, e.g. f'{start.grad:.3e}'"),
    ]
    return check_number(
        gradient, right, what="the gradient", rel_tol=1e-2, hints=hints,
        right_why=f"each of the {n:,} tanh multiplies the gradient by 1 - tanh² < 1, and the product vanishes",
        otherwise="build the chain from Value(start), call backward() on its end once, and read start.grad "
                  "(section 1 builds and back-propagates a deep chain the same way)",
    )
