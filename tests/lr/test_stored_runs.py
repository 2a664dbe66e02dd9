"""The stored runs of lessons 14 and 15 are all there: a lesson loads every one and
trains none. A change to the training settings' defaults that leaves the arithmetic alone
must not send a learner into hours of retraining (it did once, unnoticed), and no stored
file is left that nothing reads."""

import pytest

from nnzero.lr import course, experiments


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        pytest.fail("a stored run was not found: the lesson would train it again")

    monkeypatch.setattr(experiments, "train", refuse)


def test_every_stored_run_loads_and_none_is_left_over(no_training):
    loaded = []
    for model_type in course.PEAKS:
        results = course.grid(model_type)
        assert results.trained == 0 and len(results.runs) == len(course.SCHEDULES) * len(course.PEAKS[model_type]) * len(course.SEEDS)
        assert all(run.steps == course.STEPS for run in results.runs)  # none stopped half way
        loaded += results.runs
    branched, cosine = course.lengths()
    assert branched.trained == 0 and len(branched.runs) == len(course.BRANCHED_PEAKS) * len(course.SEEDS) * (1 + len(course.LENGTHS))
    assert sorted({run.steps for run in branched.runs if run.label == "WSD"}) == course.LENGTHS
    loaded += branched.runs
    for results in [*cosine.values(), *course.predicted().values()]:
        assert results.trained == 0
        loaded += results.runs
    stored = {path.name for path in course.RUNS.glob("*.json")}
    keys = {experiments._run_path(course.RUNS, run.settings).name for run in loaded}
    assert keys == stored  # the grid's cosine at 1,000 steps is the length sweep's: one file, read twice


def test_the_length_sweep_at_1000_steps_is_the_grid(no_training):
    # The stable run read at step 1,000 is a warmup + constant run of 1,000 steps, and the WSD branch of
    # 1,000 steps is a WSD run of 1,000 steps: the stored runs of the two parts agree to the last digit.
    table = course.finals_at(*course.lengths(), course.STEPS)
    grid = course.grid("transformer")
    for name in (course.BASELINE, "WSD", "warmup+cosine"):
        for lr in course.PEAKS["transformer"]:
            assert table[name][lr] == grid.final_vals(name, lr), (name, lr)


def test_settings_that_change_no_number_are_left_out_of_the_key():
    from nnzero.makemore.plan import TrainConfig

    off = experiments.arithmetic(TrainConfig())
    assert off == experiments.arithmetic(TrainConfig(cooldown_fraction=0.2, min_improvement=0.5, eval_batch_size=7, save_best=False))
    assert "learning_rate" in off and "patience" in off
    on = experiments.arithmetic(TrainConfig(patience=3))
    assert on != experiments.arithmetic(TrainConfig(patience=3, cooldown_fraction=0.2))
