"""Lesson 09's final model, the LSTM, on the shipped names and on the reference names.txt.

Trained exactly as the lesson trains it: the package's default recurrent size (embeddings
of 64, one LSTM layer of 128 units, forget-gate bias +1), seeded with 42 before it is built;
``recommended_train_config("lstm")`` (AdamW, peak 3e-3, warmup 200, cosine to 5%, clip 1.0,
batches of 32 names) for 6,000 steps with batch seed 42, the validation loss every 500
steps; then the final model's mean loss per character on the train, validation and test
splits (80/10/10, split seed 42).

    python bench/lesson_09_lstm.py [--reference ../shared/data/names.txt] [--steps 6000]
"""

import argparse
import os
import platform
from pathlib import Path

import torch

from nnzero.makemore import SequenceDataset, Vocab, build_model, default_config, evaluate, load_words, recommended_train_config, split_words, train

SEED = 42
STEPS = 6_000
EVAL_INTERVAL = 500
DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "names.txt"


def run(path, steps):
    words = load_words(path)
    vocab = Vocab.from_words(words)
    splits = split_words(words, seed=SEED)
    block_size = max(map(len, words)) + 1
    train_data, val_data, test_data = (SequenceDataset(split, vocab, block_size) for split in splits)
    torch.manual_seed(SEED)
    model = build_model("lstm", default_config("lstm", len(vocab), block_size))
    config = recommended_train_config("lstm", max_steps=steps, eval_interval=EVAL_INTERVAL, seed=SEED)
    history = train(model, train_data, val_data, config, progress=False)
    losses = [evaluate(model, data) for data in (train_data, val_data, test_data)]
    return model.num_parameters(), history.train_seconds, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help=f"the reference names file (default {DEFAULT_REFERENCE})")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps (default {STEPS:,}, the lesson's full run)")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, torch {torch.__version__}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}\n")
    header = f"{'dataset':<36} {'model':<24} {'params':>7} {'steps':>6} {'time':>6} {'train':>7} {'val':>7} {'test':>7}"
    print(header)
    print("-" * len(header))
    for dataset, path in {"shipped names (2015)": None, f"reference {args.reference.name}": args.reference}.items():
        params, seconds, (train_loss, val_loss, test_loss) = run(path, args.steps)
        print(f"{dataset:<36} {'09 LSTM (1x128)':<24} {params:>7,} {args.steps:>6,} {seconds:>5.0f}s "
              f"{train_loss:>7.4f} {val_loss:>7.4f} {test_loss:>7.4f}", flush=True)


if __name__ == "__main__":
    main()
