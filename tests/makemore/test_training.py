"""nnzero.makemore.training and .checkpoint: the training loop, evaluation, exact resume, and
atomic checkpoints, tested on a tiny stand-in model so the loop is checked on its own."""

import copy
import dataclasses
import datetime
import math
import os
import signal

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from nnzero.makemore import checkpoint
from nnzero.makemore.checkpoint import CheckpointError
from nnzero.makemore.data import SequenceDataset, Vocab, WindowDataset
from nnzero.makemore.models import REGISTRY, build_model, default_config
from nnzero.makemore.training import (
    CpuBudget,
    History,
    TrainConfig,
    config_schedule,
    draw_batch,
    evaluate,
    make_optimizer,
    recommended_train_config,
    resolve_device,
    train,
)
from nnzero.schedules import warmup_cosine

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail",
         "ella", "avery", "scarlett", "grace", "chloe", "lily", "aria", "zoey", "nora", "layla"]
VOCAB = Vocab.from_words(WORDS)
BLOCK = max(map(len, WORDS)) + 1
META = {"model_type": "tiny"}


@dataclasses.dataclass
class TinyConfig:
    vocab_size: int
    block_size: int
    n_embd: int = 8
    dropout: float = 0.2

    def to_dict(self):
        return dataclasses.asdict(self)


