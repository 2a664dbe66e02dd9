"""The final models of lessons 07 and 11 (WaveNet, Transformer), trained exactly as each
lesson trains it, on the shipped names and on the reference names.txt. Lessons 08-10's
RNN, LSTM and GRU, three seeds each on one footing, are bench/recurrent_table.py's.

Each row: ``torch.manual_seed(42)``, the lesson's model (its ModelConfig: the package's
default shape, or the lesson's own), then ``train`` with the lesson's
``recommended_train_config(type, ...)`` overrides (steps, evaluation interval, batch
seed), on whole words split 80/10/10 with seed 42, each distinct word in one part (the
course's split, ``dedupe=True``). The losses are those
of the final model (mean NLL per character, in nats) on the three splits. ``wall`` is the
training time by the clock, ``cpu`` in CPU seconds of the process (all threads). Results: bench/BENCHMARKS.md.

    python bench/lessons_07_11.py                          # every lesson, both files
    python bench/lessons_07_11.py --lessons 11 --files shipped
"""

import argparse

import torch

from common import add_files_argument, machine, read
from nnzero.makemore import ModelConfig, build_model, default_config, evaluate, recommended_train_config, sequence_splits, train

SEED = 42
# Each lesson's final model: (title, type, its shape (None: default_config), recommended_train_config overrides).
LESSONS = {
    "07": ("WaveNet, context 8", "wavenet", dict(context=8, n_layer=3, n_embd=32, n_embd2=96, dropout=0.1),
           dict(max_steps=8_000, eval_interval=1_000, seed=SEED)),
    "11": ("Transformer (4 x 64)", "transformer", None, dict(max_steps=6_500, eval_interval=1_000)),
}


def run(words, lesson):
    """Train one lesson's model on ``words``: (parameters, history, [train, val, test] losses)."""
    _, model_type, shape, overrides = LESSONS[lesson]
    vocab, _, (train_data, val_data, test_data) = sequence_splits(words, dedupe=True)
    block_size = train_data.block_size
    config = default_config(model_type, len(vocab), block_size) if shape is None else ModelConfig(len(vocab), block_size, **shape)
    torch.manual_seed(SEED)
    model = build_model(model_type, config)
    history = train(model, train_data, val_data, recommended_train_config(model_type, **overrides), progress=False)
    return model.num_parameters(), history, [evaluate(model, data) for data in (train_data, val_data, test_data)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="+", choices=list(LESSONS), default=list(LESSONS))
    add_files_argument(parser)
    args = parser.parse_args(argv)

    print(machine() + "\n")
    header = f"{'file':<12} {'lesson':<28} {'params':>7} {'steps':>7} {'wall':>6} {'cpu':>6} {'train':>7} {'val':>7} {'test':>7}"
    print(header)
    print("-" * len(header))
    for name in args.files:
        words = read(name)
        for lesson in args.lessons:
            params, history, losses = run(words, lesson)
            print(f"{name[-12:]:<12} {lesson + ' ' + LESSONS[lesson][0]:<28} {params:>7,} {history.step:>7,} "
                  f"{history.train_seconds:>5.0f}s {history.cpu_seconds:>5.0f}s " + " ".join(f"{x:>7.4f}" for x in losses), flush=True)


if __name__ == "__main__":
    main()
