"""nnzero.scratch.deep_mlp: the plain-tensor layers equal torch.nn's, the builder's
initialisation does what lesson 05 says, training learns, and the diagnostics report
what is there without changing the model."""

import math

import matplotlib
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnzero.scratch import deep_mlp as dm

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

D = torch.float64


def randn(*shape, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=D)


def tiny_data(n=64, vocab=7, context=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (n, context), generator=g), torch.randint(0, vocab, (n,), generator=g)


class TestBatchNorm1d:
    def test_training_mode_equals_torch_outputs_running_stats_and_gradients(self):
        ours, theirs = dm.BatchNorm1d(5, momentum=0.2, dtype=D), nn.BatchNorm1d(5, momentum=0.2, dtype=D)
        ours.gamma, ours.beta = randn(5, seed=1).requires_grad_(), randn(5, seed=2).requires_grad_()
        with torch.no_grad():
            theirs.weight.copy_(ours.gamma)
            theirs.bias.copy_(ours.beta)
        for step in range(3):
            x = (3 * randn(8, 5, seed=10 + step) + 1.5).requires_grad_()
            x2 = x.detach().clone().requires_grad_()
            out, ref = ours(x), theirs(x2)
            torch.testing.assert_close(out, ref)
            torch.testing.assert_close(ours.running_mean, theirs.running_mean)
            torch.testing.assert_close(ours.running_var, theirs.running_var)
            weights = randn(8, 5, seed=20 + step)
            (out * weights).sum().backward()
            (ref * weights).sum().backward()
            torch.testing.assert_close(x.grad, x2.grad)
        torch.testing.assert_close(ours.gamma.grad, theirs.weight.grad)
        torch.testing.assert_close(ours.beta.grad, theirs.bias.grad)

    def test_normalises_with_biased_variance_and_estimates_with_unbiased(self):
        bn = dm.BatchNorm1d(1, eps=0.0, momentum=1.0, dtype=D)
        x = torch.tensor([[1.0], [2.0], [3.0], [6.0]], dtype=D)
        out = bn(x)
        assert out.pow(2).mean().item() == pytest.approx(1.0)  # divided by the biased std
        assert bn.running_var.item() == pytest.approx(x.var(unbiased=True).item())
        assert bn.running_mean.item() == pytest.approx(3.0)

    def test_inference_mode_uses_running_estimates_and_equals_torch(self):
        ours, theirs = dm.BatchNorm1d(4, dtype=D), nn.BatchNorm1d(4, dtype=D)
        for step in range(5):
            x = 2 * randn(16, 4, seed=step) - 1
            ours(x)
            theirs(x)
        ours.training = False
        theirs.eval()
        one = randn(1, 4, seed=99)
        torch.testing.assert_close(ours(one), theirs(one))

    def test_refuses_one_example_in_training_and_wrong_shapes(self):
        bn = dm.BatchNorm1d(3)
        with pytest.raises(ValueError, match="at least 2 examples"):
            bn(torch.randn(1, 3))
        with pytest.raises(ValueError, match=r"\(batch, 3\)"):
            bn(torch.randn(4, 2))


def test_linear_scales_weights_by_fan_in_and_has_optional_bias():
    layer = dm.Linear(400, 300, generator=torch.Generator().manual_seed(0))
    assert layer.weight.std().item() == pytest.approx(1 / 20, rel=0.02)
    assert layer.bias.abs().sum() == 0
    assert dm.Linear(4, 3, bias=False).parameters()[0].shape == (4, 3)
    assert len(dm.Linear(4, 3, bias=False).parameters()) == 1


