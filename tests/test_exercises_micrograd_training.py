"""The exercise checks of lesson 02: every worked solution passes, an unanswered stub gets
"not answered yet" and nothing else, and the usual wrong answers get their own hint,
never the right answer."""

import inspect

import pytest

from nnzero.exercises import NOT_ANSWERED, Verdict, solution
from nnzero.exercises import micrograd_training as ex
from nnzero.micrograd import MLP, Value
from nnzero.micrograd.nn import sgd_step

CHECKS = [
    (ex.check_training_step, ex.training_step),
    (ex.check_parameter_count, ex.parameter_count),
    (ex.check_tanh_chain_gradient, ex.tanh_chain_gradient),
]


def test_every_check_in_the_module_has_a_worked_solution():
    checks = [obj for name, obj in vars(ex).items()
              if name.startswith("check_") and callable(obj) and obj.__module__ == ex.__name__]
    assert {c.__name__ for c in checks} == {c.__name__ for c, _ in CHECKS}
    for check in checks:
        assert callable(check.solution), f"{check.__name__} has no solution"
        assert inspect.getdoc(check.solution), f"{check.__name__}'s solution explains nothing"
        assert "def " in repr(solution(check))


@pytest.mark.parametrize("check, worked", CHECKS, ids=lambda c: getattr(c, "__name__", ""))
def test_the_worked_solution_passes(said, check, worked):
    answer = worked() if check is ex.check_tanh_chain_gradient else worked
    result = check(answer)
    assert isinstance(result, Verdict) and result
    assert said().startswith("✓ correct")


def stub_step(model, X, y, lr):
    raise NotImplementedError


def stub_count(nin, nouts):
    raise NotImplementedError


@pytest.mark.parametrize(
    "check, stub",
    [(ex.check_training_step, stub_step), (ex.check_training_step, None),
     (ex.check_parameter_count, stub_count), (ex.check_parameter_count, None),
     (ex.check_tanh_chain_gradient, None)],
)
def test_an_unanswered_stub_says_so_and_nothing_else(said, check, stub):
    result = check(stub)
    assert not result
    assert said() == NOT_ANSWERED


# --- the training step ---------------------------------------------------------------------


def mse(model, X, y):
    return Value.sum([(model(x) - t) ** 2 for x, t in zip(X, y)]) / len(X)


def step_in_another_order(model, X, y, lr):
    model.zero_grad()
    mse(model, X, y).backward()
    sgd_step(model.parameters(), lr)


def step_resetting_after_the_update(model, X, y, lr):
    mse(model, X, y).backward()
    sgd_step(model.parameters(), lr)
    model.zero_grad()  # late, but the next backward() still starts from zero


def step_without_zero_grad(model, X, y, lr):
    mse(model, X, y).backward()
    sgd_step(model.parameters(), lr)


def step_going_uphill(model, X, y, lr):
    model.zero_grad()
    mse(model, X, y).backward()
    sgd_step(model.parameters(), -lr)


def step_on_the_sum(model, X, y, lr):
    model.zero_grad()
    (mse(model, X, y) * len(X)).backward()
    sgd_step(model.parameters(), lr)


def step_resetting_after_backward(model, X, y, lr):
    loss = mse(model, X, y)
    loss.backward()
    model.zero_grad()
    sgd_step(model.parameters(), lr)


def step_forgetting_the_square(model, X, y, lr):
    model.zero_grad()
    (Value.sum([model(x) - t for x, t in zip(X, y)]) / len(X)).backward()
    sgd_step(model.parameters(), lr)


def step_that_crashes(model, X, y, lr):
    return model.no_such_method()


@pytest.mark.parametrize("step", [step_in_another_order, step_resetting_after_the_update])
def test_other_right_steps_pass(said, step):
    assert ex.check_training_step(step)
    assert said().startswith("✓ correct")


@pytest.mark.parametrize(
    "step, hint",
    [
        (step_without_zero_grad, "the first step was right, the second was not"),
        (step_going_uphill, "moved uphill"),
        (step_on_the_sum, "3 times too long"),
        (step_resetting_after_backward, "did not move the parameters"),
        (step_forgetting_the_square, "after step 1 a parameter is off by"),
        (step_that_crashes, "step 1 raised AttributeError"),
    ],
    ids=lambda s: getattr(s, "__name__", ""),
)
def test_a_wrong_step_gets_its_hint(said, step, hint):
    assert not ex.check_training_step(step)
    line = said()
    assert line.startswith("✗ not yet") and hint in line
    assert "\n" not in line


