"""The model zoo: every makemore type trained for the same CPU time, measured the same way.

::

    torch.set_num_threads(1)                                  # the budget is one core's time
    steps = {"bigram": 40_000, "mlp": 5_000, "gru": 4_000}    # fixed in advance (rescale_steps)
    zoo = run_zoo(steps, seeds=[3407])                       # trains each type on the shipped names
    print(format_table(zoo.runs))                            # params, steps, CPU s, val, test, new names
    zoo.runs[0].curve                                        # [[step, CPU seconds, val loss], ...]
    zoo.models["gru", 3407]                                  # a trained model, to sample from
    more = run_zoo({"gru": 4_000}, seeds=[1, 2])             # repeats: the table gives mean ± spread
    print(format_table(zoo.runs + more.runs))
    rescale_steps(zoo.runs, seconds=30)                      # the counts that give each type 30 CPU s
    step_cost(model, train_data, config)                     # FLOPs and operations of one step

Each type is built at its default size (``default_config``) and trained with its
recommended settings (``recommended_train_config``: its own learning rate, warmup, cosine
decay and clipping), all on the same split of the same words. Every run is a
:class:`~nnzero.studies.runs.Run`, the record all the course's studies share.

The budget is a step count for each type, so that a run gives the same numbers every time
on one thread. To make the counts give every type the same CPU time, run the zoo once,
then :func:`rescale_steps` turns each run's measured seconds per step (over the whole
run) into the count that fits the budget; :func:`time_spread` says how equal the times
came out.
"""

import copy
import dataclasses
import math
import time
from dataclasses import dataclass, field

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from nnzero.makemore.data import SPLIT_SEED, Splits, Vocab, load_words, sequence_splits
from nnzero.makemore.models import REGISTRY, build_model, default_config
from nnzero.makemore.sample import classify, generate
from nnzero.makemore.training import draw_batch, evaluate, make_optimizer, recommended_train_config, train, training_step
from nnzero.studies.runs import Run, summarize


@dataclass
class Zoo:
    """What :func:`run_zoo` trained: ``runs`` (one :class:`Run` per type and seed, the
    types in the order given, each type's seeds together), the trained ``models`` by
    ``(type, seed)``, and the vocabulary and split they were trained on.

    Each run's ``label`` is its model type; ``run.extra`` holds ``params`` (its parameter
    count), ``samples`` (the names it drew at temperature 1) and ``new_share`` (the share
    of them found in no split).
    """

    runs: list
    models: dict = field(repr=False)
    vocab: Vocab = field(repr=False)
    splits: Splits = field(repr=False)


def _check_types(types):
    unknown = [t for t in types if t not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown model types {unknown}; choose from: {', '.join(REGISTRY)}")


def run_zoo(
    steps: dict,
    seeds=(3407,),
    words=None,
    split_seed: int = SPLIT_SEED,
    dedupe: bool = True,
    evaluations: int = 10,
    num_samples: int = 1000,
    progress=None,
) -> Zoo:
    """Train every type named in ``steps`` (type -> step count) once per seed and measure it.

    - ``seeds``: each seeds a run's initialisation (``torch.manual_seed`` just before the
      model is built), its dropout and its batches, so on one thread a run gives the same
      numbers every time.
    - ``words``: the examples, one string each; None loads the shipped names.
    - ``split_seed``, ``dedupe``: the 80/10/10 split (:func:`split_words`); the default,
      seed 42 with each distinct word in one split only, is the course's.
    - ``evaluations``: how many times the whole validation set is scored during a run
      (step 0 and the last step included, about evenly spaced).
    - ``num_samples``: names drawn from each trained model (temperature 1, the run's seed)
      to measure how many are new.
    - ``progress``: None, or a function of a run's title (``"gru, seed 1"``) returning the
      ``progress(step, total, loss=..., val=...)`` callable that run reports to, e.g.
      ``nnzero.progress.LiveProgress``.

    Each type trains for its step count with its own recommended settings, so its
    learning-rate schedule ends with its budget. The val and test losses are those of the
    final model; the CPU seconds are those of the training steps alone, the wall seconds
    those of the whole run, evaluations and sampling included (see :class:`Run`).
    """
    _check_types(steps)
    for model_type, count in steps.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"steps[{model_type!r}] must be a whole number >= 1, not {count!r}")
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be one or more different seeds, not {seeds!r}")
    words = load_words() if words is None else list(words)
    vocab, splits, (train_data, val_data, test_data) = sequence_splits(words, seed=split_seed, dedupe=dedupe)
    runs, models = [], {}
    for model_type, count in steps.items():
        for seed in seeds:
            started = time.perf_counter()
            torch.manual_seed(seed)
            model_config = default_config(model_type, len(vocab), train_data.block_size)
            model = build_model(model_type, model_config)
            interval = max(1, math.ceil(count / max(1, evaluations - 1)))
            config = recommended_train_config(model_type, max_steps=count, eval_interval=interval, seed=seed, device="cpu")
            reporter = progress(f"{model_type}, seed {seed}") if progress is not None else False
            history = train(model, train_data, val_data, config, progress=reporter)
            samples = generate(model, vocab, num_samples, seed=seed)
            settings = {"model_type": model_type, "model": dataclasses.asdict(model_config), "train": config.to_dict(),
                        "split_seed": split_seed, "dedupe": dedupe, "words": len(words), "threads": torch.get_num_threads()}
            runs.append(Run.from_history(
                model_type, seed, history, settings=settings, test=evaluate(model, test_data),
                wall_seconds=time.perf_counter() - started, params=sum(p.numel() for p in model.parameters()), samples=samples,
                new_share=classify(samples, splits).count("new") / max(1, len(samples)),
            ))
            models[model_type, seed] = model
    return Zoo(runs=runs, models=models, vocab=vocab, splits=splits)


