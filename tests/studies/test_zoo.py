"""nnzero.studies.zoo: every type trained under one budget, on a tiny word list."""

import math

import pytest

from nnzero.makemore.data import SequenceDataset, Vocab, split_words
from nnzero.makemore.models import build_model, default_config
from nnzero.makemore.training import recommended_train_config
from nnzero.studies.runs import Run, load_runs, save_runs
from nnzero.studies.zoo import UNCAPPED, format_table, median_step_seconds, run_zoo, step_cost, time_spread

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail",
         "ella", "avery", "scarlett", "grace", "chloe", "lily", "aria", "zoey", "nora", "layla",
         "riley", "zoe", "hannah", "lillian", "addison", "natalie", "luna", "savannah", "brooklyn", "leah"]
STEPS = {"bigram": 30, "gru": 12, "transformer": 8}
BLOCK_SIZE = max(map(len, WORDS)) + 1


@pytest.fixture(scope="module")
def zoo():
    return run_zoo(STEPS, steps=STEPS, words=WORDS, evaluations=4, num_samples=20)


def run(label, seed, steps, cpu_seconds):
    return Run(label=label, seed=seed, steps=steps, val=2.0, best_val=2.0, cpu_seconds=cpu_seconds)


def test_every_type_is_trained_for_its_own_step_count(zoo):
    assert [(r.label, r.seed) for r in zoo.runs] == [(name, 3407) for name in STEPS]
    assert list(zoo.models) == [(name, 3407) for name in STEPS]
    for result in zoo.runs:
        assert result.steps == STEPS[result.label] == result.settings["train"]["max_steps"]
        assert result.settings["cpu_budget"] is None
        steps, seconds, losses = zip(*result.curve)
        assert steps[0] == 0 and steps[-1] == result.steps and list(steps) == sorted(set(steps))
        assert list(seconds) == sorted(seconds) and seconds[0] == 0 and seconds[-1] == pytest.approx(result.cpu_seconds)
        assert result.val == losses[-1]
        assert result.wall_seconds > 0


def test_step_zero_scores_a_fresh_model_near_uniform_guessing(zoo):
    first = {r.label: r.curve[0][2] for r in zoo.runs}
    for name in ("gru", "transformer"):  # the bigram's table starts at zero: exactly uniform
        assert abs(first[name] - math.log(len(zoo.vocab))) < 0.5
    assert first["bigram"] == pytest.approx(math.log(len(zoo.vocab)), abs=1e-4)


def test_training_lowers_the_validation_loss(zoo):
    for result in zoo.runs:
        assert result.val < result.curve[0][2]


def test_params_and_settings_are_those_of_the_default_model_and_recommended_config(zoo):
    for result in zoo.runs:
        model = build_model(result.label, default_config(result.label, len(zoo.vocab), BLOCK_SIZE))
        assert result.extra["params"] == sum(p.numel() for p in model.parameters())
        assert result.settings["model"]["block_size"] == BLOCK_SIZE and result.settings["dedupe"] is True
    batch = {r.label: r.settings["train"]["batch_size"] for r in zoo.runs}
    assert batch["bigram"] == 256 and batch["gru"] == 32 and batch["transformer"] == 64


def test_new_share_counts_samples_found_in_no_split(zoo):
    known = set(WORDS)
    for result in zoo.runs:
        samples = result.extra["samples"]
        assert len(samples) == 20
        assert result.extra["new_share"] == sum(s not in known for s in samples) / 20


def test_the_split_is_the_courses_unless_told_otherwise(zoo):
    doubled = WORDS + WORDS[:10]  # ten words listed twice, as a name given to both sexes is
    assert zoo.splits == split_words(WORDS, seed=42, dedupe=True)
    deduped = run_zoo(["bigram"], steps=5, words=doubled, evaluations=2, num_samples=5)
    parts = [set(part) for part in deduped.splits]
    assert sum(map(len, parts)) == len(set(doubled)) == len(WORDS)
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    as_given = run_zoo(["bigram"], steps=5, words=doubled, dedupe=False, evaluations=2, num_samples=5)
    assert as_given.splits == split_words(doubled, seed=42)