class TinyModel(nn.Module):
    """A small causal model with the makemore interface: each position sees its own token
    and the mean of the embeddings so far. It has dropout, so exact resume must restore
    torch's random state as well as the batch order."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.n_embd)
        self.mix = nn.Linear(config.n_embd, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.n_embd, config.vocab_size)

    def forward(self, idx, targets=None):
        e = self.embed(idx)
        positions = torch.arange(1, idx.size(1) + 1, device=idx.device)[:, None]
        h = torch.tanh(self.mix(e.cumsum(1) / positions) + e)
        logits = self.head(self.drop(h))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss


def tiny_model(seed=0, dropout=0.2):
    torch.manual_seed(seed)
    return TinyModel(TinyConfig(len(VOCAB), BLOCK, dropout=dropout))


@pytest.fixture(scope="module")
def data():
    return SequenceDataset(WORDS[:16], VOCAB, BLOCK), SequenceDataset(WORDS[16:], VOCAB, BLOCK)


def config(**kwargs):
    # (cooldown_fraction 0.2, not the default 0.5: short cooldowns keep the early-stopping tests small)
    settings = dict(max_steps=20, batch_size=4, learning_rate=1e-2, eval_interval=5, device="cpu", seed=1, cooldown_fraction=0.2)
    return TrainConfig(**{**settings, **kwargs})


# --- TrainConfig and History ----------------------------------------------------------


def test_train_config_round_trips_through_plain_data():
    original = TrainConfig(max_steps=7, betas=(0.8, 0.9), grad_clip=0.5)
    data = original.to_dict()
    assert data["betas"] == [0.8, 0.9]
    assert TrainConfig.from_dict(data) == original


@pytest.mark.parametrize(
    "field, value",
    [("max_steps", -1), ("batch_size", 0), ("learning_rate", 0.0), ("weight_decay", -0.1),
     ("grad_clip", 0.0), ("eval_interval", 0), ("betas", (0.9, 1.0)), ("patience", -1), ("patience", 2.5),
     ("min_improvement", -0.01), ("cooldown_fraction", 1.5)],
)
def test_train_config_refuses_bad_values_in_one_line(field, value):
    with pytest.raises(ValueError) as excinfo:
        TrainConfig(**{field: value})
    assert field in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_train_config_from_dict_names_unknown_fields():
    with pytest.raises(ValueError, match="unknown TrainConfig fields \\['colour'\\]"):
        TrainConfig.from_dict({**TrainConfig().to_dict(), "colour": "red"})


def test_recommended_train_config_covers_every_type_and_takes_overrides():
    types = ["bigram", "mlp", "wavenet", "rnn", "lstm", "gru", "transformer"]
    for name in types:
        assert isinstance(recommended_train_config(name), TrainConfig)
    for name in ["rnn", "lstm", "gru"]:
        assert recommended_train_config(name).grad_clip is not None
    assert [name for name in types if recommended_train_config(name).optimizer == "muon"] == ["transformer"]
    assert recommended_train_config("mlp", seed=5).seed == 5
    with pytest.raises(ValueError, match="unknown model type 'cnn'"):
        recommended_train_config("cnn")


def test_history_round_trips_and_keeps_val_pairs():
    history = History(train_loss=[3.0, 2.5], lr=[0.1, 0.1], val_loss=[(0, 3.3), (2, 2.9)], elapsed=[0.0, 0.5],
                      best_val=2.9, best_step=2, early_stop=(2, 10))
    data = history.to_dict()
    assert data["val_loss"] == [[0, 3.3], [2, 2.9]] and data["early_stop"] == [2, 10]
    assert History.from_dict(data) == history
    assert history.step == 2 and history.steps == [0, 1]


# --- devices and the optimiser --------------------------------------------------------


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        resolve_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_weight_decay_applies_to_matrices_only():
    model = tiny_model()
    optimizer = make_optimizer(model, config(weight_decay=0.3))
    decay, no_decay = optimizer.param_groups
    assert decay["weight_decay"] == 0.3 and no_decay["weight_decay"] == 0.0
    assert {p.dim() for p in decay["params"]} == {2}
    assert {p.dim() for p in no_decay["params"]} == {1}
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))
    assert optimizer.defaults["fused"]  # one kernel per step on the CPU


# --- batches ----------------------------------------------------------------------------


def test_a_batch_is_cut_to_its_longest_word(data):
    train_data, _ = data
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        x, targets = draw_batch(train_data.X, train_data.Y, 3, generator)
        longest = int((targets != -1).sum(dim=1).max())
        assert x.shape == targets.shape == (3, longest) and longest <= BLOCK
        assert (targets[:, -1] != -1).any()  # the last column still has a target
    one_word = SequenceDataset(["ava"], VOCAB, BLOCK)
    x, targets = draw_batch(one_word.X, one_word.Y, 2, generator)
    assert x.tolist() == [[0] + VOCAB.encode("ava")] * 2 and targets.tolist() == [VOCAB.encode("ava") + [0]] * 2


def test_window_batches_keep_their_shape():
    windows = WindowDataset(WORDS[:4], VOCAB, context=3)
    x, targets = draw_batch(windows.X, windows.Y, 5, torch.Generator().manual_seed(0))
    assert x.shape == targets.shape == (5, 3) and (targets[:, :-1] == -1).all()


@pytest.mark.parametrize("model_type", [t for t in REGISTRY if t != "bigram"])
def test_cutting_the_padding_changes_neither_loss_nor_gradient(model_type):
    """Every model is causal, so the positions after a batch's longest word (all padding)
    cannot change the loss at the positions before (float64)."""
    short_words = SequenceDataset(["emma", "ava", "mia", "ella", "zoey"], VOCAB, BLOCK)
    torch.manual_seed(0)
    model = build_model(model_type, default_config(model_type, len(VOCAB), BLOCK)).double().eval()  # eval: no dropout
    x, targets = draw_batch(short_words.X, short_words.Y, 4, torch.Generator().manual_seed(1))
    assert x.size(1) <= 5 < BLOCK  # the cut happened
    padded_x = F.pad(x, (0, BLOCK - x.size(1)), value=0)
    padded_targets = F.pad(targets, (0, BLOCK - x.size(1)), value=-1)
    gradients = []
    for inputs, outputs in ((x, targets), (padded_x, padded_targets)):
        model.zero_grad()
        _, loss = model(inputs, outputs)
        loss.backward()
        gradients.append((loss.item(), [p.grad.clone() for p in model.parameters() if p.grad is not None]))
    (cut_loss, cut_grads), (full_loss, full_grads) = gradients
    assert cut_loss == pytest.approx(full_loss, rel=1e-12)
    assert len(cut_grads) == len(full_grads)
    for a, b in zip(cut_grads, full_grads):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


# --- evaluate -------------------------------------------------------------------------


def manual_mean_nll(model, words):
    """Sum of -log p(next char) over every character and end token of every word, divided
    by how many there are: the definition evaluate() must implement."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for word in words:
            ids = [0] + VOCAB.encode(word)
            targets = VOCAB.encode(word) + [0]
            logits, _ = model(torch.tensor([ids]))
            log_probs = F.log_softmax(logits[0].double(), dim=-1)
            for position, target in enumerate(targets):
                total -= log_probs[position, target].item()
                count += 1
    return total / count


def test_evaluate_is_the_masked_mean_over_the_whole_set(data):
    model = tiny_model()
    _, val = data
    expected = manual_mean_nll(model, WORDS[16:])
    model.train()
    for batch_size in (1, 3, 512):
        assert evaluate(model, val, batch_size) == pytest.approx(expected, rel=1e-6)
    assert model.training  # put back in the mode it was in
    model.eval()
    evaluate(model, val)
    assert not model.training


