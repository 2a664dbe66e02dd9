"""nnzero.scratch.window_mlp: the lecture's MLP as plain tensors computes what torch.nn
computes, trains by plain SGD with the step decay it promises, sweeps rates
exponentially, evaluates and samples reproducibly, and refuses bad input in one line."""

import math

import pytest
import torch
import torch.nn.functional as F

from nnzero.scratch import window_mlp as wm
from nnzero.makemore.data import Vocab, WindowDataset


def tiny_data(n=64, vocab=7, context=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (n, context), generator=g), torch.randint(0, vocab, (n,), generator=g)


def copy_of(model):
    return wm.WindowMLP(*(p.detach().clone().requires_grad_() for p in model.parameters()))


class TestInit:
    def test_shapes_and_the_lecture_parameter_count(self):
        model = wm.init_mlp(27, context=3, n_embd=10, n_hidden=200)
        assert [tuple(p.shape) for p in model.parameters()] == [(27, 10), (30, 200), (200,), (200, 27), (27,)]
        assert model.num_parameters() == 11_897
        assert model.context == 3 and model.vocab_size == 27
        assert all(p.requires_grad for p in model.parameters())
        assert "11,897 parameters" in repr(model)

    def test_same_seed_same_model_other_seed_other_model(self):
        a, b, c = wm.init_mlp(5, seed=1), wm.init_mlp(5, seed=1), wm.init_mlp(5, seed=2)
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
        assert not torch.equal(a.W1, c.W1)

    def test_draws_from_the_standard_normal_in_the_lectures_order(self):
        model = wm.init_mlp(27, context=3, n_embd=10, n_hidden=200, seed=7)
        g = torch.Generator().manual_seed(7)
        for p in model.parameters():
            assert torch.equal(p, torch.randn(p.shape, generator=g))
        assert model.W1.mean().abs().item() < 0.05 and model.W1.std().item() == pytest.approx(1.0, abs=0.05)

    @pytest.mark.parametrize("name, value", [("context", 0), ("n_embd", 2.5), ("n_hidden", True), ("vocab_size", -3)])
    def test_bad_sizes_are_refused(self, name, value):
        kwargs = {"vocab_size": 27, name: value}
        with pytest.raises(ValueError, match=f"{name} must be a whole number"):
            wm.init_mlp(**kwargs)

    def test_tensors_that_do_not_fit_are_refused(self):
        model = wm.init_mlp(5, context=2, n_embd=3, n_hidden=4)
        with pytest.raises(ValueError, match="do not fit together"):
            wm.WindowMLP(model.C, model.W1, model.b1, model.W2.T, model.b2)


class TestForward:
    def test_equals_torch_nn_functional_in_float64(self):
        model = wm.init_mlp(7, context=3, n_embd=4, n_hidden=5, seed=3)
        model = wm.WindowMLP(*(p.detach().double() for p in model.parameters()))
        X, _ = tiny_data()
        emb = F.embedding(X, model.C).flatten(1)
        expected = F.linear(torch.tanh(F.linear(emb, model.W1.T, model.b1)), model.W2.T, model.b2)
        torch.testing.assert_close(model(X), expected)

    def test_embedding_lookup_is_a_one_hot_matrix_product(self):
        model = wm.init_mlp(7, context=3, n_embd=4, n_hidden=5, seed=3)
        X, _ = tiny_data()
        one_hot = F.one_hot(X, 7).float()  # (N, 3, 7)
        h = torch.tanh((one_hot @ model.C).view(len(X), -1) @ model.W1 + model.b1)
        torch.testing.assert_close(model(X), h @ model.W2 + model.b2)

    @pytest.mark.parametrize("X", [torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, 3), torch.zeros(3, dtype=torch.long), [[0, 0, 0]]])
    def test_wrong_windows_are_refused(self, X):
        with pytest.raises(ValueError, match=r"LongTensor \(batch, 3\)"):
            wm.init_mlp(7)(X)


class TestTrain:
    def test_each_step_is_plain_sgd_on_a_seeded_minibatch_with_step_decay(self):
        X, Y = tiny_data()
        model = wm.init_mlp(7, context=3, n_embd=4, n_hidden=5, seed=3)
        reference = copy_of(model)
        losses = wm.train(model, X, Y, steps=4, batch_size=8, lr=0.5, decay_at=0.5, decay_factor=0.1, seed=11)

        g = torch.Generator().manual_seed(11)
        for step, rate in enumerate([0.5, 0.5, 0.05, 0.05]):
            ix = torch.randint(0, len(Y), (8,), generator=g)
            loss = F.cross_entropy(reference(X[ix]), Y[ix])
            grads = torch.autograd.grad(loss, reference.parameters())
            with torch.no_grad():
                for p, grad in zip(reference.parameters(), grads):
                    p -= rate * grad
            assert losses[step] == pytest.approx(loss.item())
        for p, q in zip(model.parameters(), reference.parameters()):
            torch.testing.assert_close(p, q)

    def test_learns_a_small_dataset_by_heart(self):
        X, Y = tiny_data(n=32)
        model = wm.init_mlp(7, context=3, n_embd=4, n_hidden=64, seed=0)
        before = wm.evaluate(model, X, Y)
        wm.train(model, X, Y, steps=600, batch_size=32, lr=0.1, seed=0)
        assert wm.evaluate(model, X, Y) < min(0.3, before / 5)

    def test_zero_steps_change_nothing(self):
        X, Y = tiny_data()
        model = wm.init_mlp(7, context=3, n_embd=4, n_hidden=5)
        W1 = model.W1.detach().clone()
        assert wm.train(model, X, Y, steps=0) == []
        assert torch.equal(model.W1, W1)

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"steps": -1}, "steps must be a whole number >= 0"),
            ({"steps": 5, "batch_size": 65}, "at most 64"),
            ({"steps": 5, "batch_size": 0}, "batch_size must be a whole number >= 1"),
            ({"steps": 5, "lr": 0.0}, "lr and decay_factor must be > 0"),
            ({"steps": 5, "decay_at": 1.5}, "decay_at in"),
        ],
    )
    def test_bad_settings_are_refused(self, kwargs, message):
        X, Y = tiny_data()
        with pytest.raises(ValueError, match=message):
            wm.train(wm.init_mlp(7), X, Y, **kwargs)

    def test_windows_of_another_context_are_refused(self):
        X, Y = tiny_data(context=4)
        with pytest.raises(ValueError, match="context=3"):
            wm.train(wm.init_mlp(7, context=3), X, Y, steps=1)
        with pytest.raises(ValueError, match=r"\(N, context\)"):
            wm.train(wm.init_mlp(7, context=4), X, Y[:10], steps=1)


