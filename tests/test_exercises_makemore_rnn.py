"""The exercise checks of lesson 08: right answers pass, the usual wrong answers fail with a
reason that says what to fix."""

import pytest
import torch

from nnzero.exercises import makemore_rnn as ex


def right_row(word, vocab, block_size):
    ids = vocab.encode(word)
    padding = block_size - len(ids) - 1
    return [0] + ids + [0] * padding, ids + [0] + [-1] * padding


class TestSequenceRow:
    def test_right_rows_pass(self, said):
        assert ex.check_sequence_row(right_row)
        assert said().startswith("✓ correct")

    def test_tensors_are_accepted(self):
        assert ex.check_sequence_row(lambda w, v, b: tuple(torch.tensor(r) for r in right_row(w, v, b)))

    def rows(self, change):
        def make_row(word, vocab, block_size):
            x, y = right_row(word, vocab, block_size)
            return change(x, y, vocab.encode(word))
        return make_row

    @pytest.mark.parametrize(
        "change, reason",
        [
            (lambda x, y, ids: (x, [v if v != -1 else 0 for v in y]), "-1"),
            (lambda x, y, ids: (x, ids + [-1] * (len(y) - len(ids))), "end a name"),
            (lambda x, y, ids: (ids + [0] * (len(x) - len(ids)), y), "start with the boundary"),
            (lambda x, y, ids: (x, x[1:] + [0]), "-1"),
            (lambda x, y, ids: (x[:-1], y[:-1]), "entries"),
            (lambda x, y, ids: (x, [0] + y[:-1]), "follows"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, change, reason):
        assert not ex.check_sequence_row(self.rows(change))
        told = said()
        assert reason in told
        vocab = ex.Vocab.from_words(["emma", "olivia", "ava", "zoe"])
        for row in right_row("emma", vocab, 8):  # the check never shows the right rows
            assert str(row) not in told

    def test_a_crash_is_reported(self, said):
        assert not ex.check_sequence_row(lambda w, v, b: 1 / 0)
        assert "ZeroDivisionError" in said()


def right_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


class TestRNNCell:
    def test_right_cell_passes(self, said):
        assert ex.check_rnn_cell(right_cell)
        assert "torch.nn.RNNCell" in said()

    def test_the_check_leaves_the_global_generator_alone(self):
        state = torch.get_rng_state()
        ex.check_rnn_cell(right_cell)
        assert torch.equal(torch.get_rng_state(), state)

    def test_the_package_cell_passes(self):
        from nnzero.makemore.models.rnn import RNNCell

        def package_cell(x, h, W_ih, W_hh, b_ih, b_hh):
            cell = RNNCell(W_ih.shape[1], W_hh.shape[0]).to(torch.float64)
            with torch.no_grad():
                for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (W_ih, W_hh, b_ih, b_hh)):
                    getattr(cell, name).copy_(value)
            return cell(x, h).detach()

        assert ex.check_rnn_cell(package_cell)

    @pytest.mark.parametrize(
        "cell, reason",
        [
            (lambda x, h, Wi, Wh, bi, bh: x @ Wi.T + bi + h @ Wh.T + bh, "tanh"),
            (lambda x, h, Wi, Wh, bi, bh: torch.sigmoid(x @ Wi.T + bi + h @ Wh.T + bh), "sigmoid"),
            (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + h @ Wh.T), "b_hh"),
            (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + h @ Wh.T + bh), "b_ih"),
            (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + h @ Wh + bh), "W_hh.T"),
            (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + bh), "recurrent"),
            (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi + bi + h @ Wh.T + bh), "transpose"),
            (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + h @ Wh.T + bh)[:, :3], "shape"),
            (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + 2 * h @ Wh.T + bh), "differs"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, cell, reason):
        assert not ex.check_rnn_cell(cell)
        assert reason in said()


def right_bptt(hs, W_hh, grad_last):
    grads = [grad_last]
    for t in range(len(hs) - 1, 0, -1):
        grads.append(W_hh.T @ ((1 - hs[t] ** 2) * grads[-1]))
    return torch.stack(grads[::-1])


