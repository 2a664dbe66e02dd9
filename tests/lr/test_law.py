"""nnzero.lr.law: the annealing areas by their definition, and a fit that recovers a known law."""

import pytest
import torch

from nnzero.lr.law import (Law, MultiPowerLaw, areas, fit_law, fit_multi_power, optimal_schedule,
                           optimal_schedule_multi_power)
from nnzero.schedules import constant, linear_warmup, multi_step, warmup_cosine, wsd


def test_the_forward_area_sums_the_rates_and_a_constant_rate_has_no_annealing_area():
    s1, s2 = areas([1.0] * 5)
    assert s1.tolist() == [1, 2, 3, 4, 5] and s2.tolist() == [0] * 5


def test_one_drop_builds_an_annealing_momentum_that_fades_by_decay():
    s1, s2 = areas([1.0, 1.0, 0.5, 0.5, 0.5], decay=0.9)
    assert s1.tolist() == pytest.approx([1, 2, 2.5, 3, 3.5])
    momentum = [0, 0, 0.5, 0.45, 0.405]  # m_i = 0.9 m_(i-1) + (eta_(i-1) - eta_i)
    assert s2.tolist() == pytest.approx([sum(momentum[: i + 1]) for i in range(5)])


def multipliers(schedule, n):
    return [schedule(t) for t in range(n)]


TRUTH = Law(L0=1.9, A=1.2, alpha=0.35, C=3e-4)
STEPS = list(range(50, 2001, 50))


def test_a_law_fitted_to_constant_and_cosine_runs_predicts_other_schedules():
    fitted_on = [(multipliers(s, 2000), STEPS, TRUTH.predict(multipliers(s, 2000), STEPS))
                 for s in (constant(), warmup_cosine(2000, 50))]
    law = fit_law(fitted_on)
    for schedule, n in ((wsd(2000, 50, 0.2, decay="1-sqrt"), 2000), (multi_step([750], 0.1), 1000)):
        steps = [s for s in STEPS if s <= n]
        predicted, true = law.predict(multipliers(schedule, n), steps), TRUTH.predict(multipliers(schedule, n), steps)
        assert max(abs(p - t) for p, t in zip(predicted, true)) < 2e-3
    assert law.alpha == pytest.approx(TRUTH.alpha, rel=0.05) and law.C == pytest.approx(TRUTH.C, rel=0.05)


def test_noise_in_the_curves_moves_the_prediction_only_a_little():
    generator = torch.Generator().manual_seed(0)
    fitted_on = []
    for schedule in (constant(), warmup_cosine(2000, 50)):
        clean = TRUTH.predict(multipliers(schedule, 2000), STEPS)
        noisy = (torch.tensor(clean) + 0.003 * torch.randn(len(clean), generator=generator, dtype=torch.float64)).tolist()
        fitted_on.append((multipliers(schedule, 2000), STEPS, noisy))
    law = fit_law(fitted_on)
    target = multipliers(wsd(2000, 50, 0.2, decay="1-sqrt"), 2000)
    assert law.predict(target, [2000])[0] == pytest.approx(TRUTH.predict(target, [2000])[0], abs=0.01)


def test_bad_input_is_refused_in_one_line():
    with pytest.raises(ValueError, match="steps must be whole numbers from 1 to the schedule's length 3"):
        TRUTH.predict([1, 1, 1], [4])
    with pytest.raises(ValueError, match="decay must be in"):
        areas([1.0], decay=1.0)
    with pytest.raises(ValueError, match="at least four measured losses"):
        fit_law([([1.0] * 10, [0, 5, 10], [3.0, 2.5, 2.4])])


def test_the_law_without_annealing_is_the_forward_area_baseline():
    fitted_on = [(multipliers(s, 2000), STEPS, TRUTH.predict(multipliers(s, 2000), STEPS))
                 for s in (constant(), warmup_cosine(2000, 50))]
    baseline = fit_law(fitted_on, annealing=False)
    assert baseline.C == 0
    cosine = multipliers(warmup_cosine(2000, 50), 2000)
    error = abs(baseline.predict(cosine, [2000])[0] - TRUTH.predict(cosine, [2000])[0])
    assert error > 0.01  # the area alone cannot tell that decaying lowers the loss


