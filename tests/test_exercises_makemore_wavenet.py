"""The exercise checks of lesson 07: every worked solution passes, a stub left as handed
out is "not answered yet", and the usual wrong answers fail with a reason that says what
to fix."""

import inspect

import pytest
import torch
import torch.nn.functional as F

from nnzero.exercises import NOT_ANSWERED, solution
from nnzero.exercises import makemore_wavenet as ex

CHECKS = [ex.check_receptive_field, ex.check_batchnorm_3d, ex.check_causal_conv]


def test_every_check_in_the_module_has_a_worked_solution_that_explains_itself():
    checks = [obj for name, obj in vars(ex).items()
              if name.startswith("check_") and callable(obj) and obj.__module__ == ex.__name__]
    assert {c.__name__ for c in checks} == {c.__name__ for c in CHECKS}
    for check in CHECKS:
        assert inspect.getdoc(check.solution), f"{check.__name__}'s solution explains nothing"
        assert "def " in repr(solution(check))


def stub(*args, **kwargs):
    raise NotImplementedError("your code here")


@pytest.mark.parametrize("check", [ex.check_batchnorm_3d, ex.check_causal_conv], ids=lambda c: c.__name__)
def test_worked_solution_passes_and_stub_is_unanswered(said, check):
    assert check(check.solution)
    assert said().startswith("✓ correct")
    assert not check(stub)
    assert said() == NOT_ANSWERED


class TestReceptiveField:
    @pytest.mark.parametrize("dilations, kernel_size", [((1, 2, 4, 8), 3), ((1, 2, 4, 8), 2), ((1, 2, 4, 4), 2), ((2, 2, 4), 3), ((1, 3, 9), 3)])
    def test_the_worked_solution_passes(self, said, dilations, kernel_size):
        answer = ex.check_receptive_field.solution(dilations, kernel_size)
        assert ex.check_receptive_field(answer, dilations=dilations, kernel_size=kernel_size)
        assert said().startswith("✓ correct")

    def test_the_lesson_question_and_known_values(self):
        assert ex.receptive_field([1, 2, 4, 8], kernel_size=3) == 31
        assert ex.receptive_field([1, 2, 4, 4]) == 12
        assert ex.check_receptive_field(torch.tensor(17), dilations=[2, 2, 4], kernel_size=3)

    @pytest.mark.parametrize(
        "answer, reason",
        [(30, "own position"), (16, "two-tap"), (9, "without dilation"), (64, "addition"), (81, "add up"),
         (45, "not kernel_size × dilation"), (20, "add how far back"), ("31 tokens", "whole number"), (31.5, "whole number")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_receptive_field(answer, dilations=[1, 2, 4, 8], kernel_size=3)
        assert reason in said()

    def test_unanswered(self, said):
        assert not ex.check_receptive_field(None, dilations=[1, 2, 4, 8], kernel_size=3)
        assert said() == NOT_ANSWERED

    def test_powers_of_two_is_named_for_trimmed_dilations(self, said):
        assert not ex.check_receptive_field(16, dilations=[1, 2, 4, 4])
        assert "add up" in said()

    def test_bad_dilations_are_refused(self):
        with pytest.raises(ValueError, match="dilations"):
            ex.check_receptive_field(3, dilations=[])


def normed(x, dims, unbiased=False, eps=1e-5):
    return (x - x.mean(dims, keepdim=True)) / torch.sqrt(x.var(dims, keepdim=True, unbiased=unbiased) + eps)


class TestBatchNorm3d:
    def test_the_solution_is_torchs_batchnorm_on_channels_first(self):
        x = torch.randn(5, 6, 3, dtype=torch.float64)
        torch_bn = torch.nn.BatchNorm1d(3, dtype=torch.float64)(x.transpose(1, 2)).transpose(1, 2)
        assert torch.allclose(ex.batchnorm_3d(x), torch_bn, atol=1e-12)

    def test_torchs_module_on_transposed_input_passes(self, said):
        def with_torch(x):
            return torch.nn.BatchNorm1d(x.size(2), dtype=x.dtype)(x.transpose(1, 2)).transpose(1, 2)

        assert ex.check_batchnorm_3d(with_torch)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "answer, reason",
        [
            (lambda x: normed(x, 0), "the lecture's first BatchNorm"),
            (lambda x: normed(x, 2), "LayerNorm"),
            (lambda x: normed(x, 1), "the batch (dim 0) too"),
            (lambda x: normed(x, (0, 1), unbiased=True), "biased variance"),
            (lambda x: normed(x, (0, 1), eps=0.0), "eps = 1e-5"),
            (lambda x: normed(x, 0, unbiased=True), "dims 0 and 1, and divide by n"),
            (lambda x: x - x.mean((0, 1), keepdim=True), "differs from torch's BatchNorm1d"),
            (lambda x: x.mean((0, 1)), "same shape"),
            (lambda x: 1 / 0, "ZeroDivisionError"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_batchnorm_3d(answer)
        out = said()
        assert out.startswith("✗ not yet") and reason in out


def right_causal_conv(x, weight, dilation):
    return F.conv1d(F.pad(x, ((weight.size(-1) - 1) * dilation, 0)), weight, dilation=dilation)


class TestCausalConv:
    def test_left_padding_passes(self, said):
        assert ex.check_causal_conv(right_causal_conv)
        assert said().startswith("✓ correct")

    def test_padding_both_sides_and_cutting_the_end_passes(self):
        def cut(x, weight, dilation):
            pad = (weight.size(-1) - 1) * dilation
            return F.conv1d(x, weight, dilation=dilation, padding=pad)[..., : x.size(-1)]

        assert ex.check_causal_conv(cut)

    def test_no_padding_is_named(self, said):
        assert not ex.check_causal_conv(lambda x, w, d: F.conv1d(x, w, dilation=d))
        assert "on the left" in said()

    def test_padding_by_dilation_only_is_named_for_three_taps(self, said):
        assert not ex.check_causal_conv(lambda x, w, d: F.conv1d(F.pad(x, (d, 0)), w, dilation=d))
        assert "6 zeros on the left" in said()

    def test_future_padding_is_named(self, said):
        def right_pad(x, weight, dilation):
            return F.conv1d(F.pad(x, (0, (weight.size(-1) - 1) * dilation)), weight, dilation=dilation)

        assert not ex.check_causal_conv(right_pad)
        assert "the future" in said()

    def test_centred_padding_is_named(self, said):
        def same(x, weight, dilation):
            return F.conv1d(x, weight, dilation=dilation, padding=(weight.size(-1) - 1) * dilation // 2)

        assert not ex.check_causal_conv(same)
        assert "centres" in said()

    def test_other_errors_are_reported(self, said):
        assert not ex.check_causal_conv(lambda x, w, d: right_causal_conv(x, w, d) + 1)
        assert "differs" in said()
        assert not ex.check_causal_conv(lambda x, w, d: x)
        assert "(2, 4, 12)" in said()
        assert not ex.check_causal_conv(lambda x, w, d: 1 / 0)
        assert "ZeroDivisionError" in said()