def test_evaluate_on_windows_uses_the_last_position():
    model = tiny_model()
    windows = WindowDataset(WORDS[:4], VOCAB, context=3)
    with torch.no_grad():
        model.eval()
        logits, _ = model(windows.X)
        expected = F.cross_entropy(logits[:, -1], windows.Y).item()
    assert evaluate(model, windows, batch_size=5) == pytest.approx(expected, rel=1e-6)


# --- the loop -------------------------------------------------------------------------


def test_training_lowers_the_loss_and_records_history(data, tmp_path):
    train_data, val_data = data
    model = tiny_model()
    history = train(model, train_data, val_data, config(max_steps=60, eval_interval=25), work_dir=tmp_path,
                    progress=False, metadata=META)
    assert history.step == 60 and len(history.lr) == 60 and not history.interrupted
    assert [step for step, _ in history.val_loss] == [0, 25, 50, 60]
    assert len(history.elapsed) == 4 and history.elapsed == sorted(history.elapsed)
    assert len(history.cpu_elapsed) == 4 and history.cpu_elapsed == sorted(history.cpu_elapsed)
    assert history.cpu_elapsed[-1] == history.cpu_seconds > 0
    vals = [v for _, v in history.val_loss]
    assert vals[-1] < vals[0] - 0.3  # it learned something
    assert history.best_val == min(vals)
    assert history.best_step == history.val_loss[vals.index(min(vals))][0]
    assert history.val_loss[-1][1] == pytest.approx(evaluate(model, val_data))

    best, last = checkpoint.load(tmp_path / "best.pt"), checkpoint.load(tmp_path / "last.pt")
    assert last["step"] == 60 and best["step"] == history.best_step
    assert last["model_type"] == "tiny" and last["vocab"] == VOCAB.to_dict()
    assert last["model_config"] == model.config.to_dict()
    assert TrainConfig.from_dict(last["train_config"]).max_steps == 60
    assert History.from_dict(last["history"]) == history
    assert sorted(os.listdir(tmp_path)) == ["best.pt", "last.pt"]  # no temporary files left


def test_lr_schedule_matches_torch_lambda_lr(data):
    def warmup_then_halve(step):
        return min(1.0, (step + 1) / 4) * (0.5 if step >= 6 else 1.0)

    history = train(tiny_model(), *data, config(max_steps=10), lr_schedule=warmup_then_halve, progress=False)
    parameter = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([parameter], lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_then_halve)
    expected = []
    for _ in range(10):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert history.lr == pytest.approx(expected, rel=1e-12)


def test_config_warmup_cosine_matches_torch_linear_then_cosine(data):
    """The built-in schedule equals torch's LinearLR warmup followed by CosineAnnealingLR."""
    steps, warmup, final = 12, 3, 0.1
    history = train(tiny_model(), *data, config(max_steps=steps, warmup_steps=warmup, final_lr_fraction=final),
                    progress=False)
    parameter = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([parameter], lr=1e-2)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / (warmup + 1), total_iters=warmup),
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps - warmup, eta_min=final * 1e-2),
    ], milestones=[warmup])
    expected = []
    for _ in range(steps):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert history.lr == pytest.approx(expected, rel=1e-12)


def test_the_tool_trains_with_the_schedule_lesson_13_teaches():
    """One warmup convention: a TrainConfig's schedule is nnzero.schedules.warmup_cosine."""
    tool = config_schedule(recommended_train_config("gru", max_steps=1_000))
    taught = warmup_cosine(1_000, 200, floor=0.05)
    assert [tool(t) for t in range(1_100)] == [taught(t) for t in range(1_100)]
    assert (tool(0), tool(199), tool(200)) == pytest.approx((1 / 201, 200 / 201, 1.0), rel=1e-12)


def test_the_config_schedule_is_constant_by_default_and_ends_at_the_floor():
    assert [config_schedule(config(max_steps=10))(s) for s in range(12)] == [1.0] * 12
    decaying = config_schedule(config(max_steps=10, final_lr_fraction=0.1))
    assert decaying(0) == 1.0 and decaying(10) == pytest.approx(0.1)
    assert config_schedule(config(max_steps=10, warmup_steps=4, final_lr_fraction=0.0))(1) == pytest.approx(2 / 5)


def test_a_run_shorter_than_its_warmup_only_warms_up():
    short = config_schedule(config(max_steps=50, warmup_steps=200))
    assert [short(t) for t in range(50)] == pytest.approx([(t + 1) / 201 for t in range(50)])
    assert config_schedule(config(max_steps=0))(0) == 1.0


