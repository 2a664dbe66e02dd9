"""One training loop for every makemore model: AdamW (or Muon), a learning-rate schedule hook,
gradient clipping, evaluation on the whole validation set, checkpoints, exact resume.

::

    config = TrainConfig(max_steps=2000, learning_rate=1e-3)
    history = train(model, train_data, val_data, config, work_dir="out")
    plt.plot(history.train_loss)                  # one loss per step
    plt.plot(*zip(*history.val_loss))             # (step, validation loss) pairs
    evaluate(model, test_data)                    # mean NLL per character, in nats

Each step draws ``batch_size`` random rows of the training set's ``X``/``Y`` tensors
with a seeded generator of its own, so the batches depend on ``config.seed`` and
nothing else; a checkpoint stores that generator's state beside torch's, so a run
resumed from ``last.pt`` sees the same batches and the same dropout masks as a run that
was never interrupted.
"""

import copy
import dataclasses
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from nnzero.makemore import checkpoint
from nnzero.makemore.muon import Muon, CombinedOptimizer
from nnzero.makemore.plan import (  # noqa: F401 (the plan's names, importable from here as before)
    OPTIMIZERS,
    CpuBudget,
    TrainConfig,
    budget_schedule,
    config_schedule,
    continued_config,
    evaluations_without_improvement,
    plan_start,
    recommended_train_config,
    stop_early,
)


# Raise this when a change makes train() compute something else for the same settings (the
# loss, the update, the order of the batches): stored results keyed on it, such as lesson
# 14's runs (nnzero.lr.run_experiments), are then trained anew instead of reused.
TRAINING_ARITHMETIC = 2


@dataclass
class History:
    """What happened during training, as plain lists a lesson can plot.

    ``train_loss[s]`` and ``lr[s]`` are the batch loss and learning rate of step ``s``
    (0, 1, 2, ...). ``val_loss`` holds ``(step, loss)`` pairs, one per evaluation, the
    loss measured after that many steps; ``elapsed`` holds, for each evaluation, the
    seconds spent training until then (evaluations and checkpoint writes not counted),
    and ``cpu_elapsed`` the same in CPU seconds of this process: the wall clock tells how
    long a learner waits, the CPU clock what the steps cost, which a busy machine does
    not stretch (with n threads it runs up to n times faster than the wall clock).
    """

    train_loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    elapsed: list = field(default_factory=list)
    cpu_elapsed: list = field(default_factory=list)
    train_seconds: float = 0.0  # training time so far by the wall clock, across resumed runs
    cpu_seconds: float = 0.0  # the same in CPU seconds of this process
    best_val: float = math.inf  # the lowest validation loss so far
    best_step: int | None = None  # the step at which it was measured
    interrupted: bool = False  # the run was stopped early with Ctrl-C (last.pt holds its state)
    # (best step, step, planned max_steps) when the validation loss had stopped improving
    # at `step` and the run went back to its best step to end with a cooldown
    # (TrainConfig.patience); None if it never stopped early
    early_stop: tuple | None = None

    @property
    def step(self) -> int:
        """How many optimisation steps have been taken."""
        return len(self.train_loss)

    @property
    def steps(self) -> list[int]:
        """The step numbers 0, 1, 2, ... of ``train_loss`` and ``lr``, for plotting."""
        return list(range(len(self.train_loss)))

    def to_dict(self) -> dict:
        """Plain lists and numbers for a checkpoint (``weights_only`` loads them)."""
        data = dataclasses.asdict(self)
        data["val_loss"] = [list(pair) for pair in self.val_loss]
        data["early_stop"] = None if self.early_stop is None else list(self.early_stop)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        """Rebuild a history from :meth:`to_dict`'s output (a copy: training it on leaves ``data`` alone)."""
        data = copy.deepcopy(data)
        data["val_loss"] = [tuple(pair) for pair in data.get("val_loss", [])]
        if data.get("early_stop") is not None:
            data["early_stop"] = tuple(data["early_stop"])
        return cls(**data)


def resolve_device(name: str = "auto") -> torch.device:
    """The torch device for a name: "auto" picks cuda, then mps, then cpu.

    Raises ValueError (one line) for a name torch does not know or a device this machine
    lacks.
    """
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but this torch ({torch.__version__}) sees no CUDA GPU; use --device cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device {name!r} asked for, but there are only {torch.cuda.device_count()} CUDA GPUs")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {name!r} asked for, but MPS (Apple GPU) is not available here; use --device cpu")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {name!r} is not supported; use auto, cpu, cuda, cuda:N or mps")
    if device.type != "cuda" and device.index is not None:  # torch accepts "cpu:1", but saves and loads fail
        raise ValueError(f"device {name!r}: only CUDA devices are numbered; use --device {device.type}")
    return device


