"""Looking inside the recurrent models: how far back in time does the gradient reach?

A recurrent model's prediction at step T depends on every earlier hidden state, through
the chain h[t] -> h[t+1] -> ... -> h[T]. Backpropagation multiplies one Jacobian per link
of that chain, so the gradient that reaches h[t] from the loss at step T can shrink (or
grow) geometrically in T - t. :func:`gradient_through_time` measures exactly that::

    norms = gradient_through_time(model, idx, targets)   # (T,): |d loss[T-1] / d h[t]|
    plt.semilogy(norms)

It works for the three recurrent types (rnn, lstm, gru), which record the per-step
hidden states that their recurrence used (``forward_with_states``).
"""

import torch
import torch.nn.functional as F


def gradient_through_time(model, idx, targets, position: int = -1, layer: int = 0):
    """Mean norm of d(loss at ``position``)/d(h[t]) for every step t, as a (T,) tensor.

    ``idx`` and ``targets`` are (B, T) batches as the model takes them (``SequenceDataset``
    rows, or random tokens); the loss is the cross-entropy of the prediction at
    ``position`` alone (the last step by default), averaged over the batch. Entry t is
    the norm of its gradient with respect to layer ``layer``'s hidden state after step
    t, averaged over the batch: how much the state at step t can still change that one
    prediction. Steps after ``position`` get 0 (the prediction cannot depend on them).

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
    if (targets[:, position] < 0).all():
        raise ValueError(f"every target at position {position} is padding (-1): choose a position inside the sequences")
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            logits, _, states = model.forward_with_states(idx)
            loss = F.cross_entropy(logits[:, position], targets[:, position], ignore_index=-1)
            h_steps = states[layer]["h_steps"][: position + 1]
            grads = torch.autograd.grad(loss, h_steps)
    finally:
        model.train(was_training)
    norms = torch.zeros(T, dtype=grads[0].dtype)
    norms[: position + 1] = torch.stack([g.norm(dim=1).mean() for g in grads]).detach()
    return norms
