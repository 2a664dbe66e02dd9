"""The exercise checks of lesson 12: right answers pass, the usual wrong answers fail with
a reason that says what to fix."""

import pytest
import torch

from nnzero.exercises import NOT_ANSWERED
from nnzero.exercises import makemore_zoo as ex
from nnzero.makemore.data import SequenceDataset, Vocab
from nnzero.makemore.models import build_model, default_config
from nnzero.makemore.sample import classify
from nnzero.makemore.training import recommended_train_config
from nnzero.studies.zoo import step_cost


def gru_count(hidden, n_embd=64, vocab=27):
    """The count written out from the shapes, independently of the model's code."""
    return vocab * n_embd + 3 * hidden * n_embd + 3 * hidden * hidden + 2 * 3 * hidden + hidden + hidden * vocab + vocab


class TestGruParams:
    def test_the_zoo_gru_and_a_wider_one_pass(self, said):
        assert ex.check_gru_params(79_835, hidden=128)
        assert ex.check_gru_params(ex.check_gru_params.solution(hidden=100, n_embd=10), hidden=100, n_embd=10)
        assert ex.check_gru_params(gru_count(256))
        assert ex.check_gru_params(float(gru_count(64, n_embd=16)), hidden=64, n_embd=16)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "answer, reason",
        [
            (gru_count(256) - 256, "initial state"),
            (gru_count(256) - 3 * 256, "two bias vectors"),
            (gru_count(256) - 6 * 256, "count the biases"),
            (gru_count(256) - 27, "output layer has a bias"),
            (gru_count(256) - 27 * 64, "embedding table"),
            (gru_count(256) + 256 * (64 + 256) + 2 * 256, "LSTM"),
            (gru_count(256) - 256 * (64 + 256) - 2 * 256, "not 2"),
            (12345, "add up"),
            (None, "… not answered yet"),
            (1.5, "whole number"),
            (True, "whole number"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_gru_params(answer)
        assert reason in said()


@pytest.mark.parametrize("check", [ex.check_gru_params, ex.check_rnn_step_flops, ex.check_new_share])
def test_the_worked_solution_passes_and_the_stub_is_not_answered(said, check):
    answer = check.solution if check is ex.check_new_share else check.solution()
    assert check(answer)
    assert said().startswith("✓ correct")
    assert not check(None)
    assert said() == NOT_ANSWERED


def test_the_new_share_stub_handed_out_is_not_answered(said):
    def new_share(samples, splits):
        raise NotImplementedError("your code here")

    assert not ex.check_new_share(new_share)
    assert said() == NOT_ANSWERED


class TestRnnStepFlops:
    def flops(self, dense, tokens=32 * 12):
        return 6 * dense * tokens

    DENSE = 128 * 64 + 128 * 128 + 27 * 128

    def test_the_count_is_what_torchs_flop_counter_measures(self):
        words = ["abcdefghijk", "bcdefghijkl", "cdefghijklm"]  # 11 letters: every batch has 12 positions
        vocab = Vocab.from_words(words)
        data = SequenceDataset(words, vocab, 16)
        torch.manual_seed(0)
        model = build_model("rnn", default_config("rnn", 27, 16))
        cost = step_cost(model, data, recommended_train_config("rnn"), batches=2)
        assert cost.tokens == 32 * 12
        assert cost.flops == ex.check_rnn_step_flops.solution() == self.flops(self.DENSE)
        assert ex.check_rnn_step_flops(ex.check_rnn_step_flops.solution(batch=8, positions=5, hidden=64), batch=8,
                                       positions=5, hidden=64)

    @pytest.mark.parametrize(
        "answer, reason",
        [
            (2 * DENSE * 384, "forward pass alone"),
            (3 * DENSE * 384, "two FLOPs"),
            (DENSE * 384, "count the FLOPs"),
            (4 * DENSE * 384, "two products per weight matrix"),
            (6 * (DENSE + 27 * 64 + 3 * 128 + 27) * 384, "only the weight matrices multiply"),
            (6 * (DENSE - 128 * 128) * 384, "W_hh"),
            (6 * (DENSE - 27 * 128) * 384, "output layer"),
            (6 * DENSE * 32, "every position"),
            (12345, "section 2"),
            ("many", "give the FLOPs as a number"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_rnn_step_flops(answer)
        assert reason in said()


class TestNewShare:
    def test_a_right_function_passes(self, said):
        assert ex.check_new_share(lambda samples, splits: classify(samples, splits).count("new") / max(1, len(samples)))
        assert said().startswith("✓ correct")
        assert ex.check_new_share.solution(["emma", "x", "x"], ex._cases()[0]) == 2 / 3

    def test_counting_only_training_names_as_known_fails(self, said):
        assert not ex.check_new_share(lambda s, sp: sum(x not in sp.train for x in s) / max(1, len(s)))
        assert "expected 0.4" in said()

    def test_counting_distinct_names_fails_with_the_reason(self, said):
        def distinct(samples, splits):
            known = set(splits.train) | set(splits.val) | set(splits.test)
            return len({s for s in samples if s not in known}) / max(1, len(samples))

        assert not ex.check_new_share(distinct)
        assert "as often as it was drawn" in said()

    def test_a_count_instead_of_a_share_fails_with_the_reason(self, said):
        assert not ex.check_new_share(lambda s, sp: classify(s, sp).count("new"))
        assert "divide the count" in said()

    def test_errors_and_non_numbers_are_reported_not_raised(self, said):
        assert not ex.check_new_share(lambda s, sp: classify(s, sp).count("new") / len(s))  # fails on []
        assert "ZeroDivisionError" in said()
        assert not ex.check_new_share(lambda s, sp: None)
        assert "return a number" in said()
