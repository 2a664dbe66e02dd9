"""Every makemore model type under one fixed budget of training time.

For each data file and model type: the type's default size and recommended training
settings (what `makemore --type T` uses), trained on the 80% training split within a
fixed budget of seconds, evaluated on the whole validation split during training; the
test loss is that of the checkpoint with the best validation loss.

How many steps: the type's recommended ``max_steps`` (what `makemore` trains for by
default), or fewer if those would not fit in the budget, as measured by a short timing
run; the learning-rate schedule is laid out over that many steps, so it ends when the run
does. (``--fill`` always uses the whole budget instead: on a fast machine the recommended
settings then overfit, see BENCHMARKS.md.) The table reports the training time actually
taken (evaluation not counted). Results: bench/BENCHMARKS.md.

    python bench/makemore.py                                 # 3 minutes per type at most, both files
    python bench/makemore.py --seconds 60 --types mlp gru --files shipped
    python bench/makemore.py --files ../shared/data/names.txt
    python bench/makemore.py --types transformer --steps 10000 --train-set batch_size=64 learning_rate=4e-3
"""

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import torch

from common import add_files_argument, machine, read
from nnzero.makemore import checkpoint, sequence_splits
from nnzero.makemore.models import REGISTRY, build_model, default_config
from nnzero.makemore.training import evaluate, recommended_train_config, train
from nnzero.studies.zoo import median_step_seconds

TIMING_STEPS = 40


def ms_per_step(model, data, config):
    """Median wall-clock milliseconds of one training step of a throwaway copy of ``model``."""
    return 1000 * median_step_seconds(model, data, config, TIMING_STEPS, clock=time.perf_counter)


def run(words, model_type, seconds, seed, fill=False, steps=None, model_set=None, train_set=None):
    vocab, _, (train_data, val_data, test_data) = sequence_splits(words)  # the makemore CLI's split
    block_size = train_data.block_size
    torch.manual_seed(seed)
    shape = dataclasses.replace(default_config(model_type, len(vocab), block_size), **(model_set or {}))
    model = build_model(model_type, shape)
    config = recommended_train_config(model_type, seed=seed, device="cpu", **(train_set or {}))
    if steps is None:
        steps = max(1, int(seconds * 1000 / ms_per_step(model, train_data, config)))
        if not fill:
            steps = min(steps, config.max_steps)
    config = dataclasses.replace(config, max_steps=steps, eval_interval=max(1, steps // 10), save_last=False)
    with tempfile.TemporaryDirectory() as work_dir:
        history = train(model, train_data, val_data, config, work_dir=work_dir, progress=False)
        final_val = evaluate(model, val_data)
        model.load_state_dict(checkpoint.load(Path(work_dir) / "best.pt")["model"])  # test the best model
    return {
        "type": model_type,
        "params": sum(p.numel() for p in model.parameters()),
        "steps": steps,
        "batch": config.batch_size,
        "ms_per_step": history.train_seconds * 1000 / steps,
        "train_seconds": history.train_seconds,
        "best_val": history.best_val,
        "best_step": history.best_step,
        "final_val": final_val,
        "test": evaluate(model, test_data),
        # makemore's own batch, for comparing speed per step with the reference tool
        "ms_per_step_batch_32": ms_per_step(model, train_data, dataclasses.replace(config, batch_size=32)),
    }


def _fields(pairs):
    """['dropout=0.05', 'batch_size=64', 'optimizer=adamw'] -> {'dropout': 0.05, 'batch_size': 64, 'optimizer': 'adamw'}"""
    fields = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            fields[name] = int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            fields[name] = value  # a word, e.g. optimizer=adamw
    return fields


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180, help="training time per type (default: 180)")
    parser.add_argument("--types", nargs="+", choices=list(REGISTRY), default=list(REGISTRY))
    add_files_argument(parser)
    parser.add_argument("--seed", type=int, default=3407)
    parser.add_argument("--fill", action="store_true",
                        help="train for the whole budget even past the recommended number of steps")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice, the core count)")
    parser.add_argument("--steps", type=int, help="train for exactly this many steps (no timing; for sweeps whose "
                        "step counts were sized on a quiet machine, run at any load)")
    parser.add_argument("--model-set", nargs="+", default=[], metavar="FIELD=VALUE",
                        help="change ModelConfig fields from default_config, e.g. dropout=0.05")
    parser.add_argument("--train-set", nargs="+", default=[], metavar="FIELD=VALUE",
                        help="change TrainConfig fields from recommended_train_config, e.g. batch_size=64 learning_rate=4e-3")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    print(machine() + f"; at most {args.seconds:g} s of training per type" + (", filling the budget" if args.fill else ""))
    rows = []
    for name in args.files:
        words = read(name)
        print(f"\n{name}: {len(words)} lines")
        print(f"{'type':12} {'params':>8} {'steps':>6} {'batch':>5} {'ms/step':>8} {'best val':>9} {'final val':>9} {'test':>7}")
        for model_type in args.types:
            row = {"file": name, **run(words, model_type, args.seconds, args.seed, args.fill, args.steps,
                                       _fields(args.model_set), _fields(args.train_set))}
            rows.append(row)
            print(f"{row['type']:12} {row['params']:8,} {row['steps']:6} {row['batch']:5} {row['ms_per_step']:8.1f} "
                  f"{row['best_val']:9.4f} {row['final_val']:9.4f} {row['test']:7.4f}   "
                  f"(batch 32: {row['ms_per_step_batch_32']:.1f} ms/step)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
