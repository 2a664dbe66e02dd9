"""One record for every training run a study keeps: what was trained, how long it took,
its validation curve and where it ended; with summaries over seeds and plain-JSON storage.

::

    history = train(model, train_data, val_data, config)
    run = Run.from_history("gru", seed=0, history=history, test=evaluate(model, test_data),
                           settings={"model_type": "gru", "steps": 6000}, params=n_params)
    summarize(runs)["gru"]          # Summary(mean=..., low=..., high=..., n=3) of the final val
    print(format_summary(runs, {"val": lambda r: r.val, "test": lambda r: r.test}))
    save_runs("runs.json", runs); load_runs("runs.json")

The zoo (lesson 12), the recurrent models' table (lessons 08-10) and the learning-rate
experiments (lessons 13-15) all keep their runs in this one form.
"""

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nnzero.makemore.checkpoint import atomic_write


@dataclass
class Run:
    """One training run.

    - ``label``: what the run stands for in a comparison ("gru", "cosine", ...); runs with
      the same label and different seeds are repeats. ``seed`` fixed its initialisation,
      batches and dropout masks.
    - ``settings``: plain data that determined the run (model and training configs, the
      schedule...). ``extra``: plain data measured about it (parameters, share of new
      names...).
    - ``steps``: steps taken. ``cpu_seconds``: CPU time of this process in training steps
      (evaluations not counted; on one thread, the time the run takes on a core of its
      own, however busy the machine). ``wall_seconds``: the whole run by the wall clock,
      evaluations included, on the machine that made it. Either is None where not measured.
    - ``curve``: ``[step, cpu_seconds, val_loss]`` at every evaluation (cpu_seconds None
      where not measured); ``val``: the final validation loss; ``best_val``: the lowest;
      ``test``: the test loss, if measured.
    """

    label: str
    seed: int
    steps: int
    val: float
    best_val: float
    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    curve: list = field(default_factory=list)
    test: float | None = None
    settings: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_history(cls, label: str, seed: int, history, *, settings=None, test=None, wall_seconds=None, **extra) -> "Run":
        """The record of a makemore ``train()`` run from its :class:`History`; keyword
        arguments beyond those named go into ``extra``. ``wall_seconds`` is the caller's
        to measure (the History counts training steps only)."""
        curve = [[step, cpu, val] for (step, val), cpu in zip(history.val_loss, history.cpu_elapsed)]
        return cls(
            label=label,
            seed=seed,
            steps=history.step,
            val=history.val_loss[-1][1],
            best_val=history.best_val,
            cpu_seconds=history.cpu_seconds,
            wall_seconds=wall_seconds,
            curve=curve,
            test=test,
            settings=dict(settings or {}),
            extra=extra,
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Run":
        return cls(**data)


@dataclass(frozen=True)
class Summary:
    """A value over repeated runs: its mean, lowest and highest, and how many runs."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def spread(self) -> float:
        """Half the range: ``mean ± spread`` covers every run when the runs are symmetric."""
        return (self.high - self.low) / 2

    def __format__(self, spec: str) -> str:
        spec = spec or ".4f"
        return f"{self.mean:{spec}}" if self.n == 1 else f"{self.mean:{spec}} ± {self.spread:{spec}}"


def summarize(runs, by=lambda run: run.label, value=lambda run: run.val) -> dict:
    """``{group: Summary}`` of ``value(run)`` over the runs of each group, groups in the
    order they first appear (by default: the final validation loss, by label)."""
    groups = {}
    for run in runs:
        groups.setdefault(by(run), []).append(value(run))
    return {key: Summary(statistics.fmean(values), min(values), max(values), len(values)) for key, values in groups.items()}


def format_summary(runs, columns: dict, by=lambda run: run.label, title: str = "") -> str:
    """A plain-text table: one row per group, ``mean ± half-range`` of each column's
    ``{name: value(run)}`` over the group's runs, and the number of runs."""
    summaries = {name: summarize(runs, by, value) for name, value in columns.items()}
    groups = list(dict.fromkeys(by(run) for run in runs))
    width = max([len(str(group)) for group in groups] + [len(title)])
    lines = [f"{title:<{width}}  {'runs':>4}" + "".join(f"  {name:>16}" for name in columns)]
    for group in groups:
        cells = "".join(f"  {format(summaries[name][group]):>16}" for name in columns)
        lines.append(f"{str(group):<{width}}  {summaries[next(iter(columns))][group].n:>4}{cells}")
    return "\n".join(lines)


def save_runs(path, runs) -> None:
    """Write the runs as JSON, atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps([run.to_dict() for run in runs], indent=1)
    atomic_write(path, lambda file: file.write(text.encode("utf-8")))


def load_runs(path) -> list:
    """The runs :func:`save_runs` wrote to ``path``."""
    return [Run.from_dict(data) for data in json.loads(Path(path).read_text(encoding="utf-8"))]
