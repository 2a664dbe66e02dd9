"""A training run's plan: its settings (:class:`TrainConfig`), each model type's
recommended ones, the learning-rate schedule they describe, and how the plan changes when
a run is resumed with another length or stops early.

::

    config = recommended_train_config("gru", max_steps=6000)
    schedule = config_schedule(config)        # multiplier of config.learning_rate at each step
    longer = continued_config(config, step=6000, max_steps=9000)   # goes on from where it was
    budget = CpuBudget(25)                    # or a length in CPU seconds: train(..., budget=budget)

:func:`nnzero.makemore.training.train` follows the plan; this module only describes it.
"""

import dataclasses
import math
from dataclasses import dataclass

from nnzero import schedules

OPTIMIZERS = ("adamw", "muon")



@dataclass
class TrainConfig:
    """How to train: the optimiser's settings, how long, how often to evaluate, where.

    The defaults are makemore's (AdamW, learning rate 5e-4, weight decay 0.01, betas
    0.9/0.99, batch 32); :func:`recommended_train_config` gives each model type its own.
    """

    max_steps: int = 3000  # optimisation steps in all (a resumed run continues up to this)
    batch_size: int = 32  # words per step
    optimizer: str = "adamw"  # "adamw", or "muon": Muon for the weight matrices inside the network, AdamW for the rest
    learning_rate: float = 5e-4  # the peak learning rate; lr_schedule(step) multiplies it
    weight_decay: float = 0.01  # decoupled weight decay, on weight matrices only
    betas: tuple = (0.9, 0.99)  # AdamW's averaging rates for the gradient and its square
    grad_clip: float | None = None  # clip the gradient's global norm to this; None = no clipping
    warmup_steps: int = 0  # raise the rate linearly over this many steps, as (t + 1) / (W + 1) (with lr_schedule=None)
    final_lr_fraction: float = 1.0  # cosine decay to this fraction of the rate by max_steps; 1.0 = constant
    eval_interval: int = 500  # evaluate on the whole validation set every this many steps
    # Early stopping: after `patience` evaluations in a row that do not beat the best
    # validation loss so far by more than `min_improvement`, the run goes back to its best
    # state and ends with a cooldown of `cooldown_fraction` times the steps taken by then
    # (see train() and stop_early()). patience 0: never.
    patience: int = 0
    min_improvement: float = 0.0
    cooldown_fraction: float = 0.5
    eval_batch_size: int = 512  # words per forward pass during evaluation (memory, not results)
    seed: int = 3407  # seeds the batch sampler (the CLI also seeds the model's initialisation)
    device: str = "auto"  # "auto" picks cuda, then mps, then cpu; or "cpu", "cuda", "cuda:1", "mps"
    save_best: bool = True  # with a work_dir: keep best.pt, the model with the lowest validation loss
    save_last: bool = True  # with a work_dir: keep last.pt, the latest state, at every evaluation
    # (step, multiplier): a run resumed with another max_steps continues its rate from
    # this multiplier at this step, along a cosine to final_lr_fraction at max_steps
    # (set by continued_config; see config_schedule). None: a run planned from step 0.
    continue_from: tuple | None = None

    def __post_init__(self):
        self.betas = tuple(self.betas)
        if self.continue_from is not None:
            self.continue_from = (int(self.continue_from[0]), float(self.continue_from[1]))
        checks = [
            (isinstance(self.max_steps, int) and self.max_steps >= 0, "max_steps", "must be a whole number >= 0"),
            (isinstance(self.batch_size, int) and self.batch_size >= 1, "batch_size", "must be a whole number >= 1"),
            (self.optimizer in OPTIMIZERS, "optimizer", f"must be one of {', '.join(OPTIMIZERS)}"),
            (self.learning_rate > 0, "learning_rate", "must be > 0"),
            (self.weight_decay >= 0, "weight_decay", "must be >= 0"),
            (len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas), "betas", "must be two numbers in [0, 1)"),
            (self.grad_clip is None or self.grad_clip > 0, "grad_clip", "must be > 0 (None: no clipping)"),
            (isinstance(self.warmup_steps, int) and self.warmup_steps >= 0, "warmup_steps", "must be a whole number >= 0"),
            (0 <= self.final_lr_fraction <= 1, "final_lr_fraction", "must be in [0, 1]"),
            (isinstance(self.eval_interval, int) and self.eval_interval >= 1, "eval_interval", "must be a whole number >= 1"),
            (isinstance(self.patience, int) and self.patience >= 0, "patience", "must be a whole number >= 0 (0: never stop early)"),
            (self.min_improvement >= 0, "min_improvement", "must be >= 0"),
            (0 <= self.cooldown_fraction <= 1, "cooldown_fraction", "must be in [0, 1]"),
            (isinstance(self.eval_batch_size, int) and self.eval_batch_size >= 1, "eval_batch_size", "must be a whole number >= 1"),
        ]
        for ok, name, message in checks:
            if not ok:
                raise ValueError(f"{name} {message}, not {getattr(self, name)!r}")

    def to_dict(self) -> dict:
        """Plain data for a checkpoint; :meth:`from_dict` reverses it."""
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        if self.continue_from is not None:
            data["continue_from"] = list(self.continue_from)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Rebuild a config from :meth:`to_dict`'s output."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {unknown}; known fields are {sorted(known)}")
        return cls(**data)


