"""The exercise checks of lesson 09 (the LSTM): right answers pass, the usual wrong answers
fail with a reason that says what to fix."""

import math

import pytest
import torch

from nnzero.exercises import makemore_lstm as ex


class TestParameterCount:
    def test_four_blocks_with_two_biases_pass(self, said):
        assert ex.check_lstm_parameter_count(99_328)
        assert ex.check_lstm_parameter_count(sum(p.numel() for p in torch.nn.LSTMCell(10, 7).parameters()), 10, 7)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "answer, reason",
        [
            (24_832, "plain RNN"),
            (74_496, "GRU"),
            (98_816, "two bias vectors"),
            (98_304, "count the biases"),
            (33_792, "W_hh"),
            (67_584, "W_ih"),
            (12345, "is not it"),
            ("many", "whole number"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_lstm_parameter_count(answer)
        assert reason in said()


class TestMemoryLeft:
    def test_power_of_the_forget_gate_passes(self, said):
        assert ex.check_memory_left(0.731**10)
        assert ex.check_memory_left(0.5**3, forget=0.5, steps=3)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "answer, reason",
        [(7.31, "multiply"), (0.269**10, "keeps"), (0.731, "one step"), (math.exp(-7.31), "no exponential"), (0.5, "apply that 10 times"), (None, "… not answered yet")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_memory_left(answer)
        assert reason in said()


def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh, order="ifgo", input_gate=True, forget="f", squash=True, biases=True):
    gates = x @ W_ih.T + h @ W_hh.T + ((b_ih + b_hh) if biases else 0)
    blocks = dict(zip(order, gates.chunk(4, dim=1)))
    i, f, g, o = blocks["i"].sigmoid(), blocks["f"].sigmoid(), blocks["g"].tanh(), blocks["o"].sigmoid()
    keep = {"f": f, "1-f": 1 - f, "none": 1}[forget]
    c = keep * c + (i * g if input_gate else g)
    return o * (c.tanh() if squash else c), c


class TestLSTMStep:
    def test_right_step_passes(self, said):
        assert ex.check_lstm_step(lstm_step)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "options, reason",
        [
            (dict(order="ifog"), "i, f, g, o"),
            (dict(order="figo"), "input gate first"),
            (dict(input_gate=False), "input gate scales"),
            (dict(forget="1-f"), "not (1 - f)"),
            (dict(forget="none"), "forget gate scales"),
            (dict(biases=False), "both biases"),
            (dict(squash=False), "h = o * tanh(c)"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, options, reason):
        assert not ex.check_lstm_step(lambda *args: lstm_step(*args, **options))
        assert reason in said()

    def test_wrong_shapes_and_errors_are_reported_not_raised(self, said):
        assert not ex.check_lstm_step(lambda x, h, c, *w: (h[0], c[0]))
        assert "shape" in said()
        assert not ex.check_lstm_step(lambda *args: 1 / 0)
        assert "ZeroDivisionError" in said()

    def test_the_check_leaves_torchs_generator_alone(self):
        torch.manual_seed(0)
        expected = torch.rand(3)
        torch.manual_seed(0)
        ex.check_lstm_step(lstm_step)
        assert torch.equal(torch.rand(3), expected)


class TestWorkedSolutions:
    """Lesson 09's exercises: each worked solution passes its check, the stub the lesson
    hands out gets "not answered yet" and nothing else. (That every check the lesson calls has
    a worked solution the lesson points to: test_exercises_common.py, for every lesson.)"""

    @pytest.mark.parametrize("check, answer, args", [
        (ex.check_lstm_parameter_count, lambda: ex.lstm_parameter_count_solution(32, 256), (32, 256)),
        (ex.check_memory_left, lambda: ex.memory_left_solution(0.731, 10), (0.731, 10)),
        (ex.check_lstm_step, lambda: ex.lstm_step_solution, ()),
    ])
    def test_the_solution_passes(self, said, check, answer, args):
        assert check(answer(), *args)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize("check, args", [
        (ex.check_lstm_parameter_count, (32, 256)), (ex.check_memory_left, (0.731, 10)), (ex.check_lstm_step, ()),
    ])
    def test_the_stub_is_not_answered_yet(self, said, check, args):
        assert not check(None, *args)
        assert said() == "… not answered yet"
