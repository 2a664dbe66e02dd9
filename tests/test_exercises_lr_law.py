"""The exercise checks of lesson 15: the worked solutions pass, the usual mistakes are named."""

import math

import pytest

from nnzero.exercises import lr_law as ex
from nnzero.lr.law import Law, areas


def test_the_worked_solution_of_the_areas_passes_and_equals_the_package(said):
    assert ex.check_areas(ex.areas)
    s1, s2 = ex.areas([1.0, 0.5, 0.5, 0.75], 0.9)
    assert s1 == pytest.approx(areas([1.0, 0.5, 0.5, 0.75], 0.9)[0].tolist())
    assert s2 == pytest.approx(areas([1.0, 0.5, 0.5, 0.75], 0.9)[1].tolist())


def no_memory(multipliers, decay):
    s1 = [sum(multipliers[: i + 1]) for i in range(len(multipliers))]
    drops = [0.0] + [a - b for a, b in zip(multipliers, multipliers[1:])]
    return s1, [sum(drops[: i + 1]) for i in range(len(drops))]


def rises_left_out(multipliers, decay):
    s1 = [sum(multipliers[: i + 1]) for i in range(len(multipliers))]
    return s1, ex.areas([min(multipliers[: i + 1]) for i in range(len(multipliers))], decay)[1]


@pytest.mark.parametrize("wrong, reason", [(no_memory, "MOMENTUM"), (rises_left_out, "negative drop")])
def test_typical_mistakes_in_the_areas_are_named(said, wrong, reason):
    assert not ex.check_areas(wrong)
    assert reason in said()


def test_steps_to_reach_solves_the_power_law(said):
    law = Law(L0=1.8, A=1.5, alpha=0.3, C=1e-3)
    steps = ex.steps_to_reach(law, 2.05)
    assert law.predict([1.0] * math.ceil(steps), [math.ceil(steps)])[0] == pytest.approx(2.05, abs=1e-3)
    assert ex.check_steps_to_reach(steps, law, 2.05)
    assert not ex.check_steps_to_reach(((2.05 - 1.8) / 1.5) ** (1 / 0.3), law, 2.05) and "exponent" in said()
    with pytest.raises(ValueError, match="never goes below L0"):
        ex.check_steps_to_reach(10, law, 1.7)
