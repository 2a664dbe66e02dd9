"""The ``makemore`` command: train a character-level model on any text file, then sample.

``makemore`` (or ``python -m nnzero.makemore``) reads one example a line, trains one of
the seven model types to predict each next character, keeps the best model in a work
directory and prints new examples "like" the ones it read. ``makemore --help`` lists
every flag. Everything the command does is built from the package's parts
(``load_words``, ``build_model``, ``train``, ``generate``), so a lesson can do each step
by hand.

Bad input ends with one line on stderr, ``makemore: error: ...``, exit status 2, and
nothing written: every check runs before the work directory is touched.
"""

import argparse
import dataclasses
import math
import os
import sys
from pathlib import Path

import torch

import nnzero
from nnzero.makemore import checkpoint
from nnzero.makemore.checkpoint import CheckpointError
from nnzero.makemore.data import SPLIT_SEED, DataError, SequenceDataset, Splits, Vocab, load_words, split_words, words_sha256
from nnzero.makemore.models import REGISTRY, build_model, default_config, step_memory_estimate
from nnzero.makemore.models.config import ModelConfig
from nnzero.makemore.sample import check_sampling, classify, format_samples, generate
from nnzero.makemore.plan import OPTIMIZERS, TrainConfig, continued_config, plan_start, recommended_train_config
from nnzero.makemore.training import History, evaluate, resolve_device, train

PROG = "makemore"
# The longest context a model reads, unless --block-size says otherwise: names and words
# fit whole; a longer line is trained as overlapping windows, so one long line cannot make
# every step as slow and as big as itself.
DEFAULT_BLOCK_SIZE = 128
# Below this, sampling is as good as taking the likeliest character, and logits / T overflows.
MIN_TEMPERATURE = 0.01
DEFAULT_TYPE = "transformer"
# The lectures' split. Fixed, not --seed, so runs with different seeds share one test set.
# Command-line flags that set ModelConfig fields and TrainConfig fields (same names).
SIZE_FLAGS = ("n_layer", "n_embd", "n_embd2", "n_head", "context", "dropout")
TRAIN_FLAGS = ("max_steps", "batch_size", "optimizer", "learning_rate", "weight_decay", "grad_clip", "warmup_steps",
               "final_lr_fraction", "eval_interval", "patience", "min_improvement")
# Early stopping, on by default: when this many evaluations in a row have not lowered the
# best validation loss by more than MIN_IMPROVEMENT nats, a run goes back to its best
# state and ends with a short cooldown. Evaluations come about once per pass over the
# training words, at most every MAX_EVAL_INTERVAL and at least every MIN_EVAL_INTERVAL
# steps. What these settings give on a small file and on the names, against training every
# step: bench/early_stopping.py, figures in bench/BENCHMARKS.md.
DEFAULT_PATIENCE = 5
DEFAULT_MIN_IMPROVEMENT = 0.001
MIN_EVAL_INTERVAL, MAX_EVAL_INTERVAL = 10, 500


class UsageError(ValueError):
    """A request the command cannot carry out; the message is one line saying what to do.

    Every ValueError that reaches :func:`main` (a config's or a model's check of a
    setting, bad data, an unreadable checkpoint) is reported the same way: one line, exit
    status 2. The checks live where the settings are defined; the command only catches."""


# --- the parser -----------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, not argparse's usage block: the flag list is long, and the error is what matters.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind, low=None, high=None):
    """An argparse type: a finite number of ``kind`` (int or float), ``low <= value < high``
    if bounds are given (only for the command's own flags: a config field's bounds are
    the config's to check)."""
    word = "a whole number" if kind is int else "a number"
    bound = (f" >= {low}" if low is not None else "") + (f" and < {high}" if high is not None else "")

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {word}{bound}, not {text!r}") from None
        if (low is not None and value < low) or (high is not None and value >= high) or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be {word}{bound}, not {text!r}")
        return value

    return parse


