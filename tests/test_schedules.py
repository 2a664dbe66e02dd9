"""The schedules against torch's own schedulers, step by step, and against their formulas.

Each torch scheduler drives a real optimizer the way torch's docs say to (read the rate,
``optimizer.step()``, then ``scheduler.step()``); our schedule times the peak must give
the rate the optimizer actually used at every step, to 1e-12 of the peak.
"""

import io
import math

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler

from nnzero import schedules as S
from nnzero.makemore import SequenceDataset, TrainConfig, Vocab, build_model, default_config, train

TOLERANCE = 1e-12
PEAKS = [1.0, 3e-3]
FAST = settings(max_examples=25, deadline=None)


def rates_used(make_scheduler, steps, peak=1.0):
    """The rate torch's scheduler gives an SGD optimizer at each of ``steps`` optimizer steps."""
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=peak, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        weight.grad = torch.ones(1)
        optimizer.step()
        scheduler.step()
    return rates


def assert_matches(schedule, torch_rates, peak):
    ours = [peak * schedule(t) for t in range(len(torch_rates))]
    worst = max(range(len(ours)), key=lambda t: abs(ours[t] - torch_rates[t]))
    assert abs(ours[worst] - torch_rates[worst]) <= TOLERANCE * peak, (
        f"step {worst}: ours {ours[worst]!r}, torch {torch_rates[worst]!r}"
    )


# --- against torch, one scheduler at a time ---------------------------------------------


@pytest.mark.parametrize("peak", PEAKS)
def test_step_decay_is_steplr(peak):
    torch_rates = rates_used(lambda opt: lr_scheduler.StepLR(opt, step_size=7, gamma=0.5), 60, peak)
    assert_matches(S.step_decay(7, gamma=0.5), torch_rates, peak)
    assert torch_rates[6] == peak and torch_rates[7] == peak * 0.5  # the first decay comes after step_size steps


@FAST
@given(step_size=st.integers(1, 20), gamma=st.floats(0.05, 1.0))
def test_step_decay_is_steplr_for_any_parameters(step_size, gamma):
    torch_rates = rates_used(lambda opt: lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma), 80)
    assert_matches(S.step_decay(step_size, gamma), torch_rates, 1.0)


@pytest.mark.parametrize("peak", PEAKS)
def test_multi_step_is_multisteplr(peak):
    torch_rates = rates_used(lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[10, 25, 26], gamma=0.3), 40, peak)
    assert_matches(S.multi_step([10, 25, 26], gamma=0.3), torch_rates, peak)


@pytest.mark.parametrize("peak", PEAKS)
def test_exponential_is_exponentiallr_over_many_steps(peak):
    torch_rates = rates_used(lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.99), 500, peak)
    assert_matches(S.exponential(0.99), torch_rates, peak)


@pytest.mark.parametrize("peak", PEAKS)
@pytest.mark.parametrize("start_factor", [0.01, 1 / 3, 1.0])
def test_linear_warmup_is_linearlr(peak, start_factor):
    torch_rates = rates_used(lambda opt: lr_scheduler.LinearLR(opt, start_factor=start_factor, total_iters=12), 30, peak)
    assert_matches(S.linear_warmup(12, start_factor=start_factor), torch_rates, peak)


def test_linear_warmup_default_is_t_plus_one_over_w_plus_one():
    schedule = S.linear_warmup(4)
    assert [schedule(t) for t in range(7)] == pytest.approx([1 / 5, 2 / 5, 3 / 5, 4 / 5, 1, 1, 1], abs=1e-15)