def make_optimizer(model: torch.nn.Module, config: TrainConfig):
    """The optimiser ``config.optimizer`` names, with weight decay on the weights that
    multiply and none on the rest.

    - ``"adamw"``: AdamW for every parameter.
    - ``"muon"``: :class:`~nnzero.makemore.muon.Muon` for the weight matrices inside the
      network (``model.hidden_matrices()``), AdamW for the rest (embedding tables, the output
      layer, biases, LayerNorm gains), both at ``config.learning_rate``; the two step
      together (:class:`~nnzero.makemore.muon.CombinedOptimizer`).

    As in nanoGPT, the rule for weight decay is the parameter's shape: tensors with two or
    more dimensions (linear and recurrent weight matrices, embedding tables, convolution
    kernels) decay; vectors (biases, LayerNorm gains and shifts) don't. Shrinking a
    bias or a normalisation gain toward zero regularises nothing useful; it only
    fights the layer's freedom to shift and scale.

    On the CPU and CUDA, AdamW's update runs as one fused kernel per step: the same update
    up to rounding, and on the CPU a tenth of a small Transformer's step time saved.
    """
    parameters = [p for p in model.parameters() if p.requires_grad]
    muon = []
    if config.optimizer == "muon":
        if not hasattr(model, "hidden_matrices"):
            raise ValueError(f"optimizer 'muon' needs a makemore model (one with hidden_matrices()), not a {type(model).__name__}")
        muon = model.hidden_matrices()
        taken = {id(p) for p in muon}
        parameters = [p for p in parameters if id(p) not in taken]
    groups = [
        {"params": [p for p in parameters if p.dim() >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in parameters if p.dim() < 2], "weight_decay": 0.0},
    ]
    fused = bool(parameters) and all(p.device.type in ("cpu", "cuda") for p in parameters)
    adamw = torch.optim.AdamW(groups, lr=config.learning_rate, betas=config.betas, fused=fused or None)
    if not muon:
        return adamw
    return CombinedOptimizer(Muon(muon, lr=config.learning_rate, weight_decay=config.weight_decay), adamw)


def draw_batch(X: torch.Tensor, Y: torch.Tensor, batch_size: int, generator: torch.Generator):
    """``batch_size`` random rows of a dataset's ``X`` and ``Y``, as ``(x, targets)``.

    The rows are drawn with ``generator`` (uniformly, with replacement), and the targets
    are :func:`sequence_targets`. Rows of a sequence dataset are padded to the longest
    word of the whole set; the batch is cut to its own longest word, dropping the
    columns where every target is -1. Every model is causal (no position reads a later
    one), so the loss and the gradient are those of the uncut batch, up to rounding
    (dropout draws its masks for the positions that remain); only the work on padding
    is skipped, a fifth of a Transformer's step on the names.
    """
    ix = torch.randint(len(X), (batch_size,), generator=generator).to(X.device)
    x = X[ix]
    targets = sequence_targets(x, Y[ix])
    if Y.dim() == X.dim():
        # The last position with a target (a long word's later rows start with -1s).
        positions = torch.arange(1, targets.size(1) + 1, device=targets.device)
        length = int(((targets != -1) * positions).max())
        x, targets = x[:, :length], targets[:, :length]
    return x, targets


def training_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x, targets, grad_clip=None) -> float:
    """One optimisation step on the batch ``(x, targets)``: forward, backward, clip the
    gradient's global norm to ``grad_clip`` (None: no clipping), update. Returns the loss."""
    _, loss = model(x, targets)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss.item()


