"""makemore: character-level language models, from a bigram table to a Transformer.

Give it a text file, one example a line (names, words, cities...), and it learns to
write more of them. The whole pipeline, which the ``makemore`` command runs and the
lessons take apart::

    from nnzero.makemore import *

    words = load_words()                                  # the shipped names, or load_words("my.txt")
    vocab = Vocab.from_words(words)
    splits = split_words(words)                           # 80/10/10, seeded
    block_size = max(map(len, words)) + 1
    train_data, val_data, test_data = (SequenceDataset(s, vocab, block_size) for s in splits)

    model = build_model("gru", default_config("gru", len(vocab), block_size))
    history = train(model, train_data, val_data, recommended_train_config("gru"), work_dir="out")
    evaluate(model, test_data)                            # mean NLL per character
    samples = generate(model, vocab, 10, temperature=0.8)
    print(format_samples(samples, classify(samples, splits)))

Modules: ``data`` (words, vocabulary, splits, datasets), ``models`` (the seven types,
one file a paper), ``training`` (the loop, evaluation), ``muon`` (the optimiser of the
transformer's matrices), ``checkpoint`` (atomic, safe files), ``sample`` (generation),
``cli`` (the ``makemore`` command). This package is the tool only: what the lessons
build in plain tensors lives in ``nnzero.scratch``, what they measure about trained
models in ``nnzero.studies``.
"""

from nnzero.makemore.checkpoint import CheckpointError
from nnzero.makemore.data import (
    DataError,
    SequenceDataset,
    Splits,
    Vocab,
    WindowDataset,
    load_words,
    sequence_splits,
    split_words,
)
from nnzero.makemore.models import REGISTRY, ModelConfig, build_model, default_config
from nnzero.makemore.sample import classify, format_samples, generate
from nnzero.makemore.training import History, TrainConfig, evaluate, recommended_train_config, train

__all__ = [
    "CheckpointError",
    "DataError",
    "History",
    "ModelConfig",
    "REGISTRY",
    "SequenceDataset",
    "Splits",
    "TrainConfig",
    "Vocab",
    "WindowDataset",
    "build_model",
    "classify",
    "default_config",
    "evaluate",
    "format_samples",
    "generate",
    "load_words",
    "recommended_train_config",
    "sequence_splits",
    "split_words",
    "train",
]
