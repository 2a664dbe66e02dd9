"""The recurrent lessons' stored runs: regenerates nnzero/data/recurrent_runs.json.

Lessons 08 (RNN), 09 (LSTM) and 10 (GRU) each train their own model's runs and show the
earlier lessons' from this file; each lesson checks that its own runs equal the stored
ones. Every run here is the lessons' own call (``nnzero.studies.recurrent``: the same
steps, seeds, probe and toy task, on one thread), so run this script on the machine the
lessons are refreshed on, then refresh notebooks 08-10.

    python bench/recurrent_table.py                  # everything (about 6 CPU minutes)
    python bench/recurrent_table.py --only lstm      # rerun the LSTM's runs, keep the rest
    python bench/recurrent_table.py --check          # compare a fresh run of the RNN with the file

It prints the 3-seed table (validation and test, mean ± half-range) and the toy task's
last-letter losses.
"""

import argparse
import time

from common import machine
from nnzero.studies import recurrent as R
from nnzero.studies.runs import format_summary, load_runs, save_runs

TABLE_KINDS = R.KINDS + ("mlp",)  # the MLP (one seed) is lesson 08's window-of-3 comparison


def table_runs(kind, data, probe):
    seeds = R.SEEDS if kind in R.KINDS else R.SEEDS[:1]
    runs = []
    for seed in seeds:
        started = time.perf_counter()
        _, run = R.train_run(kind, seed, *data, probe)
        run.wall_seconds = time.perf_counter() - started
        print(f"{kind} seed {seed}: val {run.val:.4f}, test {run.test:.4f}, {run.cpu_seconds:.0f} CPU s", flush=True)
        runs.append(run)
    return runs


def toy_runs(kind):
    lengths = R.TOY_LENGTHS if kind == "rnn" else (R.TOY_LENGTH,)
    runs = []
    for length in lengths:
        _, run = R.train_toy(kind, length)
        print(f"{run.label}: last letter {run.extra['last_letter']:.3f}, other letters {run.extra['other_letters']:.3f}", flush=True)
        runs.append(run)
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=TABLE_KINDS, help="rerun only these kinds' runs; keep the others from the file")
    parser.add_argument("--check", action="store_true", help="train the RNN's runs again and compare them with the file; write nothing")
    args = parser.parse_args(argv)
    print(machine(), f"(runs on {R.THREADS} thread)")
    vocab, splits, data = R.names_data()
    probe = R.probe_batch(splits.val, vocab, data[0].block_size)
    if args.check:
        fresh = table_runs("rnn", data, probe)
        same = R.same_runs(fresh, R.stored(R.load_stored(), "rnn"))
        print("the fresh RNN runs equal the stored ones:", same)
        return 0 if same else 1
    kinds = args.only or TABLE_KINDS
    kept = [run for run in load_runs(R.stored_path()) if run.label.split(",")[0].removeprefix("toy ") not in kinds] if args.only else []
    runs = list(kept)
    for kind in kinds:
        runs += table_runs(kind, data, probe)
        if kind in R.KINDS:
            runs += toy_runs(kind)
    order = {label: i for i, label in enumerate(TABLE_KINDS)}
    runs.sort(key=lambda run: (run.label.startswith("toy"), order.get(run.label, 0), run.label, run.seed))
    save_runs(R.stored_path(), runs)
    names = [run for run in runs if not run.label.startswith("toy")]
    print()
    print(format_summary(names, {"val": lambda r: r.val, "test": lambda r: r.test, "CPU s": lambda r: r.cpu_seconds},
                         title=f"{R.STEPS:,} steps"))
    for run in runs:
        if run.label.startswith("toy"):
            print(f"{run.label}: last letter {run.extra['last_letter']:.4f}, other letters {run.extra['other_letters']:.4f}")
    print(f"written to {R.stored_path()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
