"""Lesson 14's target: the best schedule against a constant learning rate, makemore transformer.

The lesson's transformer (2 blocks, 4 heads, width 32, dropout 0.1; AdamW with weight
decay 0.1, batches of 32 words) trained for the same number of steps with a constant
learning rate and with the schedule that won lesson 14's comparison, each at every peak
LR of the lesson's sweep and with 3 seeds, on the shipped names and on the reference
names file. Each schedule is judged at its own best peak LR (lowest mean final
validation loss), so neither is handicapped by a peak tuned for the other.

The target (issue #6): the best schedule beats constant LR at equal steps by a margin
larger than the seed spread. Margin = mean final validation loss of constant minus that
of the schedule; spread = the larger of the two seed ranges (highest minus lowest seed).

Runs are cached by nnzero.lr.run_experiments in ``--cache-dir`` (default bench/out/lr_schedules,
not tracked by git). Unless ``--fresh`` is given, the cache is first seeded with the
lesson's stored runs (nnzero/data/lr_experiments): the shipped-names runs have exactly the
lesson's settings, so they load instead of training again; the reference runs train.
``--fresh`` with an empty ``--cache-dir`` retrains everything. Columns: "trained now" counts
the runs this call trained (the rest loaded), "this call" is its time, "training" the
summed wall time of all 18 runs as measured when they were trained (on a shared machine,
an upper bound).

    python bench/lr_schedules.py [--files shipped PATH] [--steps 1000] [--fresh]
"""

import argparse
import shutil
import time
from pathlib import Path

import nnzero.data
from common import ROOT, add_files_argument, machine, read
from nnzero.lr import best_peaks, constant, gain_over, multi_step, one_cycle, run_experiments, warmup_cosine, wsd
from nnzero.makemore.data import Vocab
from nnzero.makemore.models import ModelConfig, build_model, default_config

SHIPPED_RUNS = Path(nnzero.data.__file__).parent / "lr_experiments"

# The lesson's settings, exactly: the same schedule factories (the cache compares every multiplier).
SCHEDULES = {
    "constant": lambda n: constant(),
    "step decay": lambda n: multi_step([3 * n // 4], gamma=0.1),
    "warmup+cosine": lambda n: warmup_cosine(n, warmup_steps=n // 20),
    "one-cycle": lambda n: one_cycle(n),
    "WSD": lambda n: wsd(n, warmup_steps=n // 20, decay_fraction=0.2, decay="1-sqrt"),
}
BEST = "WSD"  # the winner of lesson 14's transformer comparison on the shipped names
TRANSFORMER = dict(n_layer=2, n_head=4, n_embd=32, dropout=0.1)
TRAINING = dict(optimizer="adamw", batch_size=32, weight_decay=0.1)
PEAK_LRS = [1e-3, 3e-3, 1e-2]
SEEDS = [0, 1, 2]
STEPS = 1000
EVAL_INTERVAL = 100


def compare(words, steps, cache_dir, schedule, peak_lrs):
    """Constant and ``schedule`` at every peak LR and seed: the results, and the seconds this call and the runs took."""
    started = time.perf_counter()
    results = run_experiments(
        "transformer",
        {name: SCHEDULES[name] for name in ("constant", schedule)},
        peak_lrs,
        SEEDS,
        steps=steps,
        words=words,
        cache_dir=cache_dir,
        eval_interval=EVAL_INTERVAL,
        model_overrides=TRANSFORMER,
        train_overrides=TRAINING,
    )
    seconds = time.perf_counter() - started
    train_seconds = sum(run.wall_seconds for run in results.runs)  # as measured when each run was trained
    return results, seconds, train_seconds


def count_parameters(words):
    block_size = max(map(len, words)) + 1  # as run_experiments sizes the model
    config = ModelConfig.from_dict({**default_config("transformer", len(Vocab.from_words(words)), block_size).to_dict(), **TRANSFORMER})
    return sum(p.numel() for p in build_model("transformer", config).parameters())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_files_argument(parser)
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps per run (default {STEPS:,}, the lesson's)")
    parser.add_argument("--schedule", default=BEST, choices=[name for name in SCHEDULES if name != "constant"], help=f"the schedule to set against constant (default {BEST}, the lesson's winner)")
    parser.add_argument("--peak-lrs", default=",".join(map(str, PEAK_LRS)), help=f"comma-separated peak LRs to sweep (default the lesson's, {','.join(map(str, PEAK_LRS))})")
    parser.add_argument("--cache-dir", default="bench/out/lr_schedules", help="where runs are stored, relative to the repository root")
    parser.add_argument("--fresh", action="store_true", help="do not seed the cache with the lesson's stored runs; runs already in --cache-dir still load, so give an empty folder to retrain everything")
    args = parser.parse_args()
    peak_lrs = [float(lr) for lr in args.peak_lrs.split(",")]

    cache_dir = Path(ROOT) / args.cache_dir
    if not args.fresh:
        shutil.copytree(SHIPPED_RUNS, cache_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.md"))

    print(machine())
    print(f"transformer {TRANSFORMER}, {args.steps:,} steps, peak LRs {peak_lrs}, seeds {SEEDS}\n")
    header = (f"{'dataset':<36} {'params':>6} {'schedule':<14} {'best peak':>9} {'final val (mean ± std)':>23} "
              f"{'seed range':>10} {'trained now':>11} {'this call':>9} {'training':>9}")
    print(header)
    print("-" * len(header))
    verdicts = []
    for dataset in args.files:
        words = read(dataset)
        results, seconds, train_seconds = compare(words, args.steps, cache_dir, args.schedule, peak_lrs)
        params = count_parameters(words)
        for name, row in best_peaks(results).items():
            finals = results.final_vals(name, row["peak_lr"])
            first = name == "constant"
            trained = f"{results.trained}/{len(results.runs)}" if first else ""
            clock = f"{seconds:.0f} s" if first else ""
            training = f"{train_seconds / 60:.0f} min" if first else ""
            print(f"{dataset:<36} {params:>6,} {name:<14} {row['peak_lr']:>9.0e} {row['final_val_mean']:>12.4f} ± {row['final_val_std']:.4f} "
                  f"{max(finals) - min(finals):>10.4f} {trained:>11} {clock:>9} {training:>9}", flush=True)
        margin, spread = gain_over(results, args.schedule)
        verdicts.append(f"{dataset}: {args.schedule} beats constant by {margin:.4f} nats; seed spread {spread:.4f}; "
                        f"margin / spread = {margin / spread:.1f}: target {'reached' if margin > spread else 'NOT reached'}")
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
