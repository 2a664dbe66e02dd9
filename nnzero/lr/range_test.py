"""The learning-rate range test (Smith 2017; fastai's ``lr_find``): which peak LR to try first.

Train for a short while with a learning rate that grows exponentially at every step,
from far too small to far too large, and watch the loss::

    result = lr_range_test(model, train_data)
    plot_range_test(result)
    result.suggested_lr

At first the rate is too small to change anything and the loss stays flat; then it
falls, faster and faster; then the rate is too large, the loss turns and shoots up, and
the test stops. A good peak rate sits where the loss still falls steeply, well before
the minimum: at the minimum the rate is already on the edge of diverging. The model
and the optimizer are put back as they were, so the test costs nothing but time.
"""

import copy
import math
from dataclasses import dataclass, field

import torch

from nnzero.makemore.training import TrainConfig, draw_batch, make_optimizer, training_step

RULES = {
    "steepest": "the learning rate where the smoothed loss falls fastest per decade of learning rate (before its minimum)",
    "min/10": "a tenth of the learning rate at the minimum of the smoothed loss (fastai's former lr_min suggestion)",
    "valley": "the middle of the longest stretch over which the smoothed loss keeps falling (fastai's default, valley)",
}
CURVES = ("ema", "centred")


@dataclass
class RangeTestResult:
    """The curve of a range test and what it suggests.

    ``lrs[i]`` and ``losses[i]`` are the rate and the batch loss of step ``i``;
    ``smoothed[i]`` is the bias-corrected exponential moving average of the losses up to
    ``i``, which lags behind them; ``centred[i]`` is the mean of the losses in a window
    centred on ``i`` (:func:`centred_average`), which does not. ``suggested_lr`` follows
    ``rule`` (a sentence) on the curve named by ``curve``, or is None when the curve is
    too short to apply it. ``diverged`` says whether the test stopped early because the
    smoothed loss blew up (or the loss stopped being finite).
    """

    lrs: list
    losses: list
    smoothed: list
    suggested_lr: float | None
    rule: str
    diverged: bool = False
    centred: list = field(default_factory=list)
    curve: str = "ema"