def _default_by_type(field: str) -> str:
    """A training default as the types have it, e.g. "1e-3; transformer 5e-4, bigram 0.05"."""
    values = {name: getattr(recommended_train_config(name), field) for name in REGISTRY}
    shown = {name: "off" if value is None else value if isinstance(value, str) else f"{value:g}"
             for name, value in values.items()}
    common = max(shown.values(), key=list(shown.values()).count)
    exceptions = ", ".join(f"{name} {value}" for name, value in shown.items() if value != common)
    return f"{common}; {exceptions}" if exceptions else common


EXAMPLES = f"""\
examples:
  {PROG}
      train a {DEFAULT_TYPE} on the names that ship with nnzero; best.pt and last.pt go to out/
  {PROG} -i cities.txt -o out/cities --type lstm --max-steps 5000
      train an LSTM on your own file, one example a line
  {PROG} -o out/cities --sample-only --num-samples 30 --temperature 0.8 --prefix san
      print 30 new cities starting with "san", a little more conservative than the model
  {PROG} -o out/cities --resume
      continue a stopped run, exactly as if it had never stopped
  {PROG} -o out/cities --resume --max-steps 10000
      train it on up to step 10000: the learning rate goes on from where it was
      and decays to its floor at step 10000

Ctrl-C (or SIGTERM) while training stops after the current step and saves last.pt; --resume continues.
One training run at a time per work dir: a second is refused while the first runs.
Losses are the mean negative log-likelihood per character, in nats (ln of the vocabulary
size is a uniform guess). Exit status: 0 done, 1 training failed, 2 bad input, 130 stopped.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser of ``makemore`` (each flag's help states its default)."""
    parser = _Parser(
        prog=PROG,
        description=(
            "Train a character-level language model on a text file, one example a line\n"
            "(names, words, cities...), and generate more examples like them."
        ),
        epilog=EXAMPLES,
        formatter_class=lambda prog: argparse.RawDescriptionHelpFormatter(prog, max_help_position=32),
    )
    # Flags that set a config field (or a generate() argument) are parsed here as numbers
    # and checked where the field is defined; main() tells such an error as the flag's.
    whole, number = _number(int), _number(float)

    data = parser.add_argument_group("data and work directory")
    data.add_argument("-i", "--input-file", metavar="FILE",
                      help="UTF-8 text file, one example a line (default: the names that ship with nnzero; "
                           "with --resume/--sample-only: the file the checkpoint was trained on)")
    data.add_argument("-o", "--work-dir", metavar="DIR", default="out",
                      help="where best.pt and last.pt are kept (default: out)")
    data.add_argument("--dedupe", action="store_true",
                      help="drop repeated lines before the 80/10/10 split, so no word is in two splits (default: off)")

    mode = parser.add_argument_group("what to do (default: train a new model)").add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="continue training from DIR/last.pt")
    mode.add_argument("--sample-only", action="store_true", help="load DIR/best.pt and print samples; no training")

    model = parser.add_argument_group("model (size flags default to the type's own sizes)")
    model.add_argument("--type", choices=list(REGISTRY),
                       help=f"model type (default: {DEFAULT_TYPE}; with --resume/--sample-only: the checkpoint's)")
    model.add_argument("--n-layer", type=whole, metavar="N", help="layers: recurrent, transformer blocks, dilated convs")
    model.add_argument("--n-embd", type=whole, metavar="N", help="character embedding width")
    model.add_argument("--n-embd2", type=whole, metavar="N", help="hidden width: MLP layer, recurrent state, WaveNet channels")
    model.add_argument("--n-head", type=whole, metavar="N", help="attention heads (transformer; must divide --n-embd)")
    model.add_argument("--context", type=whole, metavar="N", help="characters a window model sees (bigram, mlp, wavenet)")
    model.add_argument("--dropout", type=number, metavar="P", help="dropout probability in [0, 1)")
    model.add_argument("--block-size", type=_number(int, 2), metavar="N",
                       help="the longest context the model reads, in characters + 1; longer lines train as "
                            f"overlapping windows of N (memory and time grow with N) (default: {DEFAULT_BLOCK_SIZE}, "
                            "or the longest line + 1 if shorter)")

    training = parser.add_argument_group("training (defaults: the type's recommended settings)")
    training.add_argument("--max-steps", type=whole, metavar="N",
                          help="steps in all, a resumed run included; resuming with another N does not restart the "
                               "schedule: the rate goes on from where it was and decays to its floor at step N "
                               f"(default: {_default_by_type('max_steps')})")
    training.add_argument("--batch-size", type=whole, metavar="N", help=f"words per step (default: {_default_by_type('batch_size')})")
    training.add_argument("--optimizer", choices=OPTIMIZERS,
                          help="adamw, or muon: Muon for the weight matrices inside the network and AdamW for "
                               f"the rest (default: {_default_by_type('optimizer')})")
    training.add_argument("--learning-rate", type=number, metavar="LR",
                          help=f"peak learning rate (default: {_default_by_type('learning_rate')})")
    training.add_argument("--weight-decay", type=number, metavar="WD",
                          help=f"decoupled weight decay on weight matrices (default: {_default_by_type('weight_decay')})")
    training.add_argument("--grad-clip", type=number, metavar="NORM",
                          help=f"clip the gradient norm to this, 0 = off (default: {_default_by_type('grad_clip')})")
    training.add_argument("--warmup-steps", type=whole, metavar="N",
                          help=f"raise the learning rate linearly over N steps, as (step + 1) / (N + 1) of its peak "
                               f"(default: {_default_by_type('warmup_steps')})")
    training.add_argument("--final-lr-fraction", type=number, metavar="F",
                          help="decay the learning rate along a cosine to F times its peak by the last step, "
                               f"1 = constant (default: {_default_by_type('final_lr_fraction')})")
    training.add_argument("--eval-interval", type=whole, metavar="N",
                          help="evaluate on the whole validation set every N steps (default: about once per pass over "
                               f"the training words, between {MIN_EVAL_INTERVAL} and {MAX_EVAL_INTERVAL} steps)")
    stopping = training.add_mutually_exclusive_group()
    stopping.add_argument("--patience", type=whole, metavar="N",
                          help="stop early when N evaluations in a row have not improved the best validation loss: "
                               f"go back to the best step and cool down from there; 0 = never (default: {DEFAULT_PATIENCE})")
    stopping.add_argument("--no-early-stop", dest="patience", action="store_const", const=0,
                          help="train all --max-steps steps (the same as --patience 0)")
    training.add_argument("--min-improvement", type=number, metavar="D",
                          help="the least fall of the validation loss, in nats, that counts as an improvement "
                               f"(default: {DEFAULT_MIN_IMPROVEMENT:g})")
    training.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps (default: auto)")
    training.add_argument("--seed", type=_number(int, -(2**63), high=2**64), metavar="N",
                          help=f"seeds the initial weights, the batches and the samples (default: {TrainConfig.seed})")

    sampling = parser.add_argument_group("sampling and output")
    sampling.add_argument("--num-samples", type=whole, default=20, metavar="N", help="how many samples to print (default: 20)")
    sampling.add_argument("--temperature", type=_number(float, MIN_TEMPERATURE), default=1.0, metavar="T",
                          help=f"below 1: safer, more typical; above 1: wilder; at least {MIN_TEMPERATURE:g} "
                               "(for always the likeliest character, use --top-k 1) (default: 1)")
    sampling.add_argument("--top-k", type=whole, metavar="K", help="draw only among the K likeliest characters (default: all)")
    sampling.add_argument("--prefix", default="", metavar="TEXT", help="start every sample with TEXT (default: none)")

    sampling.add_argument("--quiet", action="store_true", help="no progress bar or set-up lines; print only the results")
    parser.add_argument("--version", action="version", version=f"{PROG} (nnzero {nnzero.__version__})")
    return parser


