"""Checks for the exercises of lessons 01 and 02 (micrograd).

Each check runs the learner's answer, compares it with an independent reference (finite
differences, or a fresh computation), prints one line saying right or wrong and why, and
returns True or False.
"""

import math

from nnzero.exercises import verdict
from nnzero.micrograd import MLP, Value


def numerical_derivative(f, x, h=1e-6):
    """The central difference (f(x + h) - f(x - h)) / 2h: the slope of f at x."""
    return (f(x + h) - f(x - h)) / (2 * h)


def check_derivative(f, x, answer, rel_tol=1e-4):
    """Is ``answer`` the derivative of the plain-number function ``f`` at ``x``?"""
    expected = numerical_derivative(f, x)
    ok = math.isclose(answer, expected, rel_tol=rel_tol, abs_tol=1e-6)
    why = (f"f'({x:g}) ≈ {expected:.6g} by finite differences" if ok
           else f"you gave {answer:.6g}, but the slope of f at {x:g} is ≈ {expected:.6g} by finite differences")
    return verdict(ok, why)


def check_op(op, reference, points=(-2.0, -0.5, 0.0, 0.7, 3.0)):
    """Does the learner's ``op`` (a function from a Value to a new Value) compute
    ``reference(x)`` (a function of a plain number) and send back the right gradient?

    The forward value is compared with ``reference`` and the gradient with the finite
    difference of ``reference`` at every point.
    """
    for x in points:
        leaf = Value(x)
        out = op(leaf)
        if not isinstance(out, Value):
            return verdict(False, f"op({x:g}) returned {type(out).__name__}; it must return a new Value")
        if not math.isclose(out.data, reference(x), rel_tol=1e-9, abs_tol=1e-12):
            return verdict(False, f"forward value at x = {x:g}: you computed {out.data:.6g}, expected {reference(x):.6g}")
        out.backward()
        slope = numerical_derivative(reference, x)
        if not math.isclose(leaf.grad, slope, rel_tol=1e-4, abs_tol=1e-6):
            return verdict(False, f"gradient at x = {x:g}: backward gave {leaf.grad:.6g}, but the slope is ≈ {slope:.6g}; "
                                  "check the local derivative you stored, and that the new Value lists the input "
                                  "as its child (otherwise backward() never reaches it)")
    return verdict(True, f"values and gradients match at x = {', '.join(f'{x:g}' for x in points)}")


def check_training_step(step):
    """Does the learner's ``step(model, X, y, lr)`` do one correct gradient-descent step?

    It is run twice on a small network and compared with a step computed here from a
    fresh backward pass each time; a step that forgets to reset the gradients passes the
    first comparison and fails the second, because the old gradients add to the new.
    """
    X = [[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1]]
    y = [1.0, -1.0, 1.0]
    learner, reference = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    for attempt in (1, 2):
        step(learner, X, y, 0.05)
        for p in reference.parameters():
            p.grad = 0.0
        loss = Value.sum([(reference(x) - t) ** 2 for x, t in zip(X, y)]) / len(X)
        loss.backward()
        for p in reference.parameters():
            p.data -= 0.05 * p.grad
        worst = max(abs(a.data - b.data) for a, b in zip(learner.parameters(), reference.parameters()))
        if worst > 1e-9:
            hint = ("the first step was right, the second was not: the gradients of the first step were still "
                    "there; reset them before backward()" if attempt == 2
                    else "compute the mean squared error, call backward(), then move every parameter by -lr * grad")
            return verdict(False, f"after step {attempt} a parameter is off by {worst:.3g}: {hint}")
    return verdict(True, "two steps in a row match a fresh backward pass each time: the gradients are reset")
