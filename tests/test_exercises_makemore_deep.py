"""The exercise checks of lessons 05 and 06: right answers pass, the usual wrong answers
fail with a reason that says what to fix."""

import math

import pytest
import torch
import torch.nn.functional as F

from nnzero.exercises import makemore_deep as ex


class TestInitialLoss:
    def test_ln_vocab_size_passes(self, said):
        assert ex.check_initial_loss(math.log(27))
        assert ex.check_initial_loss(torch.tensor(math.log(5)), vocab_size=5)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "answer, reason",
        [(math.log10(27), "natural log"), (1 / 27, "minus its log"), (-math.log(27), "positive"), (math.log(26), "boundary"), (2.0, "1/27"), ("ln 27", "a number")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_initial_loss(answer)
        assert reason in said()


class TestKaimingStd:
    def test_gain_over_sqrt_fan_in_passes(self, said):
        assert ex.check_kaiming_std((5 / 3) / math.sqrt(30), fan_in=30)
        assert ex.check_kaiming_std(math.sqrt(2 / 50), fan_in=50, nonlinearity="relu")
        assert ex.check_kaiming_std(0.1, fan_in=100, nonlinearity="linear")

    @pytest.mark.parametrize(
        "answer, reason",
        [(1 / math.sqrt(30), "gain"), ((5 / 3) / 30, "square root"), ((5 / 3) ** 2 / 30, "variance"), ((5 / 3) * math.sqrt(30), "don't multiply"), (0.2, "gain / sqrt(fan_in)")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_kaiming_std(answer, fan_in=30)
        assert reason in said()

    def test_unknown_nonlinearity_is_refused(self):
        with pytest.raises(ValueError, match="tanh, relu"):
            ex.check_kaiming_std(0.1, nonlinearity="gelu")


def right_fold(linear, bn):
    scale = bn.gamma / torch.sqrt(bn.running_var + bn.eps)
    return linear.weight * scale, (linear.bias - bn.running_mean) * scale + bn.beta


class TestFoldedBatchNorm:
    def test_right_fold_passes(self, said):
        assert ex.check_folded_batchnorm(right_fold)

    def test_forgotten_eps_is_named(self, said):
        def no_eps(linear, bn):
            scale = bn.gamma / bn.running_var.sqrt()
            return linear.weight * scale, (linear.bias - bn.running_mean) * scale + bn.beta

        assert not ex.check_folded_batchnorm(no_eps)
        assert "eps" in said()

    def test_forgotten_linear_bias_is_named(self, said):
        def no_linear_bias(linear, bn):
            weight, _ = right_fold(linear, bn)
            scale = bn.gamma / torch.sqrt(bn.running_var + bn.eps)
            return weight, -bn.running_mean * scale + bn.beta

        assert not ex.check_folded_batchnorm(no_linear_bias)
        assert "the Linear's bias" in said()

    def test_wrong_shapes_and_crashes_are_reported(self, said):
        assert not ex.check_folded_batchnorm(lambda linear, bn: (linear.weight.T, bn.beta))
        assert "shape" in said()
        assert not ex.check_folded_batchnorm(lambda linear, bn: 1 / 0)
        assert "ZeroDivisionError" in said()


class TestLesson05Solutions:
    """Lesson 05's three exercises: the worked solution passes, the stub handed out is
    "not answered yet", and the solution is the check's own right answer."""

    def test_initial_loss(self, said):
        assert ex.check_initial_loss(ex.check_initial_loss.solution(53), vocab_size=53)
        assert said().startswith("✓ correct")
        assert not ex.check_initial_loss(None, vocab_size=53)
        assert said().strip() == "… not answered yet"

    def test_kaiming_std(self, said):
        for fan_in, nonlinearity in ((160, "tanh"), (50, "relu"), (30, "linear")):
            assert ex.check_kaiming_std(ex.check_kaiming_std.solution(fan_in, nonlinearity), fan_in=fan_in, nonlinearity=nonlinearity)
            assert said().startswith("✓ correct")
        assert not ex.check_kaiming_std(None, fan_in=160)
        assert said().strip() == "… not answered yet"

    def test_folded_batchnorm(self, said):
        assert ex.check_folded_batchnorm(ex.check_folded_batchnorm.solution)
        assert said().startswith("✓ correct")

        def stub(linear, bn):
            raise NotImplementedError("your code here")

        assert not ex.check_folded_batchnorm(stub)
        assert said().strip() == "… not answered yet"

    def test_fold_solution_handles_a_linear_without_bias(self):
        from nnzero.scratch.deep_mlp import BatchNorm1d, Linear

        g = torch.Generator().manual_seed(0)
        linear, bn = Linear(4, 3, bias=False, generator=g), BatchNorm1d(3)
        bn(torch.randn(16, 3, generator=g) * 2 + 1)  # running estimates away from (0, 1)
        bn.training = False
        x = torch.randn(5, 4, generator=g)
        weight, bias = ex.check_folded_batchnorm.solution(linear, bn)
        torch.testing.assert_close(x @ weight + bias, bn(linear(x)))


class TestCrossEntropyBackward:
    def test_the_worked_solution_in_one_expression_passes(self, said):
        assert ex.check_cross_entropy_backward(ex.solution_cross_entropy_backward)
        assert ex.check_cross_entropy_backward.solution is ex.solution_cross_entropy_backward

    def test_typical_mistakes_are_explained(self, said):
        def not_averaged(logits, Y):
            d = F.softmax(logits, 1)
            d[range(len(Y)), Y] -= 1
            return d

        assert not ex.check_cross_entropy_backward(not_averaged)
        assert "divide by n" in said()
        assert not ex.check_cross_entropy_backward(lambda logits, Y: F.softmax(logits, 1) / len(Y))
        assert "subtract 1" in said()
        assert not ex.check_cross_entropy_backward(lambda logits, Y: logits[:, :3])
        assert "shape" in said()


class TestLayerNormBackward:
    def test_row_wise_formula_passes(self, said):
        def dx(dout, x_hat, gamma, std_inv):
            d = dout * gamma
            n = d.shape[1]
            return std_inv / n * (n * d - d.sum(1, keepdim=True) - x_hat * (d * x_hat).sum(1, keepdim=True))

        assert ex.check_layernorm_backward(dx)
        assert ex.check_layernorm_backward(ex.solution_layernorm_backward)  # the same, written with means

    def test_batchnorm_formula_fails(self, said):
        def batch_wise(dout, x_hat, gamma, std_inv):
            d = dout * gamma
            n = d.shape[0]
            return std_inv / n * (n * d - d.sum(0) - x_hat * (d * x_hat).sum(0))

        assert not ex.check_layernorm_backward(batch_wise)
        assert "dim 1" in said()


class TestEmbeddingBackward:
    def test_the_worked_solution_with_index_add_passes(self, said):
        assert ex.check_embedding_backward(ex.solution_embedding_backward)

    def test_fancy_index_assignment_is_caught(self, said):
        def dC(demb, X, vocab_size):
            out = torch.zeros(vocab_size, demb.shape[-1], dtype=demb.dtype)
            out[X] += demb
            return out

        assert not ex.check_embedding_backward(dC)
        assert "index_add_" in said()

    def test_other_wrong_answers_fail(self, said):
        assert not ex.check_embedding_backward(lambda demb, X, v: torch.zeros(v, 4))
        assert "differs" in said()


# Lesson 06, section 2 and 6: the backward pass written group by group, then whole.

GROUP_CHECKS = [ex.check_loss_to_logits, ex.check_output_layer, ex.check_tanh, ex.check_batchnorm_steps, ex.check_first_layer, ex.check_embedding_steps, ex.check_whole_backward]


@pytest.mark.parametrize("check", GROUP_CHECKS, ids=lambda c: c.__name__)
def test_worked_solution_passes_and_stub_is_unanswered(said, check):
    assert check(check.solution)
    assert said().startswith("✓ correct")

    def stub(*args):
        raise NotImplementedError("your code here")

    assert not check(stub)
    assert said().strip() == "… not answered yet"


def tamper(check, key, how):
    def answer(*args):
        grads = check.solution(*args)
        grads[key] = how(grads[key])
        return grads

    return answer


@pytest.mark.parametrize(
    "check, key, how, reason",
    [
        (ex.check_loss_to_logits, "counts_sum_inv", lambda d: d.expand(-1, 27).clone(), "shape"),
        (ex.check_loss_to_logits, "probs", lambda d: -d, "sign"),
        (ex.check_output_layer, "W2", lambda d: d.T, "transposed"),
        (ex.check_output_layer, "b2", lambda d: d * 16, "n times too large"),
        (ex.check_tanh, "hpreact", lambda d: d * 2, "dhpreact is wrong"),
        (ex.check_batchnorm_steps, "bndiff", lambda d: d + 1, "used twice"),
        (ex.check_embedding_steps, "C", lambda d: d * 0.5 + 0.1, "index_add_"),
        (ex.check_whole_backward, "W1", lambda d: d * 16, "n times too large"),
        (ex.check_whole_backward, "C", lambda d: d + 1, "index_add_"),
    ],
)
def test_typical_mistakes_name_the_gradient(said, check, key, how, reason):
    assert not check(tamper(check, key, how))
    out = said()
    assert reason in out and "✗ not yet" in out


def test_missing_keys_and_crashes_are_reported(said):
    assert not ex.check_output_layer(lambda dlogits, h, W2: {"h": dlogits @ W2.T})
    assert "dW2 is missing" in said()
    assert not ex.check_tanh(lambda dh, h: 1 / 0)
    assert "ZeroDivisionError" in said()
    assert not ex.check_whole_backward(lambda cache, params: [])
    assert "dict" in said()
