"""The lesson 01 exercise checks: every worked solution passes, an exercise left as handed
out gets "not answered yet" and nothing else, and the usual wrong answers get their own
hint, never the right answer."""

import inspect
import math
import re

import pytest

from nnzero.exercises import NOT_ANSWERED, Verdict
from nnzero.exercises import micrograd_derivatives as ex
from nnzero.micrograd import Value

# the checks defined in the module (check_number is imported there, not defined)
CHECKS = [
    obj for name, obj in vars(ex).items() if name.startswith("check_") and getattr(obj, "__module__", "") == ex.__name__
]


def test_every_check_has_a_worked_solution():
    assert {check.__name__ for check in CHECKS} == {"check_derivative", "check_softplus", "check_backprop"}
    for check in CHECKS:
        assert inspect.isfunction(check.solution), f"{check.__name__} has no worked solution"
        assert inspect.getdoc(check.solution), f"{check.__name__}'s solution explains nothing"


def solution_answer(check):
    """What the learner would hand in, taken from the worked solution."""
    worked = check.solution
    return worked if inspect.signature(worked).parameters else worked()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_worked_solution_passes(check, said):
    verdict = check(solution_answer(check))
    assert isinstance(verdict, Verdict) and verdict
    assert said().startswith("✓ correct")


def not_answered_softplus(x):
    raise NotImplementedError  # as handed out


@pytest.mark.parametrize(
    "check, stub",
    [
        (ex.check_derivative, None),
        (ex.check_softplus, None),
        (ex.check_softplus, not_answered_softplus),
        (ex.check_backprop, None),
        (ex.check_backprop, dict.fromkeys(ex.BACKPROP_NODES)),
    ],
    ids=["derivative", "softplus-None", "softplus-stub", "backprop-None", "backprop-template"],
)
def test_an_unanswered_exercise_says_so_and_nothing_else(check, stub, said):
    verdict = check(stub)
    assert not verdict
    assert said() == NOT_ANSWERED


def shows_number(text, number):
    """Whether ``number`` appears in ``text`` as a number (10 in "10.0", not in "section 10a")."""
    for token in re.findall(r"-?\d+(?:\.\d+)?", text):
        if math.isclose(float(token), number, rel_tol=1e-3):
            return True
    return False


# --- 1. a derivative by hand: g'(2) for g(x) = x³ − 2x + 1 is 10


@pytest.mark.parametrize(
    "answer, hint",
    [
        (5, "that is g(2)"),
        (-10, "sign is flipped"),
        (12, "slope of x³ alone"),
        (-2, "slope of −2x alone"),
        (11, "constant +1"),
        (14, "sign of the −2x term"),
        (4, "not 3x"),
        (22, "not 3x³"),
        (7.5, "differentiate g term by term"),
        ("ten", "give g'(2) as a number"),
    ],
)
def test_derivative_wrong_answers_get_their_hint(answer, hint, said):
    assert not ex.check_derivative(answer)
    text = said()
    assert text.startswith("✗ not yet") and hint in text
    assert not shows_number(text.replace("section 1", "").replace("section 2", ""), 10)


def test_derivative_accepts_a_careful_finite_difference(said):
    g = lambda x: x**3 - 2 * x + 1  # noqa: E731
    assert ex.check_derivative((g(2 + 1e-6) - g(2 - 1e-6)) / 2e-6)


# --- 2. softplus as a new operation


def softplus_from_pieces(x):
    return (x.exp() + 1).log()


def with_local(local, value=lambda x: math.log1p(math.exp(x))):
    """A softplus with the right wiring whose forward value and local derivative are given."""
    return lambda x: Value(value(x.data), (x,), (local(x.data),), "softplus")


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_softplus_built_from_existing_operations_passes(said):
    assert ex.check_softplus(softplus_from_pieces)
    assert said().startswith("✓ correct")


@pytest.mark.parametrize(
    "softplus, hint",
    [
        (with_local(math.exp), "derivative of the inner part"),
        (with_local(lambda x: 1 / (1 + math.exp(x))), "derivative of ln alone"),
        (with_local(lambda x: math.log1p(math.exp(x))), "output itself"),
        (with_local(lambda x: 1.0), "as + does"),
        (with_local(lambda x: 0.0), "sends nothing back"),
        (with_local(lambda x: -sigmoid(x)), "wrong sign"),
        (with_local(lambda x: sigmoid(x) + 0.1), "gradient at x = -2 is too high"),
        (with_local(sigmoid, value=lambda x: x), "1 + inside the ln is missing"),
        (with_local(sigmoid, value=math.exp), "the ln of 1 + e^x is missing"),
        (with_local(sigmoid, value=sigmoid), "which is softplus's derivative"),
        (with_local(sigmoid, value=lambda x: math.log1p(math.exp(x)) - 1), "softplus(-2) is too low"),
        (lambda x: Value(math.log1p(math.exp(x.data))), "must list x as its child"),
        (lambda x: Value(math.log1p(math.exp(x.data)), (x,), (), "softplus"), "give one per child"),
        (lambda x: math.log1p(math.exp(x.data)), "not a float"),
        (lambda x: x, "returned x itself"),
        (lambda x: math.log1p(math.exp(x)), "raised TypeError"),
    ],
)
def test_softplus_mistakes_get_their_hint(softplus, hint, said):
    assert not ex.check_softplus(softplus)
    text = said()
    assert text.startswith("✗ not yet") and hint in text, text
    for x in ex.SOFTPLUS_POINTS:  # no right value or slope is given away
        assert not shows_number(text, math.log1p(math.exp(x))) and not shows_number(text, sigmoid(x))


