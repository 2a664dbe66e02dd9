"""Checks for the exercises of lesson 13 (learning-rate schedules). Each prints one
verdict line and returns a Verdict (true when right).

    check_stability_bound(lr, curvature=4.0)          the largest rate gradient descent survives on a quadratic
    check_warmup_cosine(fn)                           warmup + cosine to a floor, written from its formula
    check_one_cycle_rate(rate, step)                  torch's OneCycleLR rate at one step, predicted by hand
"""

import math

from nnzero.exercises import Verdict, as_number, check_number, exercise_check, verdict
from nnzero import schedules as S



@exercise_check()
def check_stability_bound(lr, curvature: float = 4.0) -> Verdict:
    """Exercise (13): gradient descent on ``f(x) = curvature * x**2 / 2`` converges for every
    rate below a bound and diverges above it. ``lr`` is your bound."""
    if not (isinstance(curvature, (int, float)) and curvature > 0):
        raise ValueError(f"curvature must be a positive number, not {curvature!r}")
    right = 2 / curvature
    hints = [
        (1 / curvature, "that is the rate that lands on the minimum in ONE step; above it x overshoots and oscillates, but still converges for a while"),
        (curvature / 2, "upside down: a sharper valley (larger curvature) needs a SMALLER rate"),
        (2 * curvature, "upside down: a sharper valley (larger curvature) needs a SMALLER rate"),
        (1 / (2 * curvature), "too small: write the step as x <- (1 - lr * curvature) * x and ask when |1 - lr * curvature| < 1"),
    ]
    return check_number(
        lr, right, what="the bound", hints=hints,
        right_why=f"x is multiplied by (1 - lr * {curvature:g}) each step; |1 - lr * {curvature:g}| < 1 until lr = 2 / {curvature:g} = {right:.4g}",
        otherwise=f"one step multiplies x by (1 - lr * {curvature:g}); for which rates is that factor's size below 1?",
    )


# Runs the learner's function is checked on: (max_steps, warmup_steps, floor).
_WARMUP_COSINE_CASES = [(100, 10, 0.1), (40, 7, 0.0), (30, 0, 0.25)]


@exercise_check()
def check_warmup_cosine(fn) -> Verdict:
    """Exercise (13): ``fn(step, max_steps, warmup_steps, floor)`` returns the multiplier of
    :func:`nnzero.lr.warmup_cosine` with its default start: ``(t + 1) / (W + 1)`` while
    ``t < W``, then a half cosine from 1 at step ``W`` down to ``floor`` at ``max_steps``,
    and ``floor`` from then on. Checked on a few runs, at every step and 10 beyond the end."""
    for max_steps, warmup_steps, floor in _WARMUP_COSINE_CASES:
        schedule = S.warmup_cosine(max_steps, warmup_steps, floor)
        for step in range(max_steps + 11):
            try:
                got = fn(step, max_steps, warmup_steps, floor)
            except Exception as error:  # the learner's code: report, don't crash the lesson
                return verdict(False, f"fn({step}, {max_steps}, {warmup_steps}, {floor}) raised {type(error).__name__}: {error}")
            got_number = as_number(got)
            if got_number is None:
                return verdict(False, f"fn({step}, {max_steps}, {warmup_steps}, {floor}) returned {got!r}; return the multiplier, a number")
            want = schedule(step)
            if math.isclose(got_number, want, rel_tol=1e-9, abs_tol=1e-12):
                continue
            return verdict(False, _warmup_cosine_hint(step, got_number, want, max_steps, warmup_steps, floor))
    return verdict(True, "linear warmup from 1/(W+1), a half cosine from 1 at step W to the floor at max_steps, then the floor held")


def _warmup_cosine_hint(step, got, want, max_steps, warmup_steps, floor):
    side = "too high" if got > want else "too low"
    where = f"with max_steps={max_steps}, warmup_steps={warmup_steps}, floor={floor}: step {step} gives {got:.6g}, {side}"
    if step < warmup_steps:
        if got == 0:
            return f"{where}. A multiplier of 0 wastes a step: start at 1/(W+1) and rise as (t+1)/(W+1)"
        if math.isclose(got, step / warmup_steps, rel_tol=1e-9, abs_tol=1e-12):
            return f"{where}. That is t/W; the warmup here is (t+1)/(W+1), never 0 and 1 exactly at t = W"
        return f"{where}. While t < W the multiplier is (t+1)/(W+1)"
    if step > max_steps:
        return f"{where}. After max_steps hold the floor (torch's cosine would climb back up; ours does not)"
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    if math.isclose(got, (1 + math.cos(math.pi * progress)) / 2, rel_tol=1e-9, abs_tol=1e-12):
        return f"{where}. The cosine should end at the floor: floor + (1 - floor) * (1 + cos(pi * x)) / 2"
    if math.isclose(got, floor + (1 - floor) * (1 + math.cos(math.pi * step / max_steps)) / 2, rel_tol=1e-9, abs_tol=1e-12):
        return f"{where}. Measure the cosine's progress from the end of the warmup: x = (t - W) / (max_steps - W)"
    return f"{where}. From step W: floor + (1 - floor) * (1 + cos(pi * (t - W) / (max_steps - W))) / 2"


@exercise_check()
def check_one_cycle_rate(rate, step: int, max_lr: float = 0.01, total_steps: int = 1000) -> Verdict:
    """Exercise (13): the rate that ``OneCycleLR(optimizer, max_lr, total_steps)``, with torch's
    defaults (``pct_start=0.3``, ``div_factor=25``, ``final_div_factor=1e4``, cosine
    annealing), gives the optimizer step ``step`` (counting from 0)."""
    schedule = S.one_cycle(total_steps)
    if not isinstance(step, int) or not 0 <= step < total_steps:
        raise ValueError(f"step must be a whole number from 0 to {total_steps - 1}, not {step!r}")
    right = max_lr * schedule(step)
    answer = as_number(rate)
    if answer is None:
        return verdict(False, f"give the rate as a number, not {type(rate).__name__}")
    if math.isclose(answer, right, rel_tol=1e-4):
        return verdict(True, f"step {step} of {total_steps}: {right:.6g} (the multiplier {schedule(step):.6g} times max_lr {max_lr:g})")
    peak_step = 0.3 * total_steps - 1
    initial, final = max_lr / 25, max_lr / 25 / 1e4
    off_by_one = S.one_cycle(total_steps + 1)(step) * max_lr  # the peak and the end one step later
    hints = [
        (schedule(step), f"that is the multiplier of the peak; the rate is it times max_lr = {max_lr:g}"),
        (initial if step == total_steps - 1 else math.nan, "that is where the run STARTS (max_lr / div_factor); it ends final_div_factor = 1e4 times lower"),
        (max_lr / 1e4 if step == total_steps - 1 else math.nan, "the end is the START divided by final_div_factor: max_lr / 25 / 1e4"),
        (off_by_one, f"off by one: the peak is at step pct_start * total_steps - 1 = {peak_step:g} and the end at total_steps - 1"),
    ]
    for wrong, why in hints:
        if math.isclose(answer, wrong, rel_tol=1e-4):
            return verdict(False, why)
    if answer == 0:
        return verdict(False, f"one-cycle never reaches 0: it ends at max_lr / 25 / 1e4 = {final:.3g}")
    phase = "rising from max_lr / 25 to max_lr" if step <= peak_step else "falling from max_lr to max_lr / 25 / 1e4"
    return verdict(False, f"{answer:.6g} is not it: step {step} is in the phase {phase}, along a half cosine (peak at step {peak_step:g}, end at step {total_steps - 1})")
