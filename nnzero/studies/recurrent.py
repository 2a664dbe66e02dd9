"""The recurrent lessons' common footing: one budget, one probe, one toy task (lessons 08-10).

Lessons 08 (plain RNN), 09 (LSTM) and 10 (GRU) compare their models on the same terms:

- the course's split of the shipped names (each distinct name in one part, seed 42);
- :data:`STEPS` training steps with the package's recommended settings for the type,
  for each of the :data:`SEEDS` (the seed fixes the first weights and the batches);
- the same probe for the gradient through time: the validation names of at least
  :data:`PROBE_MIN_LETTERS` letters, cut to their first :data:`PROBE_STEPS` positions
  (:func:`probe_batch`), the gradient taken per name (:mod:`nnzero.studies.gradients`);
- the same long-memory toy task (:func:`first_letter_task`): random words whose last
  letter repeats the first.

:func:`train_run` and :func:`train_toy` train on one thread, so that a run is the same
to the last digit on the same machine whoever calls it: the lessons, and
``bench/recurrent_table.py``, which stores every run in ``nnzero/data/recurrent_runs.json``
(:func:`load_stored`). A lesson trains its own model's runs and shows the earlier
lessons' rows from the stored file; its own runs must equal the stored ones.
"""

import contextlib
import dataclasses
import math
import random
from importlib import resources

import torch
import torch.nn.functional as F

from nnzero.makemore import (
    SequenceDataset,
    Vocab,
    build_model,
    default_config,
    evaluate,
    load_words,
    recommended_train_config,
    train,
)
from nnzero.makemore.data import SPLIT_SEED, sequence_splits
from nnzero.makemore.models import ModelConfig
from nnzero.studies.gradients import gradient_through_time
from nnzero.studies.runs import Run, load_runs

KINDS = ("rnn", "lstm", "gru")
NAMES = {"rnn": "plain RNN", "lstm": "LSTM", "gru": "GRU", "mlp": "MLP, window of 3"}
STEPS = 6_000  # training steps of every recurrent run, 32 names a step
SEEDS = (0, 1, 2)  # three runs per model
EVAL_INTERVAL = 500  # steps between measurements of the validation loss

PROBE_MIN_LETTERS = 10  # the probe: validation names of at least this many letters...
PROBE_STEPS = 11  # ...cut to their first 11 positions: the prediction at the last is 10 steps after the first
THREADS = 1  # the runs' thread count: with one thread a run reproduces to the last digit

# The long-memory task: words of LENGTH random letters from LETTERS, the last a copy of the first.
TOY_LETTERS = "abcd"
TOY_LENGTH = 20  # the length at which gating is tested; the plain RNN also gets the TOY_LENGTHS
TOY_LENGTHS = (5, 10, 20)
TOY_WORDS = (4_000, 500)  # training and validation words
TOY_STEPS = 2_000

STORED = "recurrent_runs.json"


@contextlib.contextmanager
def threads(n: int = THREADS):
    """Run the body with torch on ``n`` threads, and put the old count back afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def names_data():
    """The shipped names on the course's split: ``(vocab, splits, (train, val, test))``,
    each part a :class:`SequenceDataset` of rows as long as the longest name + 1."""
    return sequence_splits(load_words(), seed=SPLIT_SEED, dedupe=True)


def probe_batch(val_words, vocab, block_size):
    """The gradient probe: ``(X, Y)`` of the validation names with at least
    :data:`PROBE_MIN_LETTERS` letters, cut to :data:`PROBE_STEPS` positions (so every name
    has a real target at the last one: its 11th letter or its end)."""
    long_names = [word for word in val_words if len(word) >= PROBE_MIN_LETTERS]
    rows = SequenceDataset(long_names, vocab, block_size)
    return rows.X[:, :PROBE_STEPS], rows.Y[:, :PROBE_STEPS]


def window_mlp_config(vocab_size: int, block_size: int) -> ModelConfig:
    """Lesson 04's MLP (a window of 3 characters, embeddings of 10, 200 tanh units) as a
    makemore model, which reads whole rows and predicts at every position from the last 3."""
    return ModelConfig(vocab_size, block_size, context=3, n_embd=10, n_embd2=200)


def model_config(kind: str, vocab_size: int, block_size: int) -> ModelConfig:
    """The size every lesson uses: the package's default for the recurrent types."""
    return window_mlp_config(vocab_size, block_size) if kind == "mlp" else default_config(kind, vocab_size, block_size)


def settings(kind: str, vocab_size: int, block_size: int, steps: int = STEPS, eval_interval: int = EVAL_INTERVAL, seed: int = 0) -> dict:
    """Plain data that determines a run on the names: what a stored run must match."""
    train_config = recommended_train_config(kind, max_steps=steps, eval_interval=eval_interval, seed=seed).to_dict()
    del train_config["seed"]  # the run's own field
    return {"data": f"names.txt, split_words(seed={SPLIT_SEED}, dedupe=True)", "threads": THREADS,
            "model": dataclasses.asdict(model_config(kind, vocab_size, block_size)), "train": train_config}


