"""makemore with and without early stopping, as a user runs it, for every model type.

For each file and type, the `makemore` command (in-process, its default sizes and
settings) is run up to four ways, each into a fresh work dir:

- full:      ``--no-early-stop --eval-interval 500``: every default step, evaluated every
             500 steps: the tool before early stopping;
- stopped:   the defaults: evaluated once per pass; when patience runs out at step S, back
             to the best step B and a cooldown from there (half of B steps);
- at once:   the same without the cooldown: the model of step B;
- replanned: ``--no-early-stop --max-steps S``: a second run whose schedule is laid out
             over the length the first one found (what makemore suggests after a stop).

The last two run only when `stopped` did stop early. The test loss is the one makemore
prints (the checkpoint with the best validation loss); time is the whole command's wall
clock, and the training's CPU seconds. Results: bench/BENCHMARKS.md.

    python bench/early_stopping.py                                # both files, every type
    python bench/early_stopping.py --files bench/data/us_cities.txt --types mlp gru
"""

import argparse
import contextlib
import io
import json
import re
import tempfile
import time
from pathlib import Path

import torch

from common import ROOT, machine
from nnzero.makemore import checkpoint, cli
from nnzero.makemore.models import REGISTRY

CITIES = str(Path(ROOT) / "bench" / "data" / "us_cities.txt")
REPORT = re.compile(r"best val loss (\S+) at step (\d+); test loss (\S+)")


def makemore(*argv, cooldown=True) -> dict:
    """Run the command into a fresh work dir; what it reported and what its last.pt says."""
    recommended = cli.recommended_train_config
    with tempfile.TemporaryDirectory() as work_dir, contextlib.ExitStack() as stack:
        if not cooldown:  # the one setting with no flag: patched for this run only
            cli.recommended_train_config = lambda *a, **k: recommended(*a, cooldown_fraction=0.0, **k)
            stack.callback(setattr, cli, "recommended_train_config", recommended)
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out):
            status = cli.main([*map(str, argv), "-o", work_dir, "--quiet", "--num-samples", "0", "--device", "cpu"])
        seconds = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"makemore {' '.join(map(str, argv))} failed with status {status}")
        best_val, best_step, test = REPORT.search(out.getvalue()).groups()
        last = checkpoint.load(Path(work_dir) / "last.pt")
    back_to, stopped_at, _ = last["history"]["early_stop"] or (None, None, None)
    return {"steps": last["step"], "best_step": int(best_step), "best_val": float(best_val), "test": float(test),
            "stopped_at": stopped_at, "back_to": back_to, "seconds": seconds,
            "cpu_seconds": last["history"]["cpu_seconds"], "eval_interval": last["train_config"]["eval_interval"]}


def compare(data_args, model_type, seed, full=True):
    common = [*data_args, "--type", model_type, "--seed", seed]
    runs = {"full": makemore(*common, "--no-early-stop", "--eval-interval", 500)} if full else {}
    runs["stopped"] = makemore(*common)
    if runs["stopped"]["stopped_at"] is not None:
        runs["at once"] = makemore(*common, cooldown=False)
        runs["replanned"] = makemore(*common, "--no-early-stop", "--max-steps", runs["stopped"]["stopped_at"])
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=["shipped", CITIES], help="'shipped' (nnzero's names) and/or paths")
    parser.add_argument("--types", nargs="+", choices=list(REGISTRY), default=list(REGISTRY))
    parser.add_argument("--seed", type=int, default=3407)
    parser.add_argument("--no-full", action="store_true", help="skip the full runs (early stopping plays no part in them)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice, the core count)")
    parser.add_argument("--json", type=Path, help="also write the results to this file, after every type")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine() + f"; seed {args.seed}")
    results = []
    for name in args.files:
        data_args = [] if name == "shipped" else ["-i", name]
        print(f"\n{name}\n{'type':12} {'run':10} {'steps':>6} {'stopped':>7} {'back to':>7} {'best at':>7} {'every':>5} "
              f"{'best val':>8} {'test':>7} {'wall s':>7} {'cpu s':>7}")
        for model_type in args.types:
            for how, run in compare(data_args, model_type, args.seed, not args.no_full).items():
                results.append({"file": name, "type": model_type, "run": how, "seed": args.seed, **run})
                print(f"{model_type:12} {how:10} {run['steps']:6} {run['stopped_at'] or '-':>7} {run['back_to'] or '-':>7} "
                      f"{run['best_step']:7} "
                      f"{run['eval_interval']:5} {run['best_val']:8.4f} {run['test']:7.4f} {run['seconds']:7.1f} "
                      f"{run['cpu_seconds']:7.1f}", flush=True)
            if args.json:
                args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
