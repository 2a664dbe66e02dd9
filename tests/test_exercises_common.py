import math

import pytest

from nnzero.exercises import check_number, verdict


def test_verdict_prints_one_line_and_returns_the_outcome(capsys):
    assert verdict(True, "the slope is 14")
    assert not verdict(False, "expected 14, got 13")
    assert capsys.readouterr().out.splitlines() == ["✓ correct: the slope is 14", "✗ not yet: expected 14, got 13"]


def ask(answer, **kwargs):
    settings = dict(what="the loss", right_why="ln 27", hints=[(math.log10(27), "log base 10")], otherwise="try -ln(1/27)")
    return check_number(answer, math.log(27), **{**settings, **kwargs})


@pytest.mark.parametrize(
    "answer, ok, said",
    [
        (3.2958, True, "✓ correct: ln 27"),  # within the relative tolerance of ln 27 = 3.29584
        ("3.29584", True, "✓ correct: ln 27"),
        (1.4314, False, "✗ not yet: log base 10"),
        (3.0, False, "✗ not yet: 3 is not it: try -ln(1/27)"),
        ("three", False, "✗ not yet: give the loss as a number, not 'three'"),
        (True, False, "✗ not yet: give the loss as a number, not True"),
        (float("nan"), False, "✗ not yet: give the loss as a number, not nan"),
    ],
)
def test_a_number_answer(capsys, answer, ok, said):
    assert bool(ask(answer)) is ok
    assert capsys.readouterr().out.strip() == said


@pytest.mark.parametrize(
    "answer, ok, said",
    [
        (11_897, True, "✓ correct: all of them"),
        (11_897.0, True, "✓ correct: all of them"),
        (11_896, False, "✗ not yet: 11,896 is not it: add them up"),
        (11_897.5, False, "✗ not yet: give the count as a whole number, not 11897.5"),
        (float("inf"), False, "✗ not yet: give the count as a whole number, not inf"),
        (None, False, "✗ not yet: give the count as a whole number, not None"),
    ],
)
def test_a_whole_number_answer_must_match_exactly(capsys, answer, ok, said):
    assert bool(check_number(answer, 11_897, what="the count", whole=True, right_why="all of them", otherwise="add them up")) is ok
    assert capsys.readouterr().out.strip() == said


# The machinery every exercise shares: the verdict shows once, an unanswered stub gets one
# line, a worked solution is one call away.

import importlib
import json
import pkgutil
import re
from pathlib import Path

from IPython.core.formatters import DisplayFormatter

import nnzero.exercises
from nnzero.exercises import NOT_ANSWERED, exercise_check, solution
from nnzero.source import Source


def a_worked_solution():
    """Twice three is six."""
    return 2 * 3


@exercise_check(solution=a_worked_solution)
def check_six(answer):
    try:
        value = answer() if callable(answer) else answer
    except Exception as error:  # as the lessons' checks do with a learner's bug
        return verdict(False, f"your function raised {type(error).__name__}")
    return verdict(value == 6, "six")


def test_a_verdict_is_true_when_right_and_a_notebook_shows_nothing_more(said):
    assert check_six(6) and not check_six(5)
    assert said().splitlines() == ["✓ correct: six", "✗ not yet: six"]
    # What IPython would put under the cell: nothing (no True or False echoed).
    assert DisplayFormatter().format(check_six(6)) == ({}, {})
    assert repr(check_six(5)) == "✗ not yet: six"


def not_written():
    raise NotImplementedError("your code here")


@pytest.mark.parametrize("stub", [None, not_written], ids=["a value left None", "a function that raises NotImplementedError"])
def test_an_unanswered_exercise_says_so_and_nothing_else(said, stub):
    assert not check_six(stub)
    assert said() == NOT_ANSWERED


def test_a_learners_other_errors_still_reach_the_check(said):
    assert not check_six(lambda: 1 / 0)
    assert said() == "✗ not yet: your function raised ZeroDivisionError"


def test_solution_shows_the_worked_solution_from_its_code():
    shown = solution(check_six)
    assert isinstance(shown, Source)
    assert "return 2 * 3" in shown.code and "Twice three is six." in shown.code
    assert "tests/test_exercises_common.py" in shown.where or "test_exercises_common.py" in shown.where


def test_solution_of_something_that_is_not_a_check_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"^print has no worked solution: pass the check of an exercise") as refused:
        solution(print)
    assert "\n" not in str(refused.value)


def exercise_modules():
    package = nnzero.exercises
    return [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)]


def test_every_check_in_every_lesson_treats_an_unanswered_stub_alike():
    checks = [
        getattr(module, name)
        for module in exercise_modules()
        for name in dir(module)
        if name.startswith("check_") and getattr(getattr(module, name), "__module__", None) == module.__name__
    ]
    assert len(checks) > 30
    undecorated = [c.__qualname__ for c in checks if not hasattr(c, "solution")]
    assert not undecorated, f"decorate these with @exercise_check(...): {undecorated}"


@pytest.mark.parametrize("blank", [{"a": None, "b": None}, [None, None], (None,)], ids=["dict", "list", "tuple"])
def test_a_table_handed_out_blank_is_unanswered(said, blank):
    assert not check_six(blank)
    assert said() == NOT_ANSWERED


@pytest.mark.parametrize("partly", [{"a": 6, "b": None}, [None, 6]], ids=["dict", "list"])
def test_a_table_partly_filled_in_goes_to_the_check(said, partly):
    assert not check_six(partly)  # the check itself says what is missing
    assert said() == "✗ not yet: six"


LESSONS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
# The exercises some lessons must keep: a check that drops out of one of these lessons fails here.
LESSON_CHECKS = {
    "03_makemore_bigram": {"check_trigram_counts", "check_trigram_probs", "check_trigram_nll"},
    "08_makemore_rnn": {"check_sequence_row", "check_rnn_cell", "check_backprop_through_time", "check_steps_to_shrink"},
    "09_makemore_lstm": {"check_lstm_parameter_count", "check_memory_left", "check_lstm_step"},
    "10_makemore_gru": {"check_gru_step", "check_gru_parameter_count", "check_gradient_through_gate"},
    "11_makemore_transformer": {"check_recency_scores", "check_init_score_std", "check_model_parameters", "check_packed_mask"},
    "14_lr_experiments": {"check_smoothed_losses", "check_welch_t"},
    "15_lr_prediction": {"check_areas", "check_steps_to_reach"},
}


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda path: path.stem)
def test_every_check_a_lesson_uses_shows_a_worked_solution(notebook):
    code = "\n".join("".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code")
    modules = [importlib.import_module(name) for name in re.findall(r"from (nnzero\.exercises\.\w+) import", code)]
    used = set(re.findall(r"\b(check_\w+)\(", code))
    if notebook.stem in LESSON_CHECKS:
        assert used == LESSON_CHECKS[notebook.stem]
    for name in used:
        (check,) = {getattr(module, name) for module in modules if hasattr(module, name)}
        assert check.solution is not None and check.solution.__doc__, name
        assert f"# solution({name})" in code, name
        assert check.solution.__name__ in solution(check).code, name