def recommended_train_config(model_type: str, **overrides) -> TrainConfig:
    """The training settings that suit each model type, as a :class:`TrainConfig`.

    Why they differ:

    - bigram: one table of logits, started at zero, that must climb to log-probabilities
      of -8..0; makemore's 5e-4 leaves it far from converged after thousands of steps,
      so it gets a large rate and big batches. No weight decay: it would pull the table
      toward a uniform guess.
    - every other type: a peak rate of 3e-3, reached by a linear warmup of 200 steps and
      decayed along a cosine to 5% of it by the last step; the decay matters most at the
      end, where a constant rate keeps the loss noisy.
    - rnn, lstm, gru: the gradient norm clipped at 1, because gradients through many time
      steps can explode (Pascanu et al. 2013, "On the difficulty of training recurrent
      neural networks").
    - transformer: Muon for the weight matrices of its blocks (AdamW for the rest,
      :func:`make_optimizer`), batches of 64 names at a peak of 4e-3, and weight decay
      0.1 (with its dropout) against overfitting.

    Each choice was measured on the names against the alternatives; the figures, with
    their dates and machines, are in bench/BENCHMARKS.md (the makemore section).

    ``max_steps`` is roughly what each type can do in a few minutes on a laptop CPU.
    Keyword ``overrides`` replace fields, e.g. ``recommended_train_config("mlp", seed=1)``.
    """
    decayed = dict(learning_rate=3e-3, warmup_steps=200, final_lr_fraction=0.05)
    settings = {
        "bigram": dict(max_steps=2000, batch_size=256, learning_rate=5e-2, weight_decay=0.0),
        "mlp": dict(decayed, max_steps=20000),
        "wavenet": dict(decayed, max_steps=8000),
        "rnn": dict(decayed, max_steps=10000, grad_clip=1.0),
        "lstm": dict(decayed, max_steps=10000, grad_clip=1.0),
        "gru": dict(decayed, max_steps=10000, grad_clip=1.0),
        "transformer": dict(decayed, max_steps=8000, batch_size=64, optimizer="muon", learning_rate=4e-3, weight_decay=0.1),
    }
    if model_type not in settings:
        raise ValueError(f"unknown model type {model_type!r}; choose one of {', '.join(settings)}")
    return TrainConfig(**{**settings[model_type], **overrides})


def config_schedule(config: TrainConfig) -> schedules.Schedule:
    """The learning-rate schedule a :class:`TrainConfig` describes, from ``nnzero.schedules``
    (the same functions lesson 13 teaches): ``warmup_cosine(max_steps, warmup_steps,
    floor=final_lr_fraction)``, a linear warmup as ``(t + 1) / (W + 1)`` then a cosine to
    the floor at ``max_steps``. Constant by default (no warmup, floor 1). A run that ends
    before its warmup does only ever sees the warmup, so it gets ``linear_warmup``. A
    resumed run whose length changed continues as :func:`continued_config` says.
    """
    if config.continue_from is not None:
        start, multiplier = config.continue_from
        floor, length = config.final_lr_fraction, max(1, config.max_steps - start)

        def continued(step):  # defined from `start` on; the earlier steps followed the earlier plan
            progress = min(1.0, max(0, step - start) / length)
            return floor + (multiplier - floor) * (1 + math.cos(math.pi * progress)) / 2

        return continued
    if config.warmup_steps >= config.max_steps:
        return schedules.linear_warmup(config.warmup_steps) if config.warmup_steps else schedules.constant()
    return schedules.warmup_cosine(config.max_steps, config.warmup_steps, floor=config.final_lr_fraction)


def continued_config(planned: TrainConfig, step: int, **changes) -> TrainConfig:
    """The config of a run resumed at ``step`` from one trained with ``planned``, with
    ``changes`` (e.g. another ``max_steps``).

    The same ``max_steps`` resumes exactly as if the run had never stopped. Another one
    does not restart the schedule (which would throw the rate back up toward its peak):
    still in the warmup, the warmup goes on and the cosine is laid over the new length;
    past it, the rate continues from where ``planned``'s schedule is at ``step`` and
    decays along a cosine to ``final_lr_fraction`` at the new ``max_steps``. A run
    extended after it finished therefore goes on at its final, small rate.
    """
    resumed = dataclasses.replace(planned, **changes)
    if resumed.max_steps == planned.max_steps or (planned.continue_from is None and step <= planned.warmup_steps):
        return resumed
    return dataclasses.replace(resumed, continue_from=(step, float(config_schedule(planned)(step))))


