"""nnzero.studies.runs: the one record of a training run, its summaries and its storage."""

import json

import pytest
import torch

from nnzero.makemore.data import Vocab, WindowDataset
from nnzero.makemore.models import ModelConfig, build_model
from nnzero.makemore.training import TrainConfig, evaluate, train
from nnzero.studies.runs import Run, Summary, format_summary, load_runs, save_runs, summarize


def made_up(label, seed, val, test=None):
    return Run(label=label, seed=seed, steps=10, val=val, best_val=val - 0.1, test=test)


def test_from_history_keeps_the_curve_the_times_and_the_final_losses():
    words = ["ab", "ba", "abba", "b"]
    vocab = Vocab.from_words(words)
    data = WindowDataset(words, vocab, context=1)
    torch.manual_seed(0)
    model = build_model("bigram", ModelConfig(len(vocab), 11, context=1))
    history = train(model, data, data, TrainConfig(max_steps=8, batch_size=4, eval_interval=4, learning_rate=0.5), progress=False)
    test = evaluate(model, data, 64)
    run = Run.from_history("bigram", 0, history, settings={"steps": 8}, test=test, wall_seconds=1.5, params=18)
    assert (run.label, run.seed, run.steps, run.settings, run.extra) == ("bigram", 0, 8, {"steps": 8}, {"params": 18})
    assert [step for step, _, _ in run.curve] == [0, 4, 8]
    assert [val for _, _, val in run.curve] == [val for _, val in history.val_loss]
    cpu = [seconds for _, seconds, _ in run.curve]
    assert cpu == sorted(cpu) and cpu[0] == 0 and cpu[-1] == run.cpu_seconds > 0
    assert run.val == history.val_loss[-1][1] and run.best_val == min(v for _, v in history.val_loss)
    assert run.wall_seconds == 1.5 and run.test == test


def test_summaries_are_over_seeds_in_first_seen_order():
    runs = [made_up("gru", 0, 2.0), made_up("rnn", 0, 2.1), made_up("gru", 1, 2.2), made_up("gru", 2, 2.3)]
    table = summarize(runs)
    assert list(table) == ["gru", "rnn"]
    assert table["gru"] == Summary(mean=pytest.approx(2.1666666), low=2.0, high=2.3, n=3)
    assert table["gru"].spread == pytest.approx(0.15)
    assert f"{table['gru']}" == "2.1667 ± 0.1500" and f"{table['rnn']:.2f}" == "2.10"
    assert summarize(runs, by=lambda r: r.seed, value=lambda r: r.best_val)[0].mean == pytest.approx(1.95)


def test_format_summary_is_one_row_per_label():
    runs = [made_up("gru", 0, 2.0, test=2.05), made_up("gru", 1, 2.2, test=2.25), made_up("lstm", 0, 2.1, test=2.0)]
    text = format_summary(runs, {"val": lambda r: r.val, "test": lambda r: r.test}, title="model")
    header, gru, lstm = text.splitlines()
    assert header.split() == ["model", "runs", "val", "test"]
    assert gru.split() == ["gru", "2", "2.1000", "±", "0.1000", "2.1500", "±", "0.1000"]
    assert lstm.split() == ["lstm", "1", "2.1000", "2.0000"]


def test_runs_round_trip_through_json(tmp_path):
    runs = [made_up("gru", 0, 2.0), Run("x", 1, 5, 1.5, 1.4, 0.5, 0.6, [[0, 0.0, 3.3], [5, 0.5, 1.5]], 1.6, {"a": [1]}, {"p": 2})]
    path = tmp_path / "deep" / "runs.json"
    save_runs(path, runs)
    assert load_runs(path) == runs
    assert json.loads(path.read_text())[1]["curve"] == [[0, 0.0, 3.3], [5, 0.5, 1.5]]
    assert list(tmp_path.joinpath("deep").iterdir()) == [path]  # no temporary file left
