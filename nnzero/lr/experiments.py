"""Experiments that settle questions about schedules: schedules x peak LRs x seeds, cached.

One call trains a fresh makemore model for every combination, at an equal step budget,
and returns a tidy table and the validation-loss curves::

    results = run_experiments(
        "transformer",
        {"constant": lambda n: constant(), "cosine": lambda n: warmup_cosine(n, n // 20, floor=0.05)},
        peak_lrs=[1e-3, 3e-3], seeds=[0, 1, 2], steps=3000, cache_dir="results/lr",
    )
    results.rows                      # one dict per run: schedule, peak_lr, seed, final_val, ...
    print(format_summary(results))    # mean ± std per schedule and peak LR
    plot_runs(results); plot_sensitivity(results)

Every run is stored as one JSON file in ``cache_dir``, named by a hash of everything
that determines its outcome (the model type and shape, the training settings, the
schedule's name and its multiplier at every step, the data's sha256, the split, the
torch release and ``TRAINING_ARITHMETIC``, which changes when what ``train()`` computes
does; a new nnzero version that leaves it alone still loads the stored runs). Calling again with the same settings reloads the runs
instead of training them, so a lesson shows stored results in seconds;
``regenerate=True`` trains them all again and overwrites the files. Changing any
setting (even one step of a schedule) gives new files, never stale results.

Runs are judged on the validation split; the test split stays untouched for the final
word on whichever setting wins.
"""

import dataclasses
import hashlib
import json
import math
import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from nnzero.makemore import checkpoint
from nnzero.makemore.checkpoint import atomic_write
from nnzero.makemore.data import SPLIT_SEED, load_words, sequence_splits, words_sha256
from nnzero.makemore.models import ModelConfig, build_model, default_config
from nnzero.makemore.training import TRAINING_ARITHMETIC, recommended_train_config, train
from nnzero.schedules import constant, linear_warmup, wsd
from nnzero.studies.runs import Run

CACHE_FORMAT = 2  # bump when the JSON layout changes, so old files are not misread
COLUMNS = ("schedule", "peak_lr", "seed", "final_val", "best_val", "wall_seconds")


def default_cache_dir() -> Path:
    """Where runs are stored when no ``cache_dir`` is given: ``$XDG_CACHE_HOME/nnzero/lr_experiments``
    (``~/.cache/nnzero/lr_experiments`` by default)."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "nnzero" / "lr_experiments"


@dataclass
class Results:
    """The runs of :func:`run_experiments`, as a tidy table (``rows``) and curves (``curves``).

    Each run is a :class:`~nnzero.studies.runs.Run` labelled with its schedule's name;
    its peak LR is :func:`peak_lr` of it. ``trained`` counts the runs this call trained;
    the rest were loaded from the cache.
    """

    model_type: str
    steps: int
    runs: list
    trained: int = 0

    @property
    def rows(self) -> list[dict]:
        """One dict per run with the keys of :data:`COLUMNS`, in the order the runs were made."""
        return [
            {
                "schedule": run.label,
                "peak_lr": peak_lr(run),
                "seed": run.seed,
                "final_val": run.val,
                "best_val": run.best_val,
                "wall_seconds": run.wall_seconds,
            }
            for run in self.runs
        ]

    @property
    def curves(self) -> dict:
        """``{(schedule, peak_lr, seed): (steps, val)}``: every run's validation curve."""
        return {(run.label, peak_lr(run), run.seed): ([p[0] for p in run.curve], [p[2] for p in run.curve]) for run in self.runs}

    @property
    def schedules(self) -> list[str]:
        """The schedule names, in the order they were given."""
        return list(dict.fromkeys(run.label for run in self.runs))

    @property
    def peak_lrs(self) -> list[float]:
        """The peak learning rates, from low to high."""
        return sorted({peak_lr(run) for run in self.runs})

    def runs_of(self, schedule: str, lr: float) -> list[Run]:
        """The runs of ``schedule`` at peak LR ``lr``, one per seed."""
        return [run for run in self.runs if run.label == schedule and peak_lr(run) == lr]

    def final_vals(self, schedule: str, lr: float) -> list[float]:
        """The final validation losses of ``schedule`` at peak LR ``lr``, one per seed."""
        return [run.val for run in self.runs_of(schedule, lr)]


