"""The course's own schedule experiments: their settings, and the stored runs lessons 14
and 15 read.

Every run is on the shipped names with the course's split (seed 42, each distinct name
in one part), on one thread, and is stored as one JSON file in ``nnzero/data/lr_runs``
(shipped with the package), so a lesson loads it instead of training it.
``bench/lr_schedules.py`` makes them all, and ``regenerate=True`` makes any part again.

- :func:`grid`: five schedules, each at every peak of a grid wide enough to bracket its
  best, three seeds (the same seeds for every schedule, so runs pair up), 1,000 steps,
  on the course's transformer (default size, Muon, the tool's recommended settings) and
  MLP (default size, AdamW, recommended settings). Every schedule warms up over the same
  50 steps; the baseline is warmup + constant, so that "decay beats constant" compares
  decay with no decay and nothing else.
- :func:`lengths`: the transformer at 250 to 4,000 steps. Warmup + constant and WSD come
  from one stable run per peak and seed, WSD's cooldowns branched from it
  (:func:`~nnzero.lr.experiments.wsd_branches`); warmup + cosine is a separate run for
  each length, at the same peaks.
- :func:`predicted`: step decay and one-cycle at every length, at one peak: runs that
  lesson 15 predicts before it looks at them.
"""

import math
from pathlib import Path

import nnzero.data
from nnzero.lr.experiments import run_experiments, wsd_branches
from nnzero.schedules import linear_warmup, multi_step, one_cycle, warmup_cosine, wsd

RUNS = Path(nnzero.data.__file__).parent / "lr_runs"
SEEDS = [0, 1, 2]
WARMUP = 50
STEPS = 1000
EVAL_INTERVAL = 50
BASELINE = "warmup+constant"


def with_warmup(schedule, warmup_steps=WARMUP):
    """``schedule``, multiplied by a linear warmup over its first steps."""
    warmup = linear_warmup(warmup_steps)
    return lambda step: warmup(step) * schedule(step)


SCHEDULES = {  # name: a function of the run's length giving the schedule
    BASELINE: lambda n: linear_warmup(WARMUP),
    "warmup+step": lambda n: with_warmup(multi_step([3 * n // 4], gamma=0.1)),
    "warmup+cosine": lambda n: warmup_cosine(n, WARMUP),
    "WSD": lambda n: wsd(n, WARMUP, decay_fraction=0.2, decay="1-sqrt"),
    "one-cycle": lambda n: one_cycle(n),
}
PEAKS = {
    "transformer": [2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2],
    "mlp": [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2],
}
LENGTHS = [250, 500, 1000, 2000, 4000]
LENGTH_PEAKS = PEAKS["transformer"]  # warmup + cosine's, at every length
BRANCHED_PEAKS = [1e-3] + LENGTH_PEAKS  # the stable runs' and WSD's: warmup + constant wants 2e-3 or less by 2,000 steps
PREDICT_PEAK = 8e-3  # step decay and one-cycle at every length
PREDICTED = ("warmup+step", "one-cycle")


def grid(model_type, *, regenerate=False, cache_dir=RUNS, progress=False):
    """Every schedule at every peak of ``PEAKS[model_type]`` and every seed, ``STEPS`` steps."""
    return run_experiments(model_type, SCHEDULES, PEAKS[model_type], SEEDS, steps=STEPS, cache_dir=cache_dir,
                           eval_interval=EVAL_INTERVAL, regenerate=regenerate, dedupe=True, progress=progress)


def lengths(peak_lrs=None, *, regenerate=False, cache_dir=RUNS):
    """``(branched, cosine)``: the stable and WSD runs at every length (one Results) at
    ``BRANCHED_PEAKS``, and ``{length: warmup + cosine runs}`` at ``LENGTH_PEAKS``; both
    at ``peak_lrs`` instead when it is given."""
    branched = wsd_branches("transformer", LENGTHS, peak_lrs or BRANCHED_PEAKS, SEEDS, warmup_steps=WARMUP, decay_fraction=0.2,
                            decay="1-sqrt", eval_interval=EVAL_INTERVAL, cache_dir=cache_dir, regenerate=regenerate,
                            dedupe=True)
    cosine = {n: run_experiments("transformer", {"warmup+cosine": SCHEDULES["warmup+cosine"]}, peak_lrs or LENGTH_PEAKS, SEEDS,
                                 steps=n, cache_dir=cache_dir, eval_interval=EVAL_INTERVAL, regenerate=regenerate,
                                 dedupe=True)
              for n in LENGTHS}
    return branched, cosine


def finals_at(branched, cosine, n):
    """``{schedule: {peak: [final validation loss of each seed]}}`` for runs of ``n`` steps,
    from :func:`lengths`' results: warmup + constant read off the stable runs' curves at
    step ``n`` (infinite where a stable run diverged), WSD's branch of length ``n``, and
    warmup + cosine's run of ``n`` steps."""
    def stable_at(run):
        return {step: val for step, _, val in run.curve}.get(n, math.inf)

    return {
        BASELINE: {lr: [stable_at(run) for run in branched.runs_of(BASELINE, lr)] for lr in branched.peak_lrs},
        "WSD": {lr: [run.val for run in branched.runs_of("WSD", lr) if run.steps == n] for lr in branched.peak_lrs},
        "warmup+cosine": {lr: cosine[n].final_vals("warmup+cosine", lr) for lr in cosine[n].peak_lrs},
    }


def predicted(*, regenerate=False, cache_dir=RUNS):
    """``{length: Results}``: step decay and one-cycle at ``PREDICT_PEAK``, every length."""
    return {n: run_experiments("transformer", {name: SCHEDULES[name] for name in PREDICTED}, [PREDICT_PEAK], SEEDS,
                               steps=n, cache_dir=cache_dir, eval_interval=EVAL_INTERVAL, regenerate=regenerate,
                               dedupe=True)
            for n in LENGTHS}