def test_a_second_run_gives_the_same_numbers(zoo):
    again = run_zoo(STEPS, steps=STEPS, words=WORDS, evaluations=4, num_samples=20)
    for result, other in zip(zoo.runs, again.runs):
        assert [loss for *_, loss in other.curve] == [loss for *_, loss in result.curve]
        assert (other.test, other.extra["samples"]) == (result.test, result.extra["samples"])


def test_each_seed_is_a_run_of_its_own(zoo):
    seeds = run_zoo(["gru"], steps=12, seeds=[1, 2], words=WORDS, evaluations=2, num_samples=20)
    assert [(r.label, r.seed) for r in seeds.runs] == [("gru", 1), ("gru", 2)]
    tests = {r.seed: r.test for r in seeds.runs}
    assert len({tests[1], tests[2], zoo.runs[1].test}) == 3
    alone = run_zoo(["gru"], steps=12, seeds=[2], words=WORDS, evaluations=2, num_samples=20)
    assert alone.runs[0].test == tests[2]  # a run does not depend on the runs before it


def test_progress_gets_a_reporter_for_each_run_titled_by_type_and_seed():
    seen = {}

    def reporter_for(title):
        seen[title] = []
        return lambda step, total, loss=None, val=None: seen[title].append((step, total))

    run_zoo(["bigram", "rnn"], steps={"bigram": 6, "rnn": 4}, seeds=[0, 1], words=WORDS, evaluations=2, num_samples=2, progress=reporter_for)
    assert list(seen) == ["bigram, seed 0", "bigram, seed 1", "rnn, seed 0", "rnn, seed 1"]
    assert seen["rnn, seed 1"][-1] == (4, 4) and seen["bigram, seed 0"][-1] == (6, 6)


def test_runs_are_plain_data(zoo, tmp_path):
    save_runs(tmp_path / "zoo.json", zoo.runs)
    assert load_runs(tmp_path / "zoo.json") == zoo.runs


def test_table_gives_each_type_once_with_mean_and_spread_over_its_seeds(zoo):
    repeats = run_zoo(["gru"], steps=12, seeds=[1, 2], words=WORDS, evaluations=2, num_samples=20).runs
    runs = zoo.runs + repeats
    lines = format_table(runs).splitlines()
    assert lines[0].split()[:3] == ["type", "params", "steps"]
    rows = {line.split()[0]: line for line in lines[2:-1]}
    assert list(rows) == list(STEPS)
    assert f"{zoo.runs[0].test:.4f}" in rows["bigram"] and "±" not in rows["bigram"]
    gru_tests = [r.test for r in runs if r.label == "gru"]
    mean, half = sum(gru_tests) / 3, (max(gru_tests) - min(gru_tests)) / 2
    assert f"{mean:.4f} ± {half:.4f}" in rows["gru"]
    assert rows["gru"].split()[2:6] == ["12", "±", "0", "3"] and rows["bigram"].split()[2:4] == ["30", "1"]  # steps, seeds
    gru_seconds = [r.cpu_seconds for r in runs if r.label == "gru"]
    assert f"{sum(gru_seconds) / 3:.1f} ± {(max(gru_seconds) - min(gru_seconds)) / 2:.1f}" in rows["gru"]
    shortest, longest, spread = time_spread(runs)
    assert lines[-1].endswith(f"{shortest:.1f} to {longest:.1f} s (the longest {spread:.1%} over the shortest)")
    costs = {name: step_cost(zoo.models[name, 3407], SequenceDataset(WORDS, zoo.vocab, BLOCK_SIZE),
                             recommended_train_config(name), batches=1) for name in STEPS}
    assert "MFLOP/step" in format_table(runs, costs).splitlines()[0]