def centred_average(values, window: int) -> list:
    """The mean of ``values`` over ``window`` points centred on each one (``window`` odd;
    fewer points near the ends, where the window runs out). Unlike an exponential moving
    average it looks as far ahead as behind, so a minimum stays where it is."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd whole number >= 1, not {window!r}")
    half = window // 2
    return [sum(values[max(0, i - half) : i + half + 1]) / len(values[max(0, i - half) : i + half + 1])
            for i in range(len(values))]


def _valley(lrs, curve):
    """The middle of the longest decreasing run of points (not necessarily adjacent) of ``curve``."""
    longest = [1] * len(curve)  # the longest decreasing subsequence ending at each point
    for i in range(len(curve)):
        for j in range(i):
            if curve[j] > curve[i] and longest[j] + 1 > longest[i]:
                longest[i] = longest[j] + 1
    end = max(range(len(curve)), key=lambda i: (longest[i], -i))
    start = end - longest[end] + 1
    return lrs[(start + end) // 2]


def suggest(lrs, smoothed, rule):
    """The rate that ``rule`` (a key of :data:`RULES`) reads off a curve of losses
    ``smoothed`` against the rates ``lrs``; None when the curve is too short for it."""
    if len(smoothed) < 3:
        return None
    lowest = min(range(len(smoothed)), key=smoothed.__getitem__)
    if rule == "min/10":
        return lrs[lowest] / 10
    if rule == "valley":
        return _valley(lrs, smoothed)
    # Central differences of the smoothed loss against log10(lr), at the points before the minimum.
    candidates = range(1, min(lowest, len(smoothed) - 1))
    if not candidates:
        return None
    log_lrs = [math.log10(lr) for lr in lrs]

    def slope(i):
        return (smoothed[i + 1] - smoothed[i - 1]) / (log_lrs[i + 1] - log_lrs[i - 1])

    return lrs[min(candidates, key=slope)]


def lr_range_test(
    model: torch.nn.Module,
    train_data,
    *,
    start_lr: float = 1e-6,
    end_lr: float = 1.0,
    steps: int = 100,
    batch_size: int = 32,
    smooth: float = 0.98,
    diverge_factor: float = 4.0,
    seed: int = 0,
    rule: str = "steepest",
    curve: str = "ema",
    window: int = 31,
    optimizer: torch.optim.Optimizer | None = None,
    config: TrainConfig | None = None,
) -> RangeTestResult:
    """Run the LR range test on ``model`` with batches of ``train_data``; return the curve.

    - The rate at step ``i`` is ``start_lr * (end_lr / start_lr) ** (i / (steps - 1))``:
      equal steps on a log scale, from ``start_lr`` to ``end_lr`` in ``steps`` steps.
    - ``smoothed[i] = avg_i / (1 - smooth ** (i + 1))`` with
      ``avg_i = smooth * avg_{i-1} + (1 - smooth) * loss_i`` (``avg_{-1} = 0``): an
      exponential moving average, divided by its bias toward the zero it started from.
      It lags the losses by about ``smooth / (1 - smooth)`` steps (49 at 0.98).
    - ``centred``: :func:`centred_average` of the losses over ``window`` steps, computed
      once the test has ended (it needs the steps after each one): no lag.
    - Stops early once ``smoothed[i] > diverge_factor * min(smoothed[:i])``, or when the
      loss is NaN or infinite (that step is not recorded).
    - ``rule``: ``"steepest"`` (default), ``"min/10"`` or ``"valley"``, see :data:`RULES`,
      applied to ``curve``: ``"ema"`` (default, ``smoothed``) or ``"centred"``. The moving
      average's lag pushes its minimum late, and "min/10" with it. More ``steps`` make
      the curve sharper; lesson 14 compares the rules on real models.
    - ``optimizer``: the one training will use; by default what ``make_optimizer`` makes
      from ``config`` (default ``TrainConfig()``: AdamW; Muon and AdamW for
      ``optimizer="muon"``), whose ``grad_clip`` is also applied.
    - ``train_data``: a makemore SequenceDataset or WindowDataset; ``seed`` picks the
      batches and the dropout masks.

    Afterwards the model's parameters and buffers, the optimizer's state and learning
    rates, the model's train/eval mode and torch's global random state are exactly
    what they were before.
    """
    if not 0 < start_lr < end_lr or not math.isfinite(end_lr):
        raise ValueError(f"lr_range_test: need 0 < start_lr < end_lr (finite), not start_lr={start_lr!r}, end_lr={end_lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"lr_range_test: steps must be a whole number >= 2, not {steps!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"lr_range_test: batch_size must be a whole number >= 1, not {batch_size!r}")
    if not 0 <= smooth < 1:
        raise ValueError(f"lr_range_test: smooth must be in [0, 1), not {smooth!r}")
    if not diverge_factor > 1:
        raise ValueError(f"lr_range_test: diverge_factor must be > 1, not {diverge_factor!r}")
    if rule not in RULES:
        raise ValueError(f"lr_range_test: rule must be one of {', '.join(map(repr, RULES))}, not {rule!r}")
    if curve not in CURVES:
        raise ValueError(f"lr_range_test: curve must be one of {', '.join(map(repr, CURVES))}, not {curve!r}")
    if isinstance(window, bool) or not isinstance(window, int) or window < 1 or window % 2 == 0:
        raise ValueError(f"lr_range_test: window must be an odd whole number >= 1, not {window!r}")
    if len(train_data) == 0:
        raise ValueError("lr_range_test: train_data is empty; give it the training set")
    config = TrainConfig() if config is None else config
    optimizer = make_optimizer(model, config) if optimizer is None else optimizer

    device = next(model.parameters()).device
    saved_model = copy.deepcopy(model.state_dict())
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    batch_generator = torch.Generator().manual_seed(seed)
    X, Y = train_data.X.to(device), train_data.Y.to(device)
    lrs, losses, smoothed = [], [], []
    diverged = False
    average = 0.0
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            model.train()
            for i in range(steps):
                lr = start_lr * (end_lr / start_lr) ** (i / (steps - 1))
                for group in optimizer.param_groups:
                    group["lr"] = lr
                x, targets = draw_batch(X, Y, batch_size, batch_generator)
                loss = training_step(model, optimizer, x, targets, config.grad_clip)
                if not math.isfinite(loss):
                    diverged = True
                    break
                average = smooth * average + (1 - smooth) * loss
                lrs.append(lr)
                losses.append(loss)
                smoothed.append(average / (1 - smooth ** (i + 1)))
                if smoothed[-1] > diverge_factor * min(smoothed):
                    diverged = True
                    break
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        model.train(was_training)
    centred = centred_average(losses, window)
    suggested = suggest(lrs, smoothed if curve == "ema" else centred, rule)
    return RangeTestResult(lrs, losses, smoothed, suggested, RULES[rule], diverged, centred, curve)


def plot_range_test(result: RangeTestResult, ax=None, title: str = "learning-rate range test"):
    """Draw a range test: batch losses (faint), the moving average and the centred average
    against the rate, log x, each curve's minimum marked with a dot.

    A dashed line marks the suggested rate. The y axis stops a little above the
    starting loss, so the blow-up at the end does not flatten the part that matters.
    Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    ax.plot(result.lrs, result.losses, alpha=0.3, label="batch loss")
    for values, label in ((result.smoothed, "smoothed loss (moving average)"), (result.centred, "centred average")):
        if values:
            (line,) = ax.plot(result.lrs, values, label=label)
            lowest = min(range(len(values)), key=values.__getitem__)
            ax.plot(result.lrs[lowest], values[lowest], "o", color=line.get_color())
    if result.suggested_lr is not None:
        ax.axvline(result.suggested_lr, color="black", linestyle="--", label=f"suggested: {result.suggested_lr:.2g}")
    ax.set_xscale("log")
    if result.smoothed:
        low = min(min(result.losses), min(result.smoothed))
        ax.set_ylim(low - 0.05 * abs(low), max(result.smoothed[0], low) * 1.3)
    ax.set(title=title, xlabel="learning rate (log scale)", ylabel="training loss (nats per character)")
    ax.legend()
    return ax
