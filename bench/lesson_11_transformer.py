"""Lesson 11's final Transformer on the shipped names and on the reference names.txt.

The model is trained exactly as the lesson trains it: the same shape (``MODEL``), the
transformer's recommended settings (AdamW, weight decay 0.1, linear warmup of 200 steps,
cosine decay to 5% of the peak) with the lesson's steps, batch size and peak learning
rate, the same seeds (model initialisation 42, batches 3407), the package's ``train``;
then the final model (not the best checkpoint) is evaluated on the train, validation and
test splits (80/10/10, split seed 42). The lesson's target: test loss <= 1.95 on the
shipped names. Results: bench/BENCHMARKS.md.

    OMP_NUM_THREADS=1 python bench/lesson_11_transformer.py [--reference PATH] [--steps N] [--only shipped|reference]
"""

import argparse
import os
import platform
import time
from pathlib import Path

import torch

from nnzero.makemore import ModelConfig, SequenceDataset, Vocab, build_model, evaluate, load_words, recommended_train_config, split_words, train

SEED = 42
MODEL = dict(n_layer=4, n_head=4, n_embd=64, dropout=0.1)  # the package's default shape
STEPS = 7_000
BATCH_SIZE = 64
LEARNING_RATE = 3e-3
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "names.txt"


def run(path, steps):
    """Train the lesson's model on the words of ``path`` (None: the shipped names); return a table row's numbers."""
    words = load_words(path)
    vocab = Vocab.from_words(words)
    block_size = max(map(len, words)) + 1
    train_data, val_data, test_data = (SequenceDataset(split, vocab, block_size) for split in split_words(words, seed=SEED))
    config = ModelConfig(vocab_size=len(vocab), block_size=block_size, **MODEL)
    train_config = recommended_train_config("transformer", max_steps=steps, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE, eval_interval=1_000)
    torch.manual_seed(SEED)
    model = build_model("transformer", config)
    wall, cpu = time.perf_counter(), time.process_time()
    train(model, train_data, val_data, train_config, progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    losses = [evaluate(model, data) for data in (train_data, val_data, test_data)]
    return model.num_parameters(), wall, cpu, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE, help=f"the reference names file (default {REFERENCE})")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps (default {STEPS:,}, the lesson's full run)")
    parser.add_argument("--only", choices=("shipped", "reference"), help="train on one of the two files only (default: both, one after the other)")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, torch {torch.__version__}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}")
    print(f"model {MODEL}, batch {BATCH_SIZE}, peak lr {LEARNING_RATE}\n")
    header = f"{'dataset':<28} {'params':>7} {'steps':>7} {'wall':>6} {'cpu':>6} {'train':>7} {'val':>7} {'test':>7}"
    print(header)
    print("-" * len(header))
    files = {"shipped": ("shipped names (2015)", None), "reference": (f"reference {args.reference.name}", args.reference)}
    for key, (name, path) in files.items():
        if args.only not in (None, key):
            continue
        params, wall, cpu, (train_loss, val_loss, test_loss) = run(path, args.steps)
        print(f"{name:<28} {params:>7,} {args.steps:>7,} {wall:>5.0f}s {cpu:>5.0f}s {train_loss:>7.4f} {val_loss:>7.4f} {test_loss:>7.4f}", flush=True)


if __name__ == "__main__":
    main()