@pytest.mark.parametrize("peak", PEAKS)
@pytest.mark.parametrize("floor", [0.0, 0.1])
def test_cosine_is_cosineannealinglr_up_to_and_including_t_max(peak, floor):
    # torch steps the cosine recursively (each rate from the last); ours is the closed form.
    # They agree through step T_max, where both reach the floor.
    t_max = 100
    torch_rates = rates_used(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=floor * peak), t_max + 2, peak)
    schedule = S.cosine(t_max, floor=floor)
    assert_matches(schedule, torch_rates[: t_max + 1], peak)
    assert schedule(t_max) == floor
    # Past T_max torch's cosine climbs back up; ours holds the floor.
    assert torch_rates[t_max + 1] > (floor + 1e-5) * peak and schedule(t_max + 1) == floor


@FAST
@given(t_max=st.integers(1, 300), floor=st.floats(0.0, 0.99))
def test_cosine_is_cosineannealinglr_for_any_parameters(t_max, floor):
    torch_rates = rates_used(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=floor), t_max + 1)
    assert_matches(S.cosine(t_max, floor), torch_rates, 1.0)


def torch_warmup_cosine(optimizer, max_steps, warmup_steps, floor, start_factor):
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)
    decay = lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_steps - warmup_steps, eta_min=floor * optimizer.defaults["lr"])
    return lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[warmup_steps])


@pytest.mark.parametrize("peak", PEAKS)
def test_warmup_cosine_is_sequentiallr_of_linearlr_and_cosine(peak):
    schedule = S.warmup_cosine(200, warmup_steps=20, floor=0.05)
    torch_rates = rates_used(lambda opt: torch_warmup_cosine(opt, 200, 20, 0.05, schedule.params["start_factor"]), 201, peak)
    assert_matches(schedule, torch_rates, peak)
    assert schedule(20) == 1.0 and schedule(200) == 0.05


@FAST
@given(max_steps=st.integers(2, 200), warmup_fraction=st.floats(0.01, 0.99), floor=st.floats(0.0, 0.5), start_factor=st.floats(0.01, 1.0))
def test_warmup_cosine_is_sequentiallr_for_any_parameters(max_steps, warmup_fraction, floor, start_factor):
    warmup_steps = min(max_steps - 1, max(1, int(warmup_fraction * max_steps)))
    schedule = S.warmup_cosine(max_steps, warmup_steps, floor, start_factor)
    torch_rates = rates_used(lambda opt: torch_warmup_cosine(opt, max_steps, warmup_steps, floor, start_factor), max_steps + 1)
    assert_matches(schedule, torch_rates, 1.0)


@pytest.mark.parametrize("peak", PEAKS)
@pytest.mark.parametrize("cycle_mult", [1, 2, 3])
def test_sgdr_is_cosineannealingwarmrestarts(peak, cycle_mult):
    torch_rates = rates_used(
        lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=cycle_mult, eta_min=0.1 * peak), 400, peak
    )
    schedule = S.sgdr(10, cycle_mult=cycle_mult, floor=0.1)
    assert_matches(schedule, torch_rates, peak)
    assert schedule(10) == 1.0  # the first restart, back at the peak


@pytest.mark.parametrize("peak", PEAKS)
@pytest.mark.parametrize("down", [None, 3, 11])
def test_triangular_is_cycliclr(peak, down):
    torch_rates = rates_used(
        lambda opt: lr_scheduler.CyclicLR(opt, base_lr=0.25 * peak, max_lr=peak, step_size_up=5, step_size_down=down), 100, peak
    )
    schedule = S.triangular(5, down, floor=0.25)
    assert_matches(schedule, torch_rates, peak)
    assert schedule(0) == 0.25 and schedule(5) == 1.0


@FAST
@given(up=st.integers(1, 30), down=st.integers(1, 30), floor=st.floats(0.0, 1.0))
def test_triangular_is_cycliclr_for_any_parameters(up, down, floor):
    torch_rates = rates_used(
        lambda opt: lr_scheduler.CyclicLR(opt, base_lr=floor, max_lr=1.0, step_size_up=up, step_size_down=down, cycle_momentum=False), 150
    )
    assert_matches(S.triangular(up, down, floor), torch_rates, 1.0)


