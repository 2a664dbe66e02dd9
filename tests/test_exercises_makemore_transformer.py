"""The exercise checks of lesson 11: every worked solution passes, the stub the lesson hands
out is "not answered yet", and the usual wrong answers fail with a reason that says what
to fix, never with the answer."""

import math
import re

import pytest
import torch

from nnzero.exercises import NOT_ANSWERED
from nnzero.exercises import makemore_transformer as ex
from nnzero.makemore.models import ModelConfig, build_model


def distance(T):
    """distance[t, s] = t - s."""
    t = torch.arange(T, dtype=torch.float64)
    return t.view(-1, 1) - t.view(1, -1)


def stub(*args):
    raise NotImplementedError("your code here")


class TestRecencyScores:
    def test_the_solution_passes(self, said):
        assert ex.check_recency_scores(ex.recency_scores_solution)
        assert said().startswith("✓ correct")

    def test_a_constant_per_row_changes_nothing(self):
        assert ex.check_recency_scores(lambda T: ex.recency_scores_solution(T) + torch.arange(T).view(-1, 1) * 3.0)

    def test_the_weights_are_the_ones_asked_for(self):
        weights = ex.recency_scores_solution(5).softmax(dim=-1)
        assert weights[4, 3] / weights[4, 4] == pytest.approx(0.5)
        assert weights[4, 0] / weights[4, 1] == pytest.approx(0.5)
        assert torch.equal(weights.triu(1), torch.zeros(5, 5))

    @pytest.mark.parametrize(
        "fn, reason",
        [
            (lambda T: ex.recency_scores_solution(T).softmax(dim=-1), "weights themselves"),
            (lambda T: -math.log(2) * distance(T).abs(), "future"),
            (lambda T: (math.log(2) * distance(T)).masked_fill(distance(T) < 0, -math.inf), "older positions"),
            (lambda T: ex.recency_scores_solution(T) / math.log(2), "multiplied by 0.368"),
            (lambda T: torch.full((T, T), math.nan), "nan"),
            (lambda T: torch.zeros(T, T + 1), "shape"),
            (lambda T: 1 / 0, "ZeroDivisionError"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, fn, reason):
        assert not ex.check_recency_scores(fn)
        assert reason in said()


class TestInitScoreStd:
    def test_the_solution_passes(self, said):
        assert ex.check_init_score_std(ex.init_score_std_solution())
        assert said().startswith("✓ correct")

    def test_a_measurement_on_a_fresh_model_passes(self):
        torch.manual_seed(0)
        model = build_model("transformer", ModelConfig(vocab_size=27, block_size=16, n_layer=4, n_head=4, n_embd=64, dropout=0.1))
        attn = model.blocks[0].attn
        with torch.no_grad():
            x = model.blocks[0].ln_1(torch.randn(256, 16, 64))
            q, k, _ = (t.view(256, 16, 4, 16).transpose(1, 2) for t in attn.qkv(x).split(64, dim=2))
            measured = ((q @ k.transpose(-2, -1)) / 4).std().item()
        assert ex.check_init_score_std(measured)

    @pytest.mark.parametrize(
        "answer, reason",
        [(0.16, "one entry of q"), (0.1024, "before dividing"), (0.0256**2, "variance"), (0.02, "weights' standard deviation"),
         (1.0, "much smaller"), (0.05, "find var(q_j)"), ("small", "as a number"), (None, NOT_ANSWERED)],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_init_score_std(answer)
        assert reason in said()


class TestModelParameters:
    @pytest.mark.parametrize("n_layer, n_embd, n_head", [(6, 48, 6), (4, 64, 4), (2, 32, 1)])
    def test_the_solution_is_the_package_models_count(self, said, n_layer, n_embd, n_head):
        model = build_model("transformer", ModelConfig(vocab_size=27, block_size=16, n_layer=n_layer, n_embd=n_embd, n_head=n_head))
        count = ex.model_parameters_solution(n_layer, n_embd, 27, 16)
        assert count == model.num_parameters()
        assert ex.check_model_parameters(count, n_layer=n_layer, n_embd=n_embd, vocab_size=27, block_size=16)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "mistake, reason",
        [
            (-16 * 48, "position embedding"),
            (-2 * 48, "final LayerNorm"),
            (+27, "no bias"),
            (-5 * (12 * 48 * 48 + 13 * 48), "6 blocks"),
            (-6 * 13 * 48, "weight matrices only"),
            (-6 * 4 * 48, "two LayerNorms"),
            (-6 * (48 * 48 + 48), "output projection"),
            (+1, "list the embeddings"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, mistake, reason):
        assert not ex.check_model_parameters(ex.model_parameters_solution() + mistake)
        assert reason in said()

    def test_a_fraction_or_no_answer_is_not_a_count(self, said):
        assert not ex.check_model_parameters(1000.5)
        assert "whole number" in said()
        assert not ex.check_model_parameters(None)
        assert said() == NOT_ANSWERED


class TestPackedMask:
    def test_the_solution_passes(self, said):
        assert ex.check_packed_mask(ex.packed_mask_solution)
        assert said().startswith("✓ correct")

    def test_zeros_and_ones_pass_too(self):
        assert ex.check_packed_mask(lambda segment: ex.packed_mask_solution(segment).long())

    def test_the_mask_keeps_each_name_to_itself_and_its_past(self):
        mask = ex.packed_mask_solution(torch.tensor([0, 0, 1, 1, 1]))
        expected = torch.tensor([[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 1, 1, 1]]).bool()
        assert torch.equal(mask, expected)

    @pytest.mark.parametrize(
        "fn, reason",
        [
            (lambda s: torch.ones(len(s), len(s), dtype=torch.bool).tril(), "causal mask alone"),
            (lambda s: s.view(-1, 1) == s.view(1, -1), "its future included"),
            (lambda s: ex.packed_mask_solution(s).T, "transposed or inverted"),
            (lambda s: ~ex.packed_mask_solution(s), "transposed or inverted"),
            (lambda s: ex.packed_mask_solution(s).float() * 2, "boolean tensor"),
            (lambda s: ex.packed_mask_solution(s)[:-1], "shape"),
            (lambda s: ex.packed_mask_solution(s) & (torch.arange(len(s)) > 0), "entries are wrong"),
            (lambda s: s.view(2, -1), "RuntimeError"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, fn, reason):
        assert not ex.check_packed_mask(fn)
        assert reason in said()


@pytest.mark.parametrize("check", [ex.check_recency_scores, ex.check_packed_mask])
def test_a_function_stub_is_not_answered_yet_and_nothing_else(said, check):
    assert not check(stub)
    assert said() == NOT_ANSWERED


def test_no_check_prints_the_right_answer(said):
    ex.check_init_score_std(0.05)
    ex.check_init_score_std(0.16)
    ex.check_model_parameters(1000)
    ex.check_model_parameters(ex.model_parameters_solution() - 96)
    printed = said()
    assert "0.0256" not in printed and f"{ex.model_parameters_solution():,}" not in printed
    assert str(ex.model_parameters_solution()) not in printed