def rescale_steps(runs, seconds: float, round_to: int = 10) -> dict:
    """``{type: steps}`` that give each type ``seconds`` of training CPU time, from whole runs.

    For each label, its runs' CPU seconds per step (total seconds over total steps, all
    seeds together) divides ``seconds``; the count is rounded to a multiple of
    ``round_to`` (at least ``round_to``). A whole run's time per step is what the budget
    counts; a few timed steps (:func:`median_step_seconds`) are a small sample of it.
    """
    if not seconds > 0:
        raise ValueError(f"seconds must be > 0, not {seconds!r}")
    totals = {}
    for run in runs:
        if run.cpu_seconds is None or run.cpu_seconds <= 0:
            raise ValueError(f"run {run.label!r} (seed {run.seed}) has no CPU time measured")
        steps, cpu = totals.get(run.label, (0, 0.0))
        totals[run.label] = (steps + run.steps, cpu + run.cpu_seconds)
    return {label: max(round_to, round(seconds * steps / cpu / round_to) * round_to) for label, (steps, cpu) in totals.items()}


def time_spread(runs) -> tuple:
    """``(shortest, longest, spread)``: the least and the most training CPU seconds of any
    run, and how much longer the longest is, as a fraction of the shortest."""
    seconds = [run.cpu_seconds for run in runs]
    shortest, longest = min(seconds), max(seconds)
    return shortest, longest, (longest - shortest) / shortest


@dataclass(frozen=True)
class StepCost:
    """What one training step of a model costs, averaged over batches.

    ``flops``: floating-point operations of the matrix products in the forward pass, the
    backward pass and the optimiser (2 per multiply-add, as torch's flop counter counts
    them; elementwise work, softmax and table lookups not counted). ``operations``: the
    tensor operations the step runs (views and reshapes left out), each at least one
    kernel launch on a GPU. ``tokens``: positions per batch, after the batch is cut to its
    longest word.
    """

    flops: float
    operations: float
    tokens: float


class _OperationCounter(TorchDispatchMode):
    """Counts the tensor operations run under it that compute something (not views)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not func.is_view:
            self.count += 1
        return func(*args, **(kwargs or {}))


def step_cost(model, data, config, batches: int = 20, seed: int = 0) -> StepCost:
    """The :class:`StepCost` of training ``model`` on ``data`` with ``config`` (its batch
    size, optimiser and clipping): the mean over ``batches`` steps of a copy of the model
    (``model`` itself is left as it was) on batches drawn as training draws them, from a
    generator seeded with ``seed``. Counting slows the steps down; it times nothing."""
    if not isinstance(batches, int) or batches < 1:
        raise ValueError(f"batches must be a whole number >= 1, not {batches!r}")
    model = copy.deepcopy(model).train()
    optimizer = make_optimizer(model, config)
    generator = torch.Generator().manual_seed(seed)
    flops = operations = tokens = 0
    for _ in range(batches):
        x, targets = draw_batch(data.X, data.Y, config.batch_size, generator)
        counter, flop_counter = _OperationCounter(), FlopCounterMode(display=False)
        with flop_counter, counter:
            training_step(model, optimizer, x, targets, config.grad_clip)
        flops += flop_counter.get_total_flops()
        operations += counter.count
        tokens += x.numel()
    return StepCost(flops=flops / batches, operations=operations / batches, tokens=tokens / batches)


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


def format_table(runs, costs: dict | None = None) -> str:
    """The zoo's runs as a text table, one row a type (in the order they first appear),
    each number the mean over the type's seeds and, with more than one seed, ``± half the
    range``: CPU seconds of training and ms per step, final val and test loss, share of
    new names. ``costs`` (``{type: StepCost}``) adds the counted MFLOPs of a step. The last
    line gives the least and the most CPU seconds of any run, and how far apart they are."""
    def column(value):
        return summarize(runs, value=value)

    seconds, val, test, new = (column(v) for v in (lambda r: r.cpu_seconds, lambda r: r.val, lambda r: r.test,
                                                   lambda r: r.extra["new_share"]))
    first = {}
    for run in runs:
        first.setdefault(run.label, run)
    flops = costs is not None
    header = (f"{'type':<12} {'params':>8} {'steps':>7}" + (f" {'MFLOP/step':>10}" if flops else "")
              + f" {'seeds':>5} {'CPU s':>10} {'ms/step':>7} {'val':>15} {'test':>15} {'new':>6}")
    lines = [header, "-" * len(header)]
    for label, run in first.items():
        lines.append(
            f"{label:<12} {run.extra['params']:>8,} {run.steps:>7,}" + (f" {costs[label].flops / 1e6:>10,.0f}" if flops else "")
            + f" {val[label].n:>5} {format(seconds[label], '.1f'):>10} {1000 * seconds[label].mean / run.steps:>7.2f}"
            f" {format(val[label]):>15} {format(test[label]):>15} {new[label].mean:>6.1%}"
        )
    shortest, longest, spread = time_spread(runs)
    lines.append(f"training CPU time of every run: {shortest:.1f} to {longest:.1f} s (the longest {spread:.1%} over the shortest)")
    return "\n".join(lines)


__all__ = ["StepCost", "Zoo", "format_table", "median_step_seconds", "rescale_steps", "run_zoo", "step_cost", "time_spread"]
