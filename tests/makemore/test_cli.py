"""The makemore command, run in-process through main([...]): a round trip for every model
type, exact resume, Ctrl-C, and every kind of bad input refused with one line on stderr,
no traceback, and the work dir left as it was."""

import math
import os
import random
import signal
import subprocess
import sys

import pytest
import torch

import nnzero
from nnzero.makemore import checkpoint, cli
from nnzero.makemore.data import load_words
from nnzero.makemore.models import REGISTRY, step_memory_estimate
from nnzero.makemore.training import config_schedule

# Tiny models and runs: the point is the plumbing, not the loss.
TINY = {
    "bigram": [],
    "mlp": ["--context", "3", "--n-embd", "4", "--n-embd2", "16"],
    "wavenet": ["--context", "4", "--n-layer", "2", "--n-embd", "4", "--n-embd2", "8"],
    "rnn": ["--n-embd", "8", "--n-embd2", "8"],
    "lstm": ["--n-embd", "8", "--n-embd2", "8"],
    "gru": ["--n-embd", "8", "--n-embd2", "8"],
    "transformer": ["--n-layer", "1", "--n-embd", "8", "--n-head", "2", "--dropout", "0.1"],
}
QUICK = ["--batch-size", "8", "--eval-interval", "3", "--device", "cpu", "--quiet", "--num-samples", "6"]


@pytest.fixture(scope="module")
def words_file(tmp_path_factory):
    """80 made-up names, a few repeated, with one non-ASCII letter."""
    rng = random.Random(0)
    syllables = ["ka", "lo", "mi", "ra", "ne", "so", "ti", "vu", "zé", "an", "el", "or"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(80)]
    path = tmp_path_factory.mktemp("data") / "names.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path


def run(capsys, *argv):
    """main(argv) -> (exit status, stdout, stderr)."""
    status = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def train_args(words_file, work_dir, model_type="gru", steps=6):
    return ["-i", words_file, "-o", work_dir, "--type", model_type, *TINY[model_type], "--max-steps", steps, *QUICK]