def loss_by_position(model, data) -> torch.Tensor:
    """The mean loss at each position of ``data``'s rows over its real targets: a (T,) tensor,
    ``nan`` where every target is padding. Position t predicts the (t+1)-th token after reading t+1."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, _ = model(data.X)
    model.train(was_training)
    losses = F.cross_entropy(logits.transpose(1, 2), data.Y, ignore_index=-1, reduction="none")  # (B, T)
    real = data.Y >= 0
    return (losses * real).sum(dim=0) / real.sum(dim=0)


def train_run(kind, seed, train_data, val_data, test_data, probe=None, steps=STEPS, eval_interval=EVAL_INTERVAL, progress=None):
    """Train one model of ``kind`` ("rnn", "lstm", "gru", or "mlp": lesson 04's window
    model) on the names with ``seed``, on one thread; return ``(model, run)``.

    The run (a :class:`Run` labelled ``kind``) records the validation curve, the final
    validation and test loss, the parameter count, the validation loss at each position
    (``extra["val_by_position"]``) and, given the ``probe`` batch, the trained model's
    gradient through time per name (``extra["gradient_h"]``, and ``extra["gradient_c"]``
    for the LSTM). ``progress`` is passed to ``train`` (a function, or None for none).
    """
    vocab_size, block_size = len(train_data.vocab), train_data.block_size
    with threads():
        torch.manual_seed(seed)  # the first weights depend on the seed alone
        model = build_model(kind, model_config(kind, vocab_size, block_size))
        config = recommended_train_config(kind, max_steps=steps, eval_interval=eval_interval, seed=seed)
        history = train(model, train_data, val_data, config, progress=progress or False)
        extra = {"params": model.num_parameters(), "val_by_position": _finite(loss_by_position(model, val_data))}
        if probe is not None and kind in KINDS:
            extra["gradient_h"] = gradient_through_time(model, *probe).tolist()
            if kind == "lstm":
                extra["gradient_c"] = gradient_through_time(model, *probe, state="c").tolist()
        run = Run.from_history(kind, seed, history, test=evaluate(model, test_data),
                               settings=settings(kind, vocab_size, block_size, steps, eval_interval), **extra)
    return model, run


def _finite(values: torch.Tensor) -> list:
    return [None if math.isnan(v) else v for v in values.tolist()]


def first_letter_words(n: int, length: int, letters: str = TOY_LETTERS, seed: int = 0) -> list[str]:
    """``n`` words of ``length`` random letters in which the last letter repeats the first
    (``seed`` picks them): every letter is a fair draw except the last, which only a model
    that remembers ``length - 1`` steps back can predict."""
    rng = random.Random(seed)
    words = []
    for _ in range(n):
        body = [rng.choice(letters) for _ in range(length - 1)]
        words.append("".join(body + body[:1]))
    return words


def first_letter_task(length: int = TOY_LENGTH, sizes=TOY_WORDS, letters: str = TOY_LETTERS):
    """The toy task's ``(vocab, train_data, val_data)``: :func:`first_letter_words` of
    ``length`` as sequence rows (the boundary, the letters; the targets shifted by one)."""
    train_words = first_letter_words(sizes[0], length, letters, seed=1)
    val_words = first_letter_words(sizes[1], length, letters, seed=2)
    vocab = Vocab(list(letters))
    return vocab, *(SequenceDataset(words, vocab, length + 1) for words in (train_words, val_words))


def train_toy(kind, length=TOY_LENGTH, seed=0, steps=TOY_STEPS, progress=None):
    """Train a model of ``kind`` (the lessons' size) on the long-memory task of ``length``;
    return ``(model, run)``. The run's ``extra["last_letter"]`` is the validation loss at
    the position that predicts the last letter (ln of the alphabet's size for a model
    that has forgotten the first), ``extra["other_letters"]`` the mean loss at the
    positions that predict the random letters in between."""
    vocab, train_data, val_data = first_letter_task(length)
    with threads():
        torch.manual_seed(seed)
        model = build_model(kind, default_config(kind, len(vocab), length + 1))
        config = recommended_train_config(kind, max_steps=steps, eval_interval=steps, seed=seed)
        history = train(model, train_data, val_data, config, progress=progress or False)
        by_position = loss_by_position(model, val_data)
        task = {"task": "first_letter", "length": length, "letters": TOY_LETTERS, "words": list(TOY_WORDS), "threads": THREADS,
                "model": dataclasses.asdict(default_config(kind, len(vocab), length + 1)), "train": config.to_dict()}
        run = Run.from_history(f"toy {kind}, length {length}", seed, history, settings=task,
                               last_letter=by_position[length - 1].item(), other_letters=by_position[1 : length - 1].mean().item())
    return model, run


def stored_path():
    """Where the stored runs live: ``nnzero/data/recurrent_runs.json``."""
    return resources.files("nnzero.data").joinpath(STORED)


def load_stored() -> list:
    """The stored runs (``bench/recurrent_table.py`` writes them)."""
    return load_runs(stored_path())


def stored(runs, label: str) -> list:
    """The stored runs with ``label``, in seed order."""
    return sorted((run for run in runs if run.label == label), key=lambda run: run.seed)


def same_runs(ours, theirs) -> bool:
    """Whether two lists of runs have the same seeds, steps and losses to the last digit."""
    key = lambda run: (run.seed, run.steps, run.val, run.test, [point[2] for point in run.curve], run.extra.get("last_letter"))
    return len(ours) == len(theirs) and all(key(a) == key(b) for a, b in zip(ours, theirs))


def stored_check(runs, label: str | None = None) -> str:
    """One line saying whether ``runs`` equal the stored runs of the same label (or
    ``label``), to the last digit. Runs of another length (a quick run) cannot match:
    the line says so instead."""
    label = label or runs[0].label
    try:
        theirs = stored(load_stored(), label)
    except FileNotFoundError:
        theirs = []
    if not theirs:
        return f"no stored runs labelled {label!r}: run bench/recurrent_table.py"
    if [run.steps for run in runs] != [run.steps for run in theirs[: len(runs)]]:
        return f"{label}: {runs[0].steps:,} steps, not the stored runs' {theirs[0].steps:,}: only the full lesson can match them"
    seeds = ("seeds " if len(runs) > 1 else "seed ") + ", ".join(str(run.seed) for run in runs)
    return f"{label}, {seeds}: equal to the stored runs (nnzero/data/{STORED}) to the last digit: {same_runs(runs, theirs)}"
