"""nnzero.lr.law: the annealing areas by their definition, and a fit that recovers a known law."""

import pytest
import torch

from nnzero.lr.law import Law, areas, fit_law, optimal_schedule
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