# --- entry point ----------------------------------------------------------------------


def main(argv=None) -> int:
    """Run ``makemore`` with the arguments ``argv`` (default: the command line); return the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit:  # --help (0), or a usage error already printed (2)
        return exit.code
    try:
        return _run(args)
    except ValueError as error:  # UsageError, DataError, CheckpointError, and every config check
        return _fail(_as_flag(error, args), 2)
    except BrokenPipeError:  # the reader stopped early (makemore ... | head): nothing went wrong
        _silence_stdout()
        return 0
    except (FloatingPointError, OSError) as error:
        return _fail(error, 1)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Send what is left of stdout nowhere, so that flushing it at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (an embedding program's)
        pass


def _as_flag(error: ValueError, args) -> str:
    """A config's (or generate()'s) complaint about a value the command line gave, told as
    the flag's: "max_steps must be ..." becomes "argument --max-steps: must be ..."."""
    field, _, complaint = " ".join(str(error).split()).partition(" ")
    field = field.removeprefix("ModelConfig.")
    if complaint.startswith("must") and getattr(args, field, None) is not None:
        return f"argument --{field.replace('_', '-')}: {complaint}"
    return str(error)


def _fail(error, status: int) -> int:
    message = " ".join(str(error).split()) or type(error).__name__
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status


