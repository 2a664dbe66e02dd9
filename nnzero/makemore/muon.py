"""Muon, the optimiser of Jordan, Jin, Boza, You, Cesista, Newhouse and Bernstein (2024),
"Muon: An optimizer for hidden layers in neural networks", with the weight decay and
learning-rate scale of Liu et al. (2025), "Muon is Scalable for LLM Training".

Muon is momentum SGD for weight matrices whose step is *orthogonalised*: the momentum
matrix M = U S V^T (its singular value decomposition) is replaced by U V^T, every
singular value set to 1. A raw gradient of a weight matrix is dominated by a few
directions (large singular values); orthogonalising it gives the rare directions the
same step as the common ones. Per step, for each weight matrix W with gradient G:

    M <- momentum M + (1 - momentum) G                (an average of recent gradients)
    D <- (1 - momentum) G + momentum M                (Nesterov's look-ahead)
    O <- about U V^T, from D = U S V^T                (five Newton-Schulz iterations, below)
    W <- W (1 - lr weight_decay)                      (decoupled weight decay, as in AdamW)
    W <- W - lr 0.2 sqrt(max(rows, cols)) O

The factor 0.2 sqrt(max(rows, cols)) (Liu et al.) makes the step's root-mean-square size
match a typical AdamW step, so one learning rate and weight decay serve both. Muon is meant
for the matrices *inside* the network; the embedding tables, the output layer, biases and
LayerNorm gains train with AdamW (``LanguageModel.hidden_matrices`` picks the matrices).

U V^T without an SVD: the Newton-Schulz iteration X <- a X + (b X X^T + c (X X^T)^2) X,
started from D scaled to norm 1, pushes every singular value toward 1 while keeping U and
V. Jordan et al. chose (a, b, c) = (3.4445, -4.7750, 2.0315) to get there in five
iterations, roughly: the singular values end up between about 0.7 and 1.2, not exactly 1,
which they found trains as well.

``torch.optim.Muon`` does the same arithmetic one matrix at a time in bfloat16. This one
orthogonalises all the matrices of one shape at once, as a batch of float32 matrix
products: the same update up to bfloat16's rounding (a test compares the two), at less
cost on a CPU (bench/BENCHMARKS.md, "Muon for the transformer", has the timings).
"""

import math
from collections import defaultdict

import torch

NEWTON_SCHULZ = (3.4445, -4.7750, 2.0315)


def orthogonalize(matrices: torch.Tensor, steps: int = 5, eps: float = 1e-7) -> torch.Tensor:
    """Newton-Schulz's approximation of U V^T for each matrix of a batch (n, rows, cols) = U S V^T."""
    a, b, c = NEWTON_SCHULZ
    tall = matrices.size(-2) > matrices.size(-1)
    X = matrices.mT if tall else matrices  # work on the side with fewer rows: X X^T is the smaller product
    X = X / X.norm(dim=(-2, -1), keepdim=True).clamp(min=eps)  # every singular value now <= 1
    for _ in range(steps):
        gram = X @ X.mT
        X = torch.baddbmm(X, torch.baddbmm(gram, gram, gram, beta=b, alpha=c), X, beta=a)
    return X.mT if tall else X


class Muon(torch.optim.Optimizer):
    """Muon for 2-D weight matrices (see the module's docstring); ``lr`` and ``weight_decay``
    are on AdamW's scale."""

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_steps: int = 5):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                                      ns_steps=ns_steps))
        for group in self.param_groups:
            for p in group["params"]:
                if p.dim() != 2:
                    raise ValueError(f"Muon updates weight matrices only, not a parameter of shape {tuple(p.shape)}; "
                                     "give the others to AdamW")

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            by_shape = defaultdict(list)
            for p in group["params"]:
                if p.grad is not None:
                    by_shape[p.shape].append(p)
            for (rows, cols), params in by_shape.items():
                updates = []
                for p in params:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = torch.zeros_like(p)
                    buffer = state["momentum_buffer"].lerp_(p.grad, 1 - momentum)
                    updates.append(p.grad.lerp(buffer, momentum) if group["nesterov"] else buffer)
                orthogonal = orthogonalize(torch.stack(updates).float(), group["ns_steps"])
                scale = lr * 0.2 * math.sqrt(max(rows, cols))
                for p, update in zip(params, orthogonal):
                    p.mul_(1 - lr * group["weight_decay"]).add_(update.to(p.dtype), alpha=-scale)
        return loss


class CombinedOptimizer:
    """Optimisers over separate parameters, used as one: ``param_groups`` lists all their
    groups (so a schedule sets every learning rate), and ``step``, ``zero_grad``,
    ``state_dict`` and ``load_state_dict`` go to each in turn."""

    def __init__(self, *optimizers: torch.optim.Optimizer):
        self.optimizers = optimizers

    @property
    def param_groups(self) -> list[dict]:
        # Looked up each time: load_state_dict gives an optimiser new group dicts.
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def step(self):
        for optimizer in self.optimizers:
            optimizer.step()

    def zero_grad(self, set_to_none: bool = True):
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict:
        return {"optimizers": [optimizer.state_dict() for optimizer in self.optimizers]}

    def load_state_dict(self, state: dict):
        saved = state.get("optimizers", [])
        if len(saved) != len(self.optimizers):
            raise ValueError(f"the saved optimizer state is for {len(saved) or 'one'} optimiser(s), not {len(self.optimizers)}")
        for optimizer, part in zip(self.optimizers, saved):
            optimizer.load_state_dict(part)
