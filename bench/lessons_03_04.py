"""Lessons 03 and 04's final models on the shipped names and on the lectures' names.txt.

For each data file: the words split 80/10/10 with ``split_words(words, seed=42)`` (on
the lectures' names.txt that is their very split), then

* lesson 03's bigram count model with add-one smoothing (``BigramCounts``, α = 1);
* lesson 04's MLP (``window_mlp``: context 3, embeddings of 10, 200 tanh units, N(0, 1)
  start), trained with the lesson's settings: minibatches of 256, rate 0.4 for the first
  half of the steps and 0.04 after, 60,000 steps.

It prints one table row per (file, model): parameters, steps, wall time of the fit
(counting or training; evaluation not counted) and the mean NLL per character on train,
validation and test. The lecture reached 2.1701 on validation with its MLP (200,000 steps
of 32). Results: bench/BENCHMARKS.md.

    python bench/lessons_03_04.py
    python bench/lessons_03_04.py --files /path/to/names.txt --steps 5000
"""

import argparse
import time

from common import SPLIT_SEED, add_files_argument, machine, read
from nnzero.scratch import window_mlp as wm
from nnzero.makemore.data import Vocab, WindowDataset, split_words
from nnzero.makemore.models.bigram import BigramCounts

# Lesson 04's settings (its `parameters` cell): keep the two in step.
SEED = 2147483647
MLP = {"context": 3, "n_embd": 10, "n_hidden": 200}
BATCH_SIZE, LR, STEPS = 256, 0.4, 60_000


def bigram_row(splits, vocab):
    start = time.perf_counter()
    model = BigramCounts(splits.train, vocab)
    seconds = time.perf_counter() - start
    losses = [model.nll(part, smoothing=1.0) for part in splits]
    return "bigram counts, α = 1", model.N.numel(), 0, seconds, losses


def mlp_row(splits, vocab, steps):
    train, val, test = (WindowDataset(part, vocab, MLP["context"]) for part in splits)
    model = wm.init_mlp(len(vocab), **MLP, seed=SEED)
    start = time.perf_counter()
    wm.train(model, train.X, train.Y, steps=steps, batch_size=BATCH_SIZE, lr=LR, decay_at=0.5, seed=SEED)
    seconds = time.perf_counter() - start
    losses = [wm.evaluate(model, data.X, data.Y) for data in (train, val, test)]
    return f"MLP ctx 3, emb 10, hidden 200, batch {BATCH_SIZE}", model.num_parameters(), steps, seconds, losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_files_argument(parser)
    parser.add_argument("--steps", type=int, default=STEPS, help=f"MLP training steps (default: the lesson's {STEPS:,})")
    args = parser.parse_args(argv)

    print(machine())
    print(f"{'file':<12} {'model':<40} {'params':>7} {'steps':>7} {'time':>7}  {'train':>6} {'val':>6} {'test':>6}")
    for label in args.files:
        words = read(label)
        vocab = Vocab.from_words(words)
        splits = split_words(words, seed=SPLIT_SEED)
        for row in (bigram_row(splits, vocab), mlp_row(splits, vocab, args.steps)):
            name, params, steps, seconds, (train, val, test) = row
            print(f"{label[-12:]:<12} {name:<40} {params:>7,} {steps:>7,} {seconds:>6.0f}s  {train:.4f} {val:.4f} {test:.4f}", flush=True)


if __name__ == "__main__":
    main()
