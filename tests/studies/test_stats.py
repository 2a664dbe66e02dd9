"""nnzero.studies.stats: the t distribution against published tables, and the two t-tests
against what they must do (their intervals cover the true difference 95% of the time)."""

import math
import statistics

import pytest
import torch

from nnzero.studies.stats import paired_t, t_density, t_quantile, t_two_sided_p, welch_t

# Two-sided 5% and 1% critical values of Student's t (any printed table, e.g. Fisher & Yates).
TABLE = [(1, 12.706, 63.657), (2, 4.303, 9.925), (4, 2.776, 4.604), (10, 2.228, 3.169), (30, 2.042, 2.750)]


@pytest.mark.parametrize("df, five, one", TABLE)
def test_p_values_and_quantiles_match_the_printed_table(df, five, one):
    assert t_two_sided_p(five, df) == pytest.approx(0.05, abs=2e-4)
    assert t_two_sided_p(-one, df) == pytest.approx(0.01, abs=2e-4)
    assert t_quantile(0.975, df) == pytest.approx(five, abs=1e-3)
    assert t_quantile(0.995, df) == pytest.approx(one, abs=1e-3)


@pytest.mark.parametrize("t", [0.3, 1.0, 3.0, 40.0])
def test_p_values_equal_the_closed_forms_for_one_and_two_degrees_of_freedom(t):
    assert t_two_sided_p(t, 1) == pytest.approx(1 - 2 / math.pi * math.atan(t), abs=1e-12)  # the Cauchy distribution
    assert t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), abs=1e-9)


def test_the_density_integrates_to_one_and_approaches_the_normal():
    grid = [i / 100 for i in range(-4000, 4001)]
    assert sum(t_density(t, 5) for t in grid) / 100 == pytest.approx(1, abs=1e-4)
    assert t_density(0.7, 1e6) == pytest.approx(math.exp(-0.49 / 2) / math.sqrt(2 * math.pi), rel=1e-5)
    assert t_two_sided_p(0, 3) == pytest.approx(1)


def test_a_paired_test_sees_a_shift_that_the_seeds_hide_from_welchs():
    seeds = [2.10, 2.05, 2.15, 2.08]  # the luck of each seed, shared by both settings
    a = [s + 0.010 + e for s, e in zip(seeds, (0.001, -0.001, 0.0005, -0.0005))]
    paired, welch = paired_t(a, seeds), welch_t(a, seeds)
    assert paired.difference == pytest.approx(0.010) == welch.difference
    assert paired.df == 3 and paired.p < 0.001 and paired.low > 0
    assert welch.p > 0.5 and welch.low < 0 < welch.high  # against the spread between seeds, 0.01 is nothing


def test_welch_equals_students_pooled_test_when_sizes_and_spreads_are_equal():
    a, b = [1.0, 2.0, 4.0], [2.0, 3.0, 5.0]  # equal variances (7/3 each)
    pooled = math.sqrt((statistics.variance(a) + statistics.variance(b)) / 2 * (2 / 3))
    result = welch_t(a, b)
    assert result.df == pytest.approx(4) and result.t == pytest.approx((statistics.fmean(a) - statistics.fmean(b)) / pooled)


@pytest.mark.parametrize("test", [paired_t, welch_t])
def test_the_95_percent_interval_covers_the_true_difference_95_percent_of_the_time(test):
    generator = torch.Generator().manual_seed(0)
    trials, covered = 1000, 0
    for _ in range(trials):
        a = (torch.randn(4, generator=generator, dtype=torch.float64) * 0.02 + 0.3).tolist()
        b = (torch.randn(4, generator=generator, dtype=torch.float64) * (0.01 if test is welch_t else 0.02)).tolist()
        result = test(a, b)
        covered += result.low <= 0.3 <= result.high
    assert 0.93 <= covered / trials <= 0.97  # binomial sd of the share: 0.007


def test_bad_input_is_refused_in_one_line():
    with pytest.raises(ValueError, match="one run of each for every seed, not 3 and 2"):
        paired_t([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="needs at least 2 runs, not 1"):
        welch_t([1], [1, 2])
    assert (paired_t([1, 2], [0, 1]).t, paired_t([1, 2], [0, 1]).p) == (math.inf, 0.0)  # no spread: certain
    same = welch_t([1, 1], [1, 1])
    assert math.isnan(same.t) and same.p == 1.0 and same.difference == 0
    with pytest.raises(ValueError, match="probability must be in"):
        t_quantile(0.2, 3)
