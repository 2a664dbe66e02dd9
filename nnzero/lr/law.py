"""Predict a schedule's loss curve before training it: the learning-rate annealing law.

Tissue et al. (2024, "Scaling Law with Learning Rate Annealing") found that the loss
after step ``s`` of a run depends on its learning-rate schedule through two sums::

    L(s) = L0 + A * S1(s) ** -alpha - C * S2(s)

- ``S1(s) = eta_1 + ... + eta_s``, the *forward area*: how far, in total, the rate has let
  the weights move. More area, lower loss, with diminishing returns (a power law).
- ``S2(s) = m_1 + ... + m_s`` with ``m_i = decay * m_(i-1) + (eta_(i-1) - eta_i)``, the
  *annealing area*: every drop of the rate lowers the loss, not at once but as a
  momentum that builds up and fades (``decay``, 0.999 in the paper). Lowering the rate
  costs forward area but buys annealing area; a schedule's final loss is the balance.
  A rise (a warmup, one-cycle's first phase) is a negative drop: it raises the loss the
  same way. With ``decay`` 0.999 a change is remembered for about 1,000 steps, the whole
  of a short run; a smaller ``decay`` forgets sooner.

Here ``eta`` is the schedule's multiplier of the peak rate (the peak is fixed), step by
step, and the law's four numbers ``L0, A, alpha, C`` are fitted to the validation curves
of a few runs::

    law = fit_law([(multipliers_constant, steps, losses), (multipliers_cosine, steps, losses)])
    law.predict(multipliers_wsd, [250, 500, 1000])     # the losses a WSD run would reach there

The fit is least squares on every measured point, by gradient descent in float64
(Adam, then L-BFGS) from a start read off the curves. ``fit_law(..., annealing=False)``
fits the law without its annealing term (C = 0): the baseline that says the final loss
depends on the forward area alone. :func:`optimal_schedule` searches for the decay that
the law says ends lowest (Luo et al. 2025 did the same with their multi-power law).

The multi-power law (Luo et al. 2025, "A Multi-Power Law for Loss Curve Prediction Across
Learning Rate Schedules") replaces ``C * S2`` by a sum over the drops in which each drop's
benefit grows with the forward area swept *since* the drop, and saturates::

    L(t) = L0 + A * (S1(t) + S_W) ** -alpha - LD(t)
    LD(t) = B * sum_k (eta_(k-1) - eta_k) * G(eta_k ** -gamma * S_k(t)),  S_k(t) = eta_k + ... + eta_t
    G(x) = 1 - (C * x + 1) ** -beta

so a drop followed by a rate of 0 gains nothing. :class:`MultiPowerLaw`,
:func:`fit_multi_power` and :func:`optimal_schedule_multi_power` are its counterparts of
the three above.
"""

import math
from dataclasses import dataclass

import torch

DECAY = 0.999  # the annealing momentum's decay, the paper's value


def areas(multipliers, decay: float = DECAY) -> tuple[torch.Tensor, torch.Tensor]:
    """``(S1, S2)``: the forward and annealing areas after each step, ``S1[s - 1]`` and
    ``S2[s - 1]`` being those after ``s`` steps, for a schedule given by its multipliers
    (one per step)."""
    eta = torch.as_tensor(list(multipliers), dtype=torch.float64)
    if eta.ndim != 1 or len(eta) == 0:
        raise ValueError("multipliers must be a non-empty list, one number per step")
    if not 0 <= decay < 1:
        raise ValueError(f"decay must be in [0, 1), not {decay!r}")
    drops = torch.cat([torch.zeros(1, dtype=torch.float64), eta[:-1] - eta[1:]])
    momentum, m = torch.empty_like(eta), 0.0
    for i, drop in enumerate(drops.tolist()):
        m = decay * m + drop
        momentum[i] = m
    return eta.cumsum(0), momentum.cumsum(0)