def _run(args) -> int:
    work_dir = Path(args.work_dir)
    if work_dir.exists() and not work_dir.is_dir():
        raise UsageError(f"the work dir {work_dir} is a file, not a directory; choose another with -o")
    say = (lambda *lines: None) if args.quiet else print
    if args.sample_only:
        return _sample_only(args, work_dir, say)
    run = _resumed_run(args, work_dir) if args.resume else _new_run(args, work_dir, say)
    return _train_and_report(run, args, work_dir, say)


# --- working out a run, before anything is written ------------------------------------


@dataclasses.dataclass
class _Run:
    model_type: str
    model_config: ModelConfig
    train_config: TrainConfig
    splits: Splits
    vocab: Vocab
    data: dict  # the checkpoint's record of the data: path, sha256, lines, split seed, dedupe
    state: dict | None = None  # the checkpoint a resumed run continues from


def _data_record(input_file, words, dedupe: bool) -> dict:
    path = str(Path(input_file).resolve()) if input_file is not None else None
    return {"path": path, "sha256": words_sha256(words), "lines": len(words), "split_seed": SPLIT_SEED, "dedupe": dedupe}


def _source(data: dict) -> str:
    return data.get("path") or "the shipped names"


def _split(words, data: dict) -> Splits:
    """The 80/10/10 split a data record describes; an error names the file."""
    try:
        return split_words(words, seed=data["split_seed"], dedupe=data["dedupe"])
    except DataError as error:
        raise DataError(f"{_source(data)}: {error}") from None


def _new_run(args, work_dir: Path, say) -> _Run:
    words = load_words(args.input_file)
    data = _data_record(args.input_file, words, args.dedupe)
    splits = _split(words, data)
    repeated = len(words) - len(set(words))
    if repeated and not args.dedupe:
        say(f"note: {repeated:,} lines repeat an earlier line, so a word can be in training and in validation or "
            "test, which then look better than they are; --dedupe keeps each distinct line in one split")
    vocab = Vocab.from_words(words)
    model_type = args.type or DEFAULT_TYPE
    block_size = min(max(map(len, words)) + 1, args.block_size or DEFAULT_BLOCK_SIZE)
    config = dataclasses.replace(default_config(model_type, len(vocab), block_size), **_given(args, SIZE_FLAGS))
    stopping = dict(patience=DEFAULT_PATIENCE, min_improvement=DEFAULT_MIN_IMPROVEMENT)
    train_config = dataclasses.replace(recommended_train_config(model_type), **{**stopping, **_train_flags(args)})
    if args.eval_interval is None:  # about once per pass over the training words
        passes = math.ceil(len(splits.train) / train_config.batch_size)
        train_config.eval_interval = min(MAX_EVAL_INTERVAL, max(MIN_EVAL_INTERVAL, passes))

    existing = next((work_dir / name for name in ("last.pt", "best.pt") if (work_dir / name).exists()), None)
    if existing is not None:
        previous = checkpoint.load(existing)
        differences = _differences(previous, model_type, config, data)
        if differences:
            raise UsageError(
                f"{work_dir} holds a checkpoint of another model ({'; '.join(differences)}); "
                "choose a new work dir with -o, or continue that model with --resume"
            )
        say(f"note: {work_dir} holds an earlier run of this model (step {previous['step']}); starting over "
            "(--resume would have continued it)")
    return _Run(model_type, config, train_config, splits, vocab, data)