def test_a_budget_of_seconds_stops_each_run_by_its_cpu_time():
    timed = run_zoo(["bigram", "gru"], seconds=0.3, words=WORDS, evaluations=3, num_samples=5)
    for result in timed.runs:
        assert result.cpu_seconds >= 0.3 and result.settings["cpu_budget"] == 0.3
        assert result.settings["train"]["max_steps"] == UNCAPPED and result.steps > 1
        steps, seconds, _ = zip(*result.curve)
        assert len(steps) == 3 and steps[0] == 0 and steps[-1] == result.steps
        assert seconds[1] >= 0.15  # the middle evaluation falls due at half the budget


def test_time_spread_is_the_longest_over_the_shortest():
    assert time_spread([run("a", 0, 1, 20.0), run("b", 0, 1, 21.0), run("c", 0, 1, 20.5)]) == (20.0, 21.0, 0.05)


def test_step_cost_counts_six_flops_per_weight_and_token_in_dense_layers():
    vocab = Vocab.from_words(WORDS)
    data = SequenceDataset(WORDS, vocab, BLOCK_SIZE)
    mlp = build_model("mlp", default_config("mlp", len(vocab), BLOCK_SIZE))
    before = {k: v.clone() for k, v in mlp.state_dict().items()}
    cost = step_cost(mlp, data, recommended_train_config("mlp"), batches=3)
    dense = mlp.hidden.weight.numel() + mlp.head.weight.numel()  # forward 2, backward 4 per weight and token
    assert cost.flops == pytest.approx(6 * dense * cost.tokens)
    assert all((before[k] == v).all() for k, v in mlp.state_dict().items())
    assert 32 * 2 <= cost.tokens <= 32 * BLOCK_SIZE and cost.operations > 10
    bigram = build_model("bigram", default_config("bigram", len(vocab), BLOCK_SIZE))
    assert step_cost(bigram, data, recommended_train_config("bigram"), batches=2).flops == 0  # a table lookup
    with pytest.raises(ValueError, match="batches must be a whole number >= 1"):
        step_cost(mlp, data, recommended_train_config("mlp"), batches=0)


def test_bad_arguments_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="unknown model types \\['gpt'\\]"):
        run_zoo(["gpt"], steps=10, words=WORDS)
    with pytest.raises(ValueError, match="steps for 'mlp' must be a whole number >= 1, not 0"):
        run_zoo(["mlp"], steps=0, words=WORDS)
    with pytest.raises(ValueError, match="steps for 'gru' must be a whole number >= 1, not None"):
        run_zoo(["mlp", "gru"], steps={"mlp": 5}, words=WORDS)
    with pytest.raises(ValueError, match="give the budget as seconds=... .* or as steps=..., one of the two"):
        run_zoo(["mlp"], seconds=5, steps=5, words=WORDS)
    with pytest.raises(ValueError, match="a CPU budget's seconds must be a number > 0"):
        run_zoo(["mlp"], seconds=-1, words=WORDS)
    with pytest.raises(ValueError, match="types must be one or more different model types"):
        run_zoo(["mlp", "mlp"], steps=5, words=WORDS)
    with pytest.raises(ValueError, match="seeds must be one or more different seeds"):
        run_zoo(["mlp"], steps=5, seeds=[1, 1], words=WORDS)


def test_median_step_seconds_times_a_copy_and_leaves_the_model_alone():
    vocab = Vocab.from_words(WORDS)
    data = SequenceDataset(WORDS, vocab, BLOCK_SIZE)
    model = build_model("gru", default_config("gru", len(vocab), BLOCK_SIZE))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ticks = iter(range(100))
    seconds = median_step_seconds(model, data, recommended_train_config("gru"), steps=5, clock=lambda: next(ticks))
    assert seconds == 1  # every step spans one tick of this fake clock
    assert all((before[k] == v).all() for k, v in model.state_dict().items())
    assert median_step_seconds(model, data, recommended_train_config("gru"), steps=5) > 0