@dataclass(frozen=True)
class Law:
    """A fitted annealing law: ``L = L0 + A * S1 ** -alpha - C * S2``."""

    L0: float
    A: float
    alpha: float
    C: float
    decay: float = DECAY

    def predict(self, multipliers, steps) -> list[float]:
        """The predicted loss after each of ``steps`` steps (whole numbers from 1 to the
        schedule's length) of a run with these multipliers."""
        s1, s2 = areas(multipliers, self.decay)
        index = _steps_index(steps, len(s1))
        return (self.L0 + self.A * s1[index] ** -self.alpha - self.C * s2[index]).tolist()

    def __str__(self):
        return f"L = {self.L0:.4f} + {self.A:.4f} · S1^-{self.alpha:.4f} − {self.C:.3g} · S2  (decay {self.decay})"


def _steps_index(steps, length):
    steps = list(steps)
    if any(isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= length for s in steps):
        raise ValueError(f"steps must be whole numbers from 1 to the schedule's length {length}, not {steps!r}")
    return torch.tensor(steps) - 1


def _adam(params, objective, lr, iterations):
    """Minimise ``objective()`` over the tensor ``params`` with ``iterations`` steps of Adam."""
    optimizer = torch.optim.Adam([params], lr=lr)
    for _ in range(iterations):
        optimizer.zero_grad()
        objective().backward()
        optimizer.step()


