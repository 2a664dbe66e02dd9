import json
import math
import shutil
import statistics

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nnzero.lr import experiments  # noqa: E402
from nnzero.lr.experiments import (  # noqa: E402
    COLUMNS,
    Results,
    Run,
    best_peaks,
    format_summary,
    plot_runs,
    plot_sensitivity,
    run_experiments,
    seed_band,
    summary,
)
from nnzero.schedules import constant, one_cycle, warmup_cosine  # noqa: E402

WORDS = (
    "emma olivia ava isabella sophia mia amelia harper evelyn abigail emily ella elizabeth camila luna sofia "
    "avery mila aria scarlett penelope layla chloe victoria madison eleanor grace nora riley zoey"
).split()
TINY = dict(n_layer=1, n_head=2, n_embd=8)
SCHEDULES = {"constant": lambda n: constant(), "one-cycle": lambda n: one_cycle(n)}


def run(cache_dir, schedules=SCHEDULES, peak_lrs=(1e-2, 3e-2), seeds=(0, 1), steps=8, **kwargs):
    return run_experiments(
        "transformer", schedules, list(peak_lrs), list(seeds), steps=steps, words=WORDS, cache_dir=cache_dir,
        batch_size=4, eval_interval=4, model_overrides=TINY, **kwargs,
    )


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """2 schedules x 2 peak LRs x 2 seeds, trained once for the module."""
    cache_dir = tmp_path_factory.mktemp("lr_cache")
    return cache_dir, run(cache_dir)


def test_one_tidy_row_per_run(grid):
    cache_dir, results = grid
    assert results.trained == 8 and len(results.runs) == 8
    assert all(tuple(row) == COLUMNS for row in results.rows)
    assert [(r["schedule"], r["peak_lr"], r["seed"]) for r in results.rows] == [
        (name, lr, seed) for name in SCHEDULES for lr in (1e-2, 3e-2) for seed in (0, 1)
    ]
    for row in results.rows:
        assert row["best_val"] <= row["final_val"] and row["wall_seconds"] > 0
    assert len(list(cache_dir.glob("*.json"))) == 8


def test_curves_run_from_step_0_to_the_last_step(grid):
    _, results = grid
    assert set(results.curves) == {(r["schedule"], r["peak_lr"], r["seed"]) for r in results.rows}
    for (steps, val), row in zip(results.curves.values(), results.rows):
        assert steps == [0, 4, 8]
        assert val[-1] == row["final_val"] and min(val) == row["best_val"]
        assert val[0] == pytest.approx(math.log(len(set("".join(WORDS))) + 1), abs=0.3)  # a fresh model guesses uniformly


def test_seeds_differ_and_each_is_reproducible(grid, tmp_path):
    _, results = grid
    by_seed = {row["seed"]: row["final_val"] for row in results.rows if row["schedule"] == "constant" and row["peak_lr"] == 1e-2}
    assert by_seed[0] != by_seed[1]
    again = run(tmp_path, schedules={"constant": SCHEDULES["constant"]}, peak_lrs=[1e-2], seeds=[0])
    assert again.rows[0]["final_val"] == by_seed[0]


def test_second_call_loads_from_disk_without_training(grid, monkeypatch):
    cache_dir, results = grid

    def no_training(*args, **kwargs):
        raise AssertionError("train() was called although every run is cached")

    monkeypatch.setattr(experiments, "train", no_training)
    cached = run(cache_dir)
    assert cached.trained == 0 and cached.rows == results.rows and cached.curves == results.curves


def test_another_build_of_the_same_torch_release_loads_the_stored_runs(grid, monkeypatch):
    # The stored runs of lesson 14 were made with torch 2.13.0+cpu; a learner's pip may
    # install 2.13.0 or 2.13.0+cu121, which compute the same on the CPU.
    cache_dir, results = grid
    release = experiments.torch.__version__.split("+")[0]
    monkeypatch.setattr(experiments.torch, "__version__", release + "+cu999")
    monkeypatch.setattr(experiments, "train", lambda *a, **k: pytest.fail("retrained a stored run"))
    assert run(cache_dir).rows == results.rows


