import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nnzero.lr import range_test  # noqa: E402
from nnzero.lr.range_test import lr_range_test, plot_range_test  # noqa: E402
from nnzero.makemore import ModelConfig, SequenceDataset, TrainConfig, Vocab, WindowDataset, build_model  # noqa: E402
from nnzero.makemore.training import make_optimizer  # noqa: E402

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail", "emily", "ella"]


@pytest.fixture(scope="module")
def data():
    vocab = Vocab.from_words(WORDS)
    return SequenceDataset(WORDS, vocab, block_size=9)


def tiny_transformer(vocab_size, seed=0):
    torch.manual_seed(seed)
    return build_model("transformer", ModelConfig(vocab_size, 9, n_layer=1, n_head=2, n_embd=8, dropout=0.1))


def test_rates_grow_exponentially_from_start_to_end(data):
    model = tiny_transformer(len(data.vocab))
    result = lr_range_test(model, data, start_lr=1e-5, end_lr=1e-1, steps=21, batch_size=4, diverge_factor=1e9)
    assert not result.diverged and len(result.lrs) == len(result.losses) == len(result.smoothed) == 21
    assert result.lrs[0] == pytest.approx(1e-5, rel=1e-12) and result.lrs[-1] == pytest.approx(1e-1, rel=1e-12)
    ratios = [b / a for a, b in zip(result.lrs, result.lrs[1:])]
    assert ratios == pytest.approx([10 ** (4 / 20)] * 20, rel=1e-9)  # a decade every 5 steps


def test_smoothed_loss_is_the_bias_corrected_moving_average(data):
    model = tiny_transformer(len(data.vocab))
    result = lr_range_test(model, data, steps=15, batch_size=4, smooth=0.9, diverge_factor=1e9)
    for i, smoothed in enumerate(result.smoothed):
        weights = [0.1 * 0.9 ** (i - j) for j in range(i + 1)]
        expected = sum(w * loss for w, loss in zip(weights, result.losses)) / sum(weights)
        assert smoothed == pytest.approx(expected, rel=1e-12)
    assert result.smoothed[0] == result.losses[0]
    assert result.losses[0] == pytest.approx(math.log(len(data.vocab)), abs=0.3)  # a fresh model guesses uniformly


def test_stops_when_the_smoothed_loss_blows_up(data):
    model = tiny_transformer(len(data.vocab))
    result = lr_range_test(model, data, start_lr=1e-3, end_lr=1e4, steps=200, batch_size=4, smooth=0.5, diverge_factor=2.0)
    assert result.diverged and len(result.lrs) < 200
    assert result.smoothed[-1] > 2.0 * min(result.smoothed[:-1])
    assert all(s <= 2.0 * min(result.smoothed[: i + 1]) for i, s in enumerate(result.smoothed[:-1]))


def test_model_optimizer_mode_and_random_state_are_restored_bit_for_bit(data):
    model = tiny_transformer(len(data.vocab))
    config = TrainConfig(learning_rate=3e-3, grad_clip=1.0)
    optimizer = make_optimizer(model, config)
    # Give the optimizer some history of its own first: the range test must not disturb it.
    for _ in range(3):
        _, loss = model(data.X[:4], data.Y[:4])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    params_before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer_before = optimizer.state_dict()
    exp_avg_before = {i: s["exp_avg"].clone() for i, s in optimizer_before["state"].items()}
    step_before = {i: s["step"].clone() for i, s in optimizer_before["state"].items()}
    rng_before = torch.get_rng_state()

    result = lr_range_test(model, data, steps=30, batch_size=4, optimizer=optimizer, config=config, end_lr=10.0)
    assert len(result.lrs) > 3  # it really trained

    after = model.state_dict()
    assert all(torch.equal(params_before[k], after[k]) for k in params_before)
    state = optimizer.state_dict()["state"]
    assert all(torch.equal(exp_avg_before[i], state[i]["exp_avg"]) for i in exp_avg_before)
    assert all(torch.equal(step_before[i], state[i]["step"]) for i in step_before)
    assert [g["lr"] for g in optimizer.param_groups] == [3e-3, 3e-3]
    assert not model.training
    assert torch.equal(torch.get_rng_state(), rng_before)


def test_same_seed_same_curve_other_seed_other_curve(data):
    runs = [lr_range_test(tiny_transformer(len(data.vocab)), data, steps=12, batch_size=4, seed=s) for s in (0, 0, 1)]
    assert runs[0].losses == runs[1].losses
    assert runs[0].losses != runs[2].losses


def test_window_datasets_work_too():
    vocab = Vocab.from_words(WORDS)
    data = WindowDataset(WORDS, vocab, context=3)
    torch.manual_seed(0)
    model = build_model("mlp", ModelConfig(len(vocab), 3, context=3, n_embd=4, n_embd2=16))
    result = lr_range_test(model, data, steps=10, batch_size=8)
    assert len(result.losses) == 10 and all(math.isfinite(x) for x in result.losses)