def _least_squares(params, loss_fn, iterations):
    """Minimise ``loss_fn()`` over ``params``: ``iterations`` steps of Adam from the start, then
    L-BFGS (with a strong-Wolfe line search) to polish the minimum."""
    _adam(params, loss_fn, lr=0.05, iterations=iterations)
    lbfgs = torch.optim.LBFGS([params], lr=1, max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15,
                              line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad()
        value = loss_fn()
        value.backward()
        return value

    lbfgs.step(closure)


def fit_law(curves, decay: float = DECAY, iterations: int = 2000, annealing: bool = True) -> Law:
    """Fit ``L0, A, alpha, C`` to ``curves``: a list of ``(multipliers, steps, losses)``,
    one per run (its schedule's multipliers, step by step, and the losses measured after
    those steps; step 0, before any training, is left out by the law: S1 is 0 there).
    ``annealing=False`` holds C at 0."""
    columns = []
    for multipliers, steps, losses in curves:
        kept = [(s, loss) for s, loss in zip(steps, losses) if s >= 1]
        if not kept:
            raise ValueError("every curve needs at least one loss measured after step 1 or later")
        s1, s2 = areas(multipliers, decay)
        index = _steps_index([s for s, _ in kept], len(s1))
        columns.append((s1[index], s2[index], torch.tensor([loss for _, loss in kept], dtype=torch.float64)))
    s1, s2, target = (torch.cat(parts) for parts in zip(*columns))
    if len(target) < 4:
        raise ValueError(f"fitting four numbers needs at least four measured losses, not {len(target)}")

    # Start: the floor a little below the lowest loss, a power of 0.5, the scale through the first point.
    floor = float(target.min()) - 0.1
    start_alpha = 0.5
    first = int(s1.argmin())
    start_A = max(1e-3, (float(target[first]) - floor) * float(s1[first]) ** start_alpha)
    params = torch.tensor([floor, math.log(start_A), math.log(start_alpha), math.log(1e-3)], dtype=torch.float64,
                          requires_grad=True)

    def loss_fn():
        L0, log_A, log_alpha, log_C = params
        anneal = log_C.exp() * s2 if annealing else 0.0
        predicted = L0 + log_A.exp() * s1 ** -log_alpha.exp() - anneal
        return ((predicted - target) ** 2).mean()

    _least_squares(params, loss_fn, iterations)
    L0, log_A, log_alpha, log_C = params.detach().tolist()
    return Law(L0, math.exp(log_A), math.exp(log_alpha), math.exp(log_C) if annealing else 0.0, decay)


def _check_design(steps, warmup_steps, floor):
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= warmup_steps < steps - 1:
        raise ValueError(f"need whole numbers 0 <= warmup_steps < steps - 1, not steps={steps!r}, warmup_steps={warmup_steps!r}")
    if not 0 <= floor < 1:
        raise ValueError(f"floor must be in [0, 1), not {floor!r}")


def _linear_warmup(warmup_steps):
    """The warmup's multipliers, ``(t + 1) / (W + 1)`` for ``t < W``: ``nnzero.schedules.linear_warmup``'s."""
    return torch.tensor([(t + 1) / (warmup_steps + 1) for t in range(warmup_steps)], dtype=torch.float64)


def _search(steps, warmup_steps, floor, final_loss, iterations):
    """The shared search of the two ``optimal_schedule`` functions: a linear warmup, then
    ``steps - warmup_steps - 1`` drops, softmax weights adding up to ``1 - floor``, moved
    by Adam to minimise ``final_loss(multipliers, drops)``."""
    warmup = _linear_warmup(warmup_steps)
    logits = torch.zeros(steps - warmup_steps - 1, dtype=torch.float64, requires_grad=True)

    def multipliers(drops):
        path = 1 - torch.cat([torch.zeros(1, dtype=torch.float64), drops.cumsum(0)])
        return torch.cat([warmup, path])

    def objective():
        drops = (1 - floor) * torch.softmax(logits, 0)
        return final_loss(multipliers(drops), drops)

    _adam(logits, objective, lr=0.1, iterations=iterations)
    with torch.no_grad():  # clamped: rounding must not leave the last multiplier a hair below 0
        return multipliers((1 - floor) * torch.softmax(logits, 0)).clamp(min=0).tolist()


def optimal_schedule(law: Law, steps: int, warmup_steps: int, floor: float = 0.0, iterations: int = 3000) -> list[float]:
    """The multipliers (one per step) of the schedule that ``law`` predicts ends lowest
    after ``steps`` steps, among those that warm up linearly over ``warmup_steps`` steps
    (as ``(t + 1) / (W + 1)``) and then never rise again: the peak held for a while, then
    any decreasing path to ``floor`` by the last step.

    The path is a set of drops, one per step after the warmup, that add up to
    ``1 - floor``: softmax weights of free parameters, found by Adam on the law's final
    loss, where the annealing area after the last step is ``sum_k drop_k (1 - decay **
    (T - k + 1)) / (1 - decay)`` (the momentum of each drop, summed to the end)."""
    _check_design(steps, warmup_steps, floor)
    positions = torch.arange(warmup_steps + 1, steps, dtype=torch.float64)  # where each drop can happen (0-based step)
    persistence = (1 - law.decay ** (steps - positions)) / (1 - law.decay)
    warmup_drops_area = 0.0
    if warmup_steps:  # the warmup's rises are negative drops: they enter S2 like any other change
        warmup = _linear_warmup(warmup_steps)
        rises = torch.cat([torch.zeros(1, dtype=torch.float64), warmup[1:] - warmup[:-1], (1 - warmup[-1:])])
        rise_positions = torch.arange(0, warmup_steps + 1, dtype=torch.float64)
        warmup_drops_area = -(rises * (1 - law.decay ** (steps - rise_positions)) / (1 - law.decay)).sum()

    def final_loss(eta, drops):
        s2 = warmup_drops_area + (drops * persistence).sum()
        return law.L0 + law.A * eta.sum() ** -law.alpha - law.C * s2

    return _search(steps, warmup_steps, floor, final_loss, iterations)


# The multi-power law (Luo et al. 2025) ----------------------------------------------------

ETA_MIN = 1e-12  # a rate of 0 is read as this, so that eta_k ** -gamma stays finite (see multi_power_terms)


def multi_power_terms(multipliers, steps, warmup_steps=None):
    """What the multi-power law needs of a schedule at the evaluated ``steps`` (whole
    numbers from 1 to its length), as float64 tensors: ``(area, drops, log_rates, swept)``.

    - ``area[j]``: every multiplier up to step ``steps[j]``, the warmup's included
      (``S1 + S_W``).
    - ``drops``: the drops ``eta_(k-1) - eta_k`` after the warmup (0-based ``k >
      warmup_steps``; a rise is a negative drop), the zero ones left out; ``log_rates``:
      ``log eta_k`` at those steps, a rate of 0 read as ``ETA_MIN``.
    - ``swept[j, i]``: the area ``S_k`` swept from the ``i``-th drop's step to step
      ``steps[j]`` (0 for a drop that comes later).

    ``warmup_steps=None`` takes the warmup to be every step before the schedule first
    reaches its highest multiplier (a linear warmup's ``W`` steps, one-cycle's rise):
    the warmup's rises only add area, they are not drops."""
    eta = torch.as_tensor(list(multipliers), dtype=torch.float64)
    if eta.ndim != 1 or len(eta) == 0:
        raise ValueError("multipliers must be a non-empty list, one number per step")
    if bool((eta < 0).any()):
        raise ValueError("multipliers must not be negative")
    index = _steps_index(steps, len(eta))
    if warmup_steps is None:
        warmup_steps = int(torch.argmax(eta))  # the first highest multiplier
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or not 0 <= warmup_steps < len(eta):
        raise ValueError(f"warmup_steps must be a whole number from 0 to the schedule's length - 1, not {warmup_steps!r}")
    cumulative = torch.cat([torch.zeros(1, dtype=torch.float64), eta.cumsum(0)])  # cumulative[j]: the first j steps
    k = torch.arange(warmup_steps + 1, len(eta))
    drops = eta[k - 1] - eta[k]
    k, drops = k[drops != 0], drops[drops != 0]
    area = cumulative[index + 1]
    swept = (area[:, None] - cumulative[k][None, :]) * (k[None, :] <= index[:, None])
    return area, drops, eta[k].clamp(min=ETA_MIN).log(), swept.clamp(min=0)


def _multi_power_loss(L0, A, alpha, B, C, beta, gamma, area, drops, log_rates, swept):
    # G(x) = 1 - (C x + 1) ** -beta with x = eta_k ** -gamma * S_k, in logs: log(C x + 1) = softplus(log C + log x),
    # finite however small eta_k is; a drop that nothing has been swept since (S_k = 0) gains exactly nothing.
    log_x = torch.log(swept.clamp(min=1e-300)) - gamma * log_rates
    log_cx = log_x + torch.log(torch.as_tensor(C))
    saturation = torch.where(swept > 0, 1 - torch.exp(-beta * torch.nn.functional.softplus(log_cx)), 0.0)
    return L0 + A * area ** -alpha - B * (saturation * drops).sum(-1)


@dataclass(frozen=True)
class MultiPowerLaw:
    """A fitted multi-power law (Luo et al. 2025)::

        L(t) = L0 + A * (S1 + S_W) ** -alpha - B * sum_k d_k * (1 - (C * eta_k ** -gamma * S_k(t) + 1) ** -beta)

    with ``eta`` the multipliers of a fixed peak rate (the paper uses the rates
    themselves: with one peak that only rescales A, B and C), ``d_k = eta_(k-1) - eta_k``
    the drops after the warmup, and ``S_k(t)`` the area swept from step ``k`` to ``t``."""

    L0: float
    A: float
    alpha: float
    B: float
    C: float
    beta: float
    gamma: float

    def predict(self, multipliers, steps, warmup_steps=None) -> list[float]:
        """The predicted loss after each of ``steps`` steps (whole numbers from 1 to the
        schedule's length) of a run with these multipliers; ``warmup_steps`` as in
        :func:`multi_power_terms`."""
        terms = multi_power_terms(multipliers, steps, warmup_steps)
        return _multi_power_loss(self.L0, self.A, self.alpha, self.B, self.C, self.beta, self.gamma, *terms).tolist()

    def __str__(self):
        return (f"L = {self.L0:.4f} + {self.A:.4f} · (S1 + S_W)^-{self.alpha:.4f} − {self.B:.4f} · Σ d_k · "
                f"(1 − ({self.C:.4g} · η_k^-{self.gamma:.4f} · S_k + 1)^-{self.beta:.4f})")


def fit_multi_power(curves, iterations: int = 2000, warmup_steps=None, gamma: float | None = None) -> MultiPowerLaw:
    """Fit the multi-power law's seven numbers to ``curves``, a list of ``(multipliers,
    steps, losses)`` as for :func:`fit_law`: least squares on every measured point after
    step 0, in float64, every number but ``L0`` kept positive through its logarithm,
    Adam and then L-BFGS, from a start read off the curves. ``warmup_steps`` as in
    :func:`multi_power_terms` (``None``: each schedule's own rise to its peak).
    ``gamma=`` a number holds ``gamma`` there and fits the other six (a few curves may
    not pin it down)."""
    if gamma is not None and not gamma > 0:
        raise ValueError(f"gamma must be positive, not {gamma!r}")
    parts, targets = [], []
    for multipliers, steps, losses in curves:
        kept = [(s, loss) for s, loss in zip(steps, losses) if s >= 1]
        if not kept:
            raise ValueError("every curve needs at least one loss measured after step 1 or later")
        parts.append(multi_power_terms(multipliers, [s for s, _ in kept], warmup_steps))
        targets.append(torch.tensor([loss for _, loss in kept], dtype=torch.float64))
    if sum(len(t) for t in targets) < 7:
        raise ValueError(f"fitting seven numbers needs at least seven measured losses, not {sum(len(t) for t in targets)}")
    target = torch.cat(targets)

    # Start: as fit_law's, and a drop from the peak to 0 worth 0.1 once saturated, half-way after ~10 steps at the peak.
    floor = float(target.min()) - 0.1
    area = torch.cat([p[0] for p in parts])
    first = int(area.argmin())
    start_A = max(1e-3, (float(target[first]) - floor) * float(area[first]) ** 0.5)
    params = torch.tensor([floor, math.log(start_A), math.log(0.5), math.log(0.1), math.log(0.1), math.log(0.5),
                           math.log(0.5 if gamma is None else gamma)], dtype=torch.float64, requires_grad=True)
    held = torch.ones(7, dtype=torch.float64)
    if gamma is not None:
        held[6] = 0  # gamma's gradient is zeroed: it stays where it started

    def loss_fn():
        L0, *logs = params * held + params.detach() * (1 - held)
        numbers = [L0] + [value.exp() for value in logs]
        predicted = torch.cat([_multi_power_loss(*numbers, *terms) for terms in parts])
        return ((predicted - target) ** 2).mean()

    _least_squares(params, loss_fn, iterations)
    L0, *logs = params.detach().tolist()
    return MultiPowerLaw(L0, *(math.exp(value) for value in logs[:5]), math.exp(logs[5]) if gamma is None else gamma)


def optimal_schedule_multi_power(law: MultiPowerLaw, steps: int, warmup_steps: int, floor: float = 0.0,
                                 iterations: int = 3000) -> list[float]:
    """:func:`optimal_schedule` for the multi-power law: the same search (a linear warmup
    over ``warmup_steps`` steps, then any decreasing path from the peak to ``floor``),
    on the multi-power law's final loss after ``steps`` steps, where every drop counts
    with the area swept from its step to the end."""
    _check_design(steps, warmup_steps, floor)

    def final_loss(eta, drops):
        swept = eta.flip(0).cumsum(0).flip(0)[warmup_steps + 1:]  # S_k(T) for each drop's step k
        log_rates = eta[warmup_steps + 1:].clamp(min=ETA_MIN).log()
        return _multi_power_loss(law.L0, law.A, law.alpha, law.B, law.C, law.beta, law.gamma, eta.sum(), drops,
                                 log_rates, swept)

    return _search(steps, warmup_steps, floor, final_loss, iterations)


__all__ = ["DECAY", "ETA_MIN", "Law", "MultiPowerLaw", "areas", "fit_law", "fit_multi_power", "multi_power_terms",
           "optimal_schedule", "optimal_schedule_multi_power"]
