"""The model zoo: every makemore type trained under one budget, measured the same way.

::

    steps = {"bigram": 85_000, "mlp": 7_200, "gru": 5_000}     # fixed in advance
    zoo = run_zoo(steps)                    # trains each type on the shipped names
    print(format_table(zoo.results))        # params, ms/step, val, test, share of new names
    zoo.results["gru"].val_curve            # [(step, CPU seconds of training, val loss), ...]
    zoo.models["gru"]                       # the trained model, to sample from

Each type is built at its default size (:func:`default_config`) and trained with its
recommended settings (:func:`recommended_train_config`: its own learning rate, warmup,
cosine decay and clipping), all on the same split of the same words, from the same seed.
The budget is the step count given for each type, so a run is reproducible on one
thread; :func:`steps_for_seconds` is how to choose step counts that give every type
about the same training time on a given machine (it times a few steps of each).
"""

import copy
import dataclasses
import math
import time
from dataclasses import dataclass, field

import torch

from nnzero.makemore.data import SPLIT_SEED, Splits, Vocab, load_words, sequence_splits
from nnzero.makemore.models import REGISTRY, build_model, default_config
from nnzero.makemore.sample import classify, generate
from nnzero.makemore.training import History, draw_batch, evaluate, make_optimizer, recommended_train_config, train, training_step


@dataclass
class ZooResult:
    """What one model type did in the zoo.

    ``val_curve`` holds one ``(step, seconds, loss)`` triple per evaluation: the validation
    loss after ``step`` steps and ``seconds`` of training. Seconds here are CPU seconds
    of this process spent in training steps (evaluations not counted): on one thread,
    the time the run takes on a core of its own, whatever else the machine is doing.
    ``wall_seconds`` is the training time by the wall clock, which a busy machine stretches.
    ``new_share`` is the share of ``samples`` (drawn at temperature 1) that are in none of
    the three splits: names the model made up.
    """

    model_type: str
    params: int
    steps: int
    batch_size: int
    train_seconds: float
    wall_seconds: float
    val_curve: list
    val: float
    test: float
    new_share: float
    samples: list = field(repr=False)
    history: History = field(repr=False)

    @property
    def ms_per_step(self) -> float:
        """CPU milliseconds of training per step, over the whole run."""
        return 1000 * self.train_seconds / max(1, self.steps)


@dataclass
class Zoo:
    """The results of :func:`run_zoo`, by model type, and what they were trained on."""

    results: dict
    models: dict = field(repr=False)
    vocab: Vocab = field(repr=False)
    splits: Splits = field(repr=False)


def _check_types(types):
    unknown = [t for t in types if t not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown model types {unknown}; choose from: {', '.join(REGISTRY)}")


def run_zoo(
    steps: dict,
    words=None,
    split_seed: int = SPLIT_SEED,
    dedupe: bool = False,
    seed: int = 3407,
    evaluations: int = 10,
    num_samples: int = 1000,
    progress: bool = False,
) -> Zoo:
    """Train every type named in ``steps`` (type -> step count) and measure it.

    - ``words``: the examples, one string each; None loads the shipped names.
    - ``split_seed``: the 80/10/10 split (42 is the makemore tool's); ``dedupe=True`` keeps
      each distinct word in one split only (see :func:`split_words`). ``seed`` seeds each
      model's initialisation (``torch.manual_seed`` just before it is built), its dropout
      and its batches, so a run on one thread gives the same numbers every time.
    - ``evaluations``: how many times the whole validation set is scored during a run
      (step 0 and the last step included, about evenly spaced).
    - ``num_samples``: names drawn from each trained model (temperature 1, seeded) to
      measure how many are new.

    Each type trains for its step count with its own recommended settings, so its
    learning-rate schedule ends with its budget. The val and test losses are those of the
    final model. Training time is measured in CPU seconds (see :class:`ZooResult`).
    """
    _check_types(steps)
    for model_type, count in steps.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"steps[{model_type!r}] must be a whole number >= 1, not {count!r}")
    words = load_words() if words is None else list(words)
    vocab, splits, (train_data, val_data, test_data) = sequence_splits(words, seed=split_seed, dedupe=dedupe)
    results, models = {}, {}
    for model_type, count in steps.items():
        torch.manual_seed(seed)
        model = build_model(model_type, default_config(model_type, len(vocab), train_data.block_size))
        interval = max(1, math.ceil(count / max(1, evaluations - 1)))
        config = recommended_train_config(model_type, max_steps=count, eval_interval=interval, seed=seed, device="cpu")
        history = train(model, train_data, val_data, config, progress=progress)
        samples = generate(model, vocab, num_samples, seed=seed)
        labels = classify(samples, splits)
        results[model_type] = ZooResult(
            model_type=model_type,
            params=sum(p.numel() for p in model.parameters()),
            steps=count,
            batch_size=config.batch_size,
            train_seconds=history.cpu_seconds,
            wall_seconds=history.train_seconds,
            val_curve=[(s, t, loss) for (s, loss), t in zip(history.val_loss, history.cpu_elapsed)],
            val=history.val_loss[-1][1],
            test=evaluate(model, test_data),
            new_share=labels.count("new") / max(1, len(labels)),
            samples=samples,
            history=history,
        )
        models[model_type] = model
    return Zoo(results=results, models=models, vocab=vocab, splits=splits)


