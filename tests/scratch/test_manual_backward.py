"""nnzero.scratch.manual_backward: every hand-written gradient equals torch autograd's in
float64, the BatchNorm statistics equal torch.nn.BatchNorm1d's, training with the manual
backward follows autograd's trajectory, and `compare` tells right from wrong."""

import math

import pytest
import torch
import torch.nn.functional as F

from nnzero.scratch.manual_backward import (
    ManualMLP,
    batchnorm_backward,
    compare,
    cross_entropy_backward,
    embedding_backward,
    train_manual,
)

D = torch.float64
V, CONTEXT = 9, 3


def generator(seed):
    return torch.Generator().manual_seed(seed)


def batch(n=24, seed=0):
    g = generator(seed)
    return torch.randint(0, V, (n, CONTEXT), generator=g), torch.randint(0, V, (n,), generator=g)


def perturbed_model(seed=0, dtype=D):
    """A model whose every parameter is away from its tidy initial value (no zero biases,
    no unit gains), so a missing term in a gradient cannot hide."""
    model = ManualMLP(V, CONTEXT, n_embd=5, n_hidden=16, seed=seed, dtype=dtype)
    g = generator(seed + 100)
    for p in model.parameters().values():
        p += 0.3 * torch.randn(p.shape, generator=g, dtype=dtype)
    return model


def autograd_loss(params, X, Y):
    """The same network written with torch's own functions, for autograd to differentiate."""
    embcat = params["C"][X].view(len(X), -1)
    hprebn = embcat @ params["W1"] + params["b1"]
    hpreact = F.batch_norm(hprebn, None, None, params["bngain"], params["bnbias"], training=True, eps=1e-5)
    return F.cross_entropy(torch.tanh(hpreact) @ params["W2"] + params["b2"], Y)


def test_cross_entropy_backward_equals_autograd():
    logits = torch.randn(13, V, generator=generator(1), dtype=D, requires_grad=True)
    Y = torch.tensor([0, 1, 1, 1, 8, 3, 3, 0, 2, 2, 7, 7, 7])
    F.cross_entropy(logits, Y).backward()
    torch.testing.assert_close(cross_entropy_backward(logits.detach(), Y), logits.grad, rtol=0, atol=1e-15)


def test_batchnorm_backward_equals_autograd():
    g = generator(2)
    x = (3 * torch.randn(10, 6, generator=g, dtype=D) + 2).requires_grad_()
    gamma = torch.randn(6, generator=g, dtype=D)
    dout = torch.randn(10, 6, generator=g, dtype=D)
    out = F.batch_norm(x, None, None, gamma, None, training=True, eps=1e-5)
    (out * dout).sum().backward()
    var_inv = (x.detach().var(0, unbiased=False) + 1e-5) ** -0.5
    x_hat = (x.detach() - x.detach().mean(0)) * var_inv
    torch.testing.assert_close(batchnorm_backward(dout, x_hat, gamma, var_inv), x.grad, rtol=1e-12, atol=1e-14)


def test_embedding_backward_adds_up_repeated_tokens():
    C = torch.randn(V, 4, generator=generator(3), dtype=D, requires_grad=True)
    X = torch.tensor([[0, 0, 5], [5, 5, 5], [1, 0, 8]])  # repeats within and across rows
    demb = torch.randn(3, 3, 4, generator=generator(4), dtype=D)
    (C[X] * demb).sum().backward()
    dC = embedding_backward(demb, X, V)
    torch.testing.assert_close(dC, C.grad, rtol=0, atol=1e-15)
    assert dC[5].abs().sum() > 0 and dC[2].abs().sum() == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_parameter_gradient_equals_autograd_in_float64(seed):
    model = perturbed_model(seed)
    X, Y = batch(seed=seed)
    loss = model.forward(X, Y)
    grads = model.backward()
    params = {name: p.clone().requires_grad_() for name, p in model.parameters().items()}
    reference = autograd_loss(params, X, Y)
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    assert list(grads) == list(ManualMLP.NAMES)
    for name, p in params.items():
        torch.testing.assert_close(grads[name], p.grad, rtol=1e-9, atol=1e-12, msg=f"gradient of {name}")


def test_float32_gradients_agree_within_rounding():
    model = perturbed_model(0, dtype=torch.float32)
    X, Y = batch()
    model.forward(X, Y)
    grads = model.backward()
    params = {name: p.clone().requires_grad_() for name, p in model.parameters().items()}
    autograd_loss(params, X, Y).backward()
    for name, p in params.items():
        assert torch.allclose(grads[name], p.grad, atol=1e-6), name


def test_running_estimates_equal_torch_batchnorm():
    model = perturbed_model(0)
    bn = torch.nn.BatchNorm1d(16, momentum=model.momentum, dtype=D)
    for step in range(4):
        X, Y = batch(seed=step)
        model.forward(X, Y)
        bn(model.C[X].view(len(X), -1) @ model.W1 + model.b1)
    torch.testing.assert_close(model.running_mean, bn.running_mean)
    torch.testing.assert_close(model.running_var, bn.running_var)


