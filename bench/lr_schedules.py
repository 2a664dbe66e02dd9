"""The learning-rate experiments behind lessons 14 and 15: schedules on the course's own models.

Three parts, on the shipped names (the course's split: seed 42, each distinct name in one
part), one thread, every run stored as one JSON file in ``nnzero/data/lr_runs`` (shipped
with the package, so the lessons load them instead of training):

- ``grid``: five schedules, each at every peak of a grid wide enough to bracket its best,
  three seeds (the same seeds for every schedule, so runs pair up), 1,000 steps, on the
  course's transformer (default size, Muon, the tool's recommended settings) and MLP
  (default size, AdamW, recommended settings). Every schedule with a warmup warms up over
  the same 50 steps; the baseline is warmup + constant, so that "decay beats constant"
  compares decay with no decay and nothing else.
- ``lengths``: the transformer at 250 to 4,000 steps. Warmup + constant and WSD come
  from one stable run per peak and seed, WSD's cooldowns branched from it
  (``nnzero.lr.experiments.wsd_branches``); warmup + cosine is a separate run for each
  length, at the same peaks.
- ``predicted``: step decay and one-cycle at every length, at one peak: the runs lesson 15
  predicts before looking at them.

It prints, for the grid, every schedule at its best peak (mean ± sd over the seeds, and
whether that best is inside the grid) with the paired difference from the baseline and a
paired t-test (``nnzero.studies.stats``); for the lengths, each schedule's best mean at
every length and the steps WSD's branching saved; for the predicted runs, their means.

    python bench/lr_schedules.py                  # every part; stored runs load, missing ones train
    python bench/lr_schedules.py --part grid      # one part (two processes can share the work)
    python bench/lr_schedules.py --regenerate     # train every run again
"""

import argparse
import statistics
import time
from pathlib import Path

import nnzero.data
import torch
from common import machine
from nnzero.lr import best_peaks, linear_warmup, multi_step, one_cycle, run_experiments, warmup_cosine, wsd
from nnzero.lr.experiments import wsd_branches
from nnzero.studies.stats import paired_t

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


SCHEDULES = {
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
LENGTH_PEAKS = [2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2]  # the Transformer grid's: 4e-3..1.6e-2 did not bracket every length
PREDICT_PEAK = 8e-3  # step decay and one-cycle at every length, for lesson 15


def grid(model_type, regenerate=False):
    return run_experiments(model_type, SCHEDULES, PEAKS[model_type], SEEDS, steps=STEPS, cache_dir=RUNS,
                           eval_interval=EVAL_INTERVAL, regenerate=regenerate, dedupe=True)


def lengths(regenerate=False):
    """The branched runs (warmup + constant and WSD at every length), and {length: warmup + cosine runs}."""
    branched = wsd_branches("transformer", LENGTHS, LENGTH_PEAKS, SEEDS, warmup_steps=WARMUP, decay_fraction=0.2,
                            decay="1-sqrt", eval_interval=EVAL_INTERVAL, cache_dir=RUNS, regenerate=regenerate, dedupe=True)
    cosine = {n: run_experiments("transformer", {"warmup+cosine": SCHEDULES["warmup+cosine"]}, LENGTH_PEAKS, SEEDS,
                                 steps=n, cache_dir=RUNS, eval_interval=EVAL_INTERVAL, regenerate=regenerate, dedupe=True)
              for n in sorted(LENGTHS, key=lambda n: n == STEPS)}  # 1,000 last: the grid may have trained those already
    return branched, cosine


def predicted(regenerate=False):
    """{length: step decay and one-cycle runs at PREDICT_PEAK}: the runs lesson 15 predicts."""
    return {n: run_experiments("transformer", {name: SCHEDULES[name] for name in ("warmup+step", "one-cycle")},
                               [PREDICT_PEAK], SEEDS, steps=n, cache_dir=RUNS, eval_interval=EVAL_INTERVAL,
                               regenerate=regenerate, dedupe=True)
            for n in LENGTHS}


def report(results, title):
    print(f"\n{title}")
    best = best_peaks(results)
    base = best[BASELINE]
    for name, row in best.items():
        peaks = results.peak_lrs
        inside = "inside" if peaks[0] < row["peak_lr"] < peaks[-1] else "AT THE EDGE"
        line = (f"  {name:<16} best peak {row['peak_lr']:<7.3g} ({inside} {peaks[0]:g}..{peaks[-1]:g})  "
                f"final val {row['final_val_mean']:.4f} ± {row['final_val_std']:.4f}")
        if name != BASELINE:
            test = paired_t(results.final_vals(BASELINE, base["peak_lr"]), results.final_vals(name, row["peak_lr"]))
            line += f"  vs {BASELINE}: {test}"
        print(line)


def report_lengths(branched, cosine):
    print("\nthe transformer against training length: final val, mean over seeds at each schedule's best peak")
    print(f"  {'steps':>6} {BASELINE:>16} {'WSD (branched)':>15} {'warmup+cosine':>14}")
    for n in sorted(cosine):
        def best_mean(runs_by_peak):
            return min(statistics.fmean(values) for values in runs_by_peak.values())

        constant_at_n = {lr: [dict((s, v) for s, _, v in r.curve)[n] for r in branched.runs_of(BASELINE, lr)] for lr in LENGTH_PEAKS}
        wsd_at_n = {lr: [r.val for r in branched.runs_of("WSD", lr) if r.steps == n] for lr in LENGTH_PEAKS}
        cosine_at_n = {lr: cosine[n].final_vals("warmup+cosine", lr) for lr in LENGTH_PEAKS}
        print(f"  {n:>6} {best_mean(constant_at_n):>16.4f} {best_mean(wsd_at_n):>15.4f} {best_mean(cosine_at_n):>14.4f}")
    own = sum(run.extra.get("own_steps", run.steps) for run in branched.runs)
    separate_steps = sum(LENGTHS) * len(LENGTH_PEAKS) * len(SEEDS)
    print(f"  steps trained: WSD at all {len(LENGTHS)} lengths, branched (stable runs included): {own:,}; "
          f"warmup+cosine, one run per length: {separate_steps:,}")


def report_predicted(runs):
    print(f"\nstep decay and one-cycle at peak {PREDICT_PEAK:g}, mean final val over {len(SEEDS)} seeds:")
    for n, results in sorted(runs.items()):
        print(f"  {n:>6} " + "  ".join(f"{name} {statistics.fmean(results.final_vals(name, PREDICT_PEAK)):.4f}"
                                      for name in ("warmup+step", "one-cycle")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("grid", "lengths", "predicted", "all"), default="all",
                        help="one part, so that two processes can share the work")
    parser.add_argument("--regenerate", action="store_true", help="train every run again, overwriting the stored ones")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(machine())
    started = time.perf_counter()
    if args.part in ("grid", "all"):
        for model_type in PEAKS:
            results = grid(model_type, args.regenerate)
            report(results, f"{model_type}, {STEPS:,} steps, {len(SEEDS)} seeds ({results.trained} runs trained now)")
    if args.part in ("lengths", "all"):
        report_lengths(*lengths(args.regenerate))
    if args.part in ("predicted", "all"):
        report_predicted(predicted(args.regenerate))
    print(f"\n{(time.perf_counter() - started) / 60:.0f} minutes")


if __name__ == "__main__":
    main()
