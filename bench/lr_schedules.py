"""The learning-rate experiments behind lessons 14 and 15: schedules on the course's own models.

The settings and the three parts (``grid``, ``lengths``, ``predicted``) are in
``nnzero.lr.course``, which the lessons read too; this script trains whatever is not
stored yet in ``nnzero/data/lr_runs`` (one thread) and prints, for the grid, every
schedule at its best peak (mean ± sd over the seeds, and whether that best is inside
the grid) with the paired difference from the baseline and a paired t-test
(``nnzero.studies.stats``); for the lengths, each schedule's best mean at every length
and the steps WSD's branching saved; for the predicted runs, their means.

    python bench/lr_schedules.py                  # every part; stored runs load, missing ones train
    python bench/lr_schedules.py --part grid      # one part (two processes can share the work)
    python bench/lr_schedules.py --regenerate     # train every run again
"""

import argparse
import statistics
import time

import torch
from common import machine
from nnzero.lr import best_peaks
from nnzero.lr.course import BASELINE, BRANCHED_PEAKS, LENGTHS, PEAKS, PREDICT_PEAK, PREDICTED, SEEDS, STEPS, finals_at, grid, lengths, predicted
from nnzero.studies.stats import paired_t


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
    print(f"  {'steps':>6} " + "".join(f"{name:>34}" for name in (BASELINE, "WSD (branched)", "warmup+cosine")))
    for n in LENGTHS:
        cells = []
        for by_peak in finals_at(branched, cosine, n).values():
            lr, values = min(by_peak.items(), key=lambda item: statistics.fmean(item[1]))
            inside = "inside" if min(by_peak) < lr < max(by_peak) else "AT THE EDGE"
            cells.append(f"{statistics.fmean(values):.4f} at {lr:g} ({inside})")
        print(f"  {n:>6} " + "".join(f"{cell:>34}" for cell in cells))
    own = sum(run.extra.get("own_steps", run.steps) for run in branched.runs)
    separate_steps = sum(LENGTHS) * len(BRANCHED_PEAKS) * len(SEEDS)
    print(f"  steps trained: WSD at all {len(LENGTHS)} lengths, branched (stable runs included): {own:,}; "
          f"warmup+cosine at as many peaks, one run per length: {separate_steps:,}")


def report_predicted(runs):
    print(f"\nstep decay and one-cycle at peak {PREDICT_PEAK:g}, mean final val over {len(SEEDS)} seeds:")
    for n, results in sorted(runs.items()):
        print(f"  {n:>6} " + "  ".join(f"{name} {statistics.fmean(results.final_vals(name, PREDICT_PEAK)):.4f}"
                                      for name in PREDICTED))


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
            results = grid(model_type, regenerate=args.regenerate)
            report(results, f"{model_type}, {STEPS:,} steps, {len(SEEDS)} seeds ({results.trained} runs trained now)")
    if args.part in ("lengths", "all"):
        report_lengths(*lengths(regenerate=args.regenerate))
    if args.part in ("predicted", "all"):
        report_predicted(predicted(regenerate=args.regenerate))
    print(f"\n{(time.perf_counter() - started) / 60:.0f} minutes")


if __name__ == "__main__":
    main()
