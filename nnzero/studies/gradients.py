"""Looking inside the recurrent models: how far back in time does the gradient reach?

A recurrent model's prediction at step T depends on every earlier hidden state, through
the chain h[t] -> h[t+1] -> ... -> h[T]. Backpropagation multiplies one Jacobian per link
of that chain, so the gradient that reaches h[t] from the loss at step T can shrink (or
grow) geometrically in T - t. :func:`gradient_through_time` measures exactly that::

    norms = gradient_through_time(model, idx, targets)   # (T,): |d loss[T-1] / d h[t]|, per name
    plt.semilogy(norms)
    per_step_factor(norms)                               # < 1: the gradient shrinks going back

It works for the three recurrent types (rnn, lstm, gru), and for the LSTM's cell state c
as well as its hidden state h (``state="c"``).

One convention in all the lessons: the gradient is *per name*. Each name's own loss at
the prediction is differentiated with respect to its own states, and the norms are
averaged over the names. (Differentiating the batch's mean loss instead would divide
every name's gradient by the batch size, and change the numbers with the size of the
batch.)
"""

import torch
import torch.nn.functional as F


def gradient_through_time(model, idx, targets, position: int = -1, layer: int = 0, state: str = "h"):
    """Mean norm, per name, of d(loss at ``position``)/d(state after step t), for every t: a (T,) tensor.

    ``idx`` and ``targets`` are (B, T) batches as the model takes them (``SequenceDataset``
    rows, or random tokens). Each name's loss is the cross-entropy of its own prediction
    at ``position`` (the last step by default); entry t is the norm of that loss's
    gradient with respect to the name's state after step t (layer ``layer``'s ``h``, or
    the LSTM's cell state with ``state="c"``), averaged over the names that have a real
    target at ``position`` (padding, -1, is left out): how much the state at step t can
    still change that one prediction. Steps after ``position`` get 0 (the prediction
    cannot depend on them).

    The model is put in evaluation mode (no dropout) for the measurement and put back as
    it was; its parameters' ``.grad`` are left untouched.
    """
    if not hasattr(model, "forward_with_states"):
        raise ValueError(f"gradient_through_time needs a recurrent model (rnn, lstm, gru), not {type(model).__name__}")
    if idx.dim() != 2 or targets is None or targets.shape != idx.shape:
        raise ValueError(f"idx and targets must both be (B, T) batches of the same shape, not {tuple(idx.shape)} and "
                         f"{None if targets is None else tuple(targets.shape)}")
    T = idx.size(1)
    if not -T <= position < T:
        raise ValueError(f"position {position} is outside a sequence of {T} steps")
    position %= T
    if not 0 <= layer < len(model.layers):
        raise ValueError(f"layer {layer} does not exist: the model has {len(model.layers)} layer(s)")
    names = model.layers[layer].state_names
    if state not in names:
        raise ValueError(f"{type(model).__name__}'s state is {' and '.join(names)}, not {state!r}")
    real = targets[:, position] >= 0
    if not real.any():
        raise ValueError(f"every target at position {position} is padding (-1): choose a position inside the sequences")
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            logits, _, states = model.forward_with_states(idx)
            # summed, not averaged: each name's gradient is that of its own loss
            loss = F.cross_entropy(logits[:, position], targets[:, position], ignore_index=-1, reduction="sum")
            grads = torch.autograd.grad(loss, states[layer][f"{state}_steps"][: position + 1])
    finally:
        model.train(was_training)
    norms = torch.zeros(T, dtype=grads[0].dtype)
    norms[: position + 1] = torch.stack([g[real].norm(dim=1).mean() for g in grads]).detach()
    return norms


def per_step_factor(norms, position: int | None = None) -> float:
    """The factor by which the gradient's norm changes per step *back* from the prediction.

    The geometric mean of ``norms[t] / norms[t + 1]`` over steps 0 .. ``position`` (the
    last non-zero entry by default), that is ``(norms[0] / norms[position]) ** (1 /
    position)``: below 1 the gradient shrinks going back in time (vanishes), above 1 it
    grows (explodes). The one convention for all three recurrent lessons.
    """
    norms = torch.as_tensor(norms, dtype=torch.float64)
    if position is None:
        position = int(norms.nonzero().max())
    if position < 1:
        raise ValueError("a factor per step needs at least two steps")
    return (norms[0] / norms[position]).item() ** (1 / position)
