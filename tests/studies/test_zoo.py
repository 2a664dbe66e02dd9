"""nnzero.studies.zoo: every type trained under one budget, on a tiny word list."""

import json
import math

import pytest

from nnzero.makemore.data import SequenceDataset, Vocab, split_words
from nnzero.makemore.models import REGISTRY, build_model, default_config
from nnzero.makemore.training import recommended_train_config
from nnzero.studies.zoo import format_table, median_step_seconds, results_to_dict, run_zoo, steps_for_seconds

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail",
         "ella", "avery", "scarlett", "grace", "chloe", "lily", "aria", "zoey", "nora", "layla",
         "riley", "zoe", "hannah", "lillian", "addison", "natalie", "luna", "savannah", "brooklyn", "leah"]
STEPS = {"bigram": 30, "gru": 12, "transformer": 8}


@pytest.fixture(scope="module")
def zoo():
    return run_zoo(STEPS, words=WORDS, evaluations=4, num_samples=20)


def test_every_type_is_trained_for_its_own_step_count(zoo):
    assert list(zoo.results) == list(STEPS) == list(zoo.models)
    for name, result in zoo.results.items():
        assert result.steps == STEPS[name] == result.history.step
        assert result.val_curve[0][0] == 0 and result.val_curve[-1][0] == STEPS[name]
        steps, seconds, losses = zip(*result.val_curve)
        assert list(steps) == sorted(set(steps)) and list(seconds) == sorted(seconds)
        assert result.val == losses[-1]
        assert result.ms_per_step == pytest.approx(1000 * result.train_seconds / result.steps)
        assert seconds[0] == 0 and seconds[-1] == pytest.approx(result.train_seconds)


def test_step_zero_scores_a_fresh_model_near_uniform_guessing(zoo):
    vocab_size = len(zoo.vocab)
    for name in ("gru", "transformer"):  # the bigram's table starts at zero: exactly uniform
        assert abs(zoo.results[name].val_curve[0][2] - math.log(vocab_size)) < 0.5
    assert zoo.results["bigram"].val_curve[0][2] == pytest.approx(math.log(vocab_size), abs=1e-4)


def test_training_lowers_the_validation_loss(zoo):
    for result in zoo.results.values():
        assert result.val < result.val_curve[0][2]


def test_params_and_batch_are_those_of_the_default_model_and_recommended_config(zoo):
    block_size = max(map(len, WORDS)) + 1
    for name, result in zoo.results.items():
        model = build_model(name, default_config(name, len(zoo.vocab), block_size))
        assert result.params == sum(p.numel() for p in model.parameters())
    assert zoo.results["bigram"].batch_size == 256 and zoo.results["gru"].batch_size == 32


def test_new_share_counts_samples_found_in_no_split(zoo):
    known = set(WORDS)
    for result in zoo.results.values():
        assert len(result.samples) == 20
        assert result.new_share == sum(s not in known for s in result.samples) / 20
    assert zoo.splits == split_words(WORDS, seed=42)


def test_dedupe_puts_each_distinct_word_in_one_split_only():
    doubled = WORDS + WORDS[:10]  # ten words listed twice, as a name given to both sexes is
    zoo = run_zoo({"bigram": 5}, words=doubled, dedupe=True, evaluations=2, num_samples=5)
    assert zoo.splits == split_words(doubled, seed=42, dedupe=True)
    parts = [set(part) for part in zoo.splits]
    assert sum(map(len, parts)) == len(set(doubled)) == len(WORDS)
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])


def test_a_second_run_gives_the_same_numbers(zoo):
    again = run_zoo(STEPS, words=WORDS, evaluations=4, num_samples=20)
    for name, result in zoo.results.items():
        other = again.results[name]
        assert [loss for *_, loss in other.val_curve] == [loss for *_, loss in result.val_curve]
        assert (other.test, other.samples) == (result.test, result.samples)


def test_another_seed_gives_other_numbers(zoo):
    other = run_zoo({"gru": 12}, words=WORDS, seed=1, evaluations=2, num_samples=20)
    assert other.results["gru"].test != zoo.results["gru"].test


def test_table_and_plain_data(zoo):
    table = format_table(zoo.results)
    assert table.splitlines()[0].split()[:2] == ["type", "params"]
    for name, result in zoo.results.items():
        assert any(line.startswith(name) and f"{result.test:.4f}" in line for line in table.splitlines())
    data = json.loads(json.dumps(results_to_dict(zoo.results)))
    assert set(data) == set(STEPS)
    assert data["gru"]["test"] == zoo.results["gru"].test
    assert "samples" not in data["gru"] and data["gru"]["ms_per_step"] > 0


def test_bad_arguments_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="unknown model types \\['gpt'\\]"):
        run_zoo({"gpt": 10}, words=WORDS)
    with pytest.raises(ValueError, match="steps\\['mlp'\\] must be a whole number >= 1"):
        run_zoo({"mlp": 0}, words=WORDS)
    with pytest.raises(ValueError, match="seconds must be > 0"):
        steps_for_seconds(0, words=WORDS)


def test_steps_for_seconds_gives_a_round_count_for_each_type():
    counts = steps_for_seconds(0.5, types=["bigram", "rnn"], words=WORDS, timing_steps=5)
    assert list(counts) == ["bigram", "rnn"]
    assert all(isinstance(n, int) and n >= 10 and n % 10 == 0 for n in counts.values())
    assert set(REGISTRY) >= set(counts)


def test_median_step_seconds_times_a_copy_and_leaves_the_model_alone():
    vocab = Vocab.from_words(WORDS)
    block_size = max(map(len, WORDS)) + 1
    data = SequenceDataset(WORDS, vocab, block_size)
    model = build_model("gru", default_config("gru", len(vocab), block_size))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ticks = iter(range(100))
    seconds = median_step_seconds(model, data, recommended_train_config("gru"), steps=5, clock=lambda: next(ticks))
    assert seconds == 1  # every step spans one tick of this fake clock
    assert all((before[k] == v).all() for k, v in model.state_dict().items())
    assert median_step_seconds(model, data, recommended_train_config("gru"), steps=5) > 0