@pytest.mark.parametrize("peak", PEAKS)
@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_is_onecyclelr_over_exactly_total_steps(peak, anneal, three_phase):
    total = 100
    torch_rates = rates_used(
        lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=peak, total_steps=total, anneal_strategy=anneal, three_phase=three_phase), total, peak
    )
    schedule = S.one_cycle(total, anneal=anneal, three_phase=three_phase)
    assert_matches(schedule, torch_rates, peak)
    # The corners: it starts at peak / 25, peaks at step pct_start * total - 1, and
    # bottoms out at the LAST step of the run (total - 1), at peak / 25 / 1e4.
    assert schedule(0) == pytest.approx(1 / 25, abs=1e-15)
    assert schedule(29) == pytest.approx(1.0, abs=1e-15)
    assert schedule(total - 1) == pytest.approx(1 / 25 / 1e4, abs=1e-15)


def test_one_cycle_counts_optimizer_steps_torch_refuses_one_more():
    """OneCycleLR(total_steps=N) serves N optimizer steps; the (N+1)-th scheduler.step() raises."""
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=1.0, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    for _ in range(10):
        optimizer.step()
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        optimizer.step()
        scheduler.step()
    # Ours holds the final value instead of raising.
    assert S.one_cycle(10)(10) == S.one_cycle(10)(9) == S.one_cycle(10)(1000)


@FAST
@given(
    total=st.integers(4, 200),
    pct_start=st.floats(0.05, 0.45),
    div_factor=st.floats(1.0, 100.0),
    final_div_factor=st.floats(1.0, 1e5),
    anneal=st.sampled_from(["cos", "linear"]),
    three_phase=st.booleans(),
)
def test_one_cycle_is_onecyclelr_for_any_parameters(total, pct_start, div_factor, final_div_factor, anneal, three_phase):
    if pct_start * total <= 1:
        return
    torch_rates = rates_used(
        lambda opt: lr_scheduler.OneCycleLR(
            opt, max_lr=1.0, total_steps=total, pct_start=pct_start, anneal_strategy=anneal, div_factor=div_factor,
            final_div_factor=final_div_factor, three_phase=three_phase,
        ),
        total,
    )
    assert_matches(S.one_cycle(total, pct_start, div_factor, final_div_factor, anneal, three_phase), torch_rates, 1.0)


@pytest.mark.parametrize("warmup_steps", [0, 10])
@pytest.mark.parametrize("decay", ["linear", "cosine"])
def test_wsd_is_a_sequence_of_torch_schedulers(warmup_steps, decay):
    """torch has no WSD, but chains of its schedulers build the linear and cosine versions."""
    schedule = S.wsd(100, warmup_steps=warmup_steps, decay_fraction=0.3, floor=0.1, decay=decay)

    def make(optimizer):
        parts, milestones = [], []
        if warmup_steps:
            parts.append(lr_scheduler.LinearLR(optimizer, start_factor=schedule.params["start_factor"], total_iters=warmup_steps))
            milestones.append(warmup_steps)
        parts.append(lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=1))
        if decay == "linear":
            parts.append(lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=30))
        else:
            parts.append(lr_scheduler.CosineAnnealingLR(optimizer, T_max=30, eta_min=0.1))
        milestones.append(70)
        return lr_scheduler.SequentialLR(optimizer, parts, milestones=milestones)

    assert_matches(schedule, rates_used(make, 101), 1.0)


def test_wsd_one_minus_sqrt_decay():
    schedule = S.wsd(100, decay_fraction=0.25, decay="1-sqrt")
    assert schedule(74) == 1.0
    assert [schedule(t) for t in (75, 81, 91, 100)] == pytest.approx([1.0, 1 - math.sqrt(6 / 25), 1 - math.sqrt(16 / 25), 0.0], abs=1e-15)


