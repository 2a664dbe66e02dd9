"""nnzero.progress: the live line and curve a training cell shows, and the one line it leaves."""

import math

import IPython.display
import pytest
import torch

from nnzero import progress
from nnzero.makemore.data import Vocab, WindowDataset
from nnzero.makemore.models import ModelConfig, build_model
from nnzero.makemore.training import TrainConfig, train
from nnzero.progress import LiveProgress, format_seconds


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Handle:
    def __init__(self, shown, obj):
        self.shown, self.index = shown, len(shown)
        shown.append(obj)

    def update(self, obj):
        self.shown[self.index] = obj


@pytest.fixture
def notebook(monkeypatch):
    """A pretend notebook kernel: what is displayed, by output, latest version last."""
    shown = []
    monkeypatch.setattr(progress, "_in_kernel", lambda: True)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id=False: Handle(shown, obj))
    return shown


def text(obj):
    return getattr(obj, "text", None)


def test_format_seconds():
    assert [format_seconds(s) for s in (0.4, 42, 185, 3725)] == ["0 s", "42 s", "3 min 05 s", "1 h 02 min"]


def test_outside_a_notebook_only_the_final_line_is_printed(capsys):
    clock = Clock()
    live = LiveProgress("run", clock=clock)
    for step in range(1, 5):
        clock.now += 2.5
        live(step, 4, loss=3.0 - step / 10)
    assert capsys.readouterr().out == "run: 4 steps in 8 s, loss 2.6000\n"
    assert live.done() == "run: 4 steps in 8 s, loss 2.6000"  # a second done() says it again, prints nothing
    assert capsys.readouterr().out == ""


def test_in_a_notebook_the_line_updates_in_place_and_ends_as_one_line(notebook):
    clock = Clock()
    live = LiveProgress("rnn", clock=clock)
    live(0, 10, val=3.3)
    clock.now += 4
    live(4, 10, loss=2.5)
    assert len(notebook) == 1
    assert text(notebook[0]) == "rnn: step 4/10, loss 2.5000, val 3.3000, 4 s, about 6 s left"
    clock.now += 0.1  # too soon to redraw
    live(5, 10, loss=2.4)
    assert "step 4/10" in text(notebook[0])
    clock.now += 2
    live(10, 10, loss=2.2, val=2.3)
    assert [text(o) for o in notebook] == ["rnn: 10 steps in 6 s, loss 2.2000, val 2.3000"]


def test_the_live_curve_is_redrawn_and_cleared_at_the_end(notebook):
    clock = Clock()
    live = LiveProgress("mlp", plot=True, clock=clock)
    for step in range(1, 8):
        clock.now += 1.0
        live(step, 8, loss=3.0 / step, val=3.0 / step + 0.1 if step % 3 == 0 else None)
    line, curve = notebook
    assert curve._repr_png_().startswith(b"\x89PNG")
    live.done()
    assert text(notebook[1]) == "" and text(notebook[0]).startswith("mlp: 7 steps in 6 s")


def test_quiet_under_tqdm_disable_even_in_a_notebook(notebook, monkeypatch, capsys):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    live = LiveProgress("quiet")
    live(1, 2, loss=1.0)
    assert notebook == [] and capsys.readouterr().out == ""
    live(2, 2, loss=0.5)
    assert notebook == [] and capsys.readouterr().out.startswith("quiet: 2 steps in")


def test_train_reports_every_step_and_ends_with_the_final_validation_loss(capsys):
    vocab = Vocab.from_words(["ab", "ba", "abba"])
    data = WindowDataset(["ab", "ba", "abba"], vocab, context=1)
    model = build_model("bigram", ModelConfig(len(vocab), 11, context=1))
    calls = []

    def report(step, total, loss=None, val=None):
        calls.append((step, total, loss, val))

    config = TrainConfig(max_steps=6, batch_size=4, eval_interval=3, learning_rate=0.1)
    history = train(model, data, data, config, progress=report)
    assert [c[0] for c in calls] == [0, 1, 2, 3, 3, 4, 5, 6]
    assert all(total == 6 for _, total, _, _ in calls)
    assert [val for *_, val in calls if val is not None] == [v for _, v in history.val_loss]
    assert calls[-1][2] == history.train_loss[-1] and math.isfinite(calls[-1][2])

    live = LiveProgress("bigram")
    history = train(build_model("bigram", ModelConfig(len(vocab), 11, context=1)), data, data, config, progress=live)
    assert capsys.readouterr().out == f"{live.final_line}\n"
    assert live.final_line.endswith(f"val {history.val_loss[-1][1]:.4f}")
    assert capsys.readouterr().err == ""
