"""The recurrent lessons' common footing: the toy task, the probe, the runs, and the stored
file that lessons 08-10 read (it must hold exactly the runs the lessons' settings make)."""

import json
import math
import os
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from nnzero.makemore import SequenceDataset, Vocab, build_model, default_config
from nnzero.studies import recurrent as R

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSONS = {"rnn": "08_makemore_rnn.ipynb", "lstm": "09_makemore_lstm.ipynb", "gru": "10_makemore_gru.ipynb"}


def test_first_letter_words_repeat_their_first_letter_and_are_seeded():
    words = R.first_letter_words(50, 7, "abc", seed=3)
    assert all(len(w) == 7 and w[-1] == w[0] and set(w) <= set("abc") for w in words)
    assert words == R.first_letter_words(50, 7, "abc", seed=3) != R.first_letter_words(50, 7, "abc", seed=4)
    vocab, train_data, val_data = R.first_letter_task(6, sizes=(20, 10))
    assert len(vocab) == len(R.TOY_LETTERS) + 1
    assert train_data.X.shape == (20, 7) and val_data.Y.shape == (10, 7)
    assert torch.equal(train_data.Y[:, 5], train_data.X[:, 1])  # the last letter's target is the first letter


def test_the_probe_is_the_long_validation_names_cut_to_eleven_positions():
    words = ["ab", "abcdefghij", "abcdefghijkl", "abcdefghi"]
    vocab = Vocab.from_words(words)
    X, Y = R.probe_batch(words, vocab, 16)
    assert X.shape == Y.shape == (2, R.PROBE_STEPS)
    assert (Y[:, -1] >= 0).all()  # every probe name has a real target at the prediction


def test_loss_by_position_is_the_mean_over_real_targets():
    vocab = Vocab.from_words(["abc", "a", "bca"])
    data = SequenceDataset(["abc", "a", "bca"], vocab, 5)
    torch.manual_seed(0)
    model = build_model("rnn", default_config("rnn", len(vocab), 5))
    by_position = R.loss_by_position(model, data)
    with torch.no_grad():
        logits, loss = model(data.X, data.Y)
    assert by_position[0].item() == pytest.approx(F.cross_entropy(logits[:, 0], data.Y[:, 0]).item())
    assert by_position[3].item() == pytest.approx(F.cross_entropy(logits[[0, 2], 3], data.Y[[0, 2], 3]).item())
    assert math.isnan(by_position[4].item())  # padding everywhere


def tiny_names():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia", "harper", "evelyn"]
    vocab = Vocab.from_words(words)
    return vocab, [SequenceDataset(part, vocab, 10) for part in (words[:6], words[6:8], words[8:])]


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "mlp"])
def test_a_run_reproduces_on_one_thread_and_records_what_the_lessons_show(kind):
    vocab, data = tiny_names()
    probe = data[0].X[:, :4], data[0].Y[:, :4]
    threads = torch.get_num_threads()
    model, run = R.train_run(kind, 1, *data, probe=probe, steps=6, eval_interval=3)
    assert torch.get_num_threads() == threads  # put back as it was
    _, again = R.train_run(kind, 1, *data, probe=probe, steps=6, eval_interval=3)
    assert R.same_runs([run], [again])
    assert run.label == kind and run.seed == 1 and run.steps == 6 and len(run.curve) == 3
    assert run.extra["params"] == model.num_parameters() and len(run.extra["val_by_position"]) == 10
    assert ("gradient_h" in run.extra) == (kind != "mlp") and ("gradient_c" in run.extra) == (kind == "lstm")
    assert run.settings["threads"] == 1 and run.settings["train"]["max_steps"] == 6
    json.dumps(run.to_dict())  # plain data
    _, other_seed = R.train_run(kind, 2, *data, steps=6, eval_interval=3)
    assert not R.same_runs([run], [other_seed])


def test_a_toy_run_reports_the_last_letter_apart():
    _, run = R.train_toy("gru", length=5, steps=3)
    assert run.label == "toy gru, length 5" and run.settings["length"] == 5
    assert 0 < run.extra["last_letter"] and 0 < run.extra["other_letters"]


def lesson_settings(notebook):
    """The settings cell of a lesson, run as the full lesson runs it."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    (cell,) = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    from nnzero.budget import budget, start_lesson

    namespace = {"budget": budget, "start_lesson": start_lesson, "torch": torch}
    quick = os.environ.pop("NNZERO_QUICK", None)
    threads = torch.get_num_threads()
    try:
        exec("".join(cell["source"]), namespace)
    finally:
        torch.set_num_threads(threads)
        if quick is not None:
            os.environ["NNZERO_QUICK"] = quick
    return namespace


@pytest.mark.parametrize("kind", R.KINDS)
def test_the_lessons_use_the_common_settings(kind):
    settings = lesson_settings(LESSONS[kind])
    assert settings["STEPS"] == R.STEPS and tuple(settings["SEEDS"]) == R.SEEDS
    assert settings["EVAL_INTERVAL"] == R.EVAL_INTERVAL and settings["TOY_STEPS"] == R.TOY_STEPS


def test_the_stored_runs_are_those_of_the_lessons_settings():
    runs = R.load_stored()
    vocab, splits, data = R.names_data()
    for kind in R.KINDS + ("mlp",):
        stored = R.stored(runs, kind)
        assert [run.seed for run in stored] == (list(R.SEEDS) if kind != "mlp" else [R.SEEDS[0]]), kind
        for run in stored:
            assert run.steps == R.STEPS and run.settings == R.settings(kind, len(vocab), data[0].block_size), kind
            assert run.extra["params"] == build_model(kind, R.model_config(kind, len(vocab), data[0].block_size)).num_parameters()
            assert ("gradient_h" in run.extra) == (kind != "mlp")
    for kind, lengths in (("rnn", R.TOY_LENGTHS), ("lstm", (R.TOY_LENGTH,)), ("gru", (R.TOY_LENGTH,))):
        for length in lengths:
            (toy,) = R.stored(runs, f"toy {kind}, length {length}")
            assert toy.steps == R.TOY_STEPS and toy.settings["letters"] == R.TOY_LETTERS
            assert toy.settings["words"] == list(R.TOY_WORDS) and toy.settings["threads"] == R.THREADS


def test_stored_check_says_whether_runs_match(monkeypatch):
    vocab, data = tiny_names()
    _, run = R.train_run("rnn", 0, *data, steps=4, eval_interval=2)
    _, other = R.train_run("rnn", 1, *data, steps=4, eval_interval=2)
    monkeypatch.setattr(R, "load_stored", lambda: [run])
    assert R.stored_check([run]).endswith("last digit: True")
    other.seed = 0
    assert R.stored_check([other]).endswith("last digit: False")
    _, short = R.train_run("rnn", 0, *data, steps=2, eval_interval=2)
    assert "only the full lesson" in R.stored_check([short])
    assert "no stored runs" in R.stored_check([run], label="gru")