def plan_start(config: TrainConfig) -> int:
    """The step at which a config's plan began: 0, or where a resumed or stopped run's new
    plan took over (``continue_from``)."""
    return config.continue_from[0] if config.continue_from is not None else 0


def evaluations_without_improvement(val_loss, config: TrainConfig) -> int:
    """How many evaluations in a row, up to the latest of ``val_loss`` ((step, loss) pairs),
    have not beaten the best loss before them by more than ``config.min_improvement``.

    A run resumed with another ``max_steps`` (``config.continue_from``) counts from where
    its new plan began, against the best loss before it: extending a run gives it
    ``patience`` evaluations to improve, not none.
    """
    start = plan_start(config)
    best, waited = math.inf, 0
    for step, loss in val_loss:
        if step <= start or loss < best - config.min_improvement:
            best, waited = min(best, loss), 0
        else:
            waited += 1
    return waited


def stop_early(config: TrainConfig, step: int, multiplier: float, cooldown: bool = True) -> TrainConfig:
    """The plan of a run that goes on from ``step`` (its best evaluation), where its
    learning-rate multiplier was ``multiplier``, only for a cooldown: ``cooldown_fraction``
    times the steps its plan had taken by then (rounded up), over which the rate decays along
    a cosine from ``multiplier`` to ``final_lr_fraction`` (:func:`config_schedule` with
    ``continue_from``). No cooldown when the rate is constant (``final_lr_fraction`` 1) or
    ``cooldown`` is False (a schedule of the caller's, which this cannot continue): the run
    ends at ``step``.
    """
    steps = math.ceil(config.cooldown_fraction * (step - plan_start(config))) if cooldown and config.final_lr_fraction < 1 else 0
    return dataclasses.replace(config, max_steps=step + steps, continue_from=(step, float(multiplier)))


@dataclass(frozen=True)
class CpuBudget:
    """A run's length as CPU time instead of steps: ``train(..., budget=CpuBudget(25))``
    trains until its steps have taken ``seconds`` CPU seconds of this process (evaluations
    not counted), and scores the validation set ``evaluations`` times, step 0 and the last
    step included, about evenly spaced in that time.

    The number of steps then depends on how fast the machine runs that day, and so does
    every loss: a run by time does not repeat to the last digit, a run by steps does. It is
    the way to give different models the same time (lesson 12).
    """

    seconds: float
    evaluations: int = 10

    def __post_init__(self):
        if not (isinstance(self.seconds, (int, float)) and math.isfinite(self.seconds) and self.seconds > 0):
            raise ValueError(f"a CPU budget's seconds must be a number > 0, not {self.seconds!r}")
        if isinstance(self.evaluations, bool) or not isinstance(self.evaluations, int) or self.evaluations < 2:
            raise ValueError(f"a CPU budget's evaluations must be a whole number >= 2 (the first and the last), "
                             f"not {self.evaluations!r}")

    def next_evaluation(self, done: int) -> float:
        """The CPU seconds at which evaluation number ``done`` (from 0, at step 0) falls due."""
        return self.seconds * done / (self.evaluations - 1)

    def steps_planned(self, step: int, spent: float, cap: int) -> int:
        """The steps this budget will allow, estimated from ``step`` steps in ``spent``
        seconds (at most ``cap``, and always more than ``step`` until the time is up)."""
        if spent >= self.seconds:
            return step
        estimate = round(step * self.seconds / spent) if spent > 0 else cap
        return max(step + 1, min(cap, estimate))


def budget_schedule(config: TrainConfig, budget: CpuBudget, spent):
    """:func:`config_schedule`'s schedule laid over a :class:`CpuBudget` instead of
    ``max_steps``: the warmup counts steps, as ``(t + 1) / (W + 1)``; after it, the cosine
    to ``final_lr_fraction`` runs over CPU time, from the time spent when the warmup ended
    to ``budget.seconds``. ``spent()`` gives the CPU seconds of training so far; it is read
    at each step. When every step takes the same time this is ``config_schedule`` for the
    number of steps the budget allows.
    """
    floor, warmup_steps = config.final_lr_fraction, config.warmup_steps
    warmup = schedules.linear_warmup(warmup_steps) if warmup_steps else None
    warmup_ended = None

    def multiplier(step):
        nonlocal warmup_ended
        if step < warmup_steps:
            return warmup(step)
        if warmup_ended is None:
            warmup_ended = spent()
        left = budget.seconds - warmup_ended
        progress = min(1.0, (spent() - warmup_ended) / left) if left > 0 else 1.0
        return floor + (1 - floor) * (1 + math.cos(math.pi * progress)) / 2

    return multiplier