class TestLrSweep:
    def test_rates_climb_exponentially_from_min_to_max(self):
        X, Y = tiny_data()
        lrs, losses = wm.lr_sweep(wm.init_mlp(7), X, Y, lr_min=1e-3, lr_max=1.0, steps=31, batch_size=8)
        assert len(lrs) == len(losses) == 31
        assert lrs[0] == pytest.approx(1e-3) and lrs[-1] == pytest.approx(1.0)
        assert lrs[10] == pytest.approx(1e-2) and lrs[20] == pytest.approx(1e-1)
        ratios = [b / a for a, b in zip(lrs, lrs[1:])]
        assert max(ratios) == pytest.approx(min(ratios))

    def test_each_step_uses_its_own_rate(self):
        X, Y = tiny_data()
        model = wm.init_mlp(7, context=3, n_embd=4, n_hidden=5, seed=1)
        reference = copy_of(model)
        lrs, losses = wm.lr_sweep(model, X, Y, lr_min=0.01, lr_max=1.0, steps=3, batch_size=16, seed=5)
        g = torch.Generator().manual_seed(5)
        for lr, loss in zip([0.01, 0.1, 1.0], losses):
            ix = torch.randint(0, len(Y), (16,), generator=g)
            expected = F.cross_entropy(reference(X[ix]), Y[ix])
            assert loss == pytest.approx(expected.item())
            grads = torch.autograd.grad(expected, reference.parameters())
            with torch.no_grad():
                for p, grad in zip(reference.parameters(), grads):
                    p -= lr * grad
        torch.testing.assert_close(model.W2, reference.W2)

    def test_bad_range_is_refused(self):
        X, Y = tiny_data()
        with pytest.raises(ValueError, match="0 < lr_min < lr_max"):
            wm.lr_sweep(wm.init_mlp(7), X, Y, lr_min=1.0, lr_max=0.1)


class TestEvaluateAndSample:
    def test_evaluate_is_the_mean_cross_entropy_whatever_the_chunk_size(self):
        X, Y = tiny_data(n=100)
        model = wm.init_mlp(7, context=3, n_embd=4, n_hidden=5)
        expected = F.cross_entropy(model(X), Y).item()
        assert wm.evaluate(model, X, Y) == pytest.approx(expected, rel=1e-6)
        assert wm.evaluate(model, X, Y, batch_size=7) == pytest.approx(expected, rel=1e-6)
        with pytest.raises(ValueError, match="at least one example"):
            wm.evaluate(model, X[:0], Y[:0])

    def test_split_losses_names_each_dataset(self):
        vocab = Vocab.from_words(["emma", "ava", "bob"])
        train, val = WindowDataset(["emma", "ava"], vocab, 3), WindowDataset(["bob"], vocab, 3)
        model = wm.init_mlp(len(vocab))
        losses = wm.split_losses(model, {"train": train, "val": val})
        assert list(losses) == ["train", "val"]
        assert losses["val"] == pytest.approx(wm.evaluate(model, val.X, val.Y))

    def test_sampling_is_reproducible_and_follows_the_model(self):
        vocab = Vocab.from_words(["abc"])
        model = wm.init_mlp(len(vocab), context=2, n_embd=3, n_hidden=4, seed=0)
        assert wm.sample(model, vocab, count=5, seed=1) == wm.sample(model, vocab, count=5, seed=1)
        words = wm.sample(model, vocab, count=50, seed=2, max_length=6)
        assert all(set(w) <= set("abc") and len(w) <= 6 for w in words)

        with torch.no_grad():  # make 'b' certain: every word runs to max_length
            model.b2.copy_(torch.tensor([0.0, 0.0, 100.0, 0.0]))
        assert wm.sample(model, vocab, count=2, max_length=4) == ["bbbb", "bbbb"]
        with torch.no_grad():  # make the boundary certain: every word is empty
            model.b2.copy_(torch.tensor([100.0, 0.0, 0.0, 0.0]))
        assert wm.sample(model, vocab, count=3) == ["", "", ""]

    def test_sampling_draws_from_the_softmax(self):
        vocab = Vocab.from_words(["ab"])
        model = wm.init_mlp(len(vocab), context=1, n_embd=2, n_hidden=2, seed=0)
        with torch.no_grad():  # the first token: boundary 1/2, 'a' 1/4, 'b' 1/4 whatever the input
            model.W2.zero_()
            model.b2.copy_(torch.tensor([math.log(2.0), 0.0, 0.0]))
        words = wm.sample(model, vocab, count=4000, seed=0, max_length=1)
        assert words.count("") / 4000 == pytest.approx(0.5, abs=0.03)
        assert words.count("a") / 4000 == pytest.approx(0.25, abs=0.03)
