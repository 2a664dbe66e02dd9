"""Learning-rate schedules as pure functions of the step.

A schedule answers one question: at optimisation step ``t`` (0, 1, 2, ...), by what
number should the peak learning rate be multiplied? Every factory below returns a
:class:`Schedule`, a callable ``schedule(t) -> multiplier``::

    schedule = warmup_cosine(max_steps=5000, warmup_steps=200, floor=0.05)
    schedule(0), schedule(200), schedule(5000)    # 1/201, 1.0, 0.05
    lr_at_step_t = peak_lr * schedule(t)

Multipliers rather than learning rates, because the peak is the knob one tunes and
the shape is the idea: the same schedule serves any peak, makemore's ``train()`` takes
it as its ``lr_schedule`` hook (the multiplier of ``TrainConfig.learning_rate``), and
:func:`to_torch` hands it to any torch optimizer as a ``LambdaLR``.

Conventions, the same as ``torch.optim.lr_scheduler`` so the two agree step by step:

- ``t`` counts optimizer steps taken before this one: the first update uses ``schedule(0)``.
- A schedule with a horizon (``max_steps``) reaches its end value AT ``max_steps``, the
  step after the last one of a ``max_steps``-long run (torch's ``T_max``), except
  one-cycle, which (like torch's ``OneCycleLR``) reaches it at the last step,
  ``max_steps - 1``. Beyond the horizon every schedule holds its end value
  (torch's cosine would climb back up; its one-cycle raises an error).
"""

import bisect
import math
import operator

import torch


_FORMULAS = {}  # a schedule's name -> its formula, a function of the step and the parameters


class Schedule:
    """A learning-rate schedule: ``schedule(step)`` is the multiplier of the peak LR at that step.

    Built by the factories of this module (:func:`cosine`, :func:`one_cycle`, ...), never
    by hand. It holds only its name and its parameters (its formula is looked up by the
    name), so it prints as the call that made it, and a :func:`to_torch` scheduler's
    ``state_dict`` is plain data that ``torch.load(..., weights_only=True)`` reads.
    """

    def __init__(self, name: str, formula, **params):
        _FORMULAS[name] = formula
        self.name = name
        self.params = params

    def __call__(self, step) -> float:
        try:
            step = operator.index(step)
        except TypeError:
            raise ValueError(f"{self.name}: the step must be a whole number >= 0, not {step!r}") from None
        if step < 0:
            raise ValueError(f"{self.name}: the step must be a whole number >= 0, not {step}")
        return float(_FORMULAS[self.name](step, **self.params))

    def values(self, steps: int) -> list[float]:
        """The multipliers of steps ``0 .. steps - 1``, ready to plot."""
        return [self(step) for step in range(steps)]

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.params.items())
        return f"{self.name}({args})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Schedule) and (self.name, self.params) == (other.name, other.params)

    def __hash__(self):
        return hash(repr(self))


# ---------------------------------------------------------------------------------------
# Argument checks: every bad argument gets one line saying which, what it was, what to do.


