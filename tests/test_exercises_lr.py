"""The exercise checks of lesson 13: right answers pass, the usual wrong answers fail with
a reason that says what to fix."""

import math

import pytest
import torch

from nnzero.exercises import lr as ex


class TestStabilityBound:
    def test_two_over_curvature_passes(self, said):
        assert ex.check_stability_bound(0.5)
        assert ex.check_stability_bound(torch.tensor(0.2), curvature=10.0)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "answer, reason",
        [(0.25, "ONE step"), (2.0, "upside down"), (8.0, "upside down"), (0.125, "too small"), (0.3, "factor"), ("2/a", "a number"), (True, "a number")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_stability_bound(answer)
        assert reason in said()

    def test_bad_curvature_is_refused(self):
        with pytest.raises(ValueError, match="curvature"):
            ex.check_stability_bound(0.5, curvature=0)


def right_warmup_cosine(step, max_steps, warmup_steps, floor):
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    progress = min(step - warmup_steps, max_steps - warmup_steps) / (max_steps - warmup_steps)
    return floor + (1 - floor) * (1 + math.cos(math.pi * progress)) / 2


class TestWarmupCosine:
    def test_the_formula_passes(self, said):
        assert ex.check_warmup_cosine(right_warmup_cosine)
        assert said().startswith("✓ correct")

    def test_warmup_from_zero_is_named(self, said):
        def from_zero(step, max_steps, warmup_steps, floor):
            return step / warmup_steps if step < warmup_steps else right_warmup_cosine(step, max_steps, warmup_steps, floor)

        assert not ex.check_warmup_cosine(from_zero)
        assert "wastes a step" in said()

    def test_forgotten_floor_is_named(self, said):
        def no_floor(step, max_steps, warmup_steps, floor):
            return right_warmup_cosine(step, max_steps, warmup_steps, 0.0)

        assert not ex.check_warmup_cosine(no_floor)
        assert "end at the floor" in said()

    def test_progress_from_step_zero_is_named(self, said):
        def from_zero(step, max_steps, warmup_steps, floor):
            if step < warmup_steps:
                return (step + 1) / (warmup_steps + 1)
            return floor + (1 - floor) * (1 + math.cos(math.pi * min(step, max_steps) / max_steps)) / 2

        assert not ex.check_warmup_cosine(from_zero)
        assert "end of the warmup" in said()

    def test_climbing_back_after_the_end_is_named(self, said):
        def torch_like(step, max_steps, warmup_steps, floor):
            if step < warmup_steps:
                return (step + 1) / (warmup_steps + 1)
            return floor + (1 - floor) * (1 + math.cos(math.pi * (step - warmup_steps) / (max_steps - warmup_steps))) / 2

        assert not ex.check_warmup_cosine(torch_like)
        assert "hold the floor" in said()

    def test_crashes_and_non_numbers_are_reported(self, said):
        assert not ex.check_warmup_cosine(lambda *args: 1 / 0)
        assert "ZeroDivisionError" in said()
        assert not ex.check_warmup_cosine(lambda *args: None)
        assert "a number" in said()


def torch_one_cycle_rates(max_lr, total_steps):
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=max_lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total_steps)
    rates = []
    for _ in range(total_steps):
        rates.append(optimizer.param_groups[0]["lr"])
        weight.grad = torch.ones(1)
        optimizer.step()
        scheduler.step()
    return rates