def test_suggestion_rules_on_a_known_curve():
    # A smoothed loss that falls fastest at 1e-3 and bottoms out at 1e-1, then rises.
    lrs = [10 ** (-6 + 0.1 * i) for i in range(61)]
    smoothed = [3 - math.tanh(2 * (math.log10(lr) + 3)) + (0.5 * (math.log10(lr) + 1) ** 2 if lr > 1e-1 else 0) for lr in lrs]
    smoothed = [s + 1e-4 * abs(math.log10(lr) + 1) for s, lr in zip(smoothed, lrs)]  # a unique minimum at 1e-1
    assert range_test.suggest(lrs, smoothed, "steepest") == pytest.approx(1e-3, rel=1e-9)
    assert range_test.suggest(lrs, smoothed, "min/10") == pytest.approx(1e-2, rel=1e-9)
    assert range_test.suggest(lrs[:2], smoothed[:2], "min/10") is None


def test_the_valley_rule_takes_the_middle_of_the_longest_fall():
    lrs = [10 ** (-6 + 0.1 * i) for i in range(61)]
    curve = [3.0] * 10 + [3.0 - 0.05 * k for k in range(1, 41)] + [1.0 + 0.3 * k for k in range(1, 12)]
    # The longest fall runs from the last flat point (9) to the bottom (49); its middle is 29.
    assert range_test.suggest(lrs, curve, "valley") == lrs[29]


def test_a_centred_average_keeps_the_minimum_where_an_ema_moves_it_late():
    losses = [abs(i - 60) / 10 for i in range(121)]  # a V with its bottom at step 60
    centred = range_test.centred_average(losses, 21)
    assert min(range(121), key=centred.__getitem__) == 60 and centred[0] == sum(losses[:11]) / 11
    ema, average = [], 0.0
    for i, loss in enumerate(losses):
        average = 0.9 * average + 0.1 * loss
        ema.append(average / (1 - 0.9 ** (i + 1)))
    assert min(range(121), key=ema.__getitem__) > 60  # the lag
    with pytest.raises(ValueError, match="window must be an odd whole number"):
        range_test.centred_average(losses, 0)


def test_the_result_carries_both_curves_and_suggests_from_the_one_asked_for(data):
    model = tiny_transformer(len(data.vocab))
    ema = lr_range_test(model, data, steps=30, batch_size=4, rule="min/10", window=5, diverge_factor=1e9)
    centred = lr_range_test(model, data, steps=30, batch_size=4, rule="min/10", window=5, curve="centred", diverge_factor=1e9)
    assert ema.losses == centred.losses and ema.centred == centred.centred == range_test.centred_average(ema.losses, 5)
    assert (ema.curve, centred.curve) == ("ema", "centred")
    assert centred.suggested_lr == range_test.suggest(centred.lrs, centred.centred, "min/10")
    assert ema.suggested_lr == range_test.suggest(ema.lrs, ema.smoothed, "min/10")


def test_result_states_its_rule(data):
    model = tiny_transformer(len(data.vocab))
    result = lr_range_test(model, data, steps=20, batch_size=4, rule="steepest")
    assert result.rule == range_test.RULES["steepest"] and "fastest" in result.rule
    assert result.suggested_lr is None or result.lrs[0] <= result.suggested_lr <= result.lrs[-1]


def test_plot_has_labelled_log_axes(data):
    model = tiny_transformer(len(data.vocab))
    result = lr_range_test(model, data, steps=20, batch_size=4)
    ax = plot_range_test(result)
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "learning rate (log scale)" and "loss" in ax.get_ylabel() and ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["batch loss", "smoothed loss (moving average)", "centred average"]
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]  # each curve's minimum
    assert [(float(d.get_xdata()[0]), float(d.get_ydata()[0])) for d in dots] == [
        (result.lrs[i], curve[i]) for curve in (result.smoothed, result.centred) for i in [min(range(len(curve)), key=curve.__getitem__)]
    ]
    plt.close(ax.figure)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(start_lr=0.0), "need 0 < start_lr < end_lr"),
        (dict(start_lr=1.0, end_lr=0.1), "need 0 < start_lr < end_lr"),
        (dict(steps=1), "steps must be a whole number >= 2"),
        (dict(batch_size=0), "batch_size must be a whole number >= 1"),
        (dict(smooth=1.0), r"smooth must be in \[0, 1\)"),
        (dict(diverge_factor=1.0), "diverge_factor must be > 1"),
        (dict(rule="lowest"), "rule must be one of"),
        (dict(curve="median"), "curve must be one of"),
        (dict(window=4), "window must be an odd whole number >= 1"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(data, kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        lr_range_test(tiny_transformer(len(data.vocab)), data, **kwargs)
    assert "\n" not in str(error.value)