def _whole(schedule, name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{schedule}: {name} must be a whole number >= {minimum}, not {value!r}")
    return value


def _number(schedule, name, value, low, high, *, low_open=False, high_open=False):
    """A real number in [low, high] (or the open ends asked for)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{schedule}: {name} must be a number in {interval}, not {value!r}")
    return float(value)


def _start_factor(schedule, start_factor, warmup_steps):
    if start_factor is None:
        return 1.0 / (warmup_steps + 1)
    return _number(schedule, "start_factor", start_factor, 0.0, 1.0)


# ---------------------------------------------------------------------------------------
# The formulas: pure functions of the step and the parameters, checked by the factories.


def _constant(step):
    return 1.0


def _step_decay(step, step_size, gamma):
    return gamma ** (step // step_size)


def _multi_step(step, milestones, gamma):
    return gamma ** bisect.bisect_right(milestones, step)


def _exponential(step, gamma):
    return gamma**step


def _warmup(step, warmup_steps, start_factor):
    if step >= warmup_steps:
        return 1.0  # exactly: s + (1 - s) * 1 can round to 1.0000000000000002
    return start_factor + (1.0 - start_factor) * step / warmup_steps


def _half_cosine(progress):
    """1 at progress 0, 0 at progress 1, along half a cosine wave."""
    return (1.0 + math.cos(math.pi * progress)) / 2.0


def _linear_warmup(step, warmup_steps, start_factor):
    return _warmup(step, warmup_steps, start_factor)


def _cosine(step, max_steps, floor):
    return floor + (1.0 - floor) * _half_cosine(min(step, max_steps) / max_steps)


def _warmup_cosine(step, max_steps, warmup_steps, floor, start_factor):
    if step < warmup_steps:
        return _warmup(step, warmup_steps, start_factor)
    return _cosine(step - warmup_steps, max_steps - warmup_steps, floor)


def _sgdr(step, first_cycle, cycle_mult, floor):
    cycle_length = first_cycle
    while step >= cycle_length:  # walk the cycles in whole numbers: no logarithms, no rounding
        step -= cycle_length
        cycle_length *= cycle_mult
    return floor + (1.0 - floor) * _half_cosine(step / cycle_length)


def _triangular(step, step_size_up, step_size_down, floor):
    position = step % (step_size_up + step_size_down)
    if position <= step_size_up:
        height = position / step_size_up
    else:
        height = 1.0 - (position - step_size_up) / step_size_down
    return floor + (1.0 - floor) * height


def _anneal(start, end, progress, shape):
    if shape == "cos":
        return end + (start - end) * _half_cosine(progress)
    return start + (end - start) * progress


def _one_cycle(step, max_steps, pct_start, div_factor, final_div_factor, anneal, three_phase):
    initial = 1.0 / div_factor
    final = initial / final_div_factor
    # torch's phase boundaries: a phase ends AT a (possibly fractional) step, the last at max_steps - 1.
    peak_step = pct_start * max_steps - 1
    if three_phase:
        phases = [(peak_step, initial, 1.0), (2 * pct_start * max_steps - 2, 1.0, initial), (max_steps - 1, initial, final)]
    else:
        phases = [(peak_step, initial, 1.0), (max_steps - 1, 1.0, final)]
    step = min(step, max_steps - 1)
    phase_start = 0.0
    for end_step, start_value, end_value in phases:
        if step <= end_step:
            return _anneal(start_value, end_value, (step - phase_start) / (end_step - phase_start), anneal)
        phase_start = end_step


_WSD_DECAY = {
    "linear": lambda progress: 1.0 - progress,
    "cosine": _half_cosine,
    "1-sqrt": lambda progress: 1.0 - math.sqrt(progress),
}


def _wsd(step, max_steps, warmup_steps, decay_steps, floor, decay, start_factor):
    if step < warmup_steps:
        return _warmup(step, warmup_steps, start_factor)
    decay_start = max_steps - decay_steps
    if step < decay_start:
        return 1.0
    return floor + (1.0 - floor) * _WSD_DECAY[decay](min(1.0, (step - decay_start) / decay_steps))


def _inverse_sqrt(step, warmup_steps):
    step_number = step + 1  # Vaswani et al. count steps from 1
    return min(step_number / warmup_steps, math.sqrt(warmup_steps / step_number))


# ---------------------------------------------------------------------------------------
# The factories: check the arguments, state the formula, return a Schedule.


def constant() -> Schedule:
    """The same learning rate at every step: ``m(t) = 1``."""
    return Schedule("constant", _constant)


def step_decay(step_size: int, gamma: float = 0.1) -> Schedule:
    """Multiply the rate by ``gamma`` every ``step_size`` steps (torch's ``StepLR``).

    ``m(t) = gamma ** floor(t / step_size)``: 1 for steps ``0 .. step_size - 1``, then
    ``gamma``, then ``gamma**2``, ...
    """
    _whole("step_decay", "step_size", step_size, 1)
    gamma = _number("step_decay", "gamma", gamma, 0.0, 1.0, low_open=True)
    return Schedule("step_decay", _step_decay, step_size=step_size, gamma=gamma)


def multi_step(milestones, gamma: float = 0.1) -> Schedule:
    """Multiply the rate by ``gamma`` at each milestone step (torch's ``MultiStepLR``).

    ``m(t) = gamma ** (number of milestones <= t)``: the karpathy lectures' "train at 0.1,
    then 0.01 from step 100k" is ``multi_step([100_000], gamma=0.1)`` at peak 0.1.
    ``milestones`` are whole numbers >= 1 in increasing order.
    """
    milestones = tuple(milestones) if isinstance(milestones, (list, tuple)) else milestones
    if not isinstance(milestones, tuple) or not milestones:
        raise ValueError(f"multi_step: milestones must be a non-empty list of steps, not {milestones!r}")
    for milestone in milestones:
        _whole("multi_step", "every milestone", milestone, 1)
    if any(a >= b for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"multi_step: milestones must increase strictly, not {list(milestones)}; sort them and drop repeats")
    gamma = _number("multi_step", "gamma", gamma, 0.0, 1.0, low_open=True)
    return Schedule("multi_step", _multi_step, milestones=milestones, gamma=gamma)


def exponential(gamma: float) -> Schedule:
    """Multiply the rate by ``gamma`` after every step (torch's ``ExponentialLR``): ``m(t) = gamma ** t``.

    To fall by a factor ``r`` over ``n`` steps, ``gamma = r ** (-1 / n)``.
    """
    gamma = _number("exponential", "gamma", gamma, 0.0, 1.0, low_open=True)
    return Schedule("exponential", _exponential, gamma=gamma)


def linear_warmup(warmup_steps: int, start_factor: float | None = None) -> Schedule:
    """Raise the rate linearly from ``start_factor`` to 1 over ``warmup_steps`` steps, then hold it.

    ``m(t) = s + (1 - s) * min(t, W) / W`` with ``s = start_factor``, ``W = warmup_steps``
    (torch's ``LinearLR(start_factor=s, end_factor=1, total_iters=W)``). By default
    ``s = 1 / (W + 1)``, which makes ``m(t) = (t + 1) / (W + 1)``: never zero, so the first
    step already moves the weights, and 1 from step ``W`` on.

    Why warm up: Adam's early second-moment estimates rest on few gradients and the
    freshly initialised network's gradients are large, so full-size early steps can
    throw the weights somewhere the rest of training has to climb out of (Goyal et al.
    2017; Liu et al. 2020, "On the Variance of the Adaptive Learning Rate and Beyond").
    """
    _whole("linear_warmup", "warmup_steps", warmup_steps, 1)
    start_factor = _start_factor("linear_warmup", start_factor, warmup_steps)
    return Schedule("linear_warmup", _linear_warmup, warmup_steps=warmup_steps, start_factor=start_factor)


def cosine(max_steps: int, floor: float = 0.0) -> Schedule:
    """Anneal from 1 to ``floor`` along half a cosine wave over ``max_steps`` steps.

    ``m(t) = floor + (1 - floor) * (1 + cos(pi * t / T)) / 2`` with ``T = max_steps``,
    held at ``floor`` for ``t >= T``: torch's ``CosineAnnealingLR(T_max=T,
    eta_min=floor * peak)`` up to ``T``. (Loshchilov & Hutter 2016, SGDR, without the restarts.)
    """
    _whole("cosine", "max_steps", max_steps, 1)
    floor = _number("cosine", "floor", floor, 0.0, 1.0)
    return Schedule("cosine", _cosine, max_steps=max_steps, floor=floor)


def warmup_cosine(max_steps: int, warmup_steps: int, floor: float = 0.0, start_factor: float | None = None) -> Schedule:
    """Linear warmup over ``warmup_steps`` steps, then cosine annealing to ``floor`` at ``max_steps``.

    ``m(t) = s + (1 - s) * t / W`` for ``t < W`` (see :func:`linear_warmup`; by default
    ``(t + 1) / (W + 1)``), then ``floor + (1 - floor) * (1 + cos(pi * (t - W) / (T - W))) / 2``,
    held at ``floor`` from ``t = T = max_steps``. torch builds it as
    ``SequentialLR([LinearLR(s, 1, W), CosineAnnealingLR(T - W, floor * peak)], milestones=[W])``.
    The common choice for transformers (nanoGPT, most LLMs); ``warmup_steps=0`` is plain :func:`cosine`.
    """
    _whole("warmup_cosine", "max_steps", max_steps, 1)
    _whole("warmup_cosine", "warmup_steps", warmup_steps, 0)
    if warmup_steps >= max_steps:
        raise ValueError(f"warmup_cosine: warmup_steps ({warmup_steps}) must be less than max_steps ({max_steps})")
    floor = _number("warmup_cosine", "floor", floor, 0.0, 1.0)
    start_factor = _start_factor("warmup_cosine", start_factor, warmup_steps)
    return Schedule(
        "warmup_cosine", _warmup_cosine, max_steps=max_steps, warmup_steps=warmup_steps, floor=floor, start_factor=start_factor
    )


def sgdr(first_cycle: int, cycle_mult: int = 1, floor: float = 0.0) -> Schedule:
    """Cosine annealing with warm restarts (Loshchilov & Hutter 2016, SGDR).

    The rate anneals from 1 to ``floor`` along a cosine over a cycle of ``T_i`` steps,
    then jumps back to 1: ``m(t) = floor + (1 - floor) * (1 + cos(pi * t_cur / T_i)) / 2``
    where ``t_cur`` is the step within the current cycle, ``T_0 = first_cycle`` and each
    cycle is ``cycle_mult`` times longer than the one before. torch's
    ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min=floor * peak)``.
    """
    _whole("sgdr", "first_cycle", first_cycle, 1)
    _whole("sgdr", "cycle_mult", cycle_mult, 1)
    floor = _number("sgdr", "floor", floor, 0.0, 1.0)
    return Schedule("sgdr", _sgdr, first_cycle=first_cycle, cycle_mult=cycle_mult, floor=floor)


def triangular(step_size_up: int, step_size_down: int | None = None, floor: float = 0.25) -> Schedule:
    """Cyclical learning rate, triangular policy (Smith 2017, "Cyclical Learning Rates").

    The multiplier climbs linearly from ``floor`` to 1 over ``step_size_up`` steps and
    falls back over ``step_size_down`` steps (default: the same), again and again. With
    ``u``, ``d`` the two half-cycles and ``x = t mod (u + d)``:
    ``m(t) = floor + (1 - floor) * (x / u if x <= u else 1 - (x - u) / d)``.
    torch's ``CyclicLR(base_lr=floor * peak, max_lr=peak, mode="triangular")``. Smith
    suggests a bottom 3 to 4 times below the top, hence ``floor=0.25``.
    """
    _whole("triangular", "step_size_up", step_size_up, 1)
    step_size_down = step_size_up if step_size_down is None else _whole("triangular", "step_size_down", step_size_down, 1)
    floor = _number("triangular", "floor", floor, 0.0, 1.0)
    return Schedule("triangular", _triangular, step_size_up=step_size_up, step_size_down=step_size_down, floor=floor)


def one_cycle(
    max_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """One cycle (Smith & Topin 2018, "Super-Convergence"), exactly as torch's ``OneCycleLR``.

    With ``T = max_steps``: start at ``1 / div_factor``, rise to 1 at step ``p = pct_start * T - 1``,
    then fall to ``1 / (div_factor * final_div_factor)`` at step ``T - 1``, the last step
    of the run. Within a phase from ``a`` (at step ``s0``) to ``b`` (at step ``s1``) with
    ``x = (t - s0) / (s1 - s0)``, ``anneal="cos"`` gives ``b + (a - b) * (1 + cos(pi * x)) / 2``
    and ``anneal="linear"`` gives ``a + (b - a) * x``. ``three_phase=True`` is the paper's
    version: up to 1, back down to ``1 / div_factor`` at step ``2 * pct_start * T - 2``, then
    down to the final value. The defaults are torch's (fastai's two phases).

    ``max_steps`` must be the number of optimizer steps the run takes: the classic
    mistake is to count epochs, or to forget that the rate bottoms out only at the end.
    Held at the final value after step ``T - 1``. (torch also cycles the momentum; this
    is the learning rate alone.)
    """
    _whole("one_cycle", "max_steps", max_steps, 2)
    pct_start = _number("one_cycle", "pct_start", pct_start, 0.0, 0.5 if three_phase else 1.0, low_open=True, high_open=True)
    if pct_start * max_steps <= 1:
        raise ValueError(
            f"one_cycle: pct_start * max_steps must exceed 1 so the warm-up phase has a step, "
            f"not {pct_start} * {max_steps}; raise either"
        )
    div_factor = _number("one_cycle", "div_factor", div_factor, 1.0, math.inf, high_open=True)
    final_div_factor = _number("one_cycle", "final_div_factor", final_div_factor, 1.0, math.inf, high_open=True)
    if anneal not in ("cos", "linear"):
        raise ValueError(f"one_cycle: anneal must be 'cos' or 'linear', not {anneal!r}")
    if not isinstance(three_phase, bool):
        raise ValueError(f"one_cycle: three_phase must be True or False, not {three_phase!r}")
    return Schedule(
        "one_cycle",
        _one_cycle,
        max_steps=max_steps,
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        anneal=anneal,
        three_phase=three_phase,
    )


def wsd(
    max_steps: int,
    warmup_steps: int = 0,
    decay_fraction: float = 0.2,
    floor: float = 0.0,
    decay: str = "linear",
    start_factor: float | None = None,
) -> Schedule:
    """Warmup-stable-decay: warm up, hold the peak, then decay over the last stretch.

    With ``W = warmup_steps``, ``D = round(decay_fraction * max_steps)`` and ``T = max_steps``:
    the :func:`linear_warmup` formula for ``t < W``, 1 for ``W <= t < T - D``, then
    ``floor + (1 - floor) * f(x)`` with ``x = (t - (T - D)) / D`` reaching 1 at ``T``, where
    ``f(x)`` is ``1 - x`` (``decay="linear"``), ``(1 + cos(pi * x)) / 2`` (``"cosine"``) or
    ``1 - sqrt(x)`` (``"1-sqrt"``, the best in Hägele et al. 2024). Used to train MiniCPM
    (Hu et al. 2024) and studied by Hägele et al. 2024 ("Scaling Laws and Compute-Optimal
    Training Beyond Fixed Training Durations"): the long flat stretch means one run can
    be branched into decays of any length. No torch equivalent.
    """
    _whole("wsd", "max_steps", max_steps, 1)
    _whole("wsd", "warmup_steps", warmup_steps, 0)
    decay_fraction = _number("wsd", "decay_fraction", decay_fraction, 0.0, 1.0, low_open=True)
    decay_steps = round(decay_fraction * max_steps)
    if decay_steps < 1:
        raise ValueError(f"wsd: decay_fraction * max_steps rounds to no step at all ({decay_fraction} * {max_steps}); raise either")
    if warmup_steps + decay_steps > max_steps:
        raise ValueError(
            f"wsd: warmup ({warmup_steps}) and decay ({decay_steps}) steps add up to more than max_steps ({max_steps}); shorten them"
        )
    floor = _number("wsd", "floor", floor, 0.0, 1.0)
    if decay not in _WSD_DECAY:
        raise ValueError(f"wsd: decay must be one of {', '.join(map(repr, _WSD_DECAY))}, not {decay!r}")
    start_factor = _start_factor("wsd", start_factor, warmup_steps)
    return Schedule(
        "wsd",
        _wsd,
        max_steps=max_steps,
        warmup_steps=warmup_steps,
        decay_steps=decay_steps,
        floor=floor,
        decay=decay,
        start_factor=start_factor,
    )


def inverse_sqrt(warmup_steps: int) -> Schedule:
    """Linear warmup, then decay as one over the square root of the step (Vaswani et al. 2017).

    The Transformer paper's rate is ``d_model**-0.5 * min(n**-0.5, n * W**-1.5)`` at step
    number ``n = t + 1``. Divided by its peak (reached at ``n = W``) it is the multiplier
    ``m(t) = min((t + 1) / W, sqrt(W / (t + 1)))``: peak 1 at ``t = W - 1``, half of it at
    ``t = 4W - 1``. It never reaches zero and needs no run length (no torch equivalent).
    """
    _whole("inverse_sqrt", "warmup_steps", warmup_steps, 1)
    return Schedule("inverse_sqrt", _inverse_sqrt, warmup_steps=warmup_steps)


SCHEDULES = {
    "constant": constant,
    "step_decay": step_decay,
    "multi_step": multi_step,
    "exponential": exponential,
    "linear_warmup": linear_warmup,
    "cosine": cosine,
    "warmup_cosine": warmup_cosine,
    "sgdr": sgdr,
    "triangular": triangular,
    "one_cycle": one_cycle,
    "wsd": wsd,
    "inverse_sqrt": inverse_sqrt,
}
"""Every schedule factory, by name, in the order a lesson introduces them."""


def example_schedules(max_steps: int) -> dict[str, Schedule]:
    """One typical instance of every schedule in :data:`SCHEDULES`, sized for a ``max_steps`` run.

    For plotting them side by side; the settings are common ones, not tuned ones
    (warmups of 5% of the run, floors of 0.1, decays by 10x).
    """
    _whole("example_schedules", "max_steps", max_steps, 20)
    warmup = max(1, max_steps // 20)
    return {
        "constant": constant(),
        "step_decay": step_decay(step_size=max_steps // 3, gamma=0.3),
        "multi_step": multi_step([max_steps // 2, max_steps * 3 // 4], gamma=0.1),
        "exponential": exponential(gamma=0.1 ** (1 / max_steps)),
        "linear_warmup": linear_warmup(warmup),
        "cosine": cosine(max_steps, floor=0.1),
        "warmup_cosine": warmup_cosine(max_steps, warmup, floor=0.1),
        "sgdr": sgdr(first_cycle=-(-max_steps // 7), cycle_mult=2, floor=0.1),  # 3 cycles: 1 + 2 + 4 sevenths
        "triangular": triangular(step_size_up=max_steps // 8),
        "one_cycle": one_cycle(max_steps),
        "wsd": wsd(max_steps, warmup_steps=warmup, decay_fraction=0.2, floor=0.1),
        "inverse_sqrt": inverse_sqrt(warmup),
    }


def to_torch(optimizer: torch.optim.Optimizer, schedule) -> torch.optim.lr_scheduler.LambdaLR:
    """A torch ``LambdaLR`` that sets ``optimizer``'s rate to ``peak * schedule(t)`` at step ``t``.

    The peak is the rate the optimizer was created with. Call ``scheduler.step()`` once
    after every ``optimizer.step()``, never before (torch's rule: the other order skips
    ``schedule(0)`` and runs the whole schedule one step early)::

        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)   # the peak
        scheduler = to_torch(optimizer, warmup_cosine(5000, 200))
        for step in range(5000):
            ...; loss.backward(); optimizer.step(); scheduler.step()
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"to_torch: optimizer must be a torch.optim.Optimizer, not {type(optimizer).__name__}")
    if not callable(schedule):
        raise ValueError(f"to_torch: schedule must be a function of the step (e.g. cosine(1000)), not {type(schedule).__name__}")
    return ScheduleLR(optimizer, schedule)


class ScheduleLR(torch.optim.lr_scheduler.LambdaLR):
    """What :func:`to_torch` returns: a ``LambdaLR`` whose checkpoint resumes exactly and
    safely. Its ``state_dict`` holds the step count and each schedule's name and
    parameters (plain data, so ``torch.load(..., weights_only=True)`` reads it), and
    ``load_state_dict`` refuses a state saved with another schedule, where ``LambdaLR``
    would quietly replace the schedule it was built with by the saved one's settings.
    """

    def load_state_dict(self, state_dict: dict) -> None:
        saved = state_dict.get("lr_lambdas", [])
        for schedule, settings in zip(self.lr_lambdas, saved):
            if isinstance(schedule, Schedule) and settings is not None and settings != vars(schedule):
                args = ", ".join(f"{name}={value!r}" for name, value in settings.get("params", {}).items())
                raise ValueError(f"this scheduler state was saved with {settings.get('name')}({args}), not {schedule!r}; "
                                 "rebuild the scheduler with the schedule it was saved with")
        super().load_state_dict(state_dict)


def plot_schedules(schedules: dict, steps: int, ax=None, peak_lr: float | None = None):
    """Draw ``{label: schedule}`` against the step (0 .. steps - 1) on one set of axes.

    The y axis is the multiplier of the peak, or the rate itself when ``peak_lr`` is
    given. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    scale = 1.0 if peak_lr is None else peak_lr
    for label, schedule in schedules.items():
        ax.plot(range(steps), [scale * schedule(step) for step in range(steps)], label=label)
    ax.set(
        title="learning-rate schedules",
        xlabel="step",
        ylabel="multiplier of the peak learning rate" if peak_lr is None else "learning rate",
    )
    ax.legend()
    return ax
