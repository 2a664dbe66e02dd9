"""Lesson 08's RNN on the shipped names and on the reference names.txt.

The model is trained exactly as the lesson trains it: torch seeded with 42 just before
``build_model("rnn", default_config("rnn", ...))`` (embeddings of 64, one tanh layer of
128 units, 30,171 parameters), then the package's ``train`` with
``recommended_train_config("rnn")``: 10,000 AdamW steps of 32 names, warmup 200 steps to
3e-3, cosine decay to 5 %, gradient norm clipped at 1. Whole names as sequences
(``SequenceDataset``), split 80/10/10 with seed 42; the losses are those of the final
model (mean NLL per character, in nats). On the shipped names and one thread this
reproduces the lesson's numbers. Results: bench/BENCHMARKS.md.

    python bench/lesson_08_rnn.py [--reference PATH] [--steps 10000]
"""

import argparse
import os
import platform
import time
from pathlib import Path

import torch

from nnzero.makemore import SequenceDataset, Vocab, build_model, default_config, evaluate, load_words, recommended_train_config, split_words, train

SEED = 42
STEPS = 10_000
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "names.txt"


def train_lesson_rnn(words, steps):
    """The lesson's RNN trained on ``words``: (parameters, seconds, {split: loss})."""
    vocab = Vocab.from_words(words)
    block_size = max(len(w) for w in words) + 1
    train_data, val_data, test_data = (SequenceDataset(s, vocab, block_size) for s in split_words(words, seed=SEED))
    torch.manual_seed(SEED)
    model = build_model("rnn", default_config("rnn", len(vocab), block_size))
    config = recommended_train_config("rnn", max_steps=steps, eval_interval=500)
    start = time.perf_counter()
    train(model, train_data, val_data, config, progress=False)
    seconds = time.perf_counter() - start
    losses = {name: evaluate(model, data) for name, data in (("train", train_data), ("val", val_data), ("test", test_data))}
    return model.num_parameters(), seconds, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=str(REFERENCE), help=f"the reference names file (default {REFERENCE})")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps (default {STEPS:,}, the lesson's full run)")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, torch {torch.__version__}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}\n")
    header = f"{'dataset':<28} {'model':<22} {'params':>7} {'steps':>7} {'time':>7} {'train':>7} {'val':>7} {'test':>7}"
    print(header)
    print("-" * len(header))
    for dataset, path in (("shipped names (2015)", None), ("reference names.txt", args.reference)):
        params, seconds, losses = train_lesson_rnn(load_words(path), args.steps)
        print(f"{dataset:<28} {'08 RNN (64, 128)':<22} {params:>7,} {args.steps:>7,} {seconds:>6.0f}s "
              f"{losses['train']:>7.4f} {losses['val']:>7.4f} {losses['test']:>7.4f}", flush=True)


if __name__ == "__main__":
    main()
