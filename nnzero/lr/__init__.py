"""Learning rates: schedules as pure functions of the step, the LR range test, and the
experiment runner behind the learning-rate lessons.

::

    from nnzero.lr import *

    schedule = warmup_cosine(max_steps=5000, warmup_steps=200, floor=0.05)
    schedule(0), schedule(4999)                       # multipliers of the peak learning rate
    train(model, train_data, val_data, config, lr_schedule=schedule)   # makemore's loop
    scheduler = to_torch(optimizer, schedule)         # or any torch optimizer, as a LambdaLR

    result = lr_range_test(model, train_data)         # Smith 2017; fastai's lr_find
    plot_range_test(result); result.suggested_lr

    results = run_experiments("transformer", {"constant": lambda n: constant(),
                                              "one-cycle": lambda n: one_cycle(n)},
                              peak_lrs=[1e-3, 3e-3], seeds=[0, 1, 2], steps=3000)
    print(format_summary(results)); plot_runs(results); plot_sensitivity(results)

The schedules (with :func:`to_torch` and :func:`plot_schedules`) live in
``nnzero.schedules``, which imports only torch, so the makemore tool can train with the
very schedules the lessons teach; they are re-exported here. Modules: ``range_test``
(the range test and its plot), ``experiments`` (the cached runner, its summary and
plots), ``course`` (the settings and stored runs of lessons 14 and 15) and ``law`` (laws
that predict a schedule's loss curve, and the schedules they design). ``nnzero.lr`` uses makemore's models and training loop as its test bed;
makemore never imports it.
"""

from nnzero.lr.experiments import (
    Results,
    Run,
    best_peaks,
    format_summary,
    plot_runs,
    plot_sensitivity,
    run_experiments,
    seed_band,
    summary,
)
from nnzero.lr.range_test import RangeTestResult, lr_range_test, plot_range_test
from nnzero.schedules import (
    SCHEDULES,
    Schedule,
    constant,
    cosine,
    example_schedules,
    exponential,
    inverse_sqrt,
    linear_warmup,
    multi_step,
    one_cycle,
    plot_schedules,
    sgdr,
    step_decay,
    to_torch,
    triangular,
    warmup_cosine,
    wsd,
)

__all__ = [
    "RangeTestResult",
    "Results",
    "Run",
    "SCHEDULES",
    "Schedule",
    "best_peaks",
    "constant",
    "cosine",
    "example_schedules",
    "exponential",
    "format_summary",
    "inverse_sqrt",
    "linear_warmup",
    "lr_range_test",
    "multi_step",
    "one_cycle",
    "plot_runs",
    "plot_range_test",
    "plot_schedules",
    "plot_sensitivity",
    "run_experiments",
    "seed_band",
    "sgdr",
    "step_decay",
    "summary",
    "to_torch",
    "triangular",
    "warmup_cosine",
    "wsd",
]
