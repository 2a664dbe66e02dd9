"""Checks for the exercises of lesson 13 (learning-rate schedules). Each prints one
verdict line and returns a Verdict (true when right).

    check_stability_bound(lr, curvature=4.0)          the largest rate gradient descent survives on a quadratic
    check_warmup_cosine(fn)                           warmup + cosine to a floor, written from its formula
    check_one_cycle_rate(rate, step)                  torch's OneCycleLR rate at one step, predicted by hand
    check_plateau(fn)                                 ReduceLROnPlateau's rule with its cooldown, written by hand
    check_decay_shrink(factor)                        how far AdamW's weight decay alone shrinks a weight over a schedule
"""

import math

import torch

from nnzero.exercises import Verdict, as_number, check_number, exercise_check, verdict
from nnzero import schedules as S


def stability_bound(curvature: float = 10.0) -> float:
    """Worked solution: one step of gradient descent on ``f(x) = curvature * x**2 / 2`` is
    ``x <- x - lr * curvature * x = (1 - lr * curvature) * x``. The descent converges when that
    factor is smaller than 1 in size, ``-1 < 1 - lr * curvature < 1``, i.e. ``0 < lr < 2 / curvature``.
    For ``f(x) = 5 x**2`` the curvature is 10, so the bound is 0.2."""
    return 2 / curvature


@exercise_check(solution=stability_bound)
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


def warmup_cosine_multiplier(step, max_steps, warmup_steps, floor):
    """Worked solution: the warmup rises as ``(t + 1) / (W + 1)``; from step ``W`` a half cosine
    runs from 1 to the floor over ``max_steps - W`` steps, its progress held at 1 after ``max_steps``."""
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    progress = min(step - warmup_steps, max_steps - warmup_steps) / (max_steps - warmup_steps)
    return floor + (1 - floor) * (1 + math.cos(math.pi * progress)) / 2


@exercise_check(solution=warmup_cosine_multiplier)
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


def one_cycle_rate(step: int = 649, max_lr: float = 0.01, total_steps: int = 1000) -> float:
    """Worked solution: with torch's defaults the rate starts at ``max_lr / 25``, rises along a half
    cosine to ``max_lr`` at step ``0.3 * total_steps - 1`` (299), then falls along another half
    cosine to ``max_lr / 25 / 1e4`` at the last step, ``total_steps - 1`` (999). Find the phase,
    how far along it the step is (``x``), and interpolate ``end + (start - end) * (1 + cos(pi x)) / 2``.
    Step 649 is halfway down (x = 350/700), so its rate is the mean of 0.01 and 4e-8."""
    peak_step, last = 0.3 * total_steps - 1, total_steps - 1
    initial, final = max_lr / 25, max_lr / 25 / 1e4
    if step <= peak_step:
        start, end, x = initial, max_lr, step / peak_step
    else:
        start, end, x = max_lr, final, (step - peak_step) / (last - peak_step)
    return end + (start - end) * (1 + math.cos(math.pi * x)) / 2


@exercise_check(solution=one_cycle_rate)
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


# ---------------------------------------------------------------------------------------
# ReduceLROnPlateau with its cooldown (lesson 13, section 8.1)


def plateau_rates(losses, lr, factor, patience, cooldown, threshold=1e-4):
    """Worked solution: the rate in force after each evaluation, by torch's ReduceLROnPlateau rule.

    A loss is an improvement when it is below ``best * (1 - threshold)`` (a relative
    threshold). Evaluations that are not improvements are counted; when the count
    exceeds ``patience`` the rate is multiplied by ``factor`` and the count starts again.
    For ``cooldown`` evaluations after a cut the count is held at 0 (the best loss is
    still tracked), so the model gets time to use the new rate before it is judged.
    """
    best, bad, cooling, rates = math.inf, 0, 0, []
    for loss in losses:
        if loss < best * (1 - threshold):
            best, bad = loss, 0
        else:
            bad += 1
        if cooling > 0:  # in the cooldown: count down, ignore the bad evaluations
            cooling -= 1
            bad = 0
        if bad > patience:
            lr, bad, cooling = lr * factor, 0, cooldown
        rates.append(lr)
    return rates