@FAST
@given(warmup_steps=st.integers(1, 5000), step=st.integers(0, 100_000), d_model=st.sampled_from([64, 512]))
def test_inverse_sqrt_is_vaswanis_rate_over_its_peak(warmup_steps, step, d_model):
    def vaswani(n):
        return d_model**-0.5 * min(n**-0.5, n * warmup_steps**-1.5)

    assert S.inverse_sqrt(warmup_steps)(step) == pytest.approx(vaswani(step + 1) / vaswani(warmup_steps), rel=1e-12)


def test_inverse_sqrt_peaks_at_the_end_of_warmup():
    schedule = S.inverse_sqrt(100)
    values = schedule.values(1000)
    assert max(values) == 1.0 and values.index(1.0) == 99
    assert schedule(399) == pytest.approx(0.5, abs=1e-15)


# --- properties every schedule shares ----------------------------------------------------


@FAST
@given(max_steps=st.integers(20, 3000), step=st.integers(0, 10_000))
@example(max_steps=1780, step=89)  # found by hypothesis in CI: warmup's end rounded to 1.0000000000000002
def test_every_example_schedule_gives_a_multiplier_in_0_1(max_steps, step):
    for name, schedule in S.example_schedules(max_steps).items():
        value = schedule(step)
        assert isinstance(value, float) and 0.0 <= value <= 1.0, (name, step, value)


def test_registry_and_examples_cover_every_schedule():
    examples = S.example_schedules(1000)
    assert list(examples) == list(S.SCHEDULES)
    for name, schedule in examples.items():
        assert schedule.name == name
        assert repr(schedule).startswith(f"{name}(")


def test_to_torch_drives_any_optimizer_with_the_schedule():
    for name, schedule in S.example_schedules(60).items():
        torch_rates = rates_used(lambda opt: S.to_torch(opt, schedule), 60, peak=0.02)
        assert torch_rates == [0.02 * schedule(t) for t in range(60)], name


def test_to_torch_scheduler_state_survives_a_checkpoint():
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([weight], lr=1e-3)
    scheduler = S.to_torch(optimizer, S.warmup_cosine(100, 10, floor=0.1))
    for _ in range(15):
        optimizer.step()
        scheduler.step()
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    restored = S.to_torch(torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3), S.warmup_cosine(100, 10, floor=0.1))
    restored.load_state_dict(torch.load(buffer, weights_only=True))  # plain data: no pickled function
    assert restored.last_epoch == 15 and restored.get_last_lr() == scheduler.get_last_lr()
    # ... and it goes on exactly as the uninterrupted one does
    for _ in range(30):
        optimizer.step(), scheduler.step(), restored.optimizer.step(), restored.step()
        assert restored.get_last_lr() == scheduler.get_last_lr()


def test_a_scheduler_state_is_not_loaded_into_another_schedule():
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    saved = S.to_torch(optimizer, S.warmup_cosine(100, 10, floor=0.1)).state_dict()
    other = S.to_torch(optimizer, S.warmup_cosine(1000, 10, floor=0.1))
    with pytest.raises(ValueError, match=r"saved with warmup_cosine\(max_steps=100, .* not warmup_cosine\(max_steps=1000") as refused:
        other.load_state_dict(saved)
    assert "\n" not in str(refused.value)
    assert other.lr_lambdas[0].params["max_steps"] == 1000  # LambdaLR would have set it back to 100