def test_a_new_nnzero_version_loads_the_stored_runs_a_new_training_arithmetic_does_not(grid, monkeypatch, tmp_path):
    cache_dir, results = grid
    import nnzero

    monkeypatch.setattr(nnzero, "__version__", "99.0.0")
    monkeypatch.setattr(experiments, "train", lambda *a, **k: pytest.fail("retrained a stored run"))
    assert run(cache_dir).rows == results.rows
    monkeypatch.undo()
    shutil.copytree(cache_dir, tmp_path / "cache")  # training writes files: not into the shared grid
    monkeypatch.setattr(experiments, "TRAINING_ARITHMETIC", experiments.TRAINING_ARITHMETIC + 1)
    again = run(tmp_path / "cache", schedules={"constant": SCHEDULES["constant"]}, peak_lrs=[1e-2], seeds=[0])
    assert again.trained == 1


def test_regenerate_retrains_and_overwrites(tmp_path, monkeypatch):
    calls = []
    real_train = experiments.train

    def counting_train(*args, **kwargs):
        calls.append(1)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(experiments, "train", counting_train)
    first = run(tmp_path, schedules={"constant": SCHEDULES["constant"]}, peak_lrs=[1e-2], seeds=[0, 1])
    cached = run(tmp_path, schedules={"constant": SCHEDULES["constant"]}, peak_lrs=[1e-2], seeds=[0, 1])
    regenerated = run(tmp_path, schedules={"constant": SCHEDULES["constant"]}, peak_lrs=[1e-2], seeds=[0, 1], regenerate=True)
    assert (first.trained, cached.trained, regenerated.trained, len(calls)) == (2, 0, 2, 4)
    assert [r["final_val"] for r in regenerated.rows] == [r["final_val"] for r in first.rows]  # same settings, same numbers
    assert len(list(tmp_path.glob("*.json"))) == 2


def test_any_changed_setting_is_a_new_run(tmp_path):
    base = dict(schedules={"decay": lambda n: warmup_cosine(n, 2)}, peak_lrs=[1e-2], seeds=[0])
    assert run(tmp_path, **base).trained == 1
    assert run(tmp_path, **base).trained == 0
    # The same name, but one step of the schedule differs: the hash of its multipliers changes.
    assert run(tmp_path, **{**base, "schedules": {"decay": lambda n: warmup_cosine(n, 2, floor=0.1)}}).trained == 1
    assert run(tmp_path, **{**base, "steps": 9}).trained == 1
    assert run(tmp_path, **base, train_overrides={"weight_decay": 0.0}).trained == 1
    assert len(list(tmp_path.glob("*.json"))) == 4


def test_a_stopped_run_is_not_stored_as_a_result(tmp_path, monkeypatch):
    real_train = experiments.train

    def stopped_half_way(*args, **kwargs):  # what train() returns after Ctrl-C or SIGTERM
        history = real_train(*args, **kwargs)
        history.interrupted = True
        return history

    monkeypatch.setattr(experiments, "train", stopped_half_way)
    with pytest.raises(KeyboardInterrupt, match="constant at peak LR 0.01, seed 0; that run was not stored"):
        run(tmp_path, schedules={"constant": SCHEDULES["constant"]}, peak_lrs=[1e-2], seeds=[0])
    assert list(tmp_path.glob("*.json")) == []


def test_a_damaged_cache_file_is_retrained(tmp_path):
    base = dict(schedules={"constant": SCHEDULES["constant"]}, peak_lrs=[1e-2], seeds=[0])
    first = run(tmp_path, **base)
    (path,) = tmp_path.glob("*.json")
    path.write_text("{not json", encoding="utf-8")
    again = run(tmp_path, **base)
    assert again.trained == 1 and again.rows[0]["final_val"] == first.rows[0]["final_val"]
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["settings"]["schedule"] == "constant" and len(stored["settings"]["data_sha256"]) == 64