def _plateau_variant(losses, lr, factor, patience, cooldown, threshold, mistake):
    """The rule with one typical mistake, to name it when a learner's rates match it."""
    best, bad, cooling, rates = math.inf, 0, 0, []
    for loss in losses:
        better = loss < best - threshold if mistake == "absolute" else loss < best * (1 - threshold)
        if better:
            best, bad = loss, 0
        else:
            bad += 1
        if cooling > 0 and mistake != "no cooldown":
            cooling -= 1
            if mistake != "cooldown counts":
                bad = 0
        if (bad >= patience if mistake == "early" else bad > patience) and (mistake != "cooldown counts" or cooling == 0):
            lr, bad, cooling = lr * factor, 0, cooldown
            if mistake == "reset best":
                best = loss
        rates.append(lr)
    return rates


def _torch_plateau_rates(losses, lr, factor, patience, cooldown, threshold):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=factor, patience=patience,
                                                           cooldown=cooldown, threshold=threshold)
    rates = []
    for loss in losses:
        scheduler.step(loss)
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


# (losses, lr, factor, patience, cooldown, threshold): falls, stalls, improves by less than
# the threshold, improves again, and stalls for good
_PLATEAU_CASES = [
    ([3.0, 2.6, 2.4, 2.35, 2.36, 2.35, 2.37, 2.34, 2.36, 2.35, 2.35, 2.33, 2.34, 2.34, 2.35, 2.34, 2.34, 2.34, 2.34, 2.34],
     0.1, 0.5, 2, 2, 1e-4),
    ([2.0, 2.0, 1.9985, 1.9999, 2.0, 1.9, 1.95, 1.92, 1.93, 1.94, 1.95, 1.96, 1.97, 1.98], 0.01, 0.1, 1, 3, 1e-3),
    ([5.0, 4.0, 4.6, 4.6, 4.5, 4.5, 4.4, 4.5, 3.9, 4.5, 4.5, 4.5, 4.5, 4.5], 1.0, 0.3, 1, 1, 1e-4),
    ([2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3], 0.003, 0.5, 0, 2, 1e-4),
]

def _same_rates(got, want):
    return all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15) for a, b in zip(got, want))


_PLATEAU_MISTAKES = {
    "no cooldown": "the cooldown is missing: for `cooldown` evaluations after a cut, hold the count of bad evaluations at 0",
    "cooldown counts": "during the cooldown the bad evaluations must not pile up: set the count to 0 at each of them, "
                       "so the next cut needs patience + 1 bad evaluations AFTER the cooldown",
    "early": "one evaluation early: cut when the count of bad evaluations EXCEEDS patience, not when it reaches it",
    "absolute": "the threshold is relative: an improvement is a loss below best * (1 - threshold), not below best - threshold",
    "reset best": "keep the best loss across a cut: torch does not reset it, so a run must beat its old best",
}