def test_negative_lr_multiplier_is_refused(data):
    with pytest.raises(ValueError, match=r"lr_schedule\(0\) returned -1.0"):
        train(tiny_model(), *data, config(), lr_schedule=lambda step: -1.0, progress=False)


def test_gradient_clipping_limits_the_update(data):
    # Adam divides by the gradient's scale, so clipping to a norm far below Adam's eps
    # (1e-8) makes every update tiny; without clipping each weight moves about lr per step.
    def movement(grad_clip):
        model = tiny_model(dropout=0.0)
        before = [p.detach().clone() for p in model.parameters()]
        train(model, *data, config(max_steps=3, weight_decay=0.0, grad_clip=grad_clip), progress=False)
        return max((p - b).abs().max().item() for p, b in zip(model.parameters(), before))

    assert movement(None) > 1e-2
    assert movement(1e-12) < 1e-5


def test_window_dataset_trains_through_the_same_loop():
    train_windows = WindowDataset(WORDS[:16], VOCAB, context=3)
    val_windows = WindowDataset(WORDS[16:], VOCAB, context=3)
    history = train(tiny_model(), train_windows, val_windows, config(max_steps=40, eval_interval=40), progress=False)
    assert history.val_loss[-1][1] < history.val_loss[0][1]


def test_diverging_training_stops_with_one_line(data):
    model = tiny_model()
    with torch.no_grad():
        model.head.bias[0] = math.inf  # what a far too large learning rate ends in
    with pytest.raises(FloatingPointError) as excinfo:
        train(model, *data, config(), progress=False)
    assert "lower the learning rate" in str(excinfo.value) and "\n" not in str(excinfo.value)


# --- exact resume and Ctrl-C ----------------------------------------------------------