class TestBuilder:
    def test_layers_and_parameter_count(self):
        model = dm.build_deep_mlp(27, 3, n_embd=10, n_hidden=100, n_layers=5, seed=0)
        kinds = [type(layer).__name__ for layer in model.layers]
        assert kinds == ["Linear", "BatchNorm1d", "Tanh"] * 5 + ["Linear"]
        # C + first Linear (no bias) + 4 more + the BatchNorms + the head with its bias
        expected = 27 * 10 + 30 * 100 + 4 * 100 * 100 + 5 * 2 * 100 + 100 * 27 + 27
        assert model.num_parameters() == expected
        assert [name for name, _ in model.named_parameters()][:5] == ["C", "W1", "gamma1", "beta1", "W2"]
        assert all(p.requires_grad for p in model.parameters())

    def test_without_batchnorm_the_linears_get_biases(self):
        model = dm.build_deep_mlp(27, 3, n_layers=2, batchnorm=False, seed=0)
        assert [type(layer).__name__ for layer in model.layers] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
        assert [name for name, _ in model.named_parameters()] == ["C", "W1", "b1", "W2", "b2", "W3", "b3"]

    def test_kaiming_gain_and_small_output_layer(self):
        model = dm.build_deep_mlp(27, 4, n_embd=25, n_hidden=400, n_layers=2, gain=2.0, last_layer_scale=0.5, seed=0)
        W1, W2, W3 = (p for name, p in model.named_parameters() if name.startswith("W"))
        assert W1.std().item() == pytest.approx(2.0 / math.sqrt(100), rel=0.03)
        assert W2.std().item() == pytest.approx(2.0 / math.sqrt(400), rel=0.03)
        assert W3.std().item() == pytest.approx(0.5 / math.sqrt(400), rel=0.05)

    def test_first_loss_is_near_ln_vocab_size(self):
        model = dm.build_deep_mlp(27, 3, seed=0)
        X, Y = tiny_data(512, vocab=27)
        assert F.cross_entropy(model(X), Y).item() == pytest.approx(math.log(27), abs=0.05)

    def test_same_seed_same_model(self):
        a, b = dm.build_deep_mlp(7, 3, n_layers=2, seed=5), dm.build_deep_mlp(7, 3, n_layers=2, seed=5)
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))

    @pytest.mark.parametrize("kwargs", [dict(n_layers=0), dict(n_hidden=2.5), dict(context=True), dict(gain=0.0)])
    def test_bad_sizes_are_refused(self, kwargs):
        args = dict(vocab_size=7, context=3) | kwargs
        with pytest.raises(ValueError, match="must be"):
            dm.build_deep_mlp(**args)


def test_model_equals_the_same_network_in_torch_nn():
    model = dm.build_deep_mlp(7, 3, n_embd=4, n_hidden=16, n_layers=2, seed=1, dtype=D)
    reference = nn.Sequential(
        nn.Linear(12, 16, bias=False), nn.BatchNorm1d(16), nn.Tanh(),
        nn.Linear(16, 16, bias=False), nn.BatchNorm1d(16), nn.Tanh(),
        nn.Linear(16, 7),
    ).double()
    with torch.no_grad():
        for ours, theirs in zip(model.layers, reference):
            if isinstance(ours, dm.Linear):
                theirs.weight.copy_(ours.weight.T)
                if ours.bias is not None:
                    theirs.bias.copy_(ours.bias)
    X, Y = tiny_data(32)
    C = model.C.detach().clone().requires_grad_()
    F.cross_entropy(model(X), Y).backward()
    F.cross_entropy(reference(C[X].view(32, -1)), Y).backward()
    torch.testing.assert_close(model.C.grad, C.grad)
    torch.testing.assert_close(model.layers[0].weight.grad, reference[0].weight.grad.T)
    torch.testing.assert_close(model.layers[-1].bias.grad, reference[-1].bias.grad)
    model.eval()
    reference.eval()
    torch.testing.assert_close(model(X[:1]), reference(C[X[:1]].view(1, -1)))