def _resumed_run(args, work_dir: Path) -> _Run:
    path, state = _require_checkpoint(work_dir, ["last.pt"], "--resume")
    _check_flags_match(args, state, path)
    words, data = _checkpoint_words(args, state, required=True)
    splits = _split(words, data)
    config, stored_train_config = _stored_configs(state, path)
    train_config = continued_config(stored_train_config, state["step"], **_train_flags(args))
    return _Run(state["model_type"], config, train_config, splits, Vocab.from_dict(state["vocab"]), data, state)


def _load_weights(model, payload: dict, path: Path) -> None:
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError:  # names or shapes that this type and size do not have
        raise CheckpointError(f"{path} holds weights that do not fit {checkpoint.describe(payload)} (edited by hand, "
                              "or mixed with another run?); delete it or choose another work dir with -o") from None


def _stored_configs(payload: dict, path: Path) -> tuple[ModelConfig, TrainConfig | None]:
    """The model and training configs a checkpoint holds (one line of error if they don't fit this nnzero)."""
    try:
        train_config = payload.get("train_config")
        return ModelConfig.from_dict(payload["model_config"]), train_config and TrainConfig.from_dict(train_config)
    except (ValueError, TypeError) as error:
        raise CheckpointError(f"{path} holds settings this version of nnzero cannot read ({error}); "
                              "train a new model with a new work dir (-o)") from None


