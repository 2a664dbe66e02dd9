"""Checks for the exercises of lesson 15 (predicting a schedule's loss). Each prints one
verdict line and returns a Verdict (true when right).

    check_areas(areas)                          the forward and annealing areas of a schedule
    check_steps_to_reach(steps, law, target)    when the law says a constant rate reaches a loss
"""

import math

from nnzero.exercises import Verdict, check_number, exercise_check, verdict
from nnzero.lr import law as L


def areas(multipliers, decay):
    """Worked solution: S1 adds up the multipliers; S2 adds up a momentum that, at every step, fades
    by ``decay`` and takes in the drop from the step before, ``eta_(t-1) - eta_t`` (none at the first)."""
    s1, s2, total, momentum, area = [], [], 0.0, 0.0, 0.0
    for t, eta in enumerate(multipliers):
        total += eta
        momentum = decay * momentum + (multipliers[t - 1] - eta if t else 0.0)
        area += momentum
        s1.append(total)
        s2.append(area)
    return s1, s2


_CASES = [([1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.0], 0.9), ([0.2, 0.6, 1.0, 1.0, 0.8, 0.4, 0.1, 0.0], 0.99)]


@exercise_check(solution=areas)
def check_areas(candidate) -> Verdict:
    """Exercise (15): ``areas(multipliers, decay)`` returns ``(S1, S2)``, two lists with the
    forward area and the annealing area after each step."""
    for multipliers, decay in _CASES:
        try:
            got_s1, got_s2 = (list(map(float, part)) for part in candidate(list(multipliers), decay))
        except Exception as error:
            return verdict(False, f"areas({multipliers}, {decay}) raised {type(error).__name__}: {error}")
        want_s1, want_s2 = (part.tolist() for part in L.areas(multipliers, decay))
        if len(got_s1) != len(want_s1) or len(got_s2) != len(want_s2):
            return verdict(False, f"return one value per step in each list: {len(want_s1)}, not {len(got_s1)} and {len(got_s2)}")
        if not all(math.isclose(g, w, abs_tol=1e-9) for g, w in zip(got_s1, want_s1)):
            return verdict(False, f"S1 should be the running sum of the multipliers: {want_s1[:4]}..., not {got_s1[:4]}...")
        if all(math.isclose(g, w, abs_tol=1e-9) for g, w in zip(got_s2, want_s2)):
            continue
        drops = [0.0] + [a - b for a, b in zip(multipliers, multipliers[1:])]
        no_memory = [sum(drops[: i + 1]) for i in range(len(drops))]
        if all(math.isclose(g, w, abs_tol=1e-9) for g, w in zip(got_s2, no_memory)):
            return verdict(False, "that adds up the drops themselves: S2 adds up the MOMENTUM m, which keeps each drop and fades it by decay")
        rises_dropped = areas([min(multipliers[: i + 1]) for i in range(len(multipliers))], decay)[1]
        if all(math.isclose(g, w, abs_tol=1e-9) for g, w in zip(got_s2, rises_dropped)):
            return verdict(False, "a rise of the rate counts too, as a negative drop: eta_(t-1) - eta_t, whatever its sign")
        first = next(i for i, (g, w) in enumerate(zip(got_s2, want_s2)) if not math.isclose(g, w, abs_tol=1e-9))
        return verdict(False, f"S2 after step {first + 1} is {want_s2[first]:.6f}, not {got_s2[first]:.6f}: "
                              "m = decay * m + (eta_(t-1) - eta_t), then S2 = S2 + m")
    return verdict(True, "S1 sums the rate, S2 sums a fading momentum of its drops: the two areas the law reads")


def steps_to_reach(law, target):
    """Worked solution: with a constant rate (no warmup) S1 after s steps is s and S2 is 0, so the law
    is ``L0 + A * s ** -alpha``; set it equal to the target and solve: ``s = ((target - L0) / A) ** (-1 / alpha)``."""
    return ((target - law.L0) / law.A) ** (-1 / law.alpha)


@exercise_check(solution=steps_to_reach)
def check_steps_to_reach(steps, law, target) -> Verdict:
    """Exercise (15): after how many steps at a constant rate does ``law`` predict the loss
    ``target``? (Within 1%.)"""
    if not target > law.L0:
        raise ValueError(f"check_steps_to_reach: the law never goes below L0 = {law.L0:.4f}; pick a target above it")
    right = steps_to_reach(law, target)
    hints = [
        (((target - law.L0) / law.A) ** (1 / law.alpha), "the exponent's sign: S1 ** -alpha = (target - L0) / A, so S1 = (...) ** (-1 / alpha)"),
        ((target / law.A) ** (-1 / law.alpha), "subtract L0 first: it is the loss the law approaches, not part of the power law"),
    ]
    return check_number(steps, right, what="the number of steps", rel_tol=0.01, hints=hints,
                        right_why=f"s = ((target - L0) / A) ** (-1 / alpha) = {right:,.0f} steps",
                        otherwise="with a constant rate, S1 = s and S2 = 0: solve L0 + A * s ** -alpha = target for s")
