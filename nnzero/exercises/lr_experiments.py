"""Checks for the exercises of lesson 14 (learning-rate experiments). Each prints one
verdict line and returns a Verdict (true when right).

    check_smoothed_losses(smoothed)      the range test's bias-corrected moving average
    check_welch_t(t, a, b)               is a gap between two schedules bigger than the seed noise?
"""

import math
import random
import statistics

from nnzero.exercises import Verdict, exercise_check, verdict


def smoothed_losses(losses, beta):
    """Worked solution: keep the running average ``avg = beta * avg + (1 - beta) * loss``, started at
    0, and divide it after ``i + 1`` losses by ``1 - beta ** (i + 1)``, the total weight the average has
    given to real losses so far (the rest went to the 0 it started from)."""
    average, out = 0.0, []
    for i, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** (i + 1)))
    return out


_reference_smoothed = smoothed_losses


def welch_t(a, b):
    """Worked solution: the difference of the two means in units of its standard error, each mean's
    squared error being its sample variance (n - 1 in the denominator) over its number of runs."""
    return (statistics.fmean(a) - statistics.fmean(b)) / math.sqrt(
        statistics.variance(a) / len(a) + statistics.variance(b) / len(b))


def _close(got, want, tol=1e-9):
    return len(got) == len(want) and all(math.isclose(g, w, rel_tol=tol, abs_tol=tol) for g, w in zip(got, want))


@exercise_check(solution=smoothed_losses)
def check_smoothed_losses(smoothed) -> Verdict:
    """Exercise (14): ``smoothed(losses, beta)`` returns the list of bias-corrected
    exponential moving averages that ``lr_range_test`` plots:
    ``avg_i = beta * avg_{i-1} + (1 - beta) * loss_i`` (``avg_{-1} = 0``), divided by ``1 - beta ** (i + 1)``."""
    rng = random.Random(14)
    losses = [3.3 - 0.01 * i + rng.gauss(0, 0.2) for i in range(60)]
    beta = 0.9
    try:
        got = [float(value) for value in smoothed(list(losses), beta)]
    except Exception as error:  # a learner's bug: report it, never stop the notebook
        return verdict(False, f"smoothed(losses, {beta}) raised {type(error).__name__}: {error}")
    want = _reference_smoothed(losses, beta)
    if _close(got, want):
        return verdict(True, "the moving average divided by 1 - beta**(i+1): the first value is the first loss itself")
    raw, average = [], 0.0
    for loss in losses:
        average = beta * average + (1 - beta) * loss
        raw.append(average)
    hints = [
        (raw, "that is the moving average without its bias correction: it starts near 0 because avg_-1 = 0; divide by 1 - beta**(i+1)"),
        ([a / (1 - beta**i) if i else losses[0] for i, a in enumerate(raw)], "off by one in the correction: after i + 1 losses it is 1 - beta**(i + 1)"),
        (_reference_smoothed(losses, 1 - beta), "beta weighs the old average and 1 - beta the new loss, not the other way round"),
    ]
    for wrong, why in hints:
        if _close(got, wrong):
            return verdict(False, why)
    if len(got) != len(want):
        return verdict(False, f"return one smoothed value per loss: {len(want)} values, not {len(got)}")
    first = next(i for i, (g, w) in enumerate(zip(got, want)) if not math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9))
    side = "too high" if got[first] > want[first] else "too low"
    return verdict(False, f"value {first} is {got[first]:.6f}, {side}: average as avg = beta * avg + (1 - beta) * loss, "
                          "then divide by 1 - beta ** (i + 1)")


@exercise_check(solution=welch_t)
def check_welch_t(t, a, b) -> Verdict:
    """Exercise (14): Welch's t statistic for the difference of the means of ``a`` and ``b``
    (e.g. the final validation losses of two schedules, one per seed):
    ``(mean(a) - mean(b)) / sqrt(var(a) / len(a) + var(b) / len(b))`` with sample variances (n - 1)."""
    a, b = list(a), list(b)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("check_welch_t: a and b need at least 2 values each (one per seed)")
    try:
        t = float(t)
    except (TypeError, ValueError):
        return verdict(False, f"give t as a number, not {type(t).__name__}")
    difference = statistics.fmean(a) - statistics.fmean(b)
    sample = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    right = difference / sample
    if math.isclose(t, right, rel_tol=1e-3):
        return verdict(True, f"t = {difference:.4f} / {sample:.4f} = {right:.2f}: the gap is {abs(right):.1f} standard errors")
    population = math.sqrt(statistics.pvariance(a) / len(a) + statistics.pvariance(b) / len(b))
    hints = [
        (-right, "the sign: it is mean(a) - mean(b)"),
        (difference / population, "use sample variances (n - 1 in the denominator, statistics.variance), not population ones"),
        (difference / (sample * sample), "divide by the square root of var(a)/n_a + var(b)/n_b, the standard error"),
        (difference / math.sqrt(statistics.variance(a) + statistics.variance(b)), "divide each variance by its number of seeds: the error of a MEAN shrinks with more seeds"),
        (difference / (statistics.stdev(a) + statistics.stdev(b)), "standard errors add in quadrature: sqrt(var(a)/n_a + var(b)/n_b)"),
    ]
    for wrong, why in hints:
        if math.isclose(t, wrong, rel_tol=1e-3):
            return verdict(False, why)
    return verdict(False, f"{t:.4g} is not it: (mean(a) - mean(b)) / sqrt(var(a)/n_a + var(b)/n_b)")
