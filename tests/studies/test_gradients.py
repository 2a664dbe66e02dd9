"""gradient_through_time: checked against a gradient computed another way, and on its corners."""

import pytest
import torch
import torch.nn.functional as F

from nnzero.studies.gradients import gradient_through_time, per_step_factor
from nnzero.makemore.models import ModelConfig, build_model

V, T = 7, 6


def model_and_batch(kind, seed=0, n_layer=1):
    torch.manual_seed(seed)
    model = build_model(kind, ModelConfig(V, T, n_layer=n_layer, n_embd=5, n_embd2=8)).double()
    g = torch.Generator().manual_seed(seed)
    return model, torch.randint(0, V, (3, T), generator=g), torch.randint(0, V, (3, T), generator=g)


@pytest.mark.parametrize("kind, state", [("rnn", "h"), ("lstm", "h"), ("lstm", "c"), ("gru", "h")])
def test_matches_a_perturbation_of_the_state_by_finite_differences(kind, state):
    # Rebuild the gradient w.r.t. h[t] (or c[t]) of one example by central differences: nudge
    # it along each axis inside the recurrence and watch the last step's loss move.
    model, idx, targets = model_and_batch(kind)
    model.eval()
    norms = gradient_through_time(model, idx[:1], targets[:1], state=state)
    state_name = state
    t = 2
    cell = model.layers[0]
    x_projected = cell.project_input(model.embedding(idx[:1]))

    def last_loss(delta):
        state = tuple(s.expand(1, -1) for s in model.initial_state[0])
        for step in range(T):
            if step == t and state_name == "c":
                # the cell state is nudged before h = o * tanh(c) reads it: h depends on c
                state, gates = cell.step(x_projected[:, step], state)
                c = state[1] + delta
                state = (gates["o"] * torch.tanh(c), c)
                continue
            state, _ = cell.step(x_projected[:, step], state)
            if step == t:
                state = (state[0] + delta,) + state[1:]
        return F.cross_entropy(model.head(state[0]), targets[:1, -1])

    eps = 1e-6
    fd = torch.stack([(last_loss(eps * e) - last_loss(-eps * e)) / (2 * eps) for e in torch.eye(8, dtype=torch.double)])
    assert norms[t].item() == pytest.approx(fd.norm().item(), rel=1e-6)


def test_the_last_step_has_the_gradient_of_the_head_and_later_steps_none():
    model, idx, targets = model_and_batch("rnn")
    norms = gradient_through_time(model, idx, targets, position=3)
    assert norms.shape == (T,) and (norms[4:] == 0).all() and (norms[:4] > 0).all()
    h = model.states(idx)[0]["h"][:, 3].detach().requires_grad_()
    per_name = [torch.autograd.grad(F.cross_entropy(model.head(h[b]), targets[b, 3]), h)[0][b] for b in range(3)]
    assert norms[3].item() == pytest.approx(torch.stack(per_name).norm(dim=1).mean().item(), rel=1e-9)


def test_is_per_name_whatever_the_batch():
    # the batch's value is the mean of each name's own; padded names are left out
    model, idx, targets = model_and_batch("gru")
    alone = torch.stack([gradient_through_time(model, idx[b : b + 1], targets[b : b + 1]) for b in range(3)])
    assert torch.allclose(gradient_through_time(model, idx, targets), alone.mean(dim=0), rtol=1e-9)
    padded = targets.clone()
    padded[2, -1] = -1
    assert torch.allclose(gradient_through_time(model, idx, padded), alone[:2].mean(dim=0), rtol=1e-9)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_per_step_states_are_the_model_s_logits_and_states(kind):
    model, idx, _ = model_and_batch(kind, n_layer=2)
    logits, _, states = model.forward_with_states(idx)
    assert torch.allclose(logits, model(idx)[0], atol=1e-12)
    recorded = states[1]
    for name in model.layers[1].state_names:  # h, and the LSTM's c
        kept = recorded[f"{name}_steps"]
        assert len(kept) == T and torch.allclose(torch.stack(kept, dim=1), recorded[name], atol=1e-12)


def test_per_step_factor_is_the_geometric_mean_ratio_going_back():
    norms = torch.tensor([0.125, 0.25, 0.5, 1.0, 0.0])
    assert per_step_factor(norms) == pytest.approx(0.5)
    assert per_step_factor(norms[:4].flip(0)) == pytest.approx(2.0)  # growing going back: exploding
    assert per_step_factor(norms, position=2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="two steps"):
        per_step_factor(torch.tensor([1.0, 0.0]))


def test_an_untrained_rnn_with_small_weights_forgets_geometrically():
    model, idx, targets = model_and_batch("rnn", n_layer=1)
    with torch.no_grad():
        model.layers[0].weight_hh.mul_(0.1)
    norms = gradient_through_time(model, idx, targets)
    assert (norms[:-1] < norms[1:]).all()  # every step further back gets less
    assert norms[0] < 1e-3 * norms[-1]


def test_leaves_the_model_as_it_was():
    model, idx, targets = model_and_batch("lstm")
    model.train()
    gradient_through_time(model, idx, targets)
    assert model.training and all(p.grad is None for p in model.parameters())


def test_clear_errors():
    model, idx, targets = model_and_batch("gru", n_layer=2)
    with pytest.raises(ValueError, match="recurrent model"):
        gradient_through_time(build_model("mlp", ModelConfig(V, T)), idx, targets)
    with pytest.raises(ValueError, match="same shape"):
        gradient_through_time(model, idx, targets[:, :2])
    with pytest.raises(ValueError, match="outside"):
        gradient_through_time(model, idx, targets, position=T)
    with pytest.raises(ValueError, match="layer 2 does not exist"):
        gradient_through_time(model, idx, targets, layer=2)
    with pytest.raises(ValueError, match="not 'c'"):
        gradient_through_time(model, idx, targets, state="c")
    with pytest.raises(ValueError, match="padding"):
        gradient_through_time(model, idx, torch.full_like(targets, -1))
    assert gradient_through_time(model, idx, targets, layer=1).shape == (T,)