@exercise_check(solution=plateau_rates)
def check_plateau(fn) -> Verdict:
    """Exercise (13): ``fn(losses, lr, factor, patience, cooldown, threshold)`` returns the rate in
    force after each evaluation (a list as long as ``losses``), as torch's ``ReduceLROnPlateau``
    (mode "min", relative threshold) sets it. Checked against torch on a few loss sequences."""
    answers = []
    for losses, lr, factor, patience, cooldown, threshold in _PLATEAU_CASES:
        args = (list(losses), lr, factor, patience, cooldown, threshold)
        try:
            got = fn(*args)
        except Exception as error:  # the learner's code: report, don't crash the lesson
            return verdict(False, f"fn raised {type(error).__name__}: {error}")
        try:
            got = [float(rate) for rate in got]
        except (TypeError, ValueError):
            return verdict(False, f"fn returned {type(got).__name__}; return a list of rates, one per evaluation")
        if len(got) != len(losses):
            return verdict(False, f"fn returned {len(got)} rates for {len(losses)} evaluations; return one rate after each")
        answers.append((args, got))
    for mistake, why in _PLATEAU_MISTAKES.items():  # a mistake is named when it explains every sequence
        if all(_same_rates(got, _plateau_variant(*args, mistake)) for args, got in answers):
            return verdict(False, why)
    for args, got in answers:
        want = _torch_plateau_rates(*args)
        if _same_rates(got, want):
            continue
        _, _, _, patience, cooldown, threshold = args
        first = next(i for i, (a, b) in enumerate(zip(got, want)) if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15))
        side = "too high" if got[first] > want[first] else "too low"
        return verdict(False, f"with patience={patience}, cooldown={cooldown}, threshold={threshold}, the rate after evaluation "
                              f"{first} (counting from 0) is {side}; reread section 8.1 and follow the rule one evaluation at a time")
    return verdict(True, "the same rates as torch's ReduceLROnPlateau: count the evaluations that miss best * (1 - threshold), "
                         "cut when the count exceeds patience, then hold it at 0 for the cooldown")


# ---------------------------------------------------------------------------------------
# AdamW's weight decay follows the learning rate (lesson 13, section 8.7)


def decay_shrink(peak: float = 3e-3, weight_decay: float = 0.1, max_steps: int = 5000, warmup_steps: int = 250) -> float:
    """Worked solution: torch's AdamW multiplies every weight by ``1 - lr_t * weight_decay`` at
    every step, with ``lr_t = peak * m(t)`` the scheduled rate. A weight whose gradient is 0
    (so Adam's own step is 0) is only decayed; after the run it is the product of those
    factors. (Since every factor is close to 1 this is about ``exp(-weight_decay * sum of
    lr_t)``, and the sum of a warmup + cosine to 0 is about half of ``peak * max_steps``.)
    """
    schedule = S.warmup_cosine(max_steps, warmup_steps)
    factor = 1.0
    for step in range(max_steps):
        factor *= 1 - peak * schedule(step) * weight_decay
    return factor


@exercise_check(solution=decay_shrink)
def check_decay_shrink(factor, peak: float = 3e-3, weight_decay: float = 0.1, max_steps: int = 5000, warmup_steps: int = 250) -> Verdict:
    """Exercise (13): torch's AdamW at a peak rate ``peak`` with ``weight_decay``, its rate following
    ``warmup_cosine(max_steps, warmup_steps)`` (to 0). A weight whose gradient is always 0:
    by what factor has it shrunk after the run (its final value over its first)?"""
    right = decay_shrink(peak, weight_decay, max_steps, warmup_steps)
    constant = (1 - peak * weight_decay) ** max_steps
    hints = [
        (constant, "that is the shrink at a CONSTANT rate; here the decay follows the schedule, which averages about half the peak"),
        (1 - right, "that is the part of the weight that is taken away; give the factor that remains"),
        (1 - constant, "that is the part taken away at a constant rate; give the factor that remains, under the schedule"),
        (1 - weight_decay, "that is one step without the rate; torch's AdamW multiplies weight_decay by the rate lr_t at every step"),
        (math.exp(-weight_decay * max_steps / 2), "torch's AdamW multiplies weight_decay by the rate lr_t, not by the multiplier m(t) alone"),
    ]
    if as_number(factor) == 0.0:
        return verdict(False, "0 would be (1 - weight_decay) ** steps: torch's AdamW multiplies weight_decay by the rate lr_t, so each step takes far less")
    return check_number(
        factor, right, what="the factor", hints=hints,
        right_why="the product of (1 - peak * m(t) * weight_decay) over the run, about exp(-weight_decay * the sum of the rates)",
        otherwise="each step multiplies the weight by (1 - lr_t * weight_decay), with lr_t = peak * m(t); multiply those over the run (section 8.7)",
    )
