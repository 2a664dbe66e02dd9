"""How fast does micrograd train micrograd's demo network?

MLP(2, [16, 16, 1]) on 100 two-moons points, full batch, hinge loss + 1e-4 L2, plain
SGD with the demo's learning rate: each step is a forward pass over all 100 points, a
backward pass and an update. The target is 0.17 s a step on a 2-core CPU (the original
closure-per-operation engine takes about 0.53 s there). Results: bench/BENCHMARKS.md.

    python bench/micrograd.py [--steps 20] [--runs 3]
"""

import argparse
import gc
import os
import platform
import statistics
import time

from nnzero.micrograd.datasets import make_moons
from nnzero.micrograd.nn import MLP, hinge_loss, sgd_step

TARGET_S_PER_STEP = 0.17


def train(steps):
    """Train a fresh network; return per-step timings of each phase and the last step."""
    X, y = make_moons(100, noise=0.1, seed=1337)
    model = MLP(2, [16, 16, 1], seed=1337)
    times = {"forward": [], "backward": [], "update": [], "step": []}
    for step in range(steps):
        start = time.perf_counter()
        loss, accuracy = hinge_loss(model, X, y)
        forward_done = time.perf_counter()
        model.zero_grad()
        loss.backward()
        backward_done = time.perf_counter()
        sgd_step(model.parameters(), lr=1.0 - 0.9 * step / 100)
        end = time.perf_counter()
        times["forward"].append(forward_done - start)
        times["backward"].append(backward_done - forward_done)
        times["update"].append(end - backward_done)
        times["step"].append(end - start)
    nodes = len(loss.topological_order())
    return times, nodes, model, loss.data, accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per run (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="fresh training runs (default 3)")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"{args.runs} runs of {args.steps} full-batch steps on 100 moons points\n")
    per_run = []
    for _ in range(args.runs):
        times, nodes, model, loss, accuracy = train(args.steps)
        per_run.append(times)
    print(f"model: {model!r}; graph: {nodes:,} nodes per step")
    print(f"after {args.steps} steps: loss {loss:.4f}, training accuracy {accuracy:.0%}\n")

    print("seconds per step   best    median  worst   (over all steps of all runs)")
    for phase in ("forward", "backward", "update", "step"):
        values = [t for times in per_run for t in times[phase]]
        print(f"  {phase:<15}{min(values):8.4f}{statistics.median(values):8.4f}{max(values):8.4f}")
    medians = [statistics.median(times["step"]) for times in per_run]
    print("  median step of each run: " + ", ".join(f"{m:.4f}" for m in medians))

    # For reference only: the same training with Python's cyclic garbage collector off,
    # which shows how much of a step the collector takes scanning the live graph.
    gc.disable()
    times, *_ = train(args.steps)
    gc.enable()
    print(f"  (with gc disabled: median step {statistics.median(times['step']):.4f})")

    best_median = min(medians)
    verdict = "meets" if best_median <= TARGET_S_PER_STEP else "misses"
    print(f"\nbest run's median step {best_median:.4f} s {verdict} the target of {TARGET_S_PER_STEP} s")


if __name__ == "__main__":
    main()