def test_the_check_leaves_no_shared_state_behind(said):
    """A model built by the check is fresh each time: a failed run does not spoil the next."""
    ex.check_training_step(step_without_zero_grad)
    assert ex.check_training_step(ex.training_step)
    said()
    assert [p.data for p in MLP(2, [4, 1], seed=ex.STEP_SEED).parameters()] == ex._reference_parameters(0)


# --- counting parameters -------------------------------------------------------------------


def test_the_worked_count_agrees_with_the_package():
    for nin, nouts in ex.COUNT_CASES:
        if nin * max(nouts) < 10_000:
            assert ex.parameter_count(nin, nouts) == len(MLP(nin, nouts).parameters())


def right_answers_of_the_count():
    return [str(ex.parameter_count(nin, nouts)) for nin, nouts in ex.COUNT_CASES]


def pairs(nin, nouts):
    sizes = [nin] + nouts
    return list(zip(sizes, sizes[1:]))


@pytest.mark.parametrize(
    "count, hint",
    [
        (lambda nin, nouts: sum(a * b for a, b in pairs(nin, nouts)), "weights only"),
        (lambda nin, nouts: sum(a * b + a for a, b in pairs(nin, nouts)), "one bias per input"),
        (lambda nin, nouts: ex.parameter_count(nin, nouts) + nin, "the inputs are data"),
        (lambda nin, nouts: sum((a + 1) * b for a, b in pairs(nouts[0], nouts[1:])), "the first layer is missing"),
        (lambda nin, nouts: sum((a + 1) * b for a, b in pairs(nin, nouts[:-1])), "the last layer is missing"),
        (lambda nin, nouts: sum((nin + 1) * b for b in nouts), "reads the outputs of the layer before"),
        (lambda nin, nouts: 41, "parameter_count(2, [16, 16, 1]) gave 41, which is not it"),
        (lambda nin, nouts: nin / 0, "raised ZeroDivisionError"),
        (lambda nin, nouts: "41", "returned '41'; return a whole number"),
        (lambda nin, nouts: 41.5, "returned 41.5"),
        (lambda nin, nouts: float("inf"), "returned inf"),
    ],
)
def test_a_wrong_count_gets_its_hint_and_never_the_answer(said, count, hint):
    assert not ex.check_parameter_count(count)
    line = said()
    assert line.startswith("✗ not yet") and hint in line
    shown = {n.replace(",", "") for n in line.replace(",", "").split()}
    for right in right_answers_of_the_count()[1:]:  # 41 is printed in the lesson itself
        assert right not in shown


def test_a_count_returning_floats_is_accepted(said):
    assert ex.check_parameter_count(lambda nin, nouts: float(ex.parameter_count(nin, nouts)))
    assert said().startswith("✓ correct")


# --- the gradient through a chain of tanh --------------------------------------------------

END, RIGHT = ex._tanh_chain(ex.CHAIN_LENGTH, ex.CHAIN_START)


def test_the_reference_agrees_with_backpropagation():
    assert ex.tanh_chain_gradient(1_000) == pytest.approx(ex._tanh_chain(1_000, 0.5)[1], rel=1e-12)
    assert 1e-7 < RIGHT < 1e-6


def test_a_rounded_answer_passes(said):
    assert ex.check_tanh_chain_gradient(float(f"{RIGHT:.3g}"))
    assert said().startswith("✓ correct")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (END, "the value at the end of the chain"),
        (1 - END * END, "1 is d(end)/d(end)"),  # the last tanh's local derivative, within 1e-2 of 1
        (2 * RIGHT, "backward() ran twice"),
        (1.0, "below 1 whenever its input is not 0"),
        (0, "tiny but not zero"),
        (RIGHT * 10, "is not it: build the chain from Value(start)"),
        ("small", "give the gradient as a number"),
    ],
)
def test_a_wrong_gradient_gets_its_hint_and_never_the_answer(said, answer, hint):
    assert not ex.check_tanh_chain_gradient(answer)
    line = said()
    assert line.startswith("✗ not yet") and hint in line
    for shown in (f"{RIGHT:.2e}", f"{RIGHT:.3g}", f"{RIGHT:.2g}", f"{RIGHT:.4g}"):
        assert shown not in line
