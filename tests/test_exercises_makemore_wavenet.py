"""The exercise checks of lesson 07: right answers pass, the usual wrong answers fail with
a reason that says what to fix."""

import pytest
import torch
import torch.nn.functional as F

from nnzero.exercises import makemore_wavenet as ex


class TestReceptiveField:
    def test_right_answers_pass(self, said):
        assert ex.check_receptive_field(16)
        assert ex.check_receptive_field(12, dilations=[1, 2, 4, 4])
        assert ex.check_receptive_field(torch.tensor(17), dilations=[2, 2, 4], kernel_size=3)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "answer, reason",
        [(15, "own position"), (5, "without dilation"), (64, "addition"), (20, "add how far back"), ("16 tokens", "whole number"), (None, "… not answered yet"), (15.5, "whole number")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_receptive_field(answer)
        assert reason in said()

    def test_powers_of_two_is_named_for_trimmed_dilations(self, said):
        assert not ex.check_receptive_field(16, dilations=[1, 2, 4, 4])
        assert "add up" in said()

    def test_bad_dilations_are_refused(self):
        with pytest.raises(ValueError, match="dilations"):
            ex.check_receptive_field(3, dilations=[])


class TestFusePairs:
    def test_view_passes(self, said):
        assert ex.check_fuse_pairs(lambda x, n: x.view(x.size(0), x.size(1) // n, n * x.size(2)))
        assert said().startswith("✓ correct")

    def test_reshape_of_a_copy_passes(self):
        assert ex.check_fuse_pairs(lambda x, n: x.contiguous().reshape(x.size(0), -1, n * x.size(2)))

    def test_halves_instead_of_neighbours_are_named(self, said):
        def halves(x, n):
            B, T, C = x.shape
            return torch.cat([x[:, : T // 2], x[:, T // 2 :]], dim=2)

        assert not ex.check_fuse_pairs(halves)
        assert "neighbours" in said()

    def test_interleaved_channels_are_named(self, said):
        def interleaved(x, n):
            B, T, C = x.shape
            return x.transpose(1, 2).reshape(B, T // n, n * C)

        assert not ex.check_fuse_pairs(interleaved)
        assert "interleaved" in said()

    def test_hard_coded_two_is_named(self, said):
        assert not ex.check_fuse_pairs(lambda x, n: x.view(x.size(0), x.size(1) // 2, 2 * x.size(2)))
        assert "use n" in said()

    def test_wrong_shape_and_crash_are_reported(self, said):
        assert not ex.check_fuse_pairs(lambda x, n: x)
        assert "(2, 4, 6)" in said()
        assert not ex.check_fuse_pairs(lambda x, n: 1 / 0)
        assert "ZeroDivisionError" in said()


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
