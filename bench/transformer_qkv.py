"""Muon on the Transformer's fused query/key/value matrix: one matrix, or three?

Each block's attention computes its queries, keys and values with one ``Linear(C, 3C)``
(``attn.qkv``, a 3C x C weight). Muon (``nnzero/makemore/muon.py``) orthogonalises that
weight's update as one 192 x 64 matrix; Muon's authors (Jordan et al. 2024) treat Q, K
and V as three matrices. Variant ``split`` cuts the update's rows into the three C x C
blocks and orthogonalises (and scales, by 0.2 sqrt(max(rows, cols)) of a block) each on
its own; nothing else changes. Both variants get the same CPU time on one thread.

How: the tool's default Transformer and recommended settings on the reference names,
split as ``bench/makemore.py`` splits them (lines as given, seed 42), trained as
``bench/makemore.py --types transformer --steps N --seed S --threads 1`` trains it (10
evaluations, test loss of the best one). The fused variant takes 7,910 steps, what 3
minutes of the quiet 2-core machine held when Muon came in (BENCHMARKS.md); the split
variant takes as many steps as the same CPU time holds, by an interleaved timing of both
(CPU time of this process, one thread). Results: bench/BENCHMARKS.md.

    python bench/transformer_qkv.py                       # both variants, seeds 3407 1 2
    python bench/transformer_qkv.py --variants split --seeds 3407
    python bench/transformer_qkv.py --seeds 1 --split-steps 7550      # the recorded step counts, no timing
"""

import argparse
import contextlib
import copy
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch

from common import REFERENCE, machine, read
from nnzero.makemore import checkpoint, sequence_splits
from nnzero.makemore import training
from nnzero.makemore.models import build_model, default_config
from nnzero.makemore.models.transformer import CausalSelfAttention
from nnzero.makemore.muon import CombinedOptimizer, Muon, orthogonalize
from nnzero.makemore.training import draw_batch, evaluate, recommended_train_config, train, training_step

FUSED_STEPS = 7_910  # 3 minutes of the quiet machine (BENCHMARKS.md, "Muon for the transformer")
TIMING_STEPS = 200


class BlockMuon(Muon):
    """Muon whose parameter groups may say ``row_blocks``: each matrix's update is cut into
    that many blocks of rows, and each block is orthogonalised and scaled as a matrix of
    its own (1, the default, is ``Muon`` exactly)."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, momentum, blocks = group["lr"], group["momentum"], group.get("row_blocks", 1)
            by_shape = defaultdict(list)  # the shape of a block -> [(parameter, its update in blocks)]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p)
                buffer = state["momentum_buffer"].lerp_(p.grad, 1 - momentum)
                update = p.grad.lerp(buffer, momentum) if group["nesterov"] else buffer
                rows, cols = p.shape
                by_shape[(rows // blocks, cols)].append((p, update.view(blocks, rows // blocks, cols)))
            for (rows, cols), items in by_shape.items():
                orthogonal = orthogonalize(torch.cat([u for _, u in items]).float(), group["ns_steps"])
                scale = lr * 0.2 * (max(rows, cols) ** 0.5)
                for (p, _), update in zip(items, orthogonal.split(blocks)):
                    p.mul_(1 - lr * group["weight_decay"]).add_(update.reshape(p.shape).to(p.dtype), alpha=-scale)


PACKAGE_MAKE_OPTIMIZER = training.make_optimizer


def split_qkv_optimizer(model, config):
    """The package's optimiser, with each attention's qkv weight orthogonalised as Q, K and V."""
    optimizer = PACKAGE_MAKE_OPTIMIZER(model, config)
    muon, adamw = optimizer.optimizers
    qkv = {id(m.qkv.weight) for m in model.modules() if isinstance(m, CausalSelfAttention)}
    params = muon.param_groups[0]["params"]
    settings = {k: v for k, v in muon.param_groups[0].items() if k != "params"}
    groups = [{"params": [p for p in params if id(p) in qkv], "row_blocks": 3},
              {"params": [p for p in params if id(p) not in qkv]}]
    return CombinedOptimizer(BlockMuon(groups, **settings), adamw)


VARIANTS = {"fused": PACKAGE_MAKE_OPTIMIZER, "split": split_qkv_optimizer}


@contextlib.contextmanager
def optimizer_variant(name):
    """train() builds its optimiser with training.make_optimizer: this variant's, for a while."""
    training.make_optimizer = VARIANTS[name]
    try:
        yield
    finally:
        training.make_optimizer = PACKAGE_MAKE_OPTIMIZER