def test_model_refuses_bad_input():
    model = dm.build_deep_mlp(7, 3, n_layers=1, seed=0)
    with pytest.raises(ValueError, match=r"LongTensor \(batch, 3\)"):
        model(torch.zeros(4, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="LongTensor"):
        model(torch.zeros(4, 3))


class TestTrain:
    def test_learns_a_small_dataset_by_heart(self):
        X, Y = tiny_data(48)
        model = dm.build_deep_mlp(7, 3, n_embd=8, n_hidden=64, n_layers=2, seed=0)
        before = dm.evaluate(model, X, Y)
        history = dm.train(model, X, Y, steps=400, batch_size=48, lr=0.5, decay_at=1.0)
        assert len(history.loss) == 400 and history.loss[-1] < 0.3 * history.loss[0]
        assert dm.evaluate(model, X, Y) < 0.5 * before

    def test_records_step_decay_and_update_ratios(self):
        X, Y = tiny_data(64)
        model = dm.build_deep_mlp(7, 3, n_layers=2, seed=0)
        history = dm.train(model, X, Y, steps=10, batch_size=8, lr=0.1, decay_at=0.6, ratio_every=3)
        assert history.lr == pytest.approx([0.1] * 6 + [0.01] * 4)
        assert history.ratio_steps == [0, 3, 6, 9]
        assert list(history.update_ratio) == ["C", "W1", "W2", "W3"]
        assert all(len(r) == 4 and all(-6 < x < 1 for x in r) for r in history.update_ratio.values())

    def test_update_ratio_is_the_log_of_the_step_size_over_the_weights(self):
        X, Y = tiny_data(16)
        model = dm.build_deep_mlp(7, 3, n_layers=1, seed=0)
        W1 = model.layers[0].weight
        before = W1.detach().clone()
        history = dm.train(model, X, Y, steps=1, batch_size=16, lr=0.1)
        update = W1.detach() - before
        assert history.update_ratio["W1"][0] == pytest.approx(math.log10(update.std() / before.std()), rel=1e-4)

    def test_same_seed_same_run(self):
        X, Y = tiny_data(64)
        runs = [dm.train(dm.build_deep_mlp(7, 3, n_layers=1, seed=0), X, Y, steps=20, batch_size=8, seed=3).loss for _ in range(2)]
        assert runs[0] == runs[1]

    @pytest.mark.parametrize("kwargs, match", [(dict(steps=-1), "steps"), (dict(steps=5, batch_size=1), "batch_size"), (dict(steps=5, batch_size=1000), "batch_size")])
    def test_bad_settings_are_refused(self, kwargs, match):
        X, Y = tiny_data(64)
        with pytest.raises(ValueError, match=match):
            dm.train(dm.build_deep_mlp(7, 3, n_layers=1, seed=0), X, Y, **kwargs)



def test_evaluate_uses_running_estimates_and_restores_the_mode():
    X, Y = tiny_data(64)
    model = dm.build_deep_mlp(7, 3, n_layers=2, seed=0)
    dm.train(model, X, Y, steps=20, batch_size=16)
    loss = dm.evaluate(model, X, Y, batch_size=10)  # several chunks
    assert all(layer.training for layer in model.layers if isinstance(layer, dm.BatchNorm1d))
    model.eval()
    with torch.no_grad():
        assert loss == pytest.approx(F.cross_entropy(model(X), Y).item(), rel=1e-5)


class TestDiagnostics:
    def test_report_matches_the_tensors_and_changes_nothing(self):
        X, Y = tiny_data(256)
        model = dm.build_deep_mlp(7, 3, n_embd=4, n_hidden=32, n_layers=3, seed=0)
        dm.train(model, X, Y, steps=5, batch_size=32)
        norms = [layer for layer in model.layers if isinstance(layer, dm.BatchNorm1d)]
        before = [(bn.running_mean.clone(), bn.running_var.clone()) for bn in norms]
        report = dm.diagnose(model, X, Y, batch_size=32)

        assert [s.name for s in report.activations] == ["layer 1 (Tanh)", "layer 2 (Tanh)", "layer 3 (Tanh)"]
        last_tanh = [layer for layer in model.layers if isinstance(layer, dm.Tanh)][-1].out.detach()
        assert report.activations[-1].std == pytest.approx(last_tanh.std().item())
        assert report.activations[-1].saturated == pytest.approx((last_tanh.abs() > 0.97).float().mean().item())
        assert len(report.gradients) == 3 and all(s.std > 0 for s in report.gradients)
        assert [s.name for s in report.weight_gradients] == ["C (7, 4)", "W1 (12, 32)", "W2 (32, 32)", "W3 (32, 32)", "W4 (32, 7)"]
        assert all(s.grad_to_data > 0 for s in report.weight_gradients)

        assert all(p.grad is None for p in model.parameters())
        assert model.retain_grads is False
        for bn, (mean, var) in zip(norms, before):
            assert torch.equal(bn.running_mean, mean) and torch.equal(bn.running_var, var)

    def test_saturation_counts_units_beyond_097(self):
        model = dm.build_deep_mlp(7, 3, n_layers=1, seed=0)
        model.layers[2].out = torch.tensor([[0.0, 0.98, -0.99, 0.5]])
        assert dm.activation_stats(model)[0].saturated == pytest.approx(0.5)

    def test_clear_errors_before_a_forward_or_backward_pass(self):
        model = dm.build_deep_mlp(7, 3, n_layers=1, seed=0)
        with pytest.raises(ValueError, match="call model"):
            dm.activation_stats(model)
        X, Y = tiny_data(8)
        model(X)
        with pytest.raises(ValueError, match="retain_grads"):
            dm.gradient_stats(model)
        with pytest.raises(ValueError, match="loss.backward"):
            dm.weight_gradient_stats(model)


def test_plots_are_labelled():
    X, Y = tiny_data(64)
    model = dm.build_deep_mlp(7, 3, n_layers=2, seed=0)
    history = dm.train(model, X, Y, steps=4, batch_size=16)
    report = dm.diagnose(model, X, Y)
    ax = dm.plot_histograms(report.activations, title="activations", xlabel="tanh output")
    assert ax.get_title() == "activations" and ax.get_xlabel() == "tanh output" and ax.get_ylabel() == "density"
    assert [t.get_text() for t in ax.get_legend().get_texts()][0].startswith("layer 1 (Tanh): mean")
    ax = dm.plot_update_ratios(history)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["C", "W1", "W2", "W3", "guide: 10^-3"]
    assert "log10" in ax.get_ylabel() and ax.get_xlabel() == "training step"
    plt.close("all")


def test_plot_legends_sit_outside_the_axes():
    X, Y = tiny_data(64)
    model = dm.build_deep_mlp(7, 3, n_layers=2, seed=0)
    history = dm.train(model, X, Y, steps=4, batch_size=16)
    report = dm.diagnose(model, X, Y)
    for ax in (dm.plot_histograms(report.weight_gradients, title="w", xlabel="gradient"), dm.plot_update_ratios(history)):
        ax.figure.canvas.draw()
        legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert legend.x0 > axes.x1, "the legend must not cover the curves"
    plt.close("all")


def test_sample_draws_words_of_the_vocabulary_and_keeps_the_mode():
    from nnzero.makemore.data import Vocab

    vocab = Vocab.from_words(["abc", "ba"])
    X = torch.tensor([[0, 0, 0], [0, 0, 1], [0, 1, 2], [1, 2, 3], [0, 0, 2], [0, 2, 1]])
    Y = torch.tensor([1, 2, 3, 0, 2, 1])
    model = dm.build_deep_mlp(len(vocab), 3, n_embd=4, n_hidden=32, n_layers=1, seed=0)
    dm.train(model, X, Y, steps=300, batch_size=6, lr=0.5, decay_at=1.0)
    words = dm.sample(model, vocab, count=20, seed=1, max_length=5)
    assert len(words) == 20 and all(set(w) <= set("abc") and len(w) <= 5 for w in words)
    assert words == dm.sample(model, vocab, count=20, seed=1, max_length=5)
    assert words.count("abc") + words.count("ba") >= 15  # the two words it learned
    assert all(layer.training for layer in model.layers if isinstance(layer, dm.BatchNorm1d))