def sequence_targets(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Targets for every position of ``x``: ``y`` itself for a sequence dataset; for a window
    dataset (one target per row) the target at the last position and -1 (ignore) elsewhere."""
    if y.dim() == x.dim():
        return y
    targets = torch.full_like(x, -1)
    targets[:, -1] = y
    return targets


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def evaluate(model: torch.nn.Module, dataset, batch_size: int = 512) -> float:
    """The mean negative log-likelihood per predicted character over the WHOLE dataset.

    Positions whose target is -1 (padding) are not counted, so every word weighs by its
    length plus one (its end token). The model runs in eval mode (no dropout) and is
    put back in the mode it was in. Works for both dataset shapes: a
    :class:`~nnzero.makemore.data.SequenceDataset`, or a
    :class:`~nnzero.makemore.data.WindowDataset` (the prediction at the window's last
    position). ``batch_size`` only bounds memory; the result does not depend on it.
    """
    if len(dataset) == 0:
        raise ValueError("cannot evaluate on an empty dataset")
    was_training = model.training
    model.eval()
    device = _model_device(model)
    total_nll, count = 0.0, 0
    try:
        for start in range(0, len(dataset), batch_size):
            x = dataset.X[start : start + batch_size].to(device)
            targets = sequence_targets(x, dataset.Y[start : start + batch_size].to(device))
            logits, _ = model(x)
            nll = F.cross_entropy(
                logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1), ignore_index=-1, reduction="sum"
            )
            total_nll += nll.item()
            count += int((targets != -1).sum())
    finally:
        model.train(was_training)
    return total_nll / count


class _StopOnSignal:
    """Turns the first Ctrl-C (SIGINT) or SIGTERM during training into a request to stop
    after the current step: a job killed by ``timeout`` or a scheduler saves like Ctrl-C.

    Stopping between steps keeps the model, the optimizer and the random states in step
    with each other, so the checkpoint written afterwards resumes exactly. A second
    Ctrl-C interrupts at once. Signal handlers can only be set from the main thread;
    elsewhere Ctrl-C behaves as usual.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc_info):
        for sig, previous in (self._previous or {}).items():
            signal.signal(sig, previous)


def _restore(state: dict, model, optimizer, config: TrainConfig, batch_generator, device) -> History:
    """Put a checkpoint's weights, optimizer state and random states back; its History."""
    try:
        model.load_state_dict(state["model"])
    except RuntimeError:
        raise ValueError(f"the checkpoint's weights do not fit this {type(model).__name__}; resume with the model "
                         "it was trained as") from None
    settings = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]
    try:
        optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))  # else its buffers would be the state's tensors
    except (ValueError, KeyError, RuntimeError) as error:
        raise ValueError(f"the checkpoint's optimizer state does not fit optimizer {config.optimizer!r} ({error}); "
                         "resume with the optimizer it was trained with") from None
    for group, setting in zip(optimizer.param_groups, settings):
        group.update(setting)  # load_state_dict brings back the saved settings; this run's config wins
    _restore_rng_states(state["rng"], batch_generator, device)
    return History.from_dict(state["history"])


def _payload_base(model, train_data, state: dict | None, metadata: dict | None) -> dict:
    """What every checkpoint of a run carries besides the training state: the model's
    shape and vocabulary, the caller's metadata, and what a resumed run's checkpoint said
    about its data and model type."""
    carried = {k: v for k, v in (state or {}).items() if k not in _TRAINING_STATE_KEYS}
    base = {**carried, "model_config": model.config.to_dict(), "vocab": train_data.vocab.to_dict(), **(metadata or {})}
    base.setdefault("model_type", _registry_name(model))
    return base


def _rng_states(batch_generator: torch.Generator, device: torch.device) -> dict:
    states = {"batches": batch_generator.get_state(), "torch": torch.get_rng_state(), "cuda": None}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _restore_rng_states(states: dict, batch_generator: torch.Generator, device: torch.device) -> None:
    batch_generator.set_state(states["batches"])
    torch.set_rng_state(states["torch"])
    if device.type == "cuda" and states.get("cuda") is not None:
        torch.cuda.set_rng_state(states["cuda"], device)


# What train() writes into a checkpoint itself; everything else in it is the caller's metadata.
_TRAINING_STATE_KEYS = ("model", "optimizer", "step", "train_config", "history", "rng", "model_config", "vocab")


def _best_state_on_disk(work_dir, history: History) -> dict | None:
    """A resumed run's best state, from ``best.pt``, if that is readable and holds its best
    evaluation (without one, a stop cools down from where the run is)."""
    path = Path(work_dir) / "best.pt" if work_dir is not None else None
    if path is None or not path.exists() or history.best_step is None:
        return None
    try:
        state = checkpoint.load(path)
    except checkpoint.CheckpointError:
        return None
    return state if state.get("step") == history.best_step else None


def _registry_name(model: torch.nn.Module) -> str | None:
    from nnzero.makemore.models import REGISTRY

    return next((name for name, cls in REGISTRY.items() if type(model) is cls), None)


