"""Is a difference between two settings more than the luck of the seed? Two t-tests.

::

    cosine = [2.071, 2.068, 2.075]          # final losses, seeds 0, 1, 2
    constant = [2.090, 2.081, 2.093]        # the same seeds: the same initialisations and batches
    paired_t(constant, cosine)              # TTest(difference=0.0167, t=..., df=2, p=..., low=..., high=...)
    welch_t(constant, cosine)               # the same question, ignoring which seed is which

Seeds shared between two settings pair the runs: seed 0 starts both from the same weights
and feeds both the same batches, so much of what makes seed 0 lucky is common to both,
and the per-seed differences vary less than the losses do. :func:`paired_t` tests those
differences (Student 1908); :func:`welch_t` treats the two lists as independent samples
with possibly different spreads (Welch 1947), the test to use when the seeds are not
shared.

Both return the mean difference ``a - b``, the t statistic, its degrees of freedom, the
two-sided p-value (the chance of a ``|t|`` at least this large if the true difference
were 0) and a 95% confidence interval for the difference. Runs that do not vary at all
give an infinite t and p = 0 for a difference, a t of NaN and p = 1 for none. The t distribution's
probabilities are computed here from its density (no statistics library needed), and the
tests check them against published tables.
"""

import functools
import math
import statistics
from dataclasses import dataclass


def t_density(t: float, df: float) -> float:
    """The density of Student's t distribution with ``df`` degrees of freedom at ``t``."""
    log_scale = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_scale - (df + 1) / 2 * math.log1p(t * t / df))


def t_two_sided_p(t: float, df: float) -> float:
    """``P(|T| >= |t|)`` for ``T`` with Student's t distribution: the density integrated
    from 0 to ``|t|`` (Simpson's rule on the variable ``u = atan(t)``, where it is smooth
    and bounded), taken from one half."""
    if not df > 0:
        raise ValueError(f"degrees of freedom must be > 0, not {df!r}")
    end = math.atan(abs(t))
    n = 400  # intervals (even): more accurate than any table of t
    h = end / n
    total = 0.0
    for i in range(n + 1):
        u = i * h
        weight = 1 if i in (0, n) else (4 if i % 2 else 2)
        total += weight * t_density(math.tan(u), df) / math.cos(u) ** 2  # dt = du / cos²u
    return max(0.0, 1 - 2 * total * h / 3)


@functools.lru_cache(maxsize=256)
def t_quantile(probability: float, df: float) -> float:
    """The ``t`` with ``P(T <= t) = probability`` (for ``probability`` in (0.5, 1)), by
    Newton's method on :func:`t_two_sided_p` from ``t = 0``: the two-sided p falls and is
    convex in ``t``, so every step lands short of the answer and the steps never overshoot."""
    if not 0.5 < probability < 1:
        raise ValueError(f"probability must be in (0.5, 1), not {probability!r}")
    target = 2 * (1 - probability)
    t = 0.0
    for _ in range(200):
        step = (t_two_sided_p(t, df) - target) / (2 * t_density(t, df))  # d p / d t = -2 density
        t += step
        if step < 1e-12 * max(1.0, t):
            break
    return t


@dataclass(frozen=True)
class TTest:
    """A t-test's result: ``difference`` (the mean of ``a`` minus that of ``b``), ``t``,
    ``df`` (degrees of freedom), ``p`` (two-sided) and the 95% confidence interval
    ``low``..``high`` of the difference."""

    difference: float
    t: float
    df: float
    p: float
    low: float
    high: float

    def __str__(self):
        return (f"difference {self.difference:+.4f} (95% interval {self.low:+.4f} to {self.high:+.4f}), "
                f"t = {self.t:.2f} with {self.df:.3g} degrees of freedom, p = {self.p:.3g}")


def _result(difference, standard_error, df) -> TTest:
    if standard_error == 0:  # runs that do not vary at all: any difference is certain, none is none
        if difference == 0:
            return TTest(0.0, math.nan, df, 1.0, 0.0, 0.0)
        return TTest(difference, math.copysign(math.inf, difference), df, 0.0, difference, difference)
    half_width = t_quantile(0.975, df) * standard_error
    t = difference / standard_error
    return TTest(difference, t, df, t_two_sided_p(t, df), difference - half_width, difference + half_width)


def _numbers(name, values, least):
    values = [float(v) for v in values]
    if len(values) < least:
        raise ValueError(f"{name} needs at least {least} runs, not {len(values)}")
    return values


def paired_t(a, b) -> TTest:
    """Paired t-test of ``a`` against ``b``, where ``a[i]`` and ``b[i]`` share seed ``i``:
    ``t = mean(d) / (sd(d) / sqrt(n))`` for the differences ``d = a - b``, with ``n - 1``
    degrees of freedom."""
    a, b = _numbers("a paired t-test", a, 2), _numbers("a paired t-test", b, 2)
    if len(a) != len(b):
        raise ValueError(f"a paired t-test needs one run of each for every seed, not {len(a)} and {len(b)}")
    differences = [x - y for x, y in zip(a, b)]
    return _result(statistics.fmean(differences), statistics.stdev(differences) / math.sqrt(len(a)), len(a) - 1)


def welch_t(a, b) -> TTest:
    """Welch's t-test of ``a`` against ``b`` as independent samples: ``t = (mean(a) -
    mean(b)) / sqrt(var(a)/n_a + var(b)/n_b)``, with the Welch–Satterthwaite degrees of
    freedom."""
    a, b = _numbers("Welch's t-test", a, 2), _numbers("Welch's t-test", b, 2)
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if va + vb else len(a) + len(b) - 2
    return _result(statistics.fmean(a) - statistics.fmean(b), math.sqrt(va + vb), df)


__all__ = ["TTest", "paired_t", "t_density", "t_quantile", "t_two_sided_p", "welch_t"]