def test_train_records_the_schedule_it_was_given():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"]
    vocab = Vocab.from_words(words)
    data = SequenceDataset(words, vocab, block_size=9)
    torch.manual_seed(0)
    model = build_model("bigram", default_config("bigram", len(vocab), 9))
    config = TrainConfig(max_steps=12, batch_size=4, learning_rate=0.05, eval_interval=100, device="cpu")
    schedule = S.one_cycle(12, pct_start=0.25)
    history = train(model, data, data, config, lr_schedule=schedule, progress=False)
    assert history.lr == [0.05 * schedule(t) for t in range(12)]
    assert history.lr[-1] == pytest.approx(0.05 / 25 / 1e4)  # a one-cycle of max_steps bottoms out at the last step


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: S.step_decay(0), "step_size must be a whole number >= 1"),
        (lambda: S.step_decay(10, gamma=1.5), r"gamma must be a number in \(0.0, 1.0\]"),
        (lambda: S.step_decay(2.5), "step_size must be a whole number"),
        (lambda: S.multi_step([]), "milestones must be a non-empty list"),
        (lambda: S.multi_step([30, 10]), "milestones must increase strictly"),
        (lambda: S.multi_step([10, 10]), "milestones must increase strictly"),
        (lambda: S.exponential(0.0), "gamma must be a number in"),
        (lambda: S.exponential(float("nan")), "gamma must be a number in"),
        (lambda: S.linear_warmup(0), "warmup_steps must be a whole number >= 1"),
        (lambda: S.linear_warmup(10, start_factor=-0.1), "start_factor must be a number in"),
        (lambda: S.cosine(0), "max_steps must be a whole number >= 1"),
        (lambda: S.cosine(100, floor=2), "floor must be a number in"),
        (lambda: S.warmup_cosine(100, 100), r"warmup_steps \(100\) must be less than max_steps \(100\)"),
        (lambda: S.sgdr(10, cycle_mult=0), "cycle_mult must be a whole number >= 1"),
        (lambda: S.sgdr(10, cycle_mult=1.5), "cycle_mult must be a whole number >= 1"),
        (lambda: S.triangular(0), "step_size_up must be a whole number >= 1"),
        (lambda: S.one_cycle(100, pct_start=1.0), "pct_start must be a number in"),
        (lambda: S.one_cycle(100, pct_start=0.5, three_phase=True), "pct_start must be a number in"),
        (lambda: S.one_cycle(3, pct_start=0.3), "pct_start \\* max_steps must exceed 1"),
        (lambda: S.one_cycle(100, anneal="exp"), "anneal must be 'cos' or 'linear'"),
        (lambda: S.one_cycle(100, div_factor=0.5), "div_factor must be a number in"),
        (lambda: S.wsd(100, warmup_steps=90, decay_fraction=0.2), "add up to more than max_steps"),
        (lambda: S.wsd(100, decay_fraction=0.001), "rounds to no step at all"),
        (lambda: S.wsd(100, decay="exp"), "decay must be one of"),
        (lambda: S.inverse_sqrt(0), "warmup_steps must be a whole number >= 1"),
        (lambda: S.cosine(100)(-1), "the step must be a whole number >= 0"),
        (lambda: S.cosine(100)(2.5), "the step must be a whole number >= 0"),
        (lambda: S.to_torch("adam", S.constant()), "optimizer must be a torch.optim.Optimizer"),
        (lambda: S.to_torch(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1), 0.5), "schedule must be a function"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(make, message):
    with pytest.raises(ValueError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


def test_one_cycle_is_the_learning_rate_alone_torch_also_cycles_the_momentum():
    # Smith's policy moves momentum opposite to the rate (0.95 -> 0.85 -> 0.95); torch's
    # OneCycleLR does, and the docstring of one_cycle says ours leaves it alone.
    def betas_over_a_run(make_scheduler):
        optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-2, betas=(0.9, 0.99))
        scheduler = make_scheduler(optimizer)
        seen = []
        for _ in range(100):
            seen.append(optimizer.param_groups[0]["betas"][0])
            optimizer.step()
            scheduler.step()
        return seen

    ours = betas_over_a_run(lambda opt: S.to_torch(opt, S.one_cycle(100)))
    theirs = betas_over_a_run(lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=100))
    assert set(ours) == {0.9}
    assert max(theirs) == pytest.approx(0.95) and min(theirs) == pytest.approx(0.85, abs=1e-3)
