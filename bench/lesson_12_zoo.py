"""Lesson 12's model zoo: every type for the same CPU time on one thread, three seeds for the best four.

Runs the zoo exactly as notebooks/12_makemore_model_zoo.ipynb does: the same
`nnzero.studies.zoo.run_zoo` calls (each run stopped when its training steps have taken
25 CPU seconds), one thread, the course's split (seed 42, each distinct name in one
part), seed 3407 for every type, then seeds 1 and 2 for the four types with the lowest
validation loss, 11 validation scores per run, 1,000 samples. For each file it prints the
lesson's table: params, steps reached, counted MFLOPs per step, CPU seconds and ms per
step, val and test (mean ± half the range over the seeds), the share of new names, and
how far apart the runs' training times came out.

    python bench/lesson_12_zoo.py                               # both names files
    python bench/lesson_12_zoo.py --files shipped --json zoo.json
    python bench/lesson_12_zoo.py --seconds 75                  # another budget

The steps a run reaches depend on how fast the machine runs while it trains (CPU seconds
leave out time lost to other programs, but not shared caches and cores slowing each step):
run it on a quiet machine, and expect its losses to move a little from one run to the next.
"""

import argparse
import time
from pathlib import Path

import torch
from common import add_files_argument, machine, read
from nnzero.makemore.models import REGISTRY, build_model, default_config
from nnzero.makemore.data import sequence_splits
from nnzero.makemore.training import recommended_train_config
from nnzero.studies.runs import save_runs
from nnzero.studies.zoo import format_table, run_zoo, step_cost

# The lesson's settings cell (full run).
SECONDS, SEED, MORE_SEEDS, TOP = 25, 3407, (1, 2), 4
EVALUATIONS, NUM_SAMPLES, COST_BATCHES = 11, 1_000, 20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_files_argument(parser)
    parser.add_argument("--types", nargs="+", choices=list(REGISTRY), default=list(REGISTRY),
                        help="only these types (each run starts from its own seed, so its row does not depend on the others)")
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"CPU seconds of training per run (default {SECONDS})")
    parser.add_argument("--json", type=Path, help="also write every run (plain JSON, nnzero.studies.runs) to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    print(machine())
    runs = []
    for name in args.files:
        words = read(name)
        start, cpu_start = time.perf_counter(), time.process_time()
        settings = dict(seconds=args.seconds, words=words, evaluations=EVALUATIONS, num_samples=NUM_SAMPLES)
        zoo = run_zoo(args.types, seeds=[SEED], **settings)
        top = [run.label for run in sorted(zoo.runs, key=lambda run: run.val)[:TOP]]
        file_runs = zoo.runs + run_zoo(top, seeds=MORE_SEEDS, **settings).runs
        _, _, (train_data, _, _) = sequence_splits(words, dedupe=True)
        costs = {label: step_cost(build_model(label, default_config(label, len(zoo.vocab), train_data.block_size)),
                                  train_data, recommended_train_config(label), batches=COST_BATCHES, seed=SEED)
                 for label in args.types}
        print(f"\n{name}: {len(words):,} lines; {time.process_time() - cpu_start:.0f} CPU seconds, "
              f"{time.perf_counter() - start:.0f} s by the wall clock")
        print(format_table(file_runs, costs), flush=True)
        for run in file_runs:
            run.settings["file"] = name
            run.extra.pop("samples")
        runs += file_runs
    if args.json:
        save_runs(args.json, runs)


if __name__ == "__main__":
    main()