def peak_lr(run: Run) -> float:
    """The peak learning rate a run was trained with."""
    return run.settings["train_config"]["learning_rate"]


# TrainConfig fields that change no number of a run: memory, checkpoint files, and
# early stopping's details while it is off (patience 0).
_NO_ARITHMETIC = ("eval_batch_size", "save_best", "save_last")
_EARLY_STOPPING = ("min_improvement", "cooldown_fraction")


def arithmetic(config) -> dict:
    """The TrainConfig fields that decide what a run computes, for the cache key: a new
    field, or a new default, that leaves the arithmetic alone keeps the stored runs valid."""
    fields = config.to_dict()
    dropped = _NO_ARITHMETIC + (_EARLY_STOPPING if not config.patience else ())
    return {name: value for name, value in fields.items() if name not in dropped}


def _multipliers_sha256(schedule, steps) -> str:
    values = [float(schedule(step)) for step in range(steps)]
    return hashlib.sha256(repr(values).encode("utf-8")).hexdigest()


def _run_path(cache_dir: Path, settings: dict) -> Path:
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8")).hexdigest()
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", settings["schedule"])
    peak_lr = settings["train_config"]["learning_rate"]
    return cache_dir / f"{settings['model_type']}_{label}_lr{peak_lr:g}_seed{settings['seed']}_{key[:16]}.json"


def _load_run(path: Path, settings: dict) -> Run | None:
    """The stored run at ``path`` if it exists, is readable and was made with exactly ``settings``."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return Run.from_dict(stored) if stored["settings"] == settings else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_run(path: Path, run: Run) -> None:
    """Write the run atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(run.to_dict(), indent=1)
    atomic_write(path, lambda file: file.write(text.encode("utf-8")))


def _check_list(name, values, kind):
    values = list(values)
    if not values:
        raise ValueError(f"run_experiments: {name} must list at least one value")
    if len(set(values)) != len(values):
        raise ValueError(f"run_experiments: {name} must not repeat a value, not {values}")
    for value in values:
        if kind == "lr" and not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < math.inf):
            raise ValueError(f"run_experiments: every peak LR must be a number > 0, not {value!r}")
        if kind == "seed" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"run_experiments: every seed must be a whole number, not {value!r}")
        if kind == "length" and (isinstance(value, bool) or not isinstance(value, int) or value < 2):
            raise ValueError(f"run_experiments: every length must be a whole number >= 2, not {value!r}")
    return values


