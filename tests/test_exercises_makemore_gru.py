"""The exercise checks of lesson 10: right answers pass, the usual wrong answers fail
with a reason that says what to fix."""

import pytest
import torch

from nnzero.exercises import makemore_gru as ex
from nnzero.makemore.models import GRUCell


def right_step(x, h, W_ih, W_hh, b_ih, b_hh):
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def reset_first(x, h, W_ih, W_hh, b_ih, b_hh):
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, _ = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + (r * h) @ W_hh.chunk(3)[2].T + b_hh.chunk(3)[2])
    return (1 - z) * n + z * h


def bias_outside(x, h, W_ih, W_hh, b_ih, b_hh):
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, _ = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * (h @ W_hh.chunk(3)[2].T) + b_hh.chunk(3)[2])
    return (1 - z) * n + z * h


def swapped(x, h, *weights):
    x_r, x_z, x_n = (x @ weights[0].T + weights[2]).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ weights[1].T + weights[3]).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return z * n + (1 - z) * h


def gates_in_wrong_order(x, h, W_ih, W_hh, b_ih, b_hh):
    x_z, x_r, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_z, h_r, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


class TestGRUStep:
    def test_right_step_passes(self, said):
        assert ex.check_gru_step(right_step)
        assert said().startswith("✓ correct")

    def test_the_package_cell_passes(self, said):
        # the lesson's claim: the package's GRUCell computes what torch's does
        def package_step(x, h, W_ih, W_hh, b_ih, b_hh):
            cell = GRUCell(W_ih.size(1), W_hh.size(1)).double()
            with torch.no_grad():
                for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (W_ih, W_hh, b_ih, b_hh)):
                    getattr(cell, name).copy_(value)
                return cell(x, h)

        assert ex.check_gru_step(package_step)

    @pytest.mark.parametrize(
        "step, reason",
        [(reset_first, "before the product"), (bias_outside, "b_hn belongs inside"), (swapped, "swapped"), (gates_in_wrong_order, "gate order")],
    )
    def test_typical_mistakes_are_explained(self, said, step, reason):
        assert not ex.check_gru_step(step)
        assert reason in said()

    def test_unfinished_and_broken_functions_get_a_verdict(self, said):
        def unfinished(*args):
            raise NotImplementedError("your code here")

        assert not ex.check_gru_step(unfinished)
        assert said() == "… not answered yet"
        assert not ex.check_gru_step(lambda x, h, *w: h[:, :3])
        assert "shape" in said()
        assert not ex.check_gru_step(lambda x, h, *w: None)
        assert "tensor" in said()
        assert not ex.check_gru_step(None)
        assert said() == "… not answered yet"
        assert not ex.check_gru_step(3)
        assert "function" in said()


class TestParameterCount:
    def test_torch_count_passes(self, said):
        right = sum(p.numel() for p in torch.nn.GRUCell(64, 128).parameters())
        assert ex.check_gru_parameter_count(right)
        assert ex.check_gru_parameter_count(sum(p.numel() for p in torch.nn.GRUCell(10, 20).parameters()), 10, 20)

    @pytest.mark.parametrize(
        "answer, reason",
        [(3 * (128 * 64 + 128 * 128 + 128), "two biases"), (3 * (128 * 64 + 128 * 128), "biases"),
         (4 * (128 * 64 + 128 * 128 + 256), "LSTM"), (128 * 64 + 128 * 128 + 256, "plain RNN"),
         (2 * (128 * 64 + 128 * 128 + 256), "three blocks"), (1000, "count W_ih"), ("many", "whole number"), (74496.5, "whole number")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_gru_parameter_count(answer)
        assert reason in said()


class TestGradientThroughGate:
    def test_z_to_the_steps_passes(self, said):
        assert ex.check_gradient_through_gate(0.9**20)
        assert ex.check_gradient_through_gate(torch.tensor(0.5) ** 10, z=0.5, steps=10)

    @pytest.mark.parametrize(
        "answer, reason",
        [(0.1**20, "What weighs h"), (18.0, "not add"), (0.9, "one step"), (1 - 0.9**20, "how much is left"), (0.5, "dh'/dh"), (None, "… not answered yet")],
    )
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_gradient_through_gate(answer)
        assert reason in said()


class TestWorkedSolutions:
    """Lesson 10's exercises: each worked solution passes its check, the stub the lesson
    hands out gets "not answered yet" and nothing else. (That every check the lesson calls has
    a worked solution the lesson points to: test_exercises_common.py, for every lesson.)"""

    @pytest.mark.parametrize("check, answer, args", [
        (ex.check_gru_step, lambda: ex.gru_step_solution, ()),
        (ex.check_gru_parameter_count, lambda: ex.gru_parameter_count_solution(64, 128), (64, 128)),
        (ex.check_gradient_through_gate, lambda: ex.gradient_through_gate_solution(0.9, 20), (0.9, 20)),
        (ex.check_gradient_through_gate, lambda: ex.gradient_through_gate_solution(0.5, 20), (0.5, 20)),
    ])
    def test_the_solution_passes(self, said, check, answer, args):
        assert check(answer(), *args)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize("check, args", [
        (ex.check_gru_step, ()), (ex.check_gru_parameter_count, (64, 128)), (ex.check_gradient_through_gate, (0.9, 20)),
    ])
    def test_the_stub_is_not_answered_yet(self, said, check, args):
        assert not check(None, *args)
        assert said() == "… not answered yet"
