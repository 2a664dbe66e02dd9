import math

import pytest

from nnzero.exercises import check_number, verdict


def test_verdict_prints_one_line_and_returns_the_outcome(capsys):
    assert verdict(True, "the slope is 14") is True
    assert verdict(False, "expected 14, got 13") is False
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
        (float("nan"), False, "✗ not yet: nan is not it: try -ln(1/27)"),
    ],
)
def test_a_number_answer(capsys, answer, ok, said):
    assert ask(answer) is ok
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
    assert check_number(answer, 11_897, what="the count", whole=True, right_why="all of them", otherwise="add them up") is ok
    assert capsys.readouterr().out.strip() == said