class TestOneCycleRate:
    @pytest.mark.parametrize("step", [0, 100, 299, 649, 999])
    def test_torchs_own_rate_passes(self, said, step):
        assert ex.check_one_cycle_rate(torch_one_cycle_rates(0.01, 1000)[step], step)

    def test_the_rounded_hand_answer_passes(self):
        assert ex.check_one_cycle_rate(0.005, 649)
        assert ex.check_one_cycle_rate(4e-8, 999)

    @pytest.mark.parametrize(
        "answer, step, reason",
        [
            (0.5, 649, "multiplier"),
            (0.0004, 999, "STARTS"),
            (1e-6, 999, "START divided"),
            (0.0, 999, "never reaches 0"),
            (0.005014591315585823, 649, "off by one"),
            (0.007, 649, "falling"),
            (0.007, 100, "rising"),
            (None, 649, "… not answered yet"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, answer, step, reason):
        assert not ex.check_one_cycle_rate(answer, step)
        assert reason in said()

    def test_a_step_outside_the_run_is_refused(self):
        with pytest.raises(ValueError, match="from 0 to 999"):
            ex.check_one_cycle_rate(0.01, 1000)


def plateau_with(mistake):
    def rates(losses, lr, factor, patience, cooldown, threshold):
        return ex._plateau_variant(losses, lr, factor, patience, cooldown, threshold, mistake)

    return rates


class TestPlateau:
    def test_the_solution_passes_and_matches_torch(self, said):
        assert ex.check_plateau(ex.plateau_rates)
        assert said().startswith("✓ correct")
        for case in ex._PLATEAU_CASES:
            assert ex.plateau_rates(*case) == ex._torch_plateau_rates(*case)

    def test_the_stub_is_not_answered(self, said):
        def stub(losses, lr, factor, patience, cooldown, threshold):
            raise NotImplementedError("your code here")

        assert not ex.check_plateau(stub)
        assert said() == "… not answered yet"

    @pytest.mark.parametrize(
        "mistake, reason",
        [("no cooldown", "cooldown is missing"), ("cooldown counts", "must not pile up"), ("early", "EXCEEDS"),
         ("absolute", "relative"), ("reset best", "keep the best")],
    )
    def test_typical_mistakes_are_named(self, said, mistake, reason):
        assert not ex.check_plateau(plateau_with(mistake))
        assert reason in said()

    def test_other_wrong_rates_point_at_the_evaluation(self, said):
        assert not ex.check_plateau(lambda losses, lr, *rest: [lr] * len(losses))
        assert "after evaluation" in said()

    def test_bad_returns_and_crashes_are_reported(self, said):
        assert not ex.check_plateau(lambda losses, *rest: [0.1])
        assert "one rate after each" in said()
        assert not ex.check_plateau(lambda *args: None)
        assert "list of rates" in said()
        assert not ex.check_plateau(lambda *args: 1 / 0)
        assert "ZeroDivisionError" in said()


class TestDecayShrink:
    def test_the_solution_passes(self, said):
        assert ex.check_decay_shrink(ex.decay_shrink())
        assert said().startswith("✓ correct")

    def test_it_is_what_torch_adamw_does_to_a_weight_without_gradient(self):
        from nnzero.schedules import to_torch, warmup_cosine

        weight = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
        optimizer = torch.optim.AdamW([weight], lr=3e-3, weight_decay=0.1)
        scheduler = to_torch(optimizer, warmup_cosine(5000, 250))
        for _ in range(5000):
            weight.grad = torch.zeros(1, dtype=torch.float64)
            optimizer.step()
            scheduler.step()
        assert weight.item() == pytest.approx(ex.decay_shrink(), rel=1e-9)

    def test_the_half_the_peak_estimate_passes(self, said):
        assert ex.check_decay_shrink(math.exp(-0.1 * 3e-3 * 5000 / 2))

    def test_the_stub_is_not_answered(self, said):
        assert not ex.check_decay_shrink(None)
        assert said() == "… not answered yet"

    @pytest.mark.parametrize(
        "answer, reason",
        [((1 - 3e-4) ** 5000, "CONSTANT"), (1 - ex.decay_shrink(), "taken away"), (0.0, "multiplies weight_decay by the rate"),
         (0.9, "one step"), (math.exp(-0.1 * 2500), "not by the multiplier"), (0.6, "multiply those"), ("half", "a number")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_decay_shrink(answer)
        assert reason in said()


class TestWorkedSolutions:
    def test_stability_bound(self, said):
        assert ex.check_stability_bound(ex.stability_bound(10.0), curvature=10.0)
        assert ex.check_stability_bound.solution is ex.stability_bound

    def test_warmup_cosine(self, said):
        assert ex.check_warmup_cosine(ex.warmup_cosine_multiplier)
        assert ex.check_warmup_cosine.solution is ex.warmup_cosine_multiplier

    @pytest.mark.parametrize("step", [0, 100, 299, 300, 649, 999])
    def test_one_cycle_rate(self, said, step):
        assert ex.check_one_cycle_rate(ex.one_cycle_rate(step), step)
        assert ex.one_cycle_rate(step) == pytest.approx(torch_one_cycle_rates(0.01, 1000)[step], rel=1e-9)

    def test_every_check_shows_a_worked_solution(self):
        from nnzero.exercises import solution

        for check in (ex.check_stability_bound, ex.check_warmup_cosine, ex.check_one_cycle_rate, ex.check_plateau, ex.check_decay_shrink):
            assert "def " in repr(solution(check))
