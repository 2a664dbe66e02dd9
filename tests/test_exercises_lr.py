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
