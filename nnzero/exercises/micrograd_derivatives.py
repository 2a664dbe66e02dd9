"""Checks for the exercises of lesson 01 (derivatives and backpropagation by hand).

    check_derivative(answer)   g'(2) for g(x) = x³ − 2x + 1, worked out on paper
    check_softplus(softplus)   a new Value operation, softplus(x) = ln(1 + e^x), with its local derivative
    check_backprop(grads)      every gradient of L = o·o, o = tanh(x·w + b), filled in by hand

Each prints one line, right or what is wrong and where to look, and returns a
`Verdict`; none prints the right answer. ``solution(check)`` shows a worked one.
"""

import math

from nnzero.exercises import as_number, check_number, exercise_check, verdict
from nnzero.micrograd import Value

__all__ = ["check_derivative", "check_softplus", "check_backprop", "BACKPROP_NODES"]


# ----------------------------------------------------------------------------------
# 1. A derivative by hand


def derivative_solution():
    """g(x) = x³ − 2x + 1. Differentiate term by term with the power rule
    (d/dx xⁿ = n·xⁿ⁻¹): x³ gives 3x², −2x gives −2, the constant 1 gives 0.
    So g'(x) = 3x² − 2, and at x = 2: g'(2) = 3·4 − 2 = 10.
    A central difference, (g(2 + h) − g(2 − h)) / 2h with h = 1e-6, agrees."""
    return 3 * 2**2 - 2


@exercise_check(solution=derivative_solution)
def check_derivative(answer):
    """Exercise 1: ``answer`` is g'(2) for g(x) = x³ − 2x + 1."""
    return check_number(
        answer,
        3 * 2**2 - 2,
        what="g'(2)",
        rel_tol=1e-4,
        right_why="the slope of g at 2, and a finite difference agrees",
        hints=[
            (5, "that is g(2), the value of g at 2; the exercise asks for its slope there (section 1)"),
            (-(3 * 2**2 - 2), "the sign is flipped: g rises at x = 2"),
            (3 * 2**2, "that is the slope of x³ alone: the −2x term has a slope too"),
            (-2, "that is the slope of −2x alone: the x³ term has a slope too"),
            (3 * 2**2 - 2 + 1, "the constant +1 does not change with x, so its derivative is 0"),
            (3 * 2**2 + 2, "the sign of the −2x term's slope is flipped"),
            (3 * 2 - 2, "the power rule takes x³ to 3x², not 3x"),
            (3 * 2**3 - 2, "the power rule lowers the power by one: x³ becomes 3x², not 3x³"),
        ],
        otherwise="differentiate g term by term (the power rule, section 1), then put x = 2; "
        "a finite difference as in section 2 checks your number",
    )


# ----------------------------------------------------------------------------------
# 2. A new operation: softplus

SOFTPLUS_POINTS = (-2.0, -0.5, 0.0, 0.7, 3.0)


def softplus_solution(x):
    """softplus(x) = ln(1 + e^x), as one new Value whose only child is x.

    Its local derivative, by the chain rule (the derivative of ln at 1 + e^x, times
    the derivative of 1 + e^x):  1/(1 + e^x) · e^x = e^x / (1 + e^x) = 1 / (1 + e^-x),
    the sigmoid of x. It is computed beside the forward value, as every operation of
    the engine does. (math.log1p(y) is ln(1 + y), accurate even for a tiny y.)
    """
    out = math.log1p(math.exp(x.data))
    local = 1.0 / (1.0 + math.exp(-x.data))
    return Value(out, (x,), (local,), "softplus")


def _softplus(x):
    return math.log1p(math.exp(x))


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _matches(values, reference):
    """True when ``values`` (one per point) equal ``reference(x)`` at every point."""
    return all(_close(v, reference(x)) for v, x in zip(values, SOFTPLUS_POINTS))


def _compare(mine, right):
    return "too high" if mine > right else "too low"


FORWARD_MISTAKES = [
    (lambda x: x, "your softplus(x) comes out as x, which is ln(e^x): the 1 + inside the ln is missing"),
    (math.exp, "your softplus(x) comes out as e^x: the ln of 1 + e^x is missing"),
    (_sigmoid, "your softplus(x) comes out as the sigmoid, which is softplus's derivative; "
     "the value itself is ln(1 + e^x)"),
]

GRADIENT_MISTAKES = [
    (lambda x: 0.0, "backward() sends nothing back to x: store the local derivative in local_grads, "
     "one per child (section 5)"),
    (lambda x: 1.0, "you stored 1 as the local derivative, as + does; softplus bends, so its slope "
     "changes with x (section 5)"),
    (_softplus, "you stored the output itself as the local derivative, as exp does; softplus's "
     "derivative is a different function (the hint in the exercise says which)"),
    (math.exp, "you stored e^x, the derivative of the inner part 1 + e^x alone: the chain rule "
     "multiplies it by the derivative of ln there (section 6)"),
    (lambda x: 1.0 / (1.0 + math.exp(x)), "you stored 1 / (1 + e^x), the derivative of ln alone: the "
     "chain rule multiplies it by the derivative of the inner part, e^x (section 6)"),
    (lambda x: -_sigmoid(x), "the gradient has the wrong sign: softplus rises everywhere, so its slope "
     "is positive"),
]