def cpu_ms_per_step(model, data, config, variants, steps=TIMING_STEPS):
    """Median CPU milliseconds of one training step for each variant's optimiser, on copies
    of ``model``: the variants take turns step by step, so a change in the machine's load
    hits them alike."""
    runs = {variant: (copy.deepcopy(model), torch.Generator().manual_seed(0)) for variant in variants}
    optimizers = {variant: VARIANTS[variant](runs[variant][0], config) for variant in variants}
    times = defaultdict(list)
    for _ in range(steps):
        for variant, (copied, generator) in runs.items():
            start = time.process_time()
            x, targets = draw_batch(data.X, data.Y, config.batch_size, generator)
            training_step(copied, optimizers[variant], x, targets, config.grad_clip)
            times[variant].append(time.process_time() - start)
    return {variant: 1000 * statistics.median(t[steps // 5 :]) for variant, t in times.items()}


def run(splits, variant, steps, seed):
    """bench/makemore.py's run with ``--steps``: train, then the test loss of the best evaluation."""
    vocab, _, (train_data, val_data, test_data) = splits
    torch.manual_seed(seed)
    model = build_model("transformer", default_config("transformer", len(vocab), train_data.block_size))
    config = recommended_train_config("transformer", seed=seed, device="cpu", max_steps=steps,
                                      eval_interval=max(1, steps // 10), save_last=False)
    with tempfile.TemporaryDirectory() as work_dir, optimizer_variant(variant):
        history = train(model, train_data, val_data, config, work_dir=work_dir, progress=False)
        model.load_state_dict(checkpoint.load(Path(work_dir) / "best.pt")["model"])
    return history, evaluate(model, test_data)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[3407, 1, 2])
    parser.add_argument("--file", default=REFERENCE, help="'shipped' or a path (default: the reference names)")
    parser.add_argument("--split-steps", type=int, help="the split variant's steps, from an earlier timing (no timing then)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(machine())

    splits = sequence_splits(read(args.file))
    vocab, _, (train_data, _, _) = splits
    if args.split_steps:
        steps = {"fused": FUSED_STEPS, "split": args.split_steps}
    else:
        torch.manual_seed(0)
        model = build_model("transformer", default_config("transformer", len(vocab), train_data.block_size))
        config = recommended_train_config("transformer", device="cpu")
        ms = cpu_ms_per_step(model, train_data, config, list(VARIANTS))
        steps = {variant: round(FUSED_STEPS * ms["fused"] / ms[variant]) for variant in VARIANTS}
        for variant in VARIANTS:
            print(f"{variant}: {ms[variant]:.1f} CPU ms/step (median of {TIMING_STEPS - TIMING_STEPS // 5}, steps "
                  f"taken in turn) -> {steps[variant]:,} steps")

    print(f"\n{'variant':8} {'seed':>5} {'steps':>6} {'cpu s':>6} {'best val':>9} {'test':>7}")
    results = defaultdict(list)
    for seed in args.seeds:
        for variant in args.variants:
            history, test = run(splits, variant, steps[variant], seed)
            results[variant].append(test)
            print(f"{variant:8} {seed:5} {steps[variant]:6,} {history.cpu_seconds:6.0f} {history.best_val:9.4f} {test:7.4f}",
                  flush=True)
    for variant, tests in results.items():
        print(f"{variant}: test {min(tests):.4f}-{max(tests):.4f}, mean {statistics.mean(tests):.4f} over seeds {args.seeds}")


if __name__ == "__main__":
    main()
