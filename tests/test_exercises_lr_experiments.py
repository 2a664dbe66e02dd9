"""The exercise checks of lesson 14: right answers pass, the usual wrong answers fail with
a reason that says what to fix."""

import math
import statistics

import pytest
import torch

from nnzero.exercises import lr_experiments as ex
from nnzero.lr import lr_range_test
from nnzero.makemore.data import SequenceDataset, Vocab
from nnzero.makemore.models import ModelConfig, build_model


def right_smoothed(losses, beta):
    average, out = 0.0, []
    for i, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** (i + 1)))
    return out


def raw_average(losses, beta):
    average, out = 0.0, []
    for loss in losses:
        average = beta * average + (1 - beta) * loss
        out.append(average)
    return out


def first_loss_then_raw(losses, beta):
    return [losses[0]] + raw_average(losses, beta)[1:]


def not_written(losses, beta):
    raise NotImplementedError("your code here")


def crashes(losses, beta):
    return losses[1000]


class TestSmoothedLosses:
    def test_the_bias_corrected_average_passes(self, said):
        assert ex.check_smoothed_losses(right_smoothed)
        assert said().startswith("✓ correct")

    def test_it_is_what_the_range_test_plots(self):
        words = "emma olivia ava isabella sophia mia amelia harper evelyn abigail".split()
        vocab = Vocab.from_words(words)
        data = SequenceDataset(words, vocab, max(map(len, words)) + 1)
        torch.manual_seed(0)
        model = build_model("transformer", ModelConfig(len(vocab), data.X.shape[1], n_layer=1, n_head=2, n_embd=8))
        result = lr_range_test(model, data, steps=20, batch_size=4, smooth=0.9, end_lr=1e-2)
        assert right_smoothed(result.losses, 0.9) == pytest.approx(result.smoothed, rel=1e-12)

    @pytest.mark.parametrize(
        "answer, reason",
        [
            (raw_average, "without its bias correction"),
            (lambda losses, beta: right_smoothed(losses, 1 - beta), "not the other way round"),
            (lambda losses, beta: right_smoothed(losses, beta)[:-1], "one smoothed value per loss"),
            (lambda losses, beta: right_smoothed(losses, beta)[:5] + [0.0] * (len(losses) - 5), "value 5 is 0.000000, too low"),
            (not_written, "… not answered yet"),
            (crashes, "IndexError"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_smoothed_losses(answer)
        assert reason in said()


A = [2.101, 2.102, 2.099]
B = [2.090, 2.085, 2.092]


class TestWelchT:
    def test_welch_t_passes(self, said):
        t = (statistics.fmean(A) - statistics.fmean(B)) / math.sqrt(statistics.variance(A) / 3 + statistics.variance(B) / 3)
        assert ex.check_welch_t(t, A, B)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "make, reason",
        [
            (lambda d, va, vb: -d / math.sqrt(va / 3 + vb / 3), "the sign"),
            (lambda d, va, vb: d / math.sqrt(va * 2 / 3 / 3 + vb * 2 / 3 / 3), "sample variances"),
            (lambda d, va, vb: d / math.sqrt(va + vb), "divide each variance"),
            (lambda d, va, vb: d / (math.sqrt(va) + math.sqrt(vb)), "quadrature"),
            (lambda d, va, vb: 1.0, "is not it"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, make, reason):
        d = statistics.fmean(A) - statistics.fmean(B)
        assert not ex.check_welch_t(make(d, statistics.variance(A), statistics.variance(B)), A, B)
        assert reason in said()

    def test_a_word_is_not_a_number(self, said):
        assert not ex.check_welch_t("big", A, B)
        assert "a number" in said()

    def test_one_seed_is_refused(self):
        with pytest.raises(ValueError, match="at least 2"):
            ex.check_welch_t(1.0, [2.1], B)


def test_the_worked_solutions_pass_and_match_the_package(said):
    from nnzero.studies.stats import welch_t

    a, b = [2.10, 2.05, 2.15], [2.08, 2.04, 2.12]
    assert ex.welch_t(a, b) == pytest.approx(welch_t(a, b).t)
    assert ex.check_welch_t(ex.welch_t(a, b), a, b) and ex.check_smoothed_losses(ex.smoothed_losses)


def test_every_check_shows_a_worked_solution():
    from nnzero.exercises import solution

    for check in (ex.check_smoothed_losses, ex.check_welch_t):
        assert "def " in repr(solution(check))