def train(
    model: torch.nn.Module,
    train_data,
    val_data,
    config: TrainConfig,
    lr_schedule=None,
    work_dir=None,
    progress=True,
    state: dict | None = None,
    metadata: dict | None = None,
    budget: CpuBudget | None = None,
) -> History:
    """Train ``model`` on ``train_data`` for ``config.max_steps`` steps; return its History.

    - ``train_data``/``val_data``: datasets with whole ``X``/``Y`` tensors (a
      SequenceDataset, or a WindowDataset); the model maps ``(idx, targets)`` to
      ``(logits, loss)``.
    - ``lr_schedule``: a function of the step (0, 1, 2, ...) giving a multiplier of
      ``config.learning_rate``, applied before every step, like ``torch.optim.lr_scheduler.LambdaLR``
      stepped once per step; None uses the config's own, :func:`config_schedule`
      (``warmup_steps``, ``final_lr_fraction``; constant by default).
    - Evaluates on the whole validation set every ``config.eval_interval`` steps (from
      step 0) and at the end. With a ``work_dir``, writes ``best.pt`` whenever the
      validation loss improves and ``last.pt`` at every evaluation; ``metadata`` (plain
      data: model type, vocabulary, where the data came from) goes into both.
    - With ``config.patience`` > 0: when that many evaluations in a row have not beaten
      the best validation loss by more than ``config.min_improvement``, the data, not the
      step budget, has become the limit. The run goes back to the state of its best
      evaluation (weights, optimizer, random states and history, kept in memory, or read
      from ``best.pt`` after a resume) and ends with a short cooldown from there
      (:func:`stop_early`), which the checkpoints record as its new plan; unless the
      cooldown would reach the planned end, in which case the run goes on as planned.
      ``history.early_stop`` records ``(best step, step, planned max_steps)``; the
      discarded steps' time stays in ``train_seconds``. Without a state to go back to
      (resumed without ``work_dir``), the cooldown starts where the run is.
    - ``state``: a checkpoint dict (from :func:`checkpoint.load`) to continue from: its
      weights, optimizer state, step, history and random states are restored, so the
      losses continue exactly as if the run had never stopped.
    - ``budget``: a :class:`CpuBudget`: train until the steps have taken that many CPU
      seconds (``history.cpu_seconds``) instead of ``config.max_steps`` steps, which
      becomes only the most a run may take; the config's schedule is laid over the time
      (:func:`budget_schedule`) and the validation set is scored at the budget's times,
      not every ``eval_interval`` steps. Not with ``lr_schedule``, ``patience`` or ``state``.
    - Ctrl-C (or SIGTERM) stops after the current step, evaluates, writes ``last.pt`` (and
      ``best.pt`` if the model improved) and returns the history with ``interrupted=True``;
      a second one stops at once.
    - A progress bar shows the step, the batch loss and the latest validation loss;
      ``progress=False`` or the environment variable ``TQDM_DISABLE=1`` turns it off.
      ``progress`` may instead be a function, called as ``progress(step, max_steps,
      loss=..., val=...)`` after every step and evaluation (a notebook passes
      :class:`nnzero.progress.LiveProgress`).

    Raises FloatingPointError (one line) if the loss becomes NaN or infinite.
    """
    if budget is not None:
        clash = [name for name, given in (("lr_schedule", lr_schedule is not None), ("patience", config.patience > 0),
                                          ("state", state is not None)) if given]
        if clash:
            raise ValueError(f"a run with a CPU budget sets its own length, schedule and evaluations; "
                             f"it cannot also take {', '.join(clash)}: train by steps for those")
    device = resolve_device(config.device)
    model.to(device)
    optimizer = make_optimizer(model, config)
    own_schedule = lr_schedule is None
    batch_generator = torch.Generator().manual_seed(config.seed)
    history = History() if state is None else _restore(state, model, optimizer, config, batch_generator, device)
    if budget is None:
        lr_schedule = config_schedule(config) if own_schedule else lr_schedule
    else:
        lr_schedule = budget_schedule(config, budget, lambda: history.cpu_seconds)
    base = _payload_base(model, train_data, state, metadata) if work_dir is not None else None
    best_state = _best_state_on_disk(work_dir, history) if state is not None and config.patience else None

    def training_state():
        return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": history.step,
                "history": history.to_dict(), "rng": _rng_states(batch_generator, device)}

    def save(name):
        checkpoint.save(Path(work_dir) / name, {**base, **training_state(), "train_config": config.to_dict()})

    def stopping_now() -> bool:
        """Whether the evaluations say to stop early (not again in the cooldown of a stop)."""
        step = history.step
        cooling_down = history.early_stop is not None and history.early_stop[0] == plan_start(config)
        return (config.patience > 0 and step < config.max_steps and not cooling_down
                and evaluations_without_improvement(history.val_loss, config) >= config.patience)

    def stop_and_go_back() -> bool:
        """End the run early: back to its best state if there is one, then a cooldown.
        False (nothing changed) when the cooldown would reach the planned end anyway."""
        nonlocal config, lr_schedule, history
        back = best_state if best_state is not None and best_state["step"] >= plan_start(config) else None
        to = back["step"] if back else history.step
        shortened = stop_early(config, to, lr_schedule(to), own_schedule)
        if shortened.max_steps >= config.max_steps:
            return False  # the cooldown would reach the planned end: go on as planned
        stopped, planned, seconds = history.step, config.max_steps, (history.train_seconds, history.cpu_seconds)
        if back:
            model.load_state_dict(back["model"])
            optimizer.load_state_dict(copy.deepcopy(back["optimizer"]))  # it would share the copy's tensors
            _restore_rng_states(back["rng"], batch_generator, device)
            history = History.from_dict(back["history"])
            history.train_seconds, history.cpu_seconds = seconds  # the discarded steps took time too
        history.early_stop = (to, stopped, planned)
        config = shortened
        if own_schedule:
            lr_schedule = config_schedule(config)
        return True

    def evaluate_and_save() -> tuple[float, bool]:
        """Evaluate and keep the checkpoints; the loss, and whether the run stopped early."""
        nonlocal best_state
        val = evaluate(model, val_data, config.eval_batch_size)
        history.val_loss.append((history.step, val))
        history.elapsed.append(history.train_seconds)
        history.cpu_elapsed.append(history.cpu_seconds)
        improved = val < history.best_val
        if improved:
            history.best_val, history.best_step = val, history.step
            if config.patience:  # a copy to go back to when stopping early
                best_state = copy.deepcopy(training_state())
            if work_dir is not None and config.save_best:
                save("best.pt")
        replanned = stopping_now() and stop_and_go_back()  # the new plan goes into last.pt, below
        if work_dir is not None and config.save_last:
            save("last.pt")
        return val, replanned

    X, Y = train_data.X.to(device), train_data.Y.to(device)
    model.train()
    report = progress if callable(progress) else None
    disable_bar = report is not None or not progress or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")
    last_val = history.val_loss[-1][1] if history.val_loss else math.nan

    def planned() -> int:
        """The steps the run will take, as far as known now (with a budget, an estimate)."""
        if budget is None:
            return config.max_steps
        return budget.steps_planned(history.step, history.cpu_seconds, config.max_steps)

    def time_is_up() -> bool:
        return budget is not None and history.cpu_seconds >= budget.seconds

    def evaluation_due(step) -> bool:
        if budget is None:
            return step % config.eval_interval == 0
        return step == 0 or history.cpu_seconds >= budget.next_evaluation(len(history.val_loss))

    bar = tqdm(total=config.max_steps if budget is None else None, initial=min(history.step, config.max_steps),
               disable=disable_bar, unit="step", dynamic_ncols=True)
    with _StopOnSignal() as stop, bar:
        while True:
            step = history.step
            finished = step >= config.max_steps or time_is_up()
            history.interrupted = stop.requested and not finished
            # Evaluate on schedule, at the end, and when stopped early (so best.pt has the latest progress).
            due = evaluation_due(step) or finished or history.interrupted
            if due and not (history.val_loss and history.val_loss[-1][0] == step):
                last_val, replanned = evaluate_and_save()
                last_loss = history.train_loss[-1] if history.train_loss else math.nan
                if report:  # the final evaluation ends the report
                    report(history.step, history.step if finished else planned(), loss=last_loss, val=last_val)
                bar.set_postfix_str(f"loss {last_loss:.4f}  val {last_val:.4f}")
                if replanned:  # stopped early: the run ends after its cooldown
                    step = history.step
                    bar.reset(total=config.max_steps)
                    bar.update(step)
                    finished = step >= config.max_steps
                    history.interrupted = stop.requested and not finished
            if history.interrupted and work_dir is not None:
                save("last.pt")  # again if need be, so that it records the stop
            if finished or history.interrupted:
                break

            started, cpu_started = time.perf_counter(), time.process_time()
            multiplier = float(lr_schedule(step))
            if not multiplier >= 0 or math.isinf(multiplier):
                raise ValueError(f"lr_schedule({step}) returned {multiplier}; it must give a finite multiplier >= 0")
            lr = config.learning_rate * multiplier
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, targets = draw_batch(X, Y, config.batch_size, batch_generator)
            loss = training_step(model, optimizer, x, targets, config.grad_clip)
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"the training loss became {loss} at step {step}; lower the learning rate or clip the gradients"
                )
            history.train_loss.append(loss)
            history.lr.append(lr)
            history.train_seconds += time.perf_counter() - started
            history.cpu_seconds += time.process_time() - cpu_started
            bar.update(1)
            bar.set_postfix_str(f"loss {loss:.4f}  val {last_val:.4f}", refresh=False)
            if report and history.step < planned():
                report(history.step, planned(), loss=loss)
    return history
