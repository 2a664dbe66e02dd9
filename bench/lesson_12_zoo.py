"""Lesson 12's model zoo on the shipped names and on the reference names.txt.

Runs the zoo exactly as notebooks/12_makemore_model_zoo.ipynb does (the same
`nnzero.studies.zoo.run_zoo` call: the same step counts, about 50 CPU seconds of
training per type on the development machine, split seed 42, seed 3407, 11 validation
scores per run, 1,000 samples) on each file, and prints the zoo's table for each: params,
steps, batch, CPU ms/step, CPU seconds of training, final val and test loss, and the
share of samples that are new names. Run it with one thread (OMP_NUM_THREADS=1), as the
lesson was run; CPU seconds do not count time lost to other programs.

    OMP_NUM_THREADS=1 python bench/lesson_12_zoo.py
    OMP_NUM_THREADS=1 python bench/lesson_12_zoo.py --files shipped --json zoo.json
    OMP_NUM_THREADS=1 python bench/lesson_12_zoo.py --types transformer
"""

import argparse
import json
import time
from pathlib import Path

from common import SPLIT_SEED, add_files_argument, machine, read
from nnzero.studies.zoo import format_table, results_to_dict, run_zoo

# The lesson's settings cell (full run): training steps per type, fixed in advance.
STEPS = {"bigram": 90_000, "mlp": 10_700, "wavenet": 3_000, "rnn": 18_500, "lstm": 7_500, "gru": 8_500, "transformer": 1_600}
SEED, EVALUATIONS, NUM_SAMPLES = 3407, 11, 1_000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_files_argument(parser)
    parser.add_argument("--types", nargs="+", choices=list(STEPS), default=list(STEPS),
                        help="only these types (each trains from the same seed, so its row does not depend on the others)")
    parser.add_argument("--json", type=Path, help="also write the results (without samples) to this file")
    args = parser.parse_args(argv)
    steps = {name: STEPS[name] for name in args.types}

    print(machine())
    records = {}
    for name in args.files:
        words = read(name)
        start = time.perf_counter()
        zoo = run_zoo(steps, words=words, split_seed=SPLIT_SEED, seed=SEED, evaluations=EVALUATIONS, num_samples=NUM_SAMPLES)
        print(f"\n{name}: {len(words):,} lines; the zoo took {time.perf_counter() - start:.0f} s by the wall clock")
        print(format_table(zoo.results), flush=True)
        records[name] = results_to_dict(zoo.results)
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
