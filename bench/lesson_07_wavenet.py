"""Lesson 07's final model, the package's WaveNet, on the shipped names and on the reference names.txt.

The model is trained exactly as the lesson trains it: the same ModelConfig (context 8,
three gated dilated layers with dilations 1, 2, 4, embeddings of 32, 96 channels,
dropout 0.1), the same seeds, the package's ``train`` with
``recommended_train_config("wavenet")`` and the lesson's 8,000 steps, on whole names
(SequenceDataset, 80/10/10 split with seed 42). It is then evaluated on the
train, validation and test splits. The lecture's hierarchical network reached validation
1.9937 on names.txt; the lesson's target is 1.99. Results: bench/BENCHMARKS.md.

    python bench/lesson_07_wavenet.py [--reference ../shared/data/names.txt] [--steps N]
"""

import argparse
import os
import platform
import time
from pathlib import Path

import torch

from nnzero.makemore import ModelConfig, SequenceDataset, Vocab, build_model, evaluate, load_words, recommended_train_config, split_words, train

ROOT = Path(__file__).resolve().parents[1]
SEED = 42
STEPS = 8_000
SHAPE = dict(context=8, n_layer=3, n_embd=32, n_embd2=96, dropout=0.1)


def run(words, steps):
    """Train the lesson's WaveNet on ``words``; return params, seconds and the three losses."""
    vocab = Vocab.from_words(words)
    splits = split_words(words, seed=SEED)
    block_size = max(map(len, words)) + 1
    train_data, val_data, test_data = (SequenceDataset(split, vocab, block_size) for split in splits)
    torch.manual_seed(SEED)
    model = build_model("wavenet", ModelConfig(len(vocab), block_size, **SHAPE))
    config = recommended_train_config("wavenet", max_steps=steps, eval_interval=1_000, seed=SEED)
    start = time.perf_counter()
    train(model, train_data, val_data, config, progress=False)
    seconds = time.perf_counter() - start
    return model.num_parameters(), seconds, [evaluate(model, data) for data in (train_data, val_data, test_data)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="../shared/data/names.txt", help="the reference names file, relative to the repository root (default ../shared/data/names.txt)")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps (default {STEPS:,}, the lesson's full run)")
    args = parser.parse_args()

    reference = Path(args.reference)
    reference = reference if reference.is_absolute() else ROOT / reference
    datasets = {"shipped names (2015)": None, f"reference {args.reference}": reference}

    print(f"Python {platform.python_version()}, torch {torch.__version__}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}\n")
    header = f"{'dataset':<36} {'model':<28} {'params':>7} {'steps':>7} {'time':>7} {'train':>7} {'val':>7} {'test':>7}"
    print(header)
    print("-" * len(header))
    for dataset, path in datasets.items():
        params, seconds, (train_loss, val_loss, test_loss) = run(load_words(path), args.steps)
        print(f"{dataset:<36} {'07 WaveNet, context 8':<28} {params:>7,} {args.steps:>7,} {seconds:>6.0f}s "
              f"{train_loss:>7.4f} {val_loss:>7.4f} {test_loss:>7.4f}", flush=True)


if __name__ == "__main__":
    main()