def test_the_optimal_schedule_ends_lower_by_the_law_than_cosine_and_wsd():
    law = Law(L0=1.9, A=1.2, alpha=0.35, C=1e-3)
    best = optimal_schedule(law, 1000, 50, iterations=1500)
    assert len(best) == 1000 and best[:50] == pytest.approx([(t + 1) / 51 for t in range(50)])
    assert best[50] <= 1 and best[-1] == pytest.approx(0, abs=1e-9)
    assert all(b <= a + 1e-12 for a, b in zip(best[50:], best[51:]))  # never rises after the warmup
    final = law.predict(best, [1000])[0]  # the law itself, through areas(), not the search's closed form
    for other in (warmup_cosine(1000, 50), wsd(1000, 50, 0.2, decay="1-sqrt"), linear_warmup(50)):
        assert final < law.predict(multipliers(other, 1000), [1000])[0] - 0.01


# The multi-power law (Luo et al. 2025) ------------------------------------------------------

MPL = MultiPowerLaw(L0=1.9, A=1.2, alpha=0.35, B=0.3, C=0.05, beta=0.6, gamma=0.4)


def test_the_loss_reduction_is_the_papers_double_sum_over_drops_and_steps():
    etas = [0.5, 1.0, 1.0, 0.7, 0.7, 0.4, 0.1, 0.1, 0.3]  # warmup of one step, drops, and a rise at the end
    expected = []
    for t in range(1, len(etas) + 1):  # after t steps: etas[0..t-1]; drops from 0-based step 2, after the peak at 1
        reduction = sum((etas[k - 1] - etas[k]) * (1 - (MPL.C * etas[k] ** -MPL.gamma * sum(etas[k:t]) + 1) ** -MPL.beta)
                        for k in range(2, t))
        expected.append(MPL.L0 + MPL.A * sum(etas[:t]) ** -MPL.alpha - MPL.B * reduction)
    assert MPL.predict(etas, range(1, len(etas) + 1)) == pytest.approx(expected, abs=1e-9)


def test_a_constant_rate_after_its_warmup_has_no_loss_reduction():
    etas = multipliers(linear_warmup(50), 400)
    steps = [10, 50, 51, 200, 400]
    assert MPL.predict(etas, steps) == pytest.approx([MPL.L0 + MPL.A * sum(etas[:s]) ** -MPL.alpha for s in steps])


def test_a_drop_to_a_rate_of_zero_gains_nothing_and_a_drop_to_a_small_rate_gains_with_the_steps_after_it():
    no_drop = MPL.L0 + MPL.A * 3 ** -MPL.alpha  # the loss after the three steps at the peak
    assert MPL.predict([1, 1, 1, 0, 0, 0], [4, 5, 6]) == pytest.approx([no_drop] * 3, abs=1e-12)
    small = MPL.predict([1, 1, 1, 0.01, 0.01, 0.01], [4, 5, 6])
    assert no_drop > small[0] > small[1] > small[2]


def test_a_multi_power_fit_recovers_the_law_it_was_made_from():
    steps = list(range(50, 1001, 50))
    fitted_on = [(multipliers(s, 1000), steps, MPL.predict(multipliers(s, 1000), steps))
                 for s in (linear_warmup(50), warmup_cosine(1000, 50), multi_step([500], 0.3))]
    law = fit_multi_power(fitted_on, iterations=500)
    for name in ("L0", "A", "alpha", "B", "C", "beta", "gamma"):
        assert getattr(law, name) == pytest.approx(getattr(MPL, name), rel=0.05), name
    held = fit_multi_power(fitted_on, iterations=300, gamma=0.4)
    assert held.gamma == 0.4 and held.B == pytest.approx(MPL.B, rel=0.05)


def test_the_multi_power_design_ends_lower_by_the_law_than_cosine_wsd_and_constant():
    best = optimal_schedule_multi_power(MPL, 1000, 50, iterations=1000)
    assert len(best) == 1000 and best[:50] == pytest.approx([(t + 1) / 51 for t in range(50)])
    assert all(b <= a + 1e-12 for a, b in zip(best[50:], best[51:])) and best[-1] == pytest.approx(0, abs=1e-9)
    final = MPL.predict(best, [1000])[0]
    for other in (warmup_cosine(1000, 50), wsd(1000, 50, 0.2, decay="1-sqrt"), linear_warmup(50)):
        assert final < MPL.predict(multipliers(other, 1000), [1000])[0] - 0.005