def snapshot(directory):
    """Every file under a directory with its bytes (None: the directory does not exist)."""
    if not directory.exists():
        return None
    return {p.relative_to(directory): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def assert_one_line_error(status, err, *phrases, expected_status=2):
    assert status == expected_status
    assert err.startswith("makemore: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for phrase in phrases:
        assert phrase in err, err


def sample_words(out):
    """The words format_samples printed, whatever group they are in."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if " samples" in line)
    return [w.strip() for line in lines[start + 1 :] for w in line[11:].split(",") if w.strip()]


# --- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("model_type", list(REGISTRY))
def test_train_then_sample_only_for_every_type(model_type, words_file, tmp_path, capsys):
    work_dir = tmp_path / "out"
    status, out, err = run(capsys, *train_args(words_file, work_dir, model_type))
    assert status == 0, err
    assert "best val loss" in out and "test loss" in out and "6 samples:" in out
    assert sorted(os.listdir(work_dir)) == [checkpoint.LOCK_NAME, "best.pt", "last.pt"]  # the lock stays, released
    last = checkpoint.load(work_dir / "last.pt")
    assert last["model_type"] == model_type and last["step"] == 6
    assert last["data"]["path"] == str(words_file.resolve()) and last["data"]["lines"] == 80

    status, out, err = run(capsys, "-o", work_dir, "--sample-only", "--num-samples", "7", "--prefix", "ka", "--quiet")
    assert status == 0, err
    assert out.startswith("7 samples: ")
    samples = sample_words(out)
    assert len(samples) == 7 and all(s.startswith("ka") for s in samples)


def test_resume_continues_exactly_where_training_stopped(words_file, tmp_path, capsys):
    whole, halves = tmp_path / "whole", tmp_path / "halves"
    assert run(capsys, *train_args(words_file, whole, "transformer", steps=10))[0] == 0
    assert run(capsys, *train_args(words_file, halves, "transformer", steps=5))[0] == 0
    assert checkpoint.load(halves / "last.pt")["step"] == 5

    status, out, err = run(capsys, "-o", halves, "--resume", "--max-steps", 10, "--device", "cpu")  # all else from last.pt
    assert status == 0, err
    assert "resuming" in out and "at step 5" in out
    resumed, uninterrupted = checkpoint.load(halves / "last.pt"), checkpoint.load(whole / "last.pt")
    assert resumed["step"] == 10
    assert resumed["history"]["train_loss"] == uninterrupted["history"]["train_loss"]


def test_resume_at_the_end_only_reports(words_file, tmp_path, capsys):
    work_dir = tmp_path / "out"
    run(capsys, *train_args(words_file, work_dir))
    before = checkpoint.load(work_dir / "last.pt")["history"]
    status, out, err = run(capsys, "-o", work_dir, "--resume")
    assert status == 0, err
    assert "nothing to train" in out and "test loss" in out
    assert checkpoint.load(work_dir / "last.pt")["history"]["train_loss"] == before["train_loss"]


def test_the_same_command_twice_starts_over(words_file, tmp_path, capsys):
    args = train_args(words_file, tmp_path / "out")
    assert run(capsys, *args)[0] == 0
    status, out, err = run(capsys, *[a for a in args if a != "--quiet"])
    assert status == 0, err
    assert "starting over" in out


def test_ctrl_c_saves_last_pt_exits_130_and_resume_finishes_the_run(words_file, tmp_path, capsys, monkeypatch):
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    run(capsys, *train_args(words_file, whole, "transformer", steps=9))

    real_train = cli.train

    def train_with_ctrl_c_at_step_4(model, train_data, val_data, config, **kwargs):
        def press_ctrl_c(step):  # the run's own schedule, plus a Ctrl-C at step 4
            if step == 4:
                os.kill(os.getpid(), signal.SIGINT)
            return config_schedule(config)(step)

        return real_train(model, train_data, val_data, config, lr_schedule=press_ctrl_c, **kwargs)

    monkeypatch.setattr(cli, "train", train_with_ctrl_c_at_step_4)
    status, out, err = run(capsys, *train_args(words_file, stopped, "transformer", steps=9))
    monkeypatch.undo()
    assert status == 130
    assert err.count("\n") == 1 and "stopped at step 5" in err and f"makemore -o {stopped} --resume" in err
    assert checkpoint.load(stopped / "last.pt")["step"] == 5

    assert run(capsys, "-o", stopped, "--resume", "--quiet")[0] == 0
    resumed = checkpoint.load(stopped / "last.pt")["history"]["train_loss"]
    assert resumed == checkpoint.load(whole / "last.pt")["history"]["train_loss"]


def test_sample_only_without_the_training_file_prints_unmarked_samples(tmp_path, capsys):
    data = tmp_path / "words.txt"
    data.write_text("\n".join(f"w{i}x" for i in range(30)), encoding="utf-8")
    run(capsys, *train_args(data, tmp_path / "out", "bigram", steps=3))
    data.unlink()
    status, out, err = run(capsys, "-o", tmp_path / "out", "--sample-only", "--num-samples", "4")
    assert status == 0, err
    assert "samples not marked" in out and "4 samples:" in out


def test_help_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "nnzero.makemore", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: makemore")
    text = " ".join(result.stdout.split())  # argparse wraps lines to the terminal's width
    for phrase in ["examples:", "--sample-only", "--temperature T", "(default: out)", "(default: transformer;", "Exit status"]:
        assert phrase in text


# --- bad input: one line, exit 2, nothing written -------------------------------------


@pytest.mark.parametrize(
    "content, phrase",
    [
        (None, "does not exist"),
        (b"", "has no text in it"),
        (b"\n  \n\n", "has no text in it"),
        (b"emma\x00\x00olivia\n", "looks like a binary file"),
        (b"emma\nzo\xe9\nava\n", "is not UTF-8"),
        (b"emma\n", "has only one line"),
    ],
)
def test_bad_input_files_are_refused(content, phrase, tmp_path, capsys):
    data = tmp_path / "words.txt"
    if content is not None:
        data.write_bytes(content)
    status, out, err = run(capsys, *train_args(data, tmp_path / "out"))
    assert_one_line_error(status, err, phrase)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "flags, phrase",
    [
        (["--type", "cnn"], "argument --type: invalid choice: 'cnn'"),
        (["--max-steps", "-5"], "argument --max-steps: must be a whole number >= 0, not -5"),  # TrainConfig's check
        (["--max-steps", "ten"], "argument --max-steps: must be a whole number, not 'ten'"),
        (["--learning-rate", "0"], "argument --learning-rate: must be > 0, not 0.0"),
        (["--learning-rate", "inf"], "argument --learning-rate: must be a number, not 'inf'"),
        (["--grad-clip", "-1"], "argument --grad-clip: must be > 0 (None: no clipping), not -1.0"),
        (["--final-lr-fraction", "2"], "argument --final-lr-fraction: must be in [0, 1], not 2.0"),
        (["--n-layer", "0"], "argument --n-layer: must be a whole number >= 1, not 0"),  # ModelConfig's check
        (["--num-samples", "-1"], "argument --num-samples: must be a whole number >= 0, not -1"),  # generate()'s check
        (["--temperature", "0"], "argument --temperature: must be a number >= 0.01, not '0'"),
        (["--temperature", "-1"], "argument --temperature: must be a number >= 0.01"),
        (["--temperature", "nan"], "argument --temperature: must be a number >= 0.01"),
        (["--temperature", "1e-44"], "argument --temperature: must be a number >= 0.01"),  # logits / T would overflow
        (["--seed", str(2**64)], "argument --seed: must be a whole number >= -9223372036854775808 and < 18446744073709551616"),
        (["--seed", str(-(2**63) - 1)], "argument --seed: must be a whole number >="),
        (["--device", "cpu:1"], "only CUDA devices are numbered; use --device cpu"),
        (["--dropout", "1"], "argument --dropout: must be a probability in [0, 1), not 1.0"),
        (["--top-k", "0"], "argument --top-k: must be a whole number >= 1 (None: no limit), not 0"),
        (["--resume", "--sample-only"], "not allowed with argument"),
        (["--n-head", "3"], "multiple of n_head 3"),
        (["--prefix", "q!"], "characters the model never saw"),
        (["--device", "tpu"], "unknown device 'tpu'"),
    ],
)
def test_bad_flags_are_refused(flags, phrase, words_file, tmp_path, capsys):
    args = train_args(words_file, tmp_path / "out", "transformer") + flags
    status, out, err = run(capsys, *args)
    assert_one_line_error(status, err, phrase)
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_on_a_machine_without_it_is_refused(words_file, tmp_path, capsys):
    status, out, err = run(capsys, *train_args(words_file, tmp_path / "out"), "--device", "cuda")
    assert_one_line_error(status, err, "no CUDA GPU", "--device cpu")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("mode", ["--sample-only", "--resume"])
def test_sample_only_and_resume_need_a_checkpoint(mode, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    status, out, err = run(capsys, "-o", tmp_path / "out", mode)
    assert_one_line_error(status, err, f"{mode}: no checkpoint in", "train a model first")
    assert snapshot(tmp_path / "out") == {}


def test_a_work_dir_that_is_a_file_is_refused(words_file, tmp_path, capsys):
    (tmp_path / "out").write_text("not a directory")
    status, out, err = run(capsys, *train_args(words_file, tmp_path / "out"))
    assert_one_line_error(status, err, "is a file, not a directory")


@pytest.fixture()
def trained_dir(words_file, tmp_path, capsys):
    work_dir = tmp_path / "out"
    assert run(capsys, *train_args(words_file, work_dir, "gru"))[0] == 0
    return work_dir


def test_a_work_dir_holding_another_model_is_refused(trained_dir, words_file, tmp_path, capsys):
    other_data = tmp_path / "other.txt"
    other_data.write_text("\n".join(["anna", "bert", "carl", "dora", "emil", "fina", "gus", "hans", "ida", "jan"]))
    before = snapshot(trained_dir)
    cases = [
        (train_args(words_file, trained_dir, "lstm"), "type gru, not lstm"),
        (train_args(words_file, trained_dir, "gru") + ["--n-embd2", "16"], "n_embd2 8, not 16"),
        (train_args(other_data, trained_dir, "gru"), "trained on other data"),
        (train_args(words_file, trained_dir, "gru") + ["--dedupe"], "trained on other data"),
    ]
    for args, phrase in cases:
        status, out, err = run(capsys, *args)
        assert_one_line_error(status, err, "holds a checkpoint of another model", phrase, "-o", "--resume")
        assert snapshot(trained_dir) == before


def test_resume_and_sample_only_refuse_contradicting_flags_and_other_data(trained_dir, tmp_path, capsys):
    other_data = tmp_path / "other.txt"
    other_data.write_text("\n".join(["anna", "bert", "carl", "dora", "emil", "fina", "gus", "hans", "ida", "jan"]))
    before = snapshot(trained_dir)
    cases = [
        (["--resume", "--type", "lstm"], ["--type lstm (it is a gru)", "drop those flags"]),
        (["--resume", "--n-embd", "32"], ["--n-embd 32 (it has 8)"]),
        (["--resume", "--optimizer", "muon"], ["--optimizer muon (it was trained with adamw)"]),
        (["--sample-only", "--type", "rnn"], ["--type rnn (it is a gru)"]),
        (["--resume", "-i", other_data], ["is not the data this checkpoint was trained on", "give that file with -i"]),
        (["--sample-only", "-i", other_data], ["is not the data this checkpoint was trained on"]),
        (["--resume", "--max-steps", "-1"], ["argument --max-steps"]),
        (["--sample-only", "--prefix", "Q"], ["characters the model never saw ('Q')"]),
    ]
    for flags, phrases in cases:
        status, out, err = run(capsys, "-o", trained_dir, *flags)
        assert_one_line_error(status, err, *phrases)
        assert snapshot(trained_dir) == before


def test_a_damaged_checkpoint_is_refused(trained_dir, capsys):
    (trained_dir / "last.pt").write_bytes(b"garbage")
    status, out, err = run(capsys, "-o", trained_dir, "--resume")
    assert_one_line_error(status, err, "is not a readable checkpoint")


# --- real use: signals, pipes, odd files, full disks --------------------------------


def test_sigterm_saves_like_ctrl_c(words_file, tmp_path, capsys, monkeypatch):
    real_train = cli.train

    def train_with_sigterm_at_step_3(model, train_data, val_data, config, **kwargs):
        def terminate(step):  # the run's own schedule, plus a SIGTERM (timeout, a scheduler) at step 3
            if step == 3:
                os.kill(os.getpid(), signal.SIGTERM)
            return config_schedule(config)(step)

        return real_train(model, train_data, val_data, config, lr_schedule=terminate, **kwargs)

    monkeypatch.setattr(cli, "train", train_with_sigterm_at_step_3)
    status, out, err = run(capsys, *train_args(words_file, tmp_path / "out", "gru", steps=9))
    assert status == 130 and "stopped at step 4" in err and err.count("\n") == 1
    assert checkpoint.load(tmp_path / "out" / "last.pt")["step"] == 4


def test_a_reader_that_stops_early_is_not_an_error(trained_dir):
    # `makemore --sample-only ... | head -1`: the pipe closes after one line.
    command = [sys.executable, "-m", "nnzero.makemore", "-o", str(trained_dir), "--sample-only", "--quiet",
               "--num-samples", "20000"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.readline()
    process.stdout.close()
    status = process.wait(timeout=120)
    assert status == 0 and process.stderr.read() == b""


def test_lines_end_at_newlines_only(tmp_path, capsys):
    data = tmp_path / "words.txt"
    # A form feed, U+2028 and U+0085 inside a line do not end it (str.splitlines would split there).
    data.write_text("an\x0cna\nbob\u2028by\r\ncarl\x85a\n" + "".join(f"name{i}\n" for i in range(20)), encoding="utf-8")
    words = load_words(data)
    assert len(words) == 23 and words[:3] == ["an\x0cna", "bob\u2028by", "carl\x85a"]


def test_too_few_lines_to_split_names_the_file(tmp_path, capsys):
    data = tmp_path / "two.txt"
    data.write_text("emma\nolivia\n", encoding="utf-8")
    status, out, err = run(capsys, *train_args(data, tmp_path / "out"))
    assert_one_line_error(status, err, str(data), "2 lines are too few to split")
    data.write_text("emma\nemma\n", encoding="utf-8")
    status, out, err = run(capsys, *train_args(data, tmp_path / "out"), "--dedupe")
    assert_one_line_error(status, err, "1 distinct line is too few")


def test_a_full_disk_ends_in_one_line_and_leaves_no_half_written_file(words_file, tmp_path, capsys, monkeypatch):
    def disk_full(payload, file):
        file.write(b"partial")
        raise RuntimeError("[enforce fail at inline_container.cc:626] . PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(checkpoint.torch, "save", disk_full)
    status, out, err = run(capsys, *train_args(words_file, tmp_path / "out"))
    assert_one_line_error(status, err, "could not write", "file write failed", "is the disk full?", expected_status=1)
    assert [p.name for p in (tmp_path / "out").iterdir()] == [checkpoint.LOCK_NAME]  # no checkpoint, no temporary file


def test_the_untrained_model_being_the_best_is_said_plainly(words_file, tmp_path, capsys):
    # A rate so small that no weight moves: no evaluation improves on step 0.
    status, out, err = run(capsys, *train_args(words_file, tmp_path / "out", "gru"), "--learning-rate", "1e-30")
    assert status == 0 and "at step 0" in out
    assert "note: the best model is the untrained one (step 0)" in out
    # Stopped early, the run goes back to step 0 and says the same, not that the data was the limit.
    status, out, err = run(capsys, *train_args(words_file, tmp_path / "again", "gru", steps=12), "--learning-rate", "1e-30",
                           "--patience", "1")
    assert status == 0 and checkpoint.load(tmp_path / "again" / "last.pt")["step"] == 0
    assert "note: the best model is the untrained one (step 0)" in out and "the data was the limit" not in out


def test_version(capsys):
    status, out, err = run(capsys, "--version")
    assert status == 0 and out.strip() == f"makemore (nnzero {nnzero.__version__})"


def hold_lock(work_dir, pid="4242"):
    """Hold the work dir's lock as a running makemore would (flock on its lock file)."""
    import fcntl

    work_dir.mkdir(parents=True, exist_ok=True)
    file = open(work_dir / checkpoint.LOCK_NAME, "w")
    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    file.write(pid)
    file.flush()
    return file


@pytest.mark.skipif(checkpoint.fcntl is None, reason="no fcntl: runs are not locked on this system")
def test_a_second_run_into_a_busy_work_dir_is_refused(trained_dir, words_file, capsys):
    holder = hold_lock(trained_dir)
    before = snapshot(trained_dir)
    try:
        for extra in ([], ["--resume"]):
            args = ["-o", trained_dir, "--resume", "--quiet"] if extra else train_args(words_file, trained_dir, "gru")
            status, out, err = run(capsys, *args)
            assert_one_line_error(status, err, "another makemore run (pid 4242) is training into", "another work dir with -o")
        # Reading is fine while it trains.
        assert run(capsys, "-o", trained_dir, "--sample-only", "--quiet")[0] == 0
    finally:
        holder.close()
    assert snapshot(trained_dir) == before  # the first run's checkpoints untouched


@pytest.mark.skipif(checkpoint.fcntl is None, reason="no fcntl: runs are not locked on this system")
def test_the_lock_of_a_killed_run_is_taken_over_and_its_half_written_files_removed(trained_dir, capsys):
    (trained_dir / checkpoint.LOCK_NAME).write_text("999999\n")  # a run that died: the file is there, no lock held
    stale = trained_dir / ".last.pt.abc123.tmp"
    stale.write_bytes(b"half a checkpoint")
    status, out, err = run(capsys, "-o", trained_dir, "--resume", "--max-steps", "9", "--quiet")
    assert status == 0 and not stale.exists()
    assert (trained_dir / checkpoint.LOCK_NAME).read_text().strip() == str(os.getpid())


# --- resuming with another --max-steps ----------------------------------------------


def schedule_args(words_file, work_dir, steps):
    return [*train_args(words_file, work_dir, "gru", steps=steps), "--warmup-steps", "4", "--final-lr-fraction", "0.1",
            "--learning-rate", "0.01"]


def test_extending_a_finished_run_goes_on_at_its_final_rate(words_file, tmp_path, capsys):
    work_dir = tmp_path / "out"
    assert run(capsys, *schedule_args(words_file, work_dir, 12))[0] == 0
    status, out, err = run(capsys, "-o", work_dir, "--resume", "--max-steps", "24", "--device", "cpu")
    assert status == 0, err
    assert "the learning rate goes on from 0.001, where the run left it, and decays along a cosine to 0.001 at step 24" in out
    lr = checkpoint.load(work_dir / "last.pt")["history"]["lr"]
    first_plan = config_schedule(cli.TrainConfig(max_steps=12, warmup_steps=4, final_lr_fraction=0.1))
    assert lr[:12] == pytest.approx([0.01 * first_plan(t) for t in range(12)], rel=1e-12)
    assert lr[12:] == pytest.approx([0.001] * 12, rel=1e-12)  # no jump back up toward the peak


def test_a_run_stopped_midway_and_extended_decays_from_where_it_was(words_file, tmp_path, capsys, monkeypatch):
    stopped, split = tmp_path / "stopped", tmp_path / "split"
    real_train = cli.train

    def stop_at(step_to_stop):
        def train_with_ctrl_c(model, train_data, val_data, config, **kwargs):
            def press_ctrl_c(step):
                if step == step_to_stop:
                    os.kill(os.getpid(), signal.SIGINT)
                return config_schedule(config)(step)

            return real_train(model, train_data, val_data, config, lr_schedule=press_ctrl_c, **kwargs)

        return train_with_ctrl_c

    # Planned for 20 steps, stopped after 10, then extended to 30 in one go ...
    monkeypatch.setattr(cli, "train", stop_at(9))
    assert run(capsys, *schedule_args(words_file, stopped, 20))[0] == 130
    monkeypatch.undo()
    assert run(capsys, "-o", stopped, "--resume", "--max-steps", "30", "--quiet")[0] == 0
    lr = checkpoint.load(stopped / "last.pt")["history"]["lr"]
    plan = config_schedule(cli.TrainConfig(max_steps=20, warmup_steps=4, final_lr_fraction=0.1))
    at_10 = plan(10)
    rule = [0.1 + (at_10 - 0.1) * (1 + math.cos(math.pi * (t - 10) / 20)) / 2 for t in range(10, 30)]
    assert lr[:10] == pytest.approx([0.01 * plan(t) for t in range(10)], rel=1e-12)
    assert lr[10:] == pytest.approx([0.01 * m for m in rule], rel=1e-12)  # from where it was, down to the floor

    # ... and the same, stopped once more on the way: the second resume keeps the extended plan exactly.
    monkeypatch.setattr(cli, "train", stop_at(9))
    assert run(capsys, *schedule_args(words_file, split, 20))[0] == 130
    monkeypatch.setattr(cli, "train", stop_at(17))
    assert run(capsys, "-o", split, "--resume", "--max-steps", "30", "--quiet")[0] == 130
    monkeypatch.undo()
    assert run(capsys, "-o", split, "--resume", "--max-steps", "30", "--quiet")[0] == 0
    once, twice = (checkpoint.load(d / "last.pt")["history"] for d in (stopped, split))
    assert twice["lr"] == once["lr"] and twice["train_loss"] == once["train_loss"]


# --- checkpoints edited by hand, or saved from a diverged run -----------------------


def edit_checkpoint(path, change, keep_checksum=False):
    """Change a checkpoint from outside makemore. Without its checksum (as a checkpoint of
    an older makemore has none), the change reaches the checks that follow the checksum's."""
    payload = torch.load(path, weights_only=True)
    change(payload)
    if not keep_checksum:
        del payload["checksum"]
    torch.save(payload, path)


def nan_weight(payload):
    first = next(iter(payload["model"]))
    payload["model"][first][0] = float("nan")


@pytest.mark.parametrize(
    "change, phrase",
    [
        (nan_weight, "holds NaN or infinite weights"),
        (lambda p: p.update(step="five"), "records step 'five', not a whole number"),
        (lambda p: p.update(model_type=3), "records the model type 3, not a name"),
        (lambda p: p.update(model_type="lstm"), "do not fit"),  # a gru labelled lstm
    ],
)
def test_a_checkpoint_edited_or_saved_after_divergence_is_refused_in_one_line(trained_dir, capsys, change, phrase):
    for name in ("best.pt", "last.pt"):
        edit_checkpoint(trained_dir / name, change)
    before = snapshot(trained_dir)
    for mode in ("--sample-only", "--resume"):
        status, out, err = run(capsys, "-o", trained_dir, mode, "--quiet")
        assert_one_line_error(status, err, phrase)
    assert snapshot(trained_dir) == before


def test_another_models_optimizer_state_is_refused_in_one_line(trained_dir, words_file, tmp_path, capsys):
    other = tmp_path / "other"
    assert run(capsys, *train_args(words_file, other, "transformer"))[0] == 0
    foreign = checkpoint.load(other / "last.pt")["optimizer"]
    edit_checkpoint(trained_dir / "last.pt", lambda p: p.update(optimizer=foreign))
    status, out, err = run(capsys, "-o", trained_dir, "--resume", "--max-steps", "9", "--quiet")
    assert_one_line_error(status, err, "optimizer state does not fit")


# --- long lines: bounded memory and time --------------------------------------------


def test_one_very_long_line_trains_as_windows_of_the_block_size(tmp_path, capsys):
    words = [f"name{chr(97 + i % 26)}{i}" for i in range(60)] + ["ab" * 500]  # one line of 1,000 characters
    data = tmp_path / "long.txt"
    data.write_text("\n".join(words) + "\n", encoding="utf-8")
    status, out, err = run(capsys, *train_args(data, tmp_path / "out", "transformer", steps=4), "--num-samples", "3")
    assert status == 0, err
    assert checkpoint.load(tmp_path / "out" / "last.pt")["model_config"]["block_size"] == cli.DEFAULT_BLOCK_SIZE
    status, out, err = run(capsys, *train_args(data, tmp_path / "small", "gru", steps=4), "--block-size", "16")
    assert status == 0, err
    assert checkpoint.load(tmp_path / "small" / "last.pt")["model_config"]["block_size"] == 16
    # The size is the model's: another one on --resume is refused.
    status, out, err = run(capsys, "-o", tmp_path / "small", "--resume", "--block-size", "32")
    assert_one_line_error(status, err, "--block-size 32 (it has 16)")


def test_short_lines_keep_a_block_of_the_longest_line(words_file, tmp_path, capsys):
    assert run(capsys, *train_args(words_file, tmp_path / "out", "gru"))[0] == 0
    longest = max(len(w) for w in words_file.read_text(encoding="utf-8").split())
    assert checkpoint.load(tmp_path / "out" / "last.pt")["model_config"]["block_size"] == longest + 1


@pytest.mark.skipif(cli._available_memory() is None, reason="no /proc/meminfo: free memory unknown")
def test_a_run_whose_steps_cannot_fit_in_memory_is_refused_before_it_starts(words_file, tmp_path, capsys):
    status, out, err = run(capsys, *train_args(words_file, tmp_path / "out", "gru"), "--batch-size", "100000000")
    assert_one_line_error(status, err, "one training step would need about", "GiB free here", "lower --batch-size")
    assert not (tmp_path / "out").exists()


def test_the_memory_estimate_grows_with_the_batch_and_with_the_square_of_the_block_for_attention():
    from nnzero.makemore.models import default_config

    small = step_memory_estimate("transformer", default_config("transformer", 27, 16), 64, 200_000)
    long = step_memory_estimate("transformer", default_config("transformer", 27, 1001), 64, 200_000)
    assert small < 100 * 2**20  # the names: well under 100 MiB
    assert long > 10 * 2**30  # a 1,000-character row: the 15 GB the reliability report measured, give or take
    assert step_memory_estimate("gru", default_config("gru", 27, 16), 128, 100_000) > step_memory_estimate(
        "gru", default_config("gru", 27, 16), 64, 100_000)


def test_a_flipped_bit_is_caught_by_the_checksum(trained_dir, capsys):
    def flip_one_bit(payload):
        weight = next(iter(payload["model"].values()))
        weight.view(-1).view(torch.int32)[0] ^= 1  # the lowest bit of one weight

    edit_checkpoint(trained_dir / "best.pt", flip_one_bit, keep_checksum=True)
    status, out, err = run(capsys, "-o", trained_dir, "--sample-only")
    assert_one_line_error(status, err, "best.pt is damaged", "do not match the checksum")
    assert run(capsys, "-o", trained_dir, "--resume", "--max-steps", "9", "--quiet")[0] == 0  # last.pt is intact


# --- early stopping -----------------------------------------------------------------------


def falls_then_rises(step):
    return 3.0 - step / 10 if step <= 10 else 2.0 + (step - 10) / 100  # best at step 10


def early_stop_args(words_file, work_dir, steps=60):
    return [*train_args(words_file, work_dir, "gru", steps=steps), "--eval-interval", "2"]


def test_training_stops_early_by_default_and_says_the_data_was_the_limit(words_file, tmp_path, capsys, scripted_validation):
    scripted_validation(falls_then_rises)
    status, out, err = run(capsys, *early_stop_args(words_file, tmp_path / "out"))
    # Best at 10; five evaluations (12 ... 20) no better: at 20 the run goes back to step
    # 10 and cools down for half of 10 steps, to 15.
    assert status == 0, err
    assert "best val loss 2.0000 at step 10" in out
    assert ("note: validation stopped improving by step 10 of 60: the data was the limit (more data, dropout or a "
            "smaller model would help). Training went back to that step and cooled down to step 15; a new run planned "
            "for 20 steps (--max-steps 20) may do a little better") in out
    last = checkpoint.load(tmp_path / "out" / "last.pt")
    assert last["step"] == 15 and last["train_config"]["patience"] == cli.DEFAULT_PATIENCE
    assert last["history"]["early_stop"] == [10, 20, 60]

    # Resumed as it is, there is nothing left to do, and it says why and what to do.
    scripted_validation(falls_then_rises)
    status, out, err = run(capsys, "-o", tmp_path / "out", "--resume", "--device", "cpu")
    assert status == 0 and checkpoint.load(tmp_path / "out" / "last.pt")["step"] == 15
    assert ("nothing to train: the validation loss stopped improving, so at step 20 of 60 the run went back to its "
            "best, step 10, and cooled down to step 15; to train on anyway, give a larger --max-steps (with "
            "--no-early-stop to train all of it)") in out

    # Extended with --no-early-stop, it trains every step asked for.
    status, out, err = run(capsys, "-o", tmp_path / "out", "--resume", "--max-steps", "40", "--no-early-stop", "--quiet")
    assert status == 0 and checkpoint.load(tmp_path / "out" / "last.pt")["step"] == 40


@pytest.mark.parametrize("flags, steps, patience", [(["--no-early-stop"], 60, 0), (["--patience", "0"], 60, 0),
                                                    (["--patience", "2"], 15, 2)])
def test_the_patience_flags(words_file, tmp_path, capsys, scripted_validation, flags, steps, patience):
    scripted_validation(falls_then_rises)
    status, out, err = run(capsys, *early_stop_args(words_file, tmp_path / "out"), *flags)
    assert status == 0, err
    last = checkpoint.load(tmp_path / "out" / "last.pt")
    assert last["step"] == steps and last["train_config"]["patience"] == patience
    assert ("validation stopped improving" in out) == bool(patience)


def test_min_improvement_sets_the_gain_that_counts(words_file, tmp_path, capsys, scripted_validation):
    # From step 10 on the loss falls by 0.02 per evaluation: an improvement unless 0.05 is asked for.
    scripted_validation(lambda step: 3.0 - step / 10 if step <= 10 else 2.0 - (step - 10) / 100)
    status, out, err = run(capsys, *early_stop_args(words_file, tmp_path / "a"), "--patience", "2")
    assert status == 0 and checkpoint.load(tmp_path / "a" / "last.pt")["step"] == 60
    scripted_validation(lambda step: 3.0 - step / 10 if step <= 10 else 2.0 - (step - 10) / 100)
    status, out, err = run(capsys, *early_stop_args(words_file, tmp_path / "b"), "--patience", "2", "--min-improvement", "0.05")
    assert status == 0 and checkpoint.load(tmp_path / "b" / "last.pt")["history"]["early_stop"] == [14, 14, 60]


def test_patience_and_no_early_stop_together_are_refused(words_file, tmp_path, capsys):
    status, out, err = run(capsys, *early_stop_args(words_file, tmp_path / "out"), "--patience", "3", "--no-early-stop")
    assert status == 2 and err.count("\n") == 1 and "not allowed with argument" in err
    assert not (tmp_path / "out").exists()


def test_validation_comes_about_once_per_pass_over_the_training_words(words_file, tmp_path, capsys):
    # 64 training words in batches of 8: a pass is 8 steps, raised to the floor of 10.
    args = ["-i", words_file, "-o", tmp_path / "out", "--type", "gru", *TINY["gru"], "--max-steps", "30",
            "--batch-size", "8", "--device", "cpu", "--num-samples", "0"]
    status, out, err = run(capsys, *args)
    assert status == 0, err
    assert f"validation: every {cli.MIN_EVAL_INTERVAL} steps; training stops early after 5 evaluations" in out
    assert checkpoint.load(tmp_path / "out" / "last.pt")["train_config"]["eval_interval"] == cli.MIN_EVAL_INTERVAL
    status, out, err = run(capsys, *args[:-2], "--batch-size", "2", "-o", tmp_path / "b", "--no-early-stop",
                           "--num-samples", "0")
    assert status == 0 and "validation: every 32 steps; no early stopping" in out


def test_repeated_lines_are_pointed_out_with_the_flag_that_separates_them(tmp_path, capsys):
    data = tmp_path / "words.txt"
    data.write_text("\n".join(["anna", "bob", "carl", "dora", "emil", "fay", "gus", "hal", "ida", "jon", "anna", "bob"]) + "\n",
                    encoding="utf-8")
    base = ["-i", data, "--type", "bigram", "--max-steps", "1", "--device", "cpu", "--num-samples", "0"]
    status, out, err = run(capsys, *base, "-o", tmp_path / "a")
    assert status == 0 and "note: 2 lines repeat an earlier line" in out and "--dedupe keeps each distinct line" in out
    status, out, err = run(capsys, *base, "-o", tmp_path / "b", "--dedupe")
    assert status == 0 and "repeat an earlier line" not in out