def test_softplus_from_another_value_class_is_pointed_to_nnzero(said):
    class Value:  # the learner's own class, same name
        def __init__(self, data, children=(), local_grads=(), op=""):
            self.data, self.children, self.local_grads, self.op = data, children, local_grads, op

    assert not ex.check_softplus(lambda x: Value(math.log1p(math.exp(x.data)), (x,), (sigmoid(x.data),)))
    assert "your own class" in said()


# --- 3. backpropagation by hand through L = o·o, o = tanh(x·w + b)

RIGHT = {"o": 1.2, "n": 0.768, "x*w": 0.768, "b": 0.768, "x": 0.384, "w": 1.536}


def test_the_reference_gradients_are_the_hand_computed_ones():
    assert ex.backprop_solution() == pytest.approx(RIGHT, rel=1e-12)
    # and a finite difference agrees with them
    def loss(x, w, b):
        return math.tanh(x * w + b) ** 2

    h, point = 1e-6, {"x": ex.X, "w": ex.W, "b": ex.B}
    for name in ("x", "w", "b"):
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        assert (loss(**up) - loss(**down)) / (2 * h) == pytest.approx(RIGHT[name], rel=1e-6)


def test_rounded_gradients_pass(said):
    assert ex.check_backprop({k: round(v, 3) for k, v in RIGHT.items()} | {"L": 1.0})


@pytest.mark.parametrize(
    "node, wrong, hint",
    [
        ("o", 0.6, "o is used twice"),
        ("o", -1.2, "sign is flipped"),
        ("o", 1.0, "gradient of the output L itself"),
        ("o", 2.0, "dL/do is too high"),
        ("n", 0.64, "tanh's local derivative alone"),
        ("n", 1.2, "through tanh unchanged"),
        ("n", 1.2 * 0.4, "not 1 − o"),
        ("n", 1.2 * (1 - math.log(2) ** 2), "not its input n"),
        ("n", -0.768, "sign is flipped"),
        ("x*w", -0.768, "a sum passes the gradient"),
        ("x*w", 1.0, "+'s local derivative alone"),
        ("b", 0.0, "dL/db is too low"),
        ("x", 1.536, "the other factor, w, not x itself"),
        ("x", 0.5, "local derivative of x·w alone"),
        ("x", 0.768, "through unchanged"),
        ("x", -0.384, "sign is flipped"),
        ("w", 0.384, "the other factor, x, not w itself"),
        ("w", 2.0, "local derivative of x·w alone"),
        ("w", 3.0, "dL/dw is too high"),
    ],
)
def test_backprop_names_the_wrong_node_and_what_went_wrong(node, wrong, hint, said):
    grads = dict(RIGHT, **{node: wrong})
    assert not ex.check_backprop(grads)
    text = said()
    label = f"dL/d({node})" if len(node) > 1 else f"dL/d{node}"
    assert text.startswith(f"✗ not yet: {label}") and hint in text, text
    for right in set(RIGHT.values()):
        assert not shows_number(text, right)


def test_backprop_blames_the_first_wrong_node_from_the_output_back(said):
    # assigning instead of adding at o halves everything below it: o is the one to fix
    halved = {k: v / 2 for k, v in RIGHT.items()}
    assert not ex.check_backprop(halved)
    assert said().startswith("✗ not yet: dL/do: you kept one of the two contributions")


@pytest.mark.parametrize(
    "grads, hint",
    [
        ([1.2, 0.768], "give grads as a dict"),
        (dict(RIGHT, w=None), "'w' still missing"),
        ({"o": 1.2}, "still missing"),
        (dict(RIGHT, x="0.384?"), "dL/dx: give a number"),
        (dict(RIGHT, x=True), "dL/dx: give a number"),
    ],
)
def test_backprop_malformed_answers_are_explained(grads, hint, said):
    assert not ex.check_backprop(grads)
    assert hint in said()