def test_resume_gives_the_same_losses_as_an_uninterrupted_run(data, tmp_path):
    steps = 16
    whole = tiny_model(seed=0)
    uninterrupted = train(whole, *data, config(max_steps=steps), progress=False)

    first = tiny_model(seed=0)
    train(first, *data, config(max_steps=steps // 2), work_dir=tmp_path, progress=False, metadata=META)
    state = checkpoint.load(tmp_path / "last.pt")
    assert state["step"] == steps // 2
    second = tiny_model(seed=99)  # different initial weights: the checkpoint must replace them
    resumed = train(second, *data, config(max_steps=steps), work_dir=tmp_path, progress=False, state=state)

    assert resumed.train_loss == uninterrupted.train_loss  # float equality, dropout included
    assert resumed.lr == uninterrupted.lr
    for p, q in zip(whole.parameters(), second.parameters()):
        assert torch.equal(p, q)


def test_resume_without_the_random_states_would_differ(data, tmp_path):
    # The control for the test above: with the batch sampler and dropout started afresh,
    # the second half's losses are not the uninterrupted run's.
    uninterrupted = train(tiny_model(), *data, config(max_steps=16), progress=False)
    train(tiny_model(), *data, config(max_steps=8), work_dir=tmp_path, progress=False, metadata=META)
    state = checkpoint.load(tmp_path / "last.pt")
    state["rng"] = {"batches": torch.Generator().manual_seed(1).get_state(), "torch": torch.get_rng_state()}
    resumed = train(tiny_model(), *data, config(max_steps=16), progress=False, state=state)
    assert resumed.train_loss[:8] == uninterrupted.train_loss[:8]
    assert resumed.train_loss[8:] != uninterrupted.train_loss[8:]


def test_ctrl_c_stops_after_the_step_saves_and_resumes_exactly(data, tmp_path):
    uninterrupted = train(tiny_model(), *data, config(max_steps=12), progress=False)

    def press_ctrl_c_at_step_3(step):
        if step == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return 1.0

    previous_handler = signal.getsignal(signal.SIGINT)
    stopped = train(tiny_model(), *data, config(max_steps=12), lr_schedule=press_ctrl_c_at_step_3,
                    work_dir=tmp_path, progress=False, metadata=META)
    assert signal.getsignal(signal.SIGINT) is previous_handler  # Ctrl-C handling given back
    assert stopped.interrupted and stopped.step == 4  # the step under way was finished
    assert [step for step, _ in stopped.val_loss] == [0, 4]  # and evaluated, for best.pt
    state = checkpoint.load(tmp_path / "last.pt")
    assert state["step"] == 4 and state["history"]["interrupted"]

    resumed = train(tiny_model(seed=5), *data, config(max_steps=12), progress=False, state=state)
    assert not resumed.interrupted
    assert resumed.train_loss == uninterrupted.train_loss


# --- checkpoint files -----------------------------------------------------------------


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    old = {"model": {"w": torch.ones(2)}, "step": 1, "model_type": "tiny", "model_config": {}, "vocab": {"chars": ["a"]}}
    checkpoint.save(path, old)

    def save_half_then_fail(payload, file):
        file.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint.torch, "save", save_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        checkpoint.save(path, {**old, "step": 2})
    monkeypatch.undo()

    assert os.listdir(tmp_path) == ["last.pt"]  # the temporary file is gone
    kept = checkpoint.load(path)
    assert kept["step"] == 1 and torch.equal(kept["model"]["w"], torch.ones(2))


def test_a_saved_file_has_the_permissions_of_any_new_file(tmp_path):
    payload = {"model": {"w": torch.ones(2)}, "step": 1, "model_type": "tiny", "model_config": {}, "vocab": {"chars": ["a"]}}
    checkpoint.save(tmp_path / "last.pt", payload)
    (tmp_path / "plain").write_bytes(b"")  # what open() gives a new file under this umask
    assert (tmp_path / "last.pt").stat().st_mode & 0o777 == (tmp_path / "plain").stat().st_mode & 0o777


def test_load_refuses_damaged_foreign_and_unsafe_files(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(1)}, foreign)
    unsafe = tmp_path / "unsafe.pt"
    torch.save({"model": {}, "step": 0, "model_type": "x", "model_config": {}, "vocab": datetime.date(2024, 1, 1)}, unsafe)

    for path, expected in [(garbage, "is not a readable checkpoint"), (foreign, "was not written by makemore"),
                           (unsafe, "is not a readable checkpoint"), (tmp_path / "missing.pt", "does not exist")]:
        with pytest.raises(CheckpointError) as excinfo:
            checkpoint.load(path)
        message = str(excinfo.value)
        assert expected in message and "\n" not in message


def test_describe_names_type_sizes_data_and_step():
    payload = {"model_type": "gru", "model_config": {"vocab_size": 27, "block_size": 16, "n_embd": 64},
               "step": 300, "data": {"path": "/tmp/words.txt"}}
    assert checkpoint.describe(payload) == "a gru (n_embd=64) trained 300 steps on /tmp/words.txt"


def test_the_loss_at_resume_step_does_not_repeat_evaluation(data, tmp_path):
    # A run that stopped at an evaluation step continues without evaluating that step twice.
    train(tiny_model(), *data, config(max_steps=10), work_dir=tmp_path, progress=False, metadata=META)
    state = checkpoint.load(tmp_path / "last.pt")
    resumed = train(tiny_model(), *data, config(max_steps=20), progress=False, state=state)
    assert [step for step, _ in resumed.val_loss] == [0, 5, 10, 15, 20]
    assert math.isfinite(resumed.best_val)


def test_a_resume_with_the_same_length_changes_nothing_and_one_inside_the_warmup_keeps_warming_up():
    from nnzero.makemore.training import continued_config

    planned = config(max_steps=100, warmup_steps=10, final_lr_fraction=0.1)
    assert continued_config(planned, 40) == planned
    inside = continued_config(planned, 5, max_steps=300)
    assert inside.continue_from is None
    assert [config_schedule(inside)(t) for t in range(300)] == [warmup_cosine(300, 10, floor=0.1)(t) for t in range(300)]
    extended = continued_config(planned, 40, max_steps=300)
    assert extended.continue_from == (40, pytest.approx(config_schedule(planned)(40)))
    schedule = config_schedule(extended)
    assert schedule(40) == pytest.approx(config_schedule(planned)(40)) and schedule(300) == pytest.approx(0.1)
    assert all(schedule(t) >= schedule(t + 1) for t in range(40, 300))
    assert TrainConfig.from_dict(extended.to_dict()) == extended  # what a checkpoint stores


def test_a_batch_is_cut_after_its_last_target_even_when_a_row_starts_with_skipped_ones():
    # A long word's later rows start with -1 (targets an earlier row counted).
    X = torch.tensor([[0, 1, 2, 3, 4, 5], [3, 4, 5, 6, 0, 0]])
    Y = torch.tensor([[1, 2, 3, -1, -1, -1], [-1, -1, 6, 0, -1, -1]])
    x, targets = draw_batch(X, Y, 64, torch.Generator().manual_seed(0))
    assert targets.shape[1] == 4 and (targets[:, 2:4] != -1).any()


# --- early stopping -------------------------------------------------------------------


def test_evaluations_without_improvement_counts_from_the_best_by_the_minimum_gain():
    from nnzero.makemore.training import evaluations_without_improvement as waited

    pairs = lambda losses: list(zip(range(0, 10 * len(losses), 10), losses))  # noqa: E731
    assert waited(pairs([3.0, 2.5, 2.6, 2.55, 2.7]), config()) == 3
    assert waited(pairs([3.0, 2.5, 2.6, 2.4]), config()) == 0
    # Gains of 0.05 do not count when at least 0.1 is asked for: 2.45 and 2.40 are "no better".
    assert waited(pairs([3.0, 2.5, 2.45, 2.40]), config(min_improvement=0.1)) == 2
    assert waited(pairs([3.0, 2.5, 2.45, 2.38]), config(min_improvement=0.1)) == 0
    # A plan that began at step 20 (a resumed, extended run) counts from there, against the best before it.
    extended = config(continue_from=(20, 0.5))
    assert waited(pairs([3.0, 2.5, 2.6, 2.7, 2.55]), config()) == 3
    assert waited(pairs([3.0, 2.5, 2.6, 2.7, 2.55]), extended) == 2
    assert waited(pairs([3.0, 2.5, 2.6]), extended) == 0


def press_ctrl_c_on_training_pass(model, n):
    """Send Ctrl-C (SIGINT) during the model's n-th forward pass in training mode (from 1)."""
    passes = []

    def hook(module, args):
        if module.training:
            passes.append(1)
            if len(passes) == n:
                os.kill(os.getpid(), signal.SIGINT)

    model.register_forward_pre_hook(hook)
    return model


def falls_then_rises(step):
    return 3.0 - step / 10 if step <= 10 else 2.0 + (step - 10) / 100  # best at step 10


def test_a_run_goes_back_to_its_best_after_patience_evaluations_without_improvement_then_cools_down(
        data, tmp_path, scripted_validation):
    scripted_validation(falls_then_rises)
    planned = config(max_steps=40, eval_interval=2, patience=3, warmup_steps=2, final_lr_fraction=0.1)
    model = tiny_model()
    history = train(model, *data, planned, work_dir=tmp_path, progress=False, metadata=META)

    # Best at 10; 12, 14 and 16 are no better: at 16 of 40 the run goes back to step 10's
    # state and cools down for ceil(0.2 * 10) = 2 steps, to 12.
    assert history.early_stop == (10, 16, 40) and history.step == 12 and history.best_step == 10
    assert [s for s, _ in history.val_loss] == list(range(0, 14, 2))  # the discarded evaluations are gone
    schedule = config_schedule(planned)
    assert [lr / planned.learning_rate for lr in history.lr] == pytest.approx(
        [schedule(t) for t in range(10)] + [schedule(10), 0.1 + (schedule(10) - 0.1) / 2])

    # Going back restored everything: the same batches and losses as a run never cut short
    # (whose step 10 had the same rate), only the cooldown's rates differ.
    whole = train(tiny_model(), *data, dataclasses.replace(planned, patience=0), progress=False)
    assert history.train_loss == whole.train_loss[:12] and history.lr[:11] == whole.lr[:11] and history.lr[11] < whole.lr[11]

    # The checkpoints record the new plan; best.pt holds the best model.
    last, best = checkpoint.load(tmp_path / "last.pt"), checkpoint.load(tmp_path / "best.pt")
    assert last["step"] == 12 and TrainConfig.from_dict(last["train_config"]).max_steps == 12
    assert History.from_dict(last["history"]).early_stop == (10, 16, 40)
    assert best["step"] == 10
    for p, q in zip(model.parameters(), checkpoint.load(tmp_path / "last.pt")["model"].values()):
        assert torch.equal(p, q)


def test_patience_zero_trains_every_step_and_the_gain_must_beat_min_improvement(data, scripted_validation):
    scripted_validation(falls_then_rises)
    history = train(tiny_model(), *data, config(max_steps=40, eval_interval=2), progress=False)
    assert history.step == 40 and history.early_stop is None

    # Gains of 0.01 per evaluation from step 10 on: not enough when 0.05 is asked for.
    scripted_validation(lambda step: 3.0 - step / 10 if step <= 10 else 2.0 - (step - 10) / 200)
    history = train(tiny_model(), *data, config(max_steps=40, eval_interval=2, patience=2, min_improvement=0.05,
                                                final_lr_fraction=0.1), progress=False)
    # The best (the lowest loss, however small the gain) was at 14: back there, cooled down to 17.
    assert history.early_stop == (14, 14, 40) and history.step == 17


def test_a_constant_rate_or_a_schedule_of_the_callers_ends_at_the_best(data, scripted_validation):
    for settings, schedule in [(dict(), None), (dict(final_lr_fraction=0.1), lambda step: 1.0)]:
        scripted_validation(falls_then_rises)
        history = train(tiny_model(), *data, config(max_steps=40, eval_interval=2, patience=3, **settings),
                        lr_schedule=schedule, progress=False)
        assert history.early_stop == (10, 16, 40) and history.step == 10 and history.best_step == 10


def test_a_run_interrupted_in_its_cooldown_resumes_exactly_and_a_finished_one_stays_finished(
        data, tmp_path, scripted_validation):
    planned = config(max_steps=60, eval_interval=2, patience=3, warmup_steps=2, final_lr_fraction=0.1)
    best_at_40 = lambda step: 3.0 - step / 20 if step <= 40 else 1.0 + (step - 40) / 100  # noqa: E731
    scripted_validation(best_at_40)
    uninterrupted = train(tiny_model(), *data, planned, progress=False)
    assert uninterrupted.early_stop == (40, 46, 60) and uninterrupted.step == 48

    # 46 training passes before the stop; the 47th is the cooldown's first step (40 -> 41).
    first = press_ctrl_c_on_training_pass(tiny_model(), 47)
    scripted_validation(best_at_40)
    stopped = train(first, *data, planned, work_dir=tmp_path, progress=False, metadata=META)
    assert stopped.interrupted and stopped.step == 41 and stopped.early_stop == (40, 46, 60)

    state = checkpoint.load(tmp_path / "last.pt")
    resumed_config = TrainConfig.from_dict(state["train_config"])  # what --resume continues with
    scripted_validation(best_at_40)
    resumed = train(tiny_model(seed=9), *data, resumed_config, work_dir=tmp_path, progress=False, state=state)
    assert resumed.train_loss == uninterrupted.train_loss and resumed.lr == uninterrupted.lr
    assert resumed.step == 48 and resumed.early_stop == (40, 46, 60)

    # Resumed again as it is, the run has nothing left to do.
    state = checkpoint.load(tmp_path / "last.pt")
    again = train(tiny_model(), *data, TrainConfig.from_dict(state["train_config"]), progress=False, state=state)
    assert again.step == 48 and again.train_loss == uninterrupted.train_loss


def test_a_resumed_run_goes_back_to_the_best_state_in_best_pt(data, tmp_path, scripted_validation):
    planned = config(max_steps=40, eval_interval=2, patience=3, warmup_steps=2, final_lr_fraction=0.1)
    scripted_validation(falls_then_rises)
    whole = train(tiny_model(), *data, planned, progress=False)
    scripted_validation(falls_then_rises)
    first = press_ctrl_c_on_training_pass(tiny_model(), 14)
    stopped = train(first, *data, planned, work_dir=tmp_path, progress=False, metadata=META)
    assert stopped.interrupted and stopped.step == 14 and checkpoint.load(tmp_path / "best.pt")["step"] == 10
    state = checkpoint.load(tmp_path / "last.pt")
    scripted_validation(falls_then_rises)
    resumed = train(tiny_model(), *data, planned, work_dir=tmp_path, progress=False, state=state)
    assert resumed.early_stop == whole.early_stop == (10, 16, 40)
    assert resumed.train_loss == whole.train_loss and resumed.step == 12


def test_an_extended_run_gets_patience_evaluations_to_beat_its_best(data, tmp_path, scripted_validation):
    from nnzero.makemore.training import continued_config

    planned = config(max_steps=40, eval_interval=2, patience=3, warmup_steps=2, final_lr_fraction=0.1)
    scripted_validation(falls_then_rises)
    train(tiny_model(), *data, planned, work_dir=tmp_path, progress=False, metadata=META)
    state = checkpoint.load(tmp_path / "last.pt")

    extended = continued_config(TrainConfig.from_dict(state["train_config"]), state["step"], max_steps=60)
    assert extended.continue_from == (12, pytest.approx(0.1))  # on from the cooldown's floor
    scripted_validation(falls_then_rises)
    history = train(tiny_model(), *data, extended, work_dir=tmp_path, progress=False, state=state)
    # No better than step 10's loss at 14, 16, 18: the best is before this plan began, so
    # the run cools down from where it is, 18, for ceil(0.2 * (18 - 12)) = 2 steps.
    assert history.early_stop == (18, 18, 60) and history.step == 20 and history.best_step == 10


def test_a_stop_whose_cooldown_would_reach_the_planned_end_lets_the_run_finish_as_planned(data, scripted_validation):
    best_at_30 = lambda step: 3.0 - step / 10 if step <= 30 else 0.0 + (step - 30) / 100  # noqa: E731
    scripted_validation(best_at_30)
    planned = config(max_steps=42, eval_interval=2, patience=3, final_lr_fraction=0.1)
    history = train(tiny_model(), *data, planned, progress=False)  # at 36: back to 30, + 6 = 36 < 42
    assert history.early_stop == (30, 36, 42) and history.step == 36
    scripted_validation(best_at_30)
    history = train(tiny_model(), *data, dataclasses.replace(planned, cooldown_fraction=0.5), progress=False)
    assert history.early_stop is None and history.step == 42  # 30 + 15 = 45 >= 42
    assert [lr / planned.learning_rate for lr in history.lr] == pytest.approx([config_schedule(planned)(t) for t in range(42)])


# --- a run by CPU time ------------------------------------------------------------------


class FakeClocks:
    """Stands in for the time module: every reading of process_time moves on by `tick`, so
    each training step (read before and after) takes exactly one tick of CPU time."""

    def __init__(self, tick):
        self.tick, self.now = tick, 0.0

    def process_time(self):
        self.now += self.tick
        return self.now

    def perf_counter(self):
        return self.now


def test_a_run_with_a_cpu_budget_stops_when_the_time_is_spent_with_its_schedule_laid_over_it(data, monkeypatch):
    from nnzero.makemore import training

    monkeypatch.setattr(training, "time", FakeClocks(tick=0.125))
    reports = []
    settings = config(max_steps=10_000, warmup_steps=4, final_lr_fraction=0.1)
    history = train(tiny_model(), *data, settings, budget=CpuBudget(5.0, evaluations=5),
                    progress=lambda step, total, loss=None, val=None: reports.append((step, total)))
    assert history.step == 40 and history.cpu_seconds == 5.0  # 40 steps of 0.125 s
    assert [step for step, _ in history.val_loss] == [0, 10, 20, 30, 40]  # every 1.25 s
    as_if_planned = warmup_cosine(40, 4, floor=0.1)  # what a run planned for 40 steps would do
    assert history.lr == pytest.approx([1e-2 * as_if_planned(s) for s in range(40)])
    assert reports[-1] == (40, 40) and all(total > step for step, total in reports[:-1])
    assert (1, 40) in reports and (20, 40) in reports  # the steps estimated from the time per step so far


def test_a_cpu_budget_stops_at_max_steps_if_that_comes_first_and_refuses_what_it_cannot_follow(data, monkeypatch):
    from nnzero.makemore import training

    monkeypatch.setattr(training, "time", FakeClocks(tick=0.125))
    assert train(tiny_model(), *data, config(max_steps=7), budget=CpuBudget(5.0), progress=False).step == 7
    for clash, settings, changes in (("lr_schedule", config(), dict(lr_schedule=lambda step: 1.0)),
                                     ("patience", config(patience=3), {}),
                                     ("state", config(), dict(state={"step": 3}))):
        with pytest.raises(ValueError, match=f"cannot also take {clash}: train by steps") as excinfo:
            train(tiny_model(), *data, settings, budget=CpuBudget(1.0), progress=False, **changes)
        assert "\n" not in str(excinfo.value)
    for bad, message in ((dict(seconds=0), "seconds must be a number > 0"), (dict(seconds=math.inf), "seconds must"),
                         (dict(seconds=1, evaluations=1), "evaluations must be a whole number >= 2")):
        with pytest.raises(ValueError, match=message):
            CpuBudget(**bad)


def test_training_on_from_a_state_leaves_the_state_as_it_was(data, tmp_path):
    """A state can be resumed twice (lesson 14 branches several runs from one): training
    from it must not write into its history or its optimizer's buffers."""
    train(tiny_model(), *data, config(max_steps=6), work_dir=tmp_path, progress=False, metadata=META)
    state = checkpoint.load(tmp_path / "last.pt")
    before = copy.deepcopy(state)
    first = train(tiny_model(), *data, config(max_steps=12), state=state, progress=False)
    second = train(tiny_model(), *data, config(max_steps=12), state=state, progress=False)
    assert first.train_loss == second.train_loss and len(before["history"]["train_loss"]) == 6
    assert state["history"] == before["history"]
    for (key, value), (_, old) in zip(state["optimizer"]["state"].items(), before["optimizer"]["state"].items()):
        assert all(torch.equal(value[name], old[name]) for name in value if torch.is_tensor(value[name]))
