"""The model zoo: every makemore type trained for the same CPU time, measured the same way.

::

    torch.set_num_threads(1)                                  # the budget is one core's time
    zoo = run_zoo(["bigram", "mlp", "gru"], seconds=25)       # each type until its steps took 25 CPU s
    print(format_table(zoo.runs))                            # params, steps reached, CPU s, val, test, new names
    zoo.runs[0].curve                                        # [[step, CPU seconds, val loss], ...]
    zoo.models["gru", 3407]                                  # a trained model, to sample from
    more = run_zoo(["gru"], seconds=25, seeds=[1, 2])         # repeats: the table gives mean ± spread
    print(format_table(zoo.runs + more.runs))
    run_zoo(["mlp", "gru"], steps=2500)                       # or the same steps for each (or {type: steps})
    step_cost(model, train_data, config)                     # FLOPs and operations of one step

Each type is built at its default size (``default_config``) and trained with its
recommended settings (``recommended_train_config``: its own learning rate, warmup, cosine
decay and clipping), all on the same split of the same words. Every run is a
:class:`~nnzero.studies.runs.Run`, the record all the course's studies share.

A budget of ``seconds`` stops each run by the clock (:class:`~nnzero.makemore.plan.CpuBudget`):
the steps' CPU seconds are equal to within a step, the number of steps is whatever the
machine managed, and each run's learning-rate schedule is laid over its time. A budget of
``steps`` gives the same numbers at every run on one thread, but not the same time:
:func:`time_spread` says how far apart the times came out.
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
from nnzero.makemore.training import CpuBudget, draw_batch, evaluate, make_optimizer, recommended_train_config, train, training_step
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


UNCAPPED = 10**9  # max_steps of a run stopped by its CPU budget: never the limit


def _check_types(types):
    unknown = [t for t in types if t not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown model types {unknown}; choose from: {', '.join(REGISTRY)}")


def run_zoo(
    types,
    seconds: float | None = None,
    steps=None,
    seeds=(3407,),
    words=None,
    split_seed: int = SPLIT_SEED,
    dedupe: bool = True,
    evaluations: int = 10,
    num_samples: int = 1000,
    progress=None,
) -> Zoo:
    """Train every model type in ``types`` once per seed, for the same budget, and measure it.

    - The budget, one of: ``seconds``, CPU seconds of training steps per run (one process;
      each run stops at the first step that reaches it), or ``steps``, a step count for
      every type or a ``{type: count}`` dict.
    - ``seeds``: each seeds a run's initialisation (``torch.manual_seed`` just before the
      model is built), its dropout and its batches; with ``steps`` on one thread, a run
      gives the same numbers every time.
    - ``words``: the examples, one string each; None loads the shipped names.
    - ``split_seed``, ``dedupe``: the 80/10/10 split (:func:`split_words`); the default,
      seed 42 with each distinct word in one split only, is the course's.
    - ``evaluations``: how many times the whole validation set is scored during a run
      (step 0 and the last step included, about evenly spaced in time or in steps).
    - ``num_samples``: names drawn from each trained model (temperature 1, the run's seed)
      to measure how many are new.
    - ``progress``: None, or a function of a run's title (``"gru, seed 1"``) returning the
      ``progress(step, total, loss=..., val=...)`` callable that run reports to, e.g.
      ``nnzero.progress.LiveProgress``.

    Each type trains with its own recommended settings, its learning-rate schedule laid
    over its budget, so that it ends decayed. The val and test losses are those of the
    final model; the CPU seconds are those of the training steps alone, the wall seconds
    those of the whole run, evaluations and sampling included (see :class:`Run`).
    """
    types = list(types)
    _check_types(types)
    if not types or len(set(types)) != len(types):
        raise ValueError(f"types must be one or more different model types, not {types!r}")
    if (seconds is None) == (steps is None):
        raise ValueError("give the budget as seconds=... (CPU seconds per run) or as steps=..., one of the two")
    budget = CpuBudget(seconds, evaluations) if seconds is not None else None
    counts = steps if isinstance(steps, dict) else {model_type: steps for model_type in types}
    if budget is None:
        for model_type in types:
            count = counts.get(model_type)
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(f"steps for {model_type!r} must be a whole number >= 1, not {count!r}")
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be one or more different seeds, not {seeds!r}")
    words = load_words() if words is None else list(words)
    vocab, splits, (train_data, val_data, test_data) = sequence_splits(words, seed=split_seed, dedupe=dedupe)
    runs, models = [], {}
    for model_type in types:
        for seed in seeds:
            started = time.perf_counter()
            torch.manual_seed(seed)
            model_config = default_config(model_type, len(vocab), train_data.block_size)
            model = build_model(model_type, model_config)
            if budget is None:
                count = counts[model_type]
                length = dict(max_steps=count, eval_interval=max(1, math.ceil(count / max(1, evaluations - 1))))
            else:
                length = dict(max_steps=UNCAPPED)
            config = recommended_train_config(model_type, **length, seed=seed, device="cpu")
            reporter = progress(f"{model_type}, seed {seed}") if progress is not None else False
            history = train(model, train_data, val_data, config, progress=reporter, budget=budget)
            samples = generate(model, vocab, num_samples, seed=seed)
            settings = {"model_type": model_type, "model": dataclasses.asdict(model_config), "train": config.to_dict(),
                        "cpu_budget": seconds, "split_seed": split_seed, "dedupe": dedupe, "words": len(words),
                        "threads": torch.get_num_threads()}
            runs.append(Run.from_history(
                model_type, seed, history, settings=settings, test=evaluate(model, test_data),
                wall_seconds=time.perf_counter() - started, params=sum(p.numel() for p in model.parameters()), samples=samples,
                new_share=classify(samples, splits).count("new") / max(1, len(samples)),
            ))
            models[model_type, seed] = model
    return Zoo(runs=runs, models=models, vocab=vocab, splits=splits)


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
    range``: the steps taken, CPU seconds of training and ms per step, final val and test
    loss, share of new names. ``costs`` (``{type: StepCost}``) adds the counted MFLOPs of a step. The last
    line gives the least and the most CPU seconds of any run, and how far apart they are."""
    def column(value):
        return summarize(runs, value=value)

    steps, seconds, val, test, new = (column(v) for v in (lambda r: r.steps, lambda r: r.cpu_seconds, lambda r: r.val,
                                                          lambda r: r.test, lambda r: r.extra["new_share"]))
    first = {}
    for run in runs:
        first.setdefault(run.label, run)
    flops = costs is not None
    header = (f"{'type':<12} {'params':>8} {'steps':>14}" + (f" {'MFLOP/step':>10}" if flops else "")
              + f" {'seeds':>5} {'CPU s':>10} {'ms/step':>7} {'val':>15} {'test':>15} {'new':>6}")
    lines = [header, "-" * len(header)]
    for label, run in first.items():
        lines.append(
            f"{label:<12} {run.extra['params']:>8,} {format(steps[label], ',.0f'):>14}" + (f" {costs[label].flops / 1e6:>10,.0f}" if flops else "")
            + f" {val[label].n:>5} {format(seconds[label], '.1f'):>10} {1000 * seconds[label].mean / steps[label].mean:>7.2f}"
            f" {format(val[label]):>15} {format(test[label]):>15} {new[label].mean:>6.1%}"
        )
    shortest, longest, spread = time_spread(runs)
    lines.append(f"training CPU time of every run: {shortest:.1f} to {longest:.1f} s (the longest {spread:.1%} over the shortest)")
    return "\n".join(lines)


__all__ = ["StepCost", "Zoo", "format_table", "median_step_seconds", "run_zoo", "step_cost", "time_spread"]
