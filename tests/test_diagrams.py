"""The cell drawings: they draw without error, with every gate and operation labelled."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nnzero.diagrams import draw_gru_cell, draw_lstm_cell  # noqa: E402


def texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize(
    "draw, gates, operations",
    [
        (draw_lstm_cell, ["f", "i", "g", "o"], {"×": 3, "+": 1, "tanh": 2}),
        (draw_gru_cell, ["z", "r", "n"], {"×": 3, "+": 1, "1−": 1, "tanh": 1}),
    ],
)
def test_every_gate_and_operation_is_drawn_and_labelled(draw, gates, operations):
    ax = draw()
    try:
        labels = texts(ax)
        for gate in gates:
            assert gate in labels
        for operation, count in operations.items():
            assert labels.count(operation) == count, operation
        assert ax.get_title() and not ax.axison
        ax.figure.canvas.draw()  # renders (the mathtext labels parse)
    finally:
        plt.close(ax.figure)


def test_draws_into_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    try:
        assert draw_lstm_cell(left) is left and draw_gru_cell(right) is right
    finally:
        plt.close(fig)