def _run_softplus(softplus, x):
    """The learner's op applied to a fresh leaf: (leaf, output) or (None, why not)."""
    leaf = Value(x, label="x")
    try:
        out = softplus(leaf)
    except Exception as error:  # the learner's bug: report it in one line
        return None, f"softplus({x:g}) raised {type(error).__name__}: {error}"
    if out is leaf:
        return None, "softplus returned x itself: build a new Value, with x as its child"
    if not isinstance(out, Value):
        if type(out).__name__ == "Value":
            return None, ("softplus returned a Value of your own class from section 4; build it with "
                          "nnzero's Value, imported in section 11")
        return None, (f"softplus must return a new Value, not a {type(out).__name__}: "
                      "Value(out, (x,), (local_derivative,), 'softplus')")
    return leaf, out


@exercise_check(solution=softplus_solution)
def check_softplus(softplus):
    """Exercise 2: ``softplus`` maps a Value x to a new Value, ln(1 + e^x), whose
    ``backward()`` sends x the right gradient. Checked at five points."""
    runs = []
    for x in SOFTPLUS_POINTS:
        leaf, out = _run_softplus(softplus, x)
        if leaf is None:
            return verdict(False, out)
        runs.append((x, leaf, out))

    values = [out.data for _, _, out in runs]
    if not _matches(values, _softplus):
        for reference, why in FORWARD_MISTAKES:
            if _matches(values, reference):
                return verdict(False, why)
        x, _, out = next(r for r in runs if not _close(r[2].data, _softplus(r[0])))
        return verdict(False, f"the forward value is wrong: your softplus({x:g}) is "
                              f"{_compare(out.data, _softplus(x))}; softplus(x) = ln(1 + e^x)")

    for x, leaf, out in runs:
        for node in out.topological_order():
            if len(node.local_grads) != len(node.children):
                return verdict(False, f"a node made by {node.op or 'your code'!r} lists {len(node.children)} "
                                      f"child(ren) and {len(node.local_grads)} local derivative(s): give one per child")
        if not any(node is leaf for node in out.topological_order()):
            return verdict(False, "backward() never reaches x: the new Value must list x as its child, "
                                  "Value(out, (x,), …), or the gradient stops there (section 5)")
        out.backward()

    grads = [leaf.grad for _, leaf, _ in runs]
    if _matches(grads, _sigmoid):
        return verdict(True, f"values and gradients right at x = {', '.join(f'{x:g}' for x in SOFTPLUS_POINTS)}")
    for reference, why in GRADIENT_MISTAKES:
        if _matches(grads, reference):
            return verdict(False, why)
    x, leaf, _ = next(r for r in runs if not _close(r[1].grad, _sigmoid(r[0])))
    too = _compare(leaf.grad, _sigmoid(x))
    return verdict(False, f"the values are right, but the gradient at x = {x:g} is {too}: "
                          "check the local derivative you stored beside the value (section 5)")


# ----------------------------------------------------------------------------------
# 3. Backpropagation by hand

# L = o·o, o = tanh(n), n = x·w + b, with b chosen so that n = ln 2 and o = tanh(ln 2) = 0.6.
X, W = 2.0, 0.5
B = math.log(2.0) - X * W
BACKPROP_NODES = ("o", "n", "x*w", "b", "x", "w")  # from the output back


def backprop_solution():
    """L = o·o with o = tanh(n), n = x·w + b; x = 2, w = 0.5, b = ln 2 − 1, so n = ln 2
    and o = tanh(ln 2) = (4 − 1)/(4 + 1) = 0.6. Walk back from dL/dL = 1:

    - o is used twice in o·o; each use brings the other factor, o, and the two add up
      (gradients accumulate): dL/do = o + o = 1.2.
    - tanh's local derivative is 1 − o² = 0.64: dL/dn = 1.2 · 0.64 = 0.768.
    - a sum passes the gradient through: dL/d(x·w) = dL/db = 0.768.
    - a product sends each factor the other one: dL/dx = w · 0.768 = 0.384 and
      dL/dw = x · 0.768 = 1.536.
    """
    o = 0.6
    grad_o = 1.0 * o + 1.0 * o
    grad_n = grad_o * (1 - o**2)
    return {"o": grad_o, "n": grad_n, "x*w": grad_n, "b": grad_n, "x": 0.5 * grad_n, "w": 2.0 * grad_n}


