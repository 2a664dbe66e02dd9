"""The exercise checks of lesson 11: right answers pass, the usual wrong answers fail with
a reason that says what to fix."""

import math

import pytest
import torch
import torch.nn.functional as F

from nnzero.exercises import makemore_transformer as ex
from nnzero.makemore.models import ModelConfig
from nnzero.makemore.models.transformer import Block


class TestRunningMean:
    def test_triangular_matrix_passes(self, said):
        def average_past(x):
            T = x.shape[1]
            tril = torch.ones(T, T, dtype=x.dtype).tril()
            return (tril / tril.sum(1, keepdim=True)) @ x

        assert ex.check_running_mean(average_past)
        assert said().startswith("✓ correct")

    def test_masked_softmax_passes(self):
        def average_past(x):
            T = x.shape[1]
            scores = torch.zeros(T, T, dtype=x.dtype).masked_fill(torch.ones(T, T).triu(1).bool(), float("-inf"))
            return scores.softmax(-1) @ x

        assert ex.check_running_mean(average_past)

    @pytest.mark.parametrize(
        "fn, reason",
        [
            (lambda x: x.cumsum(1), "running sum"),
            (lambda x: x.flip(1).cumsum(1).flip(1) / torch.arange(x.shape[1], 0, -1, dtype=x.dtype).view(1, -1, 1), "future"),
            (lambda x: x.mean(1, keepdim=True).expand_as(x), "whole sequence"),
            (lambda x: x[:, :3], "shape"),
            (lambda x: 1 / 0, "ZeroDivisionError"),
            (lambda x: 2 * x, "differs"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, fn, reason):
        assert not ex.check_running_mean(fn)
        assert reason in said()


class TestScoreStd:
    def test_sqrt_head_size_passes(self, said):
        assert ex.check_score_std(math.sqrt(32))
        assert ex.check_score_std(4.0, head_size=16)
        assert said().startswith("✓ correct")

    def test_the_answer_is_what_sampling_gives(self):
        g = torch.Generator().manual_seed(0)
        q, k = torch.randn(2, 200_000, 32, generator=g)
        measured = (q * k).sum(-1).std().item()
        assert abs(measured - math.sqrt(32)) < 0.05

    @pytest.mark.parametrize("answer, reason", [(32, "variance"), (1.0, "AFTER"), (1 / math.sqrt(32), "grows"), (3.0, "add up"), (None, "… not answered yet")])
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_score_std(answer)
        assert reason in said()


class TestBlockParameters:
    @pytest.mark.parametrize("n_embd", [64, 48, 32])
    def test_the_package_block_count_passes(self, n_embd):
        block = Block(ModelConfig(vocab_size=27, block_size=16, n_embd=n_embd, n_head=4))
        assert ex.check_block_parameters(sum(p.numel() for p in block.parameters()), n_embd=n_embd)

    @pytest.mark.parametrize(
        "answer, reason",
        [(12 * 64 * 64, "biases"), (49_984 - 256, "LayerNorms"), (49_984 - 64 * 64 - 64, "output projection"), (49_984 - 6 * 64 * 64 - 3 * 64, "4 x n_embd"), (1000, "every Linear"), ("many", "whole number")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_block_parameters(answer, n_embd=64)
        assert reason in said()


def _attention(scale=True, mask="lower", dim=-1):
    def attend(q, k, v):
        hs, T = q.shape[-1], q.shape[-2]
        scores = q @ k.transpose(-2, -1) / (math.sqrt(hs) if scale else 1)
        keep = torch.ones(T, T, dtype=torch.bool).tril()
        if mask == "upper":
            keep = keep.T
        if mask is not None:
            scores = scores.masked_fill(~keep, float("-inf"))
        return scores.softmax(dim=dim) @ v

    return attend


class TestCausalAttention:
    def test_correct_head_passes(self, said):
        assert ex.check_causal_attention(_attention())
        assert ex.check_causal_attention(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True))
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "attend, reason",
        [
            (_attention(scale=False), "sqrt(head_size) before"),
            (_attention(mask=None), "mask the future"),
            (_attention(mask="upper"), "upside down"),
            (_attention(dim=-2), "last dimension"),
            (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1 / q.shape[-1]), "SQUARE ROOT"),
            (lambda q, k, v: v[:, :, :2], "shape"),
            (lambda q, k, v: q @ k, "RuntimeError"),
            (lambda q, k, v: v, "differs"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, attend, reason):
        assert not ex.check_causal_attention(attend)
        assert reason in said()
