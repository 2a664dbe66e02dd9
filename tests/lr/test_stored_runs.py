"""Lesson 14 at full size loads its 90 stored runs and trains none: a change to the
training settings' defaults that leaves the arithmetic alone must not send a learner into
an hour of retraining (it did once, unnoticed, because the quick run uses no stored runs)."""

import ast
from pathlib import Path

import nbformat
import pytest

from nnzero.lr import experiments

LESSON = Path(__file__).resolve().parents[2] / "notebooks" / "14_lr_experiments.ipynb"


def lesson_settings(monkeypatch):
    """The lesson's imports, settings and schedules, executed at full size."""
    monkeypatch.setenv("NNZERO_QUICK", "0")
    cells = [cell.source for cell in nbformat.read(LESSON, as_version=4).cells if cell.cell_type == "code"]
    imports = next(source for source in cells if "from nnzero.lr import" in source)
    settings = next(source for source in cells if "REGENERATE" in source and "STEPS" in source)
    schedules = next(source for source in cells if source.startswith("SCHEDULES = {"))
    schedules = ast.unparse(ast.parse(schedules).body[0])  # the assignment only, not its plot
    namespace = {}
    for source in (imports, settings, schedules):
        exec(compile(source, str(LESSON), "exec"), namespace)
    return namespace


def test_lesson_14_at_full_size_finds_every_stored_run(monkeypatch):
    lesson = lesson_settings(monkeypatch)
    assert lesson["CACHE_DIR"] == lesson["SHIPPED_RUNS"] and not lesson["REGENERATE"]

    def no_training(*args, **kwargs):
        pytest.fail("a stored run was not found: the lesson would train it again")

    monkeypatch.setattr(experiments, "train", no_training)
    words = experiments.load_words()[:: lesson["NAMES_EVERY"]]
    loaded = 0
    for model_type in lesson["MODELS"]:
        results = experiments.run_experiments(
            model_type, lesson["SCHEDULES"], lesson["PEAK_LRS"], lesson["SEEDS"], steps=lesson["STEPS"][model_type],
            words=words, cache_dir=lesson["CACHE_DIR"], eval_interval=lesson["EVAL_INTERVAL"],
            model_overrides=lesson["MODELS"][model_type], train_overrides=lesson["TRAINING"][model_type],
        )
        assert results.trained == 0
        assert all(run.steps == lesson["STEPS"][model_type] for run in results.runs)  # none stopped half way
        loaded += len(results.runs)
    assert loaded == len(list(lesson["SHIPPED_RUNS"].glob("*.json"))) == 90


def test_settings_that_change_no_number_are_left_out_of_the_key():
    from nnzero.makemore.plan import TrainConfig

    off = experiments.arithmetic(TrainConfig())
    assert off == experiments.arithmetic(TrainConfig(cooldown_fraction=0.2, min_improvement=0.5, eval_batch_size=7, save_best=False))
    assert "learning_rate" in off and "patience" in off
    on = experiments.arithmetic(TrainConfig(patience=3))
    assert on != experiments.arithmetic(TrainConfig(patience=3, cooldown_fraction=0.2))