def run_experiments(
    model_type: str,
    schedules: dict,
    peak_lrs,
    seeds,
    *,
    steps: int,
    words=None,
    cache_dir=None,
    batch_size: int | None = None,
    eval_interval: int | None = None,
    regenerate: bool = False,
    model_overrides: dict | None = None,
    train_overrides: dict | None = None,
    device: str = "cpu",
    progress: bool = False,
    dedupe: bool = False,
) -> Results:
    """Train a fresh ``model_type`` model for every (schedule, peak LR, seed); return the Results.

    - ``schedules``: ``{name: factory}``, where ``factory(steps)`` returns the schedule
      (a function of the step giving the multiplier of the peak LR), e.g.
      ``{"one-cycle": lambda n: one_cycle(n)}``.
    - ``peak_lrs``: the peak learning rates (``TrainConfig.learning_rate``); ``seeds``:
      each seed fixes the model's initialisation, the batches and the dropout masks.
    - ``steps``: the step budget of every run. ``words``: the data (default: the shipped
      names), split 80/10/10 with the lectures' seed, each distinct word in one part only
      with ``dedupe=True`` (the course's split); every model reads whole words
      (SequenceDataset). ``batch_size``: default the model type's recommended one.
    - ``eval_interval``: steps between evaluations on the whole validation split
      (default ``max(1, steps // 20)``, so 21 points per curve).
    - ``model_overrides``: ModelConfig fields to change from :func:`default_config`
      (e.g. a smaller transformer); ``train_overrides``: TrainConfig fields to change
      from :func:`recommended_train_config` (weight decay, gradient clipping...). The
      schedule replaces the recommended warmup and decay.
    - ``cache_dir``: where each run's JSON lives (default :func:`default_cache_dir`);
      ``regenerate=True`` retrains every run and overwrites its file.
    - ``device``: "cpu" by default, so results are the same on every machine with this
      torch; ``progress=True`` shows a bar over the runs.

    A run whose loss stops being finite is stored as diverged: its ``val`` and ``best_val``
    are infinite, its curve empty, and ``run.extra["diverged"]`` says at which step.
    """
    if not isinstance(schedules, dict) or not schedules:
        raise ValueError("run_experiments: schedules must be a non-empty dict {name: factory(steps) -> schedule}")
    for name, factory in schedules.items():
        if not isinstance(name, str) or not callable(factory):
            raise ValueError(
                f"run_experiments: schedules must map names to factories (functions of the step budget), not {name!r}: {factory!r}"
            )
    peak_lrs = _check_list("peak_lrs", peak_lrs, "lr")
    seeds = _check_list("seeds", seeds, "seed")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"run_experiments: steps must be a whole number >= 1, not {steps!r}")
    if eval_interval is None:
        eval_interval = max(1, steps // 20)

    bed = _test_bed(model_type, words, model_overrides, dedupe)
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    runs, trained = [], 0
    combinations = [(name, lr, seed) for name in schedules for lr in peak_lrs for seed in seeds]
    for name, lr, seed in tqdm(combinations, disable=not progress, unit="run"):
        schedule = schedules[name](steps)
        config = _train_config(model_type, steps, lr, seed, eval_interval, device, batch_size, train_overrides)
        settings = _settings(bed, config, name, schedule, steps, seed)
        path = _run_path(cache_dir, settings)
        run = None if regenerate else _load_run(path, settings)
        if run is None:
            torch.manual_seed(seed)
            model = build_model(model_type, bed.model_config)
            started = time.perf_counter()
            try:
                history = train(model, bed.train_data, bed.val_data, config, lr_schedule=schedule, progress=False)
            except FloatingPointError as error:  # a peak too high for this schedule: a result, not a crash
                run = Run(name, seed, steps=steps, val=math.inf, best_val=math.inf, settings=settings,
                          wall_seconds=time.perf_counter() - started, extra={"diverged": str(error)})
            else:
                _refuse_interrupted(history, name, lr, seed)
                run = Run.from_history(name, seed, history, settings=settings, wall_seconds=time.perf_counter() - started)
            _save_run(path, run)
            trained += 1
        runs.append(run)
    return Results(model_type=model_type, steps=steps, runs=runs, trained=trained)


@dataclass
class _TestBed:
    model_type: str
    model_config: ModelConfig
    train_data: object
    val_data: object
    data_sha256: str
    dedupe: bool


def _test_bed(model_type, words, model_overrides, dedupe) -> _TestBed:
    """The data (split 80/10/10 with the course's seed) and the model's shape."""
    words = load_words() if words is None else list(words)
    vocab, _, (train_data, val_data, _) = sequence_splits(words, seed=SPLIT_SEED, dedupe=dedupe)
    model_config = default_config(model_type, len(vocab), train_data.block_size)
    model_config = ModelConfig.from_dict({**model_config.to_dict(), **(model_overrides or {})})
    return _TestBed(model_type, model_config, train_data, val_data, words_sha256(words), dedupe)


def _train_config(model_type, steps, lr, seed, eval_interval, device, batch_size, train_overrides):
    """The recommended settings, with the run's length, peak, seed and evaluations; the
    schedule is the caller's, so the recommended warmup and decay are switched off."""
    return recommended_train_config(
        model_type,
        **{
            "max_steps": steps,
            "learning_rate": float(lr),
            "seed": seed,
            "eval_interval": eval_interval,
            "device": device,
            "warmup_steps": 0,
            "final_lr_fraction": 1.0,
            "save_best": False,
            "save_last": False,
            **({"batch_size": batch_size} if batch_size is not None else {}),
            **(train_overrides or {}),
        },
    )


def _settings(bed: _TestBed, config, name, schedule, steps, seed, **more) -> dict:
    """Everything that decides a run's outcome: what its cache key is made of."""
    return {
        "format": CACHE_FORMAT,
        "model_type": bed.model_type,
        "model_config": bed.model_config.to_dict(),
        "train_config": arithmetic(config),
        "schedule": name,
        "schedule_multipliers_sha256": _multipliers_sha256(schedule, steps),
        "seed": seed,
        "data_sha256": bed.data_sha256,
        "split_seed": SPLIT_SEED,
        # In the key only when set, so that the runs stored before the option existed keep their keys.
        **({"dedupe": True} if bed.dedupe else {}),
        # The release, not the build: 2.13.0+cpu and 2.13.0+cu121 compute the same on the CPU.
        "torch": torch.__version__.split("+")[0],
        "training_arithmetic": TRAINING_ARITHMETIC,
        **more,
    }


def _refuse_interrupted(history, name, lr, seed):
    if history.interrupted:  # Ctrl-C or SIGTERM: an unfinished run must not be stored as a result
        raise KeyboardInterrupt(f"stopped during {name} at peak LR {lr:g}, seed {seed}; that run was not stored")


def wsd_branches(
    model_type: str,
    lengths,
    peak_lrs,
    seeds,
    *,
    warmup_steps: int,
    decay_fraction: float = 0.2,
    decay: str = "1-sqrt",
    eval_interval: int,
    words=None,
    cache_dir=None,
    batch_size: int | None = None,
    regenerate: bool = False,
    model_overrides: dict | None = None,
    train_overrides: dict | None = None,
    device: str = "cpu",
    progress: bool = False,
    dedupe: bool = False,
) -> Results:
    """WSD runs of several lengths, branched from one run: what WSD is for.

    For each peak LR and seed, one *stable* run warms up over ``warmup_steps`` and then
    holds the peak (:func:`~nnzero.schedules.linear_warmup`) for ``max(lengths)`` steps; it
    is labelled ``"warmup+constant"``, and its validation loss at step ``n`` is that of a
    constant-rate run of length ``n`` (``lengths`` should be multiples of
    ``eval_interval``, so that it is measured there). For each length ``n``, a *branch*
    labelled ``"WSD"`` goes on from the stable run's state at step ``n - D``
    (``D = round(decay_fraction * n)``), decaying to 0 as ``wsd(n, warmup_steps,
    decay_fraction, decay=decay)`` does. Before its decay a WSD schedule is the stable
    one, so each branch computes exactly what a separate WSD run of length ``n`` would
    (the tests check it), for only its ``D`` steps: ``run.extra["own_steps"]``.

    Every run is stored and reloaded like :func:`run_experiments`'s, diverged ones too (a
    stable run that diverges marks all its branches diverged); the other arguments mean
    what they mean there.
    """
    lengths = sorted(_check_list("lengths", lengths, "length"))
    peak_lrs = _check_list("peak_lrs", peak_lrs, "lr")
    seeds = _check_list("seeds", seeds, "seed")
    longest = lengths[-1]
    stable = linear_warmup(warmup_steps) if warmup_steps else constant()
    branches = {n: wsd(n, warmup_steps, decay_fraction, decay=decay) for n in lengths}
    starts = {n: n - schedule.params["decay_steps"] for n, schedule in branches.items()}
    bed = _test_bed(model_type, words, model_overrides, dedupe)
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    runs, trained = [], 0
    for lr, seed in tqdm([(lr, seed) for lr in peak_lrs for seed in seeds], disable=not progress, unit="stable run"):
        config = _train_config(model_type, longest, lr, seed, eval_interval, device, batch_size, train_overrides)
        branch_at = sorted(set(starts.values()))
        stable_settings = _settings(bed, config, "warmup+constant", stable, longest, seed, branch_points=branch_at)
        branch_settings = {n: _settings(bed, dataclasses.replace(config, max_steps=n), "WSD", branches[n], n, seed,
                                        branched_from=longest) for n in lengths}
        paths = {n: _run_path(cache_dir, branch_settings[n]) for n in lengths}
        stable_path = _run_path(cache_dir, stable_settings)
        stored = {n: None if regenerate else _load_run(paths[n], branch_settings[n]) for n in lengths}
        stable_run = None if regenerate else _load_run(stable_path, stable_settings)
        if stable_run is None or any(run is None for run in stored.values()):
            try:
                stable_run, stored = _train_branches(bed, config, stable, branches, starts, stable_settings, branch_settings,
                                                     lr, seed)
            except FloatingPointError as error:  # the peak is too high to hold: every run of this peak and seed diverged
                def diverged(label, steps, settings):
                    return Run(label, seed, steps=steps, val=math.inf, best_val=math.inf, settings=settings,
                               extra={"diverged": str(error)})

                stable_run = diverged("warmup+constant", longest, stable_settings)
                stored = {n: diverged("WSD", n, branch_settings[n]) for n in lengths}
            _save_run(stable_path, stable_run)
            for n in lengths:
                _save_run(paths[n], stored[n])
            trained += 1 + len(lengths)
        runs += [stable_run] + [stored[n] for n in lengths]
    return Results(model_type=model_type, steps=longest, runs=runs, trained=trained)


def _train_branches(bed, config, stable, branches, starts, stable_settings, branch_settings, lr, seed):
    """The stable run, stopped at every branch point to keep its state (a checkpoint,
    which resumes exactly), and each branch trained on from its state."""
    states = {}
    torch.manual_seed(seed)
    model = build_model(bed.model_type, bed.model_config)
    with tempfile.TemporaryDirectory() as work_dir:
        state, started = None, time.perf_counter()
        for stop in sorted(set(starts.values())) + [config.max_steps]:
            part = dataclasses.replace(config, max_steps=stop, save_last=True)
            history = train(model, bed.train_data, bed.val_data, part, lr_schedule=stable, work_dir=work_dir,
                            progress=False, state=state)
            _refuse_interrupted(history, "the stable run", lr, seed)
            state = states[stop] = checkpoint.load(Path(work_dir) / "last.pt")
        stable_run = Run.from_history("warmup+constant", seed, history, settings=stable_settings,
                                      wall_seconds=time.perf_counter() - started)
    branched = {}
    for n, schedule in branches.items():
        start = starts[n]
        if any(schedule(step) != stable(step) for step in range(start)):
            raise ValueError(f"the WSD schedule of length {n} leaves the stable one before step {start}")
        model = build_model(bed.model_type, bed.model_config)
        started = time.perf_counter()
        history = train(model, bed.train_data, bed.val_data, dataclasses.replace(config, max_steps=n),
                        lr_schedule=schedule, progress=False, state=states[start])
        _refuse_interrupted(history, f"the WSD branch of length {n}", lr, seed)
        branched[n] = Run.from_history("WSD", seed, history, settings=branch_settings[n],
                                       wall_seconds=time.perf_counter() - started, own_steps=n - start, branched_at=start)
    return stable_run, branched


def _mean_std(values):
    """Mean and sample standard deviation (n - 1 in the denominator; NaN for a single value)."""
    mean = statistics.fmean(values)
    return mean, statistics.stdev(values) if len(values) > 1 else math.nan


def summary(results: Results) -> list[dict]:
    """Mean ± standard deviation over seeds, one dict per (schedule, peak LR).

    Keys: ``schedule``, ``peak_lr``, ``runs`` (seeds), ``final_val_mean``,
    ``final_val_std``, ``best_val_mean``, ``best_val_std`` (sample standard deviations,
    NaN with one seed). Ordered by schedule (as given), then peak LR.
    """
    groups = {}
    for row in results.rows:
        groups.setdefault((row["schedule"], row["peak_lr"]), []).append(row)
    order = {name: i for i, name in enumerate(results.schedules)}
    table = []
    for (name, peak_lr), rows in sorted(groups.items(), key=lambda item: (order[item[0][0]], item[0][1])):
        final_mean, final_std = _mean_std([row["final_val"] for row in rows])
        best_mean, best_std = _mean_std([row["best_val"] for row in rows])
        table.append(
            {
                "schedule": name,
                "peak_lr": peak_lr,
                "runs": len(rows),
                "final_val_mean": final_mean,
                "final_val_std": final_std,
                "best_val_mean": best_mean,
                "best_val_std": best_std,
            }
        )
    return table


def format_summary(results: Results) -> str:
    """:func:`summary` as a plain-text table: final and best validation loss, mean ± std over seeds."""
    lines = [f"{'schedule':<16} {'peak LR':>8} {'seeds':>5} {'final val loss':>18} {'best val loss':>18}"]
    for row in summary(results):
        lines.append(
            f"{row['schedule']:<16} {row['peak_lr']:>8.2g} {row['runs']:>5} "
            f"{row['final_val_mean']:>9.4f} ± {row['final_val_std']:<6.4f} {row['best_val_mean']:>9.4f} ± {row['best_val_std']:<6.4f}"
        )
    return "\n".join(lines)


def best_peaks(results: Results) -> dict:
    """``{schedule: row}``: each schedule's :func:`summary` row at its best peak LR, the one
    with the lowest mean final validation loss, so that no schedule is judged at a peak
    tuned for another."""
    best = {}
    for row in summary(results):
        if row["schedule"] not in best or row["final_val_mean"] < best[row["schedule"]]["final_val_mean"]:
            best[row["schedule"]] = row
    return best


def seed_band(runs) -> tuple[list, list, list, list]:
    """``(steps, mean, low, high)``: the validation loss of ``runs`` (the seeds of one
    setting, evaluated at the same steps) at each evaluation, as the mean over the seeds
    and the lowest and highest of them."""
    steps = [point[0] for point in runs[0].curve]
    if any([point[0] for point in run.curve] != steps for run in runs):
        raise ValueError("seed_band: the runs were evaluated at different steps")
    by_step = list(zip(*([point[2] for point in run.curve] for run in runs)))
    return steps, [statistics.fmean(values) for values in by_step], [min(v) for v in by_step], [max(v) for v in by_step]


def plot_runs(results: Results, peak_lr: float | None = None, ax=None, title: str | None = None):
    """Validation loss against the step, one line per schedule: the mean over seeds, and a
    band from the lowest to the highest seed at every evaluation.

    ``peak_lr`` picks the runs to show; by default each schedule at its own best peak
    LR (lowest mean final validation loss), named in the legend. Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    chosen = {name: row["peak_lr"] for name, row in best_peaks(results).items()} if peak_lr is None else {name: peak_lr for name in results.schedules}
    for name, lr in chosen.items():
        runs = results.runs_of(name, lr)
        if not runs:
            raise ValueError(f"plot_runs: no runs of {name!r} at peak LR {lr}; the peak LRs are {results.peak_lrs}")
        steps, mean, low, high = seed_band(runs)
        seeds = f"{len(runs)} seed{'s' if len(runs) > 1 else ''}"
        (line,) = ax.plot(steps, mean, label=f"{name} (peak {lr:.2g}, {seeds})")
        ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.2)
    ax.set(
        title=title or f"{results.model_type}: validation loss (mean, band = seed range)",
        xlabel="step",
        ylabel="validation loss (nats per character)",
    )
    ax.legend()
    return ax


def plot_sensitivity(results: Results, ax=None, metric: str = "final_val", title: str | None = None):
    """Mean ``metric`` ("final_val" or "best_val") over seeds against the peak LR (log x),
    one line per schedule, with error bars of one standard deviation. Returns the axes.

    A flat curve is a schedule that forgives a badly chosen peak; a narrow valley is one
    that must be tuned.
    """
    import matplotlib.pyplot as plt

    if metric not in ("final_val", "best_val"):
        raise ValueError(f"plot_sensitivity: metric must be 'final_val' or 'best_val', not {metric!r}")
    if ax is None:
        _, ax = plt.subplots()
    table = summary(results)
    for name in results.schedules:
        rows = [row for row in table if row["schedule"] == name]
        errors = [0.0 if math.isnan(row[f"{metric}_std"]) else row[f"{metric}_std"] for row in rows]
        means = [row[f"{metric}_mean"] for row in rows]
        ax.errorbar([row["peak_lr"] for row in rows], means, yerr=errors, marker="o", capsize=3, label=name)
    ax.set_xscale("log")
    ax.set(
        title=title or f"{results.model_type}: peak-LR sensitivity ({results.steps} steps)",
        xlabel="peak learning rate (log scale)",
        ylabel=f"{'final' if metric == 'final_val' else 'best'} validation loss (nats per character)",
    )
    ax.legend()
    return ax