def steps_for_seconds(seconds: float, types=tuple(REGISTRY), words=None, timing_steps: int = 30, round_to: int = 10) -> dict:
    """Step counts that give each type about ``seconds`` of training on this machine.

    Times ``timing_steps`` training steps of a throwaway model of each type (default size,
    recommended batch size) in CPU seconds, as :func:`run_zoo` counts them, takes the
    median step after a short warm-up, and returns
    ``{type: seconds / median step time}`` rounded down to a multiple of ``round_to``
    (at least ``round_to``). The answer depends on the machine, and a little on what else
    it is doing; a lesson writes the counts down as constants so its runs stay reproducible.
    """
    _check_types(types)
    if not seconds > 0:
        raise ValueError(f"seconds must be > 0, not {seconds!r}")
    if not isinstance(timing_steps, int) or timing_steps < 2:
        raise ValueError(f"timing_steps must be a whole number >= 2, not {timing_steps!r}")
    words = load_words() if words is None else list(words)
    vocab, _, (train_data, _, _) = sequence_splits(words)
    counts = {}
    for model_type in types:
        model = build_model(model_type, default_config(model_type, len(vocab), train_data.block_size))
        median = median_step_seconds(model, train_data, recommended_train_config(model_type), timing_steps)
        counts[model_type] = max(round_to, int(seconds / median) // round_to * round_to)
    return counts


def median_step_seconds(model, data, config, steps: int = 30, clock=time.process_time) -> float:
    """The median time of one training step, by ``clock``, over ``steps`` steps of a copy of
    ``model`` (``model`` itself is left as it was) on random batches of ``data`` with
    ``config``'s batch size, optimiser and clipping. The first fifth of the steps are
    left out: they are slower (memory is being allocated). The default clock counts CPU
    seconds of this process; pass ``time.perf_counter`` for the wall clock."""
    model = copy.deepcopy(model)
    optimizer = make_optimizer(model, config)
    generator = torch.Generator().manual_seed(0)
    times = []
    for _ in range(steps):
        start = clock()
        x, targets = draw_batch(data.X, data.Y, config.batch_size, generator)
        training_step(model, optimizer, x, targets, config.grad_clip)
        times.append(clock() - start)
    measured = sorted(times[len(times) // 5 :])
    return measured[len(measured) // 2]


def format_table(results: dict) -> str:
    """The zoo's results as a text table, one row a type, in the order given: ms/step and
    train s are CPU time in training steps; new is the share of samples in no split."""
    header = f"{'type':<12} {'params':>8} {'steps':>7} {'batch':>5} {'ms/step':>8} {'train s':>8} {'val':>7} {'test':>7} {'new':>6}"
    lines = [header, "-" * len(header)]
    for r in results.values():
        lines.append(
            f"{r.model_type:<12} {r.params:>8,} {r.steps:>7,} {r.batch_size:>5} {r.ms_per_step:>8.1f} "
            f"{r.train_seconds:>8.1f} {r.val:>7.4f} {r.test:>7.4f} {r.new_share:>6.1%}"
        )
    return "\n".join(lines)


def results_to_dict(results: dict) -> dict:
    """Plain data (for JSON) of :func:`run_zoo`'s results, without the samples and per-step losses."""
    skip = {"samples", "history"}
    return {
        name: {f.name: getattr(r, f.name) for f in dataclasses.fields(r) if f.name not in skip} | {"ms_per_step": r.ms_per_step}
        for name, r in results.items()
    }


__all__ = ["Zoo", "ZooResult", "format_table", "median_step_seconds", "results_to_dict", "run_zoo", "steps_for_seconds"]