def _given(args, names) -> dict:
    """The flags among ``names`` that were given on the command line (None means not given)."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _train_flags(args) -> dict:
    """The TrainConfig fields the command line sets."""
    overrides = _given(args, TRAIN_FLAGS + ("seed",))
    if overrides.get("grad_clip") == 0:
        overrides["grad_clip"] = None
    overrides["device"] = args.device
    return overrides


def _differences(payload: dict, model_type: str, config: ModelConfig, data: dict) -> list[str]:
    """How the model in ``payload`` differs from the one asked for (empty: the same model)."""
    differences = []
    if payload["model_type"] != model_type:
        differences.append(f"type {payload['model_type']}, not {model_type}")
    else:
        stored = payload["model_config"]
        for key, value in config.to_dict().items():
            if key not in ("vocab_size", "block_size") and stored.get(key) != value:
                differences.append(f"{key} {stored.get(key)}, not {value}")
    stored_data = payload.get("data") or {}
    if (stored_data.get("sha256"), stored_data.get("dedupe")) != (data["sha256"], data["dedupe"]):
        differences.append(f"trained on other data ({_source(stored_data)})")
    return differences


def _require_checkpoint(work_dir: Path, names, flag: str) -> tuple[Path, dict]:
    """The first of ``names`` in ``work_dir`` that exists, and its contents."""
    for name in names:
        if (work_dir / name).exists():
            return work_dir / name, checkpoint.load(work_dir / name)
    raise UsageError(
        f"{flag}: no checkpoint in {work_dir} ({' or '.join(names)} is missing); "
        f"train a model first with: {PROG} -o {work_dir}"
    )


def _check_flags_match(args, payload: dict, path: Path) -> None:
    """Refuse model flags that contradict the checkpoint a run continues or samples from."""
    stored = payload["model_config"]
    clashes = [f"--{name.replace('_', '-')} {value} (it has {stored.get(name)})"
               for name, value in _given(args, SIZE_FLAGS).items() if stored.get(name) != value]
    if args.type is not None and args.type != payload["model_type"]:
        clashes.insert(0, f"--type {args.type} (it is a {payload['model_type']})")
    if args.block_size is not None and args.block_size != stored.get("block_size"):
        clashes.append(f"--block-size {args.block_size} (it has {stored.get('block_size')})")
    if args.dedupe and not (payload.get("data") or {}).get("dedupe"):
        clashes.append("--dedupe (it was trained without)")
    trained_with = (payload.get("train_config") or {}).get("optimizer", "adamw")
    if args.optimizer is not None and args.optimizer != trained_with:
        clashes.append(f"--optimizer {args.optimizer} (it was trained with {trained_with})")
    if clashes:
        raise UsageError(
            f"{path} holds {checkpoint.describe(payload)}, which does not match {', '.join(clashes)}; "
            "drop those flags to use it, or train a new model with a new work dir (-o)"
        )


def _checkpoint_words(args, payload: dict, required: bool):
    """The words a checkpoint was trained on, from -i or the path it recorded, checked by sha256.

    With ``required=False`` (sampling only needs them to mark samples) a recorded file that
    is gone or changed gives ``(None, reason)`` instead of an error.
    """
    data = payload.get("data")
    if not data:
        reason = "the checkpoint does not record the data it was trained on (it was written by train() without metadata)"
        if required:
            raise UsageError(f"{reason}; continue it from Python with train(..., state=checkpoint.load(path))")
        return None, reason
    path = args.input_file if args.input_file is not None else data.get("path")
    try:
        words = load_words(path)
    except DataError as error:
        if required or args.input_file is not None:
            raise
        return None, str(error)
    if _data_record(path, words, data.get("dedupe"))["sha256"] != data.get("sha256"):
        if required or args.input_file is not None:
            raise UsageError(
                f"{path or 'the shipped names'} is not the data this checkpoint was trained on "
                f"({_source(data)}, {data.get('lines')} lines); give that file with -i"
            )
        return None, f"{_source(data)} has changed since training"
    return words, data


# --- training and the report ----------------------------------------------------------


def _train_and_report(run: _Run, args, work_dir: Path, say) -> int:
    device = resolve_device(run.train_config.device)
    torch.manual_seed(run.train_config.seed)
    model = build_model(run.model_type, run.model_config)
    block_size = run.model_config.block_size
    train_data, val_data, test_data = (SequenceDataset(words, run.vocab, block_size) for words in run.splits)
    check_sampling(model, run.vocab, args.num_samples, None, args.temperature, args.top_k, args.prefix)  # now, not after training
    _check_memory(run, model, device)

    start = run.state["step"] if run.state else 0
    config = run.train_config
    sizes = ", ".join(f"{key}={value}" for key, value in run.model_config.to_dict().items())
    say(f"data: {_source(run.data)}: {run.data['lines']:,} lines, {len(run.vocab) - 1} characters; "
        f"{len(run.splits.train):,} train / {len(run.splits.val):,} val / {len(run.splits.test):,} test words")
    say(f"model: {run.model_type} ({sizes}), {sum(p.numel() for p in model.parameters()):,} parameters")
    if run.state:
        say(f"resuming {work_dir / 'last.pt'} at step {start}")
        if config.continue_from and config.continue_from[0] == start and start < config.max_steps:
            rate = config.learning_rate * config.continue_from[1]
            say(f"schedule: --max-steps is now {config.max_steps}, so the learning rate goes on from {rate:.3g}, where "
                f"the run left it, and decays along a cosine to {config.learning_rate * config.final_lr_fraction:.3g} "
                f"at step {config.max_steps}")
    early_stop = History.from_dict(run.state["history"]).early_stop if run.state else None
    cooled_down = early_stop is not None and plan_start(config) == early_stop[0]
    if start >= config.max_steps and cooled_down:
        best, stopped, planned = early_stop
        say(f"nothing to train: the validation loss stopped improving, so at step {stopped} of {planned} the run went "
            f"back to its best, step {best}, and cooled down to step {start}; to train on anyway, give a larger "
            "--max-steps (with --no-early-stop to train all of it)")
    elif start >= config.max_steps:
        say(f"nothing to train: step {start} already reaches --max-steps {config.max_steps}; give a larger --max-steps")
    say(f"training: steps {start} -> {config.max_steps}, batch {config.batch_size}, {config.optimizer} lr {config.learning_rate:g}, "
        f"weight decay {config.weight_decay:g}, grad clip {config.grad_clip or 'off'}, on {device}; checkpoints in {work_dir}")
    if config.patience:
        say(f"validation: every {config.eval_interval} steps; training stops early after {config.patience} evaluations "
            f"that do not lower its best by {config.min_improvement:g} (--no-early-stop trains all {config.max_steps} steps)")
    else:
        say(f"validation: every {config.eval_interval} steps; no early stopping")

    work_dir.mkdir(parents=True, exist_ok=True)
    with checkpoint.work_dir_lock(work_dir):
        history = train(
            model, train_data, val_data, dataclasses.replace(config, device=str(device)), work_dir=work_dir,
            progress=not args.quiet and sys.stderr.isatty(), state=run.state,
            metadata={"model_type": run.model_type, "data": run.data},
        )
        if history.interrupted:
            print(f"{PROG}: stopped at step {history.step}; saved {work_dir / 'last.pt'}; "
                  f"continue with: {PROG} -o {work_dir} --resume", file=sys.stderr)
            return 130

        best_path = work_dir / "best.pt"
        if best_path.exists():  # it always is, unless someone deleted it during a resumed run
            model.load_state_dict(checkpoint.load(best_path, map_location=device)["model"])
        test_loss = evaluate(model, test_data, config.eval_batch_size)
        print(f"best val loss {history.best_val:.4f} at step {history.best_step}; "
              f"test loss {test_loss:.4f} with that model ({best_path})")
        if history.best_step == 0 and (history.step > 0 or history.early_stop):
            print(f"note: the best model is the untrained one (step 0): training never improved the validation loss; "
                  f"the samples below are close to random; try another --learning-rate, or more data")
        elif history.early_stop is not None:
            back_to, stopped, planned = history.early_stop
            where, then = ((back_to, f"went back to that step and cooled down to step {history.step}") if back_to < stopped
                           else (stopped, f"cooled down from there to step {history.step}"))
            print(f"note: validation stopped improving by step {where} of {planned}: the data was the limit (more data, "
                  f"dropout or a smaller model would help). Training {then}; a new run planned for {stopped} steps "
                  f"(--max-steps {stopped}) may do a little better")
        samples = generate(model, run.vocab, args.num_samples, temperature=args.temperature, top_k=args.top_k,
                           prefix=args.prefix, seed=config.seed)
        print(format_samples(samples, classify(samples, run.splits)))
        return 0


def _available_memory() -> int | None:
    """Bytes of memory free for a new process (Linux's MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _check_memory(run: _Run, model, device: torch.device) -> None:
    """Refuse, before anything is written, a run whose steps would not fit in memory (the
    operating system would kill it without a word)."""
    available = _available_memory()
    if available is None or device.type != "cpu":  # a GPU's memory is its own
        return
    config, batch = run.model_config, run.train_config.batch_size
    need = step_memory_estimate(run.model_type, config, batch, sum(p.numel() for p in model.parameters()))
    if need > available:
        raise UsageError(
            f"one training step would need about {need / 2**30:,.1f} GiB (batch {batch:,} of rows of {config.block_size} "
            f"positions), more than the {available / 2**30:,.1f} GiB free here; lower --batch-size or --block-size"
        )


def _sample_only(args, work_dir: Path, say) -> int:
    path, payload = _require_checkpoint(work_dir, ["best.pt", "last.pt"], "--sample-only")
    _check_flags_match(args, payload, path)
    device = resolve_device(args.device)
    model = build_model(payload["model_type"], _stored_configs(payload, path)[0])
    _load_weights(model, payload, path)
    model.to(device)
    vocab = Vocab.from_dict(payload["vocab"])
    seed = args.seed if args.seed is not None else TrainConfig.seed
    samples = generate(model, vocab, args.num_samples, temperature=args.temperature, top_k=args.top_k,
                       prefix=args.prefix, seed=seed)

    history = payload.get("history") or {}
    best = history.get("best_val")
    say(f"{checkpoint.describe(payload)}" + (f"; best val loss {best:.4f}" if best is not None else ""))
    words, data = _checkpoint_words(args, payload, required=False)
    if words is None:
        say(f"note: samples not marked train/val-test/new: {data}")
        print(format_samples(samples))
    else:
        splits = _split(words, data)
        print(format_samples(samples, classify(samples, splits)))
    return 0