def test_inference_uses_running_estimates_and_keeps_nothing():
    model = perturbed_model(0)
    X, Y = batch()
    model.forward(X, Y)
    mean, var = model.running_mean.clone(), model.running_var.clone()
    one = model.forward(X[:1], Y[:1], training=False)
    assert torch.equal(mean, model.running_mean) and torch.equal(var, model.running_var)
    hpreact = model.bngain * (model.C[X[:1]].view(1, -1) @ model.W1 + model.b1 - mean) / torch.sqrt(var + 1e-5) + model.bnbias
    assert one.item() == pytest.approx(F.cross_entropy(torch.tanh(hpreact) @ model.W2 + model.b2, Y[:1]).item())
    with pytest.raises(ValueError, match="training-mode forward"):
        model.backward()
    assert model.evaluate(X, Y, batch_size=5) == pytest.approx(model.forward(X, Y, training=False).item())


def test_training_with_the_manual_backward_follows_autograd_sgd():
    model = perturbed_model(0)
    params = {name: p.clone().requires_grad_() for name, p in model.parameters().items()}
    X, Y = batch(200, seed=7)
    losses = train_manual(model, X, Y, steps=6, batch_size=20, lr=0.3, decay_at=0.5, seed=11)

    g = generator(11)
    for step in range(6):
        ix = torch.randint(0, len(Y), (20,), generator=g)
        loss = autograd_loss(params, X[ix], Y[ix])
        for p in params.values():
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params.values():
                p -= (0.3 if step < 3 else 0.03) * p.grad
        assert losses[step] == pytest.approx(loss.item(), rel=1e-10)
    for name, p in params.items():
        torch.testing.assert_close(model.parameters()[name], p.detach(), rtol=1e-9, atol=1e-12)


def test_training_learns_and_never_touches_autograd():
    model = ManualMLP(V, CONTEXT, n_embd=6, n_hidden=32, seed=0)
    X, Y = batch(64, seed=1)
    before = model.evaluate(X, Y)
    assert before == pytest.approx(math.log(V), abs=0.1)
    losses = train_manual(model, X, Y, steps=300, batch_size=64, lr=0.5, decay_at=1.0)
    assert losses[-1] < 0.5 * losses[0]
    assert not any(p.requires_grad for p in model.parameters().values())


@pytest.mark.parametrize("kwargs, match", [(dict(steps=-2), "steps"), (dict(steps=3, batch_size=1), "batch_size")])
def test_bad_training_settings_are_refused(kwargs, match):
    X, Y = batch()
    with pytest.raises(ValueError, match=match):
        train_manual(ManualMLP(V, CONTEXT, seed=0), X, Y, **kwargs)


def test_bad_model_sizes_and_inputs_are_refused():
    with pytest.raises(ValueError, match="n_hidden"):
        ManualMLP(V, CONTEXT, n_hidden=0)
    with pytest.raises(ValueError, match=r"LongTensor \(batch, 3\)"):
        ManualMLP(V, CONTEXT, seed=0).forward(torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="at least 2 examples"):
        ManualMLP(V, CONTEXT, seed=0).forward(*batch(1))


class TestCompare:
    def test_exact_approx_and_wrong(self, capsys):
        t = torch.linspace(-1, 1, 12, dtype=torch.float32).view(3, 4)
        assert compare("same", t.clone(), t) == "exact"
        assert compare("rounded", t + 1e-9, t) in ("exact", "approx")
        assert compare("close", t * (1 + 1e-7), t) == "approx"
        assert compare("wrong", t * 2, t) == "wrong"
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split() == ["same", "exact:", "True", "approx:", "True", "max", "diff:", "0.0e+00"]
        assert lines[3].split()[:5] == ["wrong", "exact:", "False", "approx:", "False"]
        assert lines[3].endswith("max diff: 1.0e+00")

    def test_wrong_shape_is_a_wrong_answer(self, capsys):
        assert compare("dW", torch.zeros(3, 4), torch.zeros(4, 3)) == "wrong"
        assert "wrong shape: (3, 4), autograd's is (4, 3)" in capsys.readouterr().out

    def test_takes_the_tensor_itself_and_uses_its_grad(self, capsys):
        x = torch.randn(5, requires_grad=True)
        y = (x * 3).exp()
        y.retain_grad()
        y.sum().backward()
        assert compare("dy", torch.ones(5), y) == "exact"
        z = x * 2
        with pytest.raises(ValueError, match="retain_grad"):
            compare("dz", torch.ones(5), z)

    def test_refuses_non_tensors(self):
        with pytest.raises(ValueError, match="must be a tensor"):
            compare("d", [1.0], torch.ones(1))
        with pytest.raises(ValueError, match="reference must be a tensor"):
            compare("d", torch.ones(1), None)