def fake_results():
    def make(schedule, lr, seed, final, best, curve):
        return Run(schedule, seed, steps=20, val=final, best_val=best, wall_seconds=1.0,
                   curve=[[step, None, val] for step, val in zip([0, 10, 20], curve)],
                   settings={"train_config": {"learning_rate": lr}})

    runs = [
        make("a", 1e-3, 0, 2.0, 1.9, [3.0, 1.9, 2.0]),
        make("a", 1e-3, 1, 2.2, 2.1, [3.0, 2.5, 2.1]),
        make("a", 1e-3, 2, 2.4, 2.3, [3.0, 2.6, 2.3]),
        make("a", 1e-2, 0, 2.9, 2.9, [3.0, 2.95, 2.9]),
        make("b", 1e-3, 0, 1.5, 1.5, [3.0, 2.0, 1.5]),
    ]
    return Results("mlp", 20, runs)


def test_summary_means_and_sample_standard_deviations():
    table = summary(fake_results())
    assert [(row["schedule"], row["peak_lr"], row["runs"]) for row in table] == [("a", 1e-3, 3), ("a", 1e-2, 1), ("b", 1e-3, 1)]
    a = table[0]
    assert a["final_val_mean"] == pytest.approx(2.2)
    assert a["final_val_std"] == pytest.approx(0.2)  # sqrt(((-0.2)^2 + 0 + 0.2^2) / (3 - 1))
    assert a["best_val_mean"] == pytest.approx(2.1) and a["best_val_std"] == pytest.approx(statistics.stdev([1.9, 2.1, 2.3]))
    assert math.isnan(table[1]["final_val_std"])
    text = format_summary(fake_results())
    assert "2.2000 ± 0.2000" in text and len(text.splitlines()) == 4


def test_each_schedule_is_judged_at_its_own_best_peak():
    results = fake_results()
    assert results.final_vals("a", 1e-3) == [2.0, 2.2, 2.4] and results.final_vals("a", 0.5) == []
    best = best_peaks(results)
    assert {name: row["peak_lr"] for name, row in best.items()} == {"a": 1e-3, "b": 1e-3}  # a at 1e-3 (2.2), not 1e-2 (2.9)
    assert best["a"] == summary(results)[0]


def test_seed_band_is_the_mean_and_range_over_the_seeds_at_each_evaluation():
    steps, mean, low, high = seed_band(fake_results().runs_of("a", 1e-3))
    assert steps == [0, 10, 20]
    assert mean == pytest.approx([3.0, 7.0 / 3, 6.4 / 3]) and low == [3.0, 1.9, 2.0] and high == [3.0, 2.6, 2.3]
    uneven = fake_results().runs_of("a", 1e-3)
    uneven[1].curve = uneven[1].curve[:2]
    with pytest.raises(ValueError, match="evaluated at different steps"):
        seed_band(uneven)


