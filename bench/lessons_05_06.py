"""Lessons 05 and 06's final models on the shipped names and on the reference names.txt.

Each model is trained exactly as its lesson trains it (same package function, sizes,
steps, learning rate and seeds) on two datasets, then evaluated on the train, validation
and test splits (80/10/10, split seed 42), BatchNorm in inference mode:

* 05: the deep MLP, context 6, embeddings of 16, five tanh layers of 100 with BatchNorm,
  Kaiming init; 12,000 SGD steps of 128 windows, lr 0.2 then 0.02
  (nnzero.scratch.deep_mlp.train);
* 06: the one-layer MLP with BatchNorm, context 6, embeddings of 16, 200 hidden units,
  trained with the hand-written backward only; 12,000 steps of 128, lr 0.4 then 0.04
  (nnzero.scratch.manual_backward.train_manual).

The lecture reached validation 2.1057 (autograd) and 2.1099 (manual backward) on
names.txt; the lessons' target is 2.11. Results: bench/BENCHMARKS.md.

    python bench/lessons_05_06.py [--files shipped PATH] [--steps 12000]
"""

import argparse
import time

from common import SPLIT_SEED, add_files_argument, machine, read
from nnzero.scratch import deep_mlp
from nnzero.makemore.data import Vocab, WindowDataset, split_words
from nnzero.scratch.manual_backward import ManualMLP, train_manual

SEED = 42
CONTEXT = 6
STEPS = 12_000


def lesson_05(vocab, train, steps):
    model = deep_mlp.build_deep_mlp(len(vocab), CONTEXT, n_embd=16, n_hidden=100, n_layers=5, seed=SEED)
    deep_mlp.train(model, train.X, train.Y, steps=steps, batch_size=128, lr=0.2, seed=SEED, ratio_every=20)
    return model.num_parameters(), lambda data: deep_mlp.evaluate(model, data.X, data.Y)


def lesson_06(vocab, train, steps):
    model = ManualMLP(len(vocab), CONTEXT, n_embd=16, n_hidden=200, seed=SEED)
    train_manual(model, train.X, train.Y, steps=steps, batch_size=128, lr=0.4, seed=SEED)
    return model.num_parameters(), lambda data: model.evaluate(data.X, data.Y)


MODELS = {
    "05 deep MLP, BatchNorm (5x100)": lesson_05,
    "06 MLP, manual backward (200)": lesson_06,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_files_argument(parser)
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps per model (default {STEPS:,}, the lessons' full run)")
    args = parser.parse_args()

    print(machine() + "\n")
    header = f"{'file':<12} {'model':<32} {'params':>7} {'steps':>7} {'time':>7} {'train':>7} {'val':>7} {'test':>7}"
    print(header)
    print("-" * len(header))
    for dataset in args.files:
        words = read(dataset)
        vocab = Vocab.from_words(words)
        train, val, test = (WindowDataset(split, vocab, CONTEXT) for split in split_words(words, seed=SPLIT_SEED))
        for name, run in MODELS.items():
            start = time.perf_counter()
            params, loss = run(vocab, train, args.steps)
            seconds = time.perf_counter() - start
            print(f"{dataset[-12:]:<12} {name:<32} {params:>7,} {args.steps:>7,} {seconds:>6.0f}s "
                  f"{loss(train):>7.4f} {loss(val):>7.4f} {loss(test):>7.4f}", flush=True)


if __name__ == "__main__":
    main()
