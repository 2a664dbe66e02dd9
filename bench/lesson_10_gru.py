"""Lesson 10's final model, the GRU, on the shipped names and on the reference names.txt.

Trained exactly as the lesson trains it: ``torch.manual_seed(42)``, then the package's
default GRU (embeddings of 64, one layer of 128 units; ``default_config("gru", ...)``),
then ``train`` with ``recommended_train_config("gru", max_steps=3000, eval_interval=250)``
(AdamW, peak learning rate 3e-3 after 200 warm-up steps, cosine decay to 5 %, batches
of 32 names, gradient norm clipped at 1). Evaluated on the train, validation and test
splits (80/10/10, split seed 42) as the mean negative log-likelihood per character.

For comparison, bench/makemore.py gives the GRU a fixed 3 minutes (about 8,000 steps on
one core) and records it in bench/BENCHMARKS.md.

    python bench/lesson_10_gru.py [--reference ../shared/data/names.txt] [--steps 3000]
"""

import argparse
import os
import platform
import time
from pathlib import Path

import torch

from nnzero.makemore import SequenceDataset, Vocab, build_model, default_config, evaluate, load_words, recommended_train_config, split_words, train

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "data" / "names.txt"
SEED = 42
STEPS = 3_000
EVAL_INTERVAL = 250


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE, help=f"the reference names file (default {REFERENCE})")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps (default {STEPS:,}, the lesson's full run)")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, torch {torch.__version__}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}\n")
    header = f"{'dataset':<28} {'model':<24} {'params':>7} {'steps':>6} {'time':>6} {'train':>7} {'val':>7} {'test':>7}"
    print(header)
    print("-" * len(header))
    for label, path in (("shipped names (2015)", None), (f"reference {args.reference.name}", args.reference)):
        words = load_words(path)
        vocab = Vocab.from_words(words)
        block_size = max(map(len, words)) + 1
        train_data, val_data, test_data = (SequenceDataset(s, vocab, block_size) for s in split_words(words, seed=SEED))
        torch.manual_seed(SEED)
        model = build_model("gru", default_config("gru", len(vocab), block_size))
        config = recommended_train_config("gru", max_steps=args.steps, eval_interval=EVAL_INTERVAL)
        start = time.perf_counter()
        train(model, train_data, val_data, config, progress=False)
        seconds = time.perf_counter() - start
        losses = [evaluate(model, data) for data in (train_data, val_data, test_data)]
        print(f"{label:<28} {'10 GRU (1 x 128)':<24} {model.num_parameters():>7,} {args.steps:>6,} {seconds:>5.0f}s "
              + " ".join(f"{loss:>7.4f}" for loss in losses), flush=True)


if __name__ == "__main__":
    main()