def _backprop_reference():
    """The gradients from the engine's backward(), and the values of the nodes."""
    x, w, b = Value(X, label="x"), Value(W, label="w"), Value(B, label="b")
    xw = x * w
    n = xw + b
    o = n.tanh()
    loss = o * o
    loss.backward()
    nodes = {"o": o, "n": n, "x*w": xw, "b": b, "x": x, "w": w}
    return {k: v.grad for k, v in nodes.items()}, {k: v.data for k, v in nodes.items()}


def _backprop_mistakes(right, data):
    """For each node, the usual wrong gradients (given right ones above it) and why."""
    o, n = data["o"], data["n"]
    up_n = right["n"]  # what arrives at the + nodes and, through them, at x·w
    passes = "the sign is flipped: a sum passes the gradient arriving from n through unchanged (section 6)"
    plus_alone = "1 is +'s local derivative alone: multiply it by the gradient arriving from n (section 6)"
    return {
        "o": [
            (o, "you kept one of the two contributions: o is used twice in o·o, and the "
                "gradients from both uses add up (section 10)"),
            (-right["o"], "the sign is flipped"),
            (1.0, "1 is the gradient of the output L itself; o reaches L through o·o (section 6)"),
        ],
        "n": [
            (-right["n"], "the sign is flipped: tanh rises, so n's gradient has the sign of o's"),
            (1 - o**2, "that is tanh's local derivative alone: the chain rule multiplies it by the "
                       "gradient arriving from o (section 6)"),
            (right["o"], "you passed o's gradient through tanh unchanged: multiply it by tanh's local "
                         "derivative, 1 − o² (section 8)"),
            (right["o"] * (1 - o), "tanh's local derivative is 1 − o², not 1 − o (section 8)"),
            (right["o"] * (1 - n**2), "tanh's local derivative 1 − o² uses tanh's output o, not its "
                                      "input n (section 8)"),
        ],
        "x*w": [(-up_n, passes), (1.0, plus_alone)],
        "b": [(-up_n, passes), (1.0, plus_alone)],
        "x": [
            (X * up_n, "the local derivative of x·w with respect to x is the other factor, w, "
                       "not x itself (section 5)"),
            (W, "that is the local derivative of x·w alone: the chain rule multiplies it by the "
                "gradient arriving from x·w (section 6)"),
            (up_n, "you passed the gradient of x·w through unchanged: a product multiplies it by the "
                   "other factor (section 5)"),
            (-right["x"], "the sign is flipped"),
        ],
        "w": [
            (W * up_n, "the local derivative of x·w with respect to w is the other factor, x, "
                       "not w itself (section 5)"),
            (X, "that is the local derivative of x·w alone: the chain rule multiplies it by the "
                "gradient arriving from x·w (section 6)"),
            (up_n, "you passed the gradient of x·w through unchanged: a product multiplies it by the "
                   "other factor (section 5)"),
            (-right["w"], "the sign is flipped"),
        ],
    }


def _grad(name):
    return f"dL/d({name})" if len(name) > 1 else f"dL/d{name}"



FROM = {"o": "L = o·o", "n": "o = tanh(n)", "x*w": "n = x·w + b", "b": "n = x·w + b", "x": "x·w", "w": "x·w"}


@exercise_check(solution=backprop_solution)
def check_backprop(grads):
    """Exercise 3: ``grads`` maps each of ``BACKPROP_NODES`` to dL/d(node) for
    L = o·o, o = tanh(x·w + b), x = 2, w = 0.5, b = ln 2 − 1.

    The first wrong gradient, walking back from the output, is named with what went
    wrong (the ones below it depend on it)."""
    if not isinstance(grads, dict):
        return verdict(False, f"give grads as a dict, {{'o': …, 'n': …, …}}, not a {type(grads).__name__}")
    missing = [name for name in BACKPROP_NODES if grads.get(name) is None]
    if missing:
        return verdict(False, "fill in every gradient: " + ", ".join(repr(m) for m in missing) + " still missing")
    right, data = _backprop_reference()
    mistakes = _backprop_mistakes(right, data)
    for name in BACKPROP_NODES:
        given = as_number(grads[name])
        if given is None:
            return verdict(False, f"{_grad(name)}: give a number, not {grads[name]!r}")
        if math.isclose(given, right[name], rel_tol=1e-3, abs_tol=1e-9):
            continue
        for wrong, why in mistakes[name]:
            if math.isclose(given, wrong, rel_tol=1e-3, abs_tol=1e-9):
                return verdict(False, f"{_grad(name)}: {why}")
        return verdict(False, f"{_grad(name)} is {_compare(given, right[name])}: the gradient arriving from "
                              f"{FROM[name]} times the local derivative (sections 6 and 8)")
    return verdict(True, "every gradient right, from o back to x and w: that is backpropagation")