class TestBackpropThroughTime:
    def test_right_bptt_passes(self, said):
        assert ex.check_backprop_through_time(right_bptt)
        assert "Jacobian" in said()

    def test_the_case_really_backpropagates(self):
        hs, W_hh, grads = ex._bptt_case()
        assert grads.shape == hs.shape
        assert not torch.allclose(grads[0], torch.zeros_like(grads[0]))
        assert torch.allclose(right_bptt(hs, W_hh, grads[-1]), grads)

    def carried(self, step):
        def bptt(hs, W_hh, grad_last):
            grads = [grad_last]
            for t in range(len(hs) - 1, 0, -1):
                grads.append(step(hs, W_hh, t, grads[-1]))
            return torch.stack(grads[::-1])
        return bptt

    @pytest.mark.parametrize(
        "step, reason",
        [
            (lambda hs, W, t, g: W.T @ g, "tanh's derivative"),
            (lambda hs, W, t, g: W @ ((1 - hs[t] ** 2) * g), "transposed"),
            (lambda hs, W, t, g: W.T @ ((1 - hs[t - 1] ** 2) * g), "later state"),
            (lambda hs, W, t, g: (1 - hs[t] ** 2) * (W.T @ g), "first"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, step, reason):
        assert not ex.check_backprop_through_time(self.carried(step))
        assert reason in said()

    def test_reversed_rows_and_bad_shapes_are_named(self, said):
        assert not ex.check_backprop_through_time(lambda hs, W, g: right_bptt(hs, W, g).flip(0))
        assert "reverse" in said()
        assert not ex.check_backprop_through_time(lambda hs, W, g: right_bptt(hs, W, g)[1:])
        assert "(T, H)" in said()
        assert not ex.check_backprop_through_time(lambda hs, W, g: 1 / 0)
        assert "ZeroDivisionError" in said()


class TestStepsToShrink:
    def test_right_answers_pass(self, said):
        assert ex.check_steps_to_shrink(10)  # 2**10 = 1024 >= 1000 > 2**9
        assert ex.check_steps_to_shrink(9.9658)  # the exact solution is accepted too
        assert ex.check_steps_to_shrink(7, factor=0.1, shrink=1e7)
        assert ex.check_steps_to_shrink(3, factor=0.1, shrink=1000)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize("answer, reason", [(9, "round up"), (-10, "positive"), (500, "is not it"), ("ten", "a number")])
    def test_typical_mistakes_are_explained(self, said, answer, reason):
        assert not ex.check_steps_to_shrink(answer)
        assert reason in said()

    def test_a_growing_factor_is_refused(self):
        with pytest.raises(ValueError, match="between 0 and 1"):
            ex.check_steps_to_shrink(3, factor=2.0)


class TestWorkedSolutions:
    """Lesson 08's exercises: each worked solution passes its check, the stub the lesson
    hands out gets "not answered yet" and nothing else. (That every check the lesson calls has
    a worked solution the lesson points to: test_exercises_common.py, for every lesson.)"""

    @pytest.mark.parametrize("check, answer, args", [
        (ex.check_sequence_row, lambda: ex.sequence_row_solution, ()),
        (ex.check_rnn_cell, lambda: ex.rnn_cell_solution, ()),
        (ex.check_backprop_through_time, lambda: ex.backprop_through_time_solution, ()),
        (ex.check_steps_to_shrink, lambda: ex.steps_to_shrink_solution(0.5, 1000), (0.5, 1000)),
        (ex.check_steps_to_shrink, lambda: ex.steps_to_shrink_solution(0.8, 100), (0.8, 100)),
    ])
    def test_the_solution_passes(self, said, check, answer, args):
        assert check(answer(), *args)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize("check, args", [
        (ex.check_sequence_row, ()), (ex.check_rnn_cell, ()), (ex.check_backprop_through_time, ()),
        (ex.check_steps_to_shrink, (0.5, 1000)),
    ])
    def test_the_stub_is_not_answered_yet(self, said, check, args):
        assert not check(None, *args)
        assert said() == "… not answered yet"