def test_plots_are_labelled():
    results = fake_results()
    ax = plot_runs(results)
    assert ax.get_xlabel() == "step" and "validation loss" in ax.get_ylabel() and ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a (peak 0.001, 3 seeds)", "b (peak 0.001, 1 seed)"]  # each schedule at its best peak LR
    assert list(ax.lines[0].get_ydata()) == pytest.approx([3.0, 2.3333333, 2.1333333])  # the mean over seeds
    assert len(ax.collections) == 2  # one seed band per schedule
    plt.close(ax.figure)

    ax = plot_sensitivity(results)
    assert ax.get_xscale() == "log" and "peak learning rate" in ax.get_xlabel() and "final validation loss" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="no runs of 'b' at peak LR 0.01"):
        plot_runs(results, peak_lr=1e-2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(schedules={}), "schedules must be a non-empty dict"),
        (dict(schedules={"x": 1.0}), "schedules must map names to factories"),
        (dict(peak_lrs=[]), "peak_lrs must list at least one value"),
        (dict(peak_lrs=[-1.0]), "every peak LR must be a number > 0"),
        (dict(seeds=[0, 0]), "seeds must not repeat a value"),
        (dict(seeds=[0.5]), "every seed must be a whole number"),
        (dict(steps=0), "steps must be a whole number >= 1"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        run(tmp_path, **kwargs)
    assert "\n" not in str(error.value)


# --- WSD branched from one stable run ---------------------------------------------------


def branches(cache_dir, **kwargs):
    return experiments.wsd_branches(
        "transformer", [10, 20], [1e-2], [0, 1], warmup_steps=2, decay_fraction=0.2, eval_interval=5, words=WORDS,
        cache_dir=cache_dir, batch_size=4, model_overrides=TINY, **kwargs,
    )


def test_a_wsd_branch_computes_what_a_separate_wsd_run_of_its_length_does(tmp_path):
    from nnzero.schedules import linear_warmup, wsd

    results = branches(tmp_path / "branches")
    assert [(r.label, r.steps, r.seed) for r in results.runs] == [
        (label, steps, seed) for seed in (0, 1) for label, steps in (("warmup+constant", 20), ("WSD", 10), ("WSD", 20))]
    assert results.trained == 6
    separate = run(tmp_path / "separate", schedules={"WSD": lambda n: wsd(n, 2, 0.2, decay="1-sqrt"),
                                                     "warmup+constant": lambda n: linear_warmup(2)},
                   peak_lrs=[1e-2], seeds=[0, 1], steps=10)
    longer = run(tmp_path / "separate", schedules={"WSD": lambda n: wsd(n, 2, 0.2, decay="1-sqrt")},
                 peak_lrs=[1e-2], seeds=[0, 1], steps=20)
    for seed in (0, 1):
        by_length = {r.steps: r for r in results.runs if r.label == "WSD" and r.seed == seed}
        alone = {10: next(r for r in separate.runs if r.label == "WSD" and r.seed == seed),
                 20: next(r for r in longer.runs if r.seed == seed)}
        for n in (10, 20):
            assert by_length[n].val == alone[n].val and by_length[n].extra["own_steps"] == n // 5
            assert by_length[n].extra["branched_at"] == n - n // 5
        stable = next(r for r in results.runs if r.label == "warmup+constant" and r.seed == seed)
        constant_10 = next(r for r in separate.runs if r.label == "warmup+constant" and r.seed == seed)
        assert dict((step, val) for step, _, val in stable.curve)[10] == constant_10.val  # the stable run is the baseline


def test_branches_are_stored_and_reloaded(tmp_path):
    first = branches(tmp_path)
    again = branches(tmp_path)
    assert again.trained == 0 and again.runs == first.runs
    with pytest.raises(ValueError, match="every length must be a whole number >= 2"):
        experiments.wsd_branches("transformer", [1], [1e-2], [0], warmup_steps=0, eval_interval=1, words=WORDS,
                                 cache_dir=tmp_path)


def test_a_run_that_diverges_is_stored_as_diverged_not_raised(tmp_path):
    results = run(tmp_path, schedules={"constant": lambda n: constant()}, peak_lrs=[1e6], seeds=[0])
    (diverged,) = results.runs
    assert diverged.val == math.inf == diverged.best_val and "the training loss became" in diverged.extra["diverged"]
    assert run(tmp_path, schedules={"constant": lambda n: constant()}, peak_lrs=[1e6], seeds=[0]).trained == 0
    assert best_peaks(results)["constant"]["final_val_mean"] == math.inf


def test_the_courses_split_is_asked_for_and_is_part_of_the_key(tmp_path):
    doubled = WORDS + WORDS[:10]  # ten names twice: deduplicated, each is in one part only
    plain = run_experiments("transformer", SCHEDULES, [1e-2], [0], steps=4, words=doubled, cache_dir=tmp_path,
                            batch_size=4, eval_interval=4, model_overrides=TINY)
    course = run_experiments("transformer", SCHEDULES, [1e-2], [0], steps=4, words=doubled, cache_dir=tmp_path,
                             batch_size=4, eval_interval=4, model_overrides=TINY, dedupe=True)
    assert course.trained == 2 and "dedupe" not in plain.runs[0].settings and course.runs[0].settings["dedupe"] is True
    assert course.runs[0].val != plain.runs[0].val  # another validation set


def test_a_stable_run_that_diverges_marks_every_branch_diverged(tmp_path):
    results = experiments.wsd_branches("transformer", [10, 20], [1e6], [0], warmup_steps=0, eval_interval=5, words=WORDS,
                                       cache_dir=tmp_path, batch_size=4, model_overrides=TINY)
    assert [(r.label, r.steps, r.val) for r in results.runs] == [("warmup+constant", 20, math.inf), ("WSD", 10, math.inf),
                                                                  ("WSD", 20, math.inf)]
    assert all("the training loss became" in r.extra["diverged"] for r in results.runs)
