"""Checkpoints: everything needed to sample from a model or to continue training it exactly.

A checkpoint is one ``torch.save`` file holding a dict of plain data and tensors::

    model          the model's state_dict (its weights)
    optimizer      the optimiser's state_dict (AdamW's moment estimates and step counts; with Muon, its momenta too)
    step           how many optimisation steps have been taken
    model_type     "transformer", "lstm", ... (the registry name)
    model_config   ModelConfig.to_dict()
    train_config   TrainConfig.to_dict()
    vocab          Vocab.to_dict()
    data           where the words came from: path, sha256, line count, split seed, dedupe
    rng            the batch sampler's and torch's random states, so a resumed run draws
                   the same batches and dropout masks as an uninterrupted one
    history        History.to_dict(): the losses so far

Only plain Python values (dicts, lists, strings, numbers) and tensors go in, so
:func:`load` can use ``torch.load(weights_only=True)``, which refuses to run code hidden
in a file (a pickle can otherwise execute anything while loading).
"""

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

import torch

try:
    import fcntl  # POSIX: the work-dir lock
except ImportError:  # Windows
    fcntl = None

# Keys :func:`load` insists on: without them the file cannot be a makemore checkpoint.
REQUIRED_KEYS = ("model", "step", "model_type", "model_config", "vocab")
LOCK_NAME = ".makemore.lock"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used. The message is one line that says what to do."""


def save(path, payload: dict) -> None:
    """Write ``payload`` to ``path`` atomically (:func:`atomic_write`), with ``torch.save``.

    A failed write (a full disk) raises OSError with one line, where torch raises a
    RuntimeError with its C++ source location in it.
    """
    payload = {**payload, "checksum": digest(payload)}
    try:
        atomic_write(path, lambda file: torch.save(payload, file))
    except RuntimeError as error:
        raise OSError(f"could not write {path}: {str(error).splitlines()[-1].strip()}; is the disk full?") from None


def atomic_write(path, write) -> None:
    """Write a file atomically: all of it, or (after a failure) nothing new.

    ``write(file)`` writes the bytes to a temporary file in the same directory, which is
    then renamed over ``path`` with ``os.replace`` (an atomic rename on POSIX and
    Windows). A crash, a full disk or Ctrl-C half way through leaves the previous file at
    ``path`` untouched, and the temporary file is removed. The file gets the permissions
    any new file gets (0666 less the umask), not the owner-only ones of a temporary file.
    """
    path = Path(path)
    descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(descriptor if os.chmod in os.supports_fd else temp_name, 0o666 & ~umask)
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            # Make sure the bytes are on disk before the rename makes them the checkpoint.
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def work_dir_lock(work_dir: Path):
    """Hold ``work_dir``/.makemore.lock while a run trains into it, so a second run there is
    refused (ValueError, one line) instead of overwriting the first one's checkpoints.

    The operating system releases the lock when the process ends, however it ends (kill
    -9 included), so a lock left by a dead run is simply taken over; the temporary files
    a killed run's :func:`atomic_write` left half done are removed, since with the lock
    held nobody is writing them. (On Windows, without fcntl, runs are not locked.)
    """
    if fcntl is None:
        yield
        return
    with open(Path(work_dir) / LOCK_NAME, "a+") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            raise ValueError(f"another makemore run (pid {holder}) is training into {work_dir}; wait for it "
                             "to finish, or give this run another work dir with -o") from None
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n")
        file.flush()
        for stale in Path(work_dir).glob(".*.pt.*.tmp"):
            stale.unlink(missing_ok=True)
        yield


def load(path, map_location="cpu") -> dict:
    """Read a checkpoint written by :func:`save`, with ``weights_only=True``.

    ``map_location`` moves every tensor to that device as it loads ("cpu" by default, so a
    model trained on a GPU opens on any machine). Raises :class:`CheckpointError` for a
    missing file, a file that is not a checkpoint, or one that lacks makemore's keys.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist; train a model first (makemore -o {path.parent})")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises several types for a damaged or foreign file
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({reason[:120]}); delete it or choose another work dir with -o"
        ) from None
    if not isinstance(payload, dict) or any(key not in payload for key in REQUIRED_KEYS):
        raise CheckpointError(
            f"{path} was not written by makemore (it lacks the model, config or vocabulary); "
            "delete it or choose another work dir with -o"
        )
    if "checksum" in payload and payload["checksum"] != digest(payload):
        raise CheckpointError(f"{path} is damaged: its contents do not match the checksum written with them "
                              "(a flipped bit on disk or in a copy?); delete it, or use the other checkpoint")
    problem = _problem(payload)
    if problem:
        raise CheckpointError(f"{path} {problem}; delete it or choose another work dir with -o")
    return payload


def digest(payload: dict) -> str:
    """A sha256 of everything in a checkpoint but its ``checksum``: every tensor's bytes and
    every other value's text, in order, so that a changed bit anywhere changes it."""
    hasher = hashlib.sha256()

    def feed(value):
        if isinstance(value, torch.Tensor):
            tensor = value.detach().cpu().contiguous()
            hasher.update(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
            hasher.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
        elif isinstance(value, dict):
            for key, item in value.items():
                hasher.update(repr(key).encode())
                feed(item)
        elif isinstance(value, (list, tuple)):
            hasher.update(b"[")
            for item in value:
                feed(item)
            hasher.update(b"]")
        else:
            hasher.update(repr(value).encode())

    feed({key: value for key, value in payload.items() if key != "checksum"})
    return hasher.hexdigest()


def _problem(payload: dict) -> str | None:
    """What makes a checkpoint with all its keys unusable (edited by hand, or saved from a
    run that had diverged), or None."""
    step, model_type, weights = payload["step"], payload["model_type"], payload["model"]
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        return f"records step {step!r}, not a whole number of steps"
    if not isinstance(model_type, str):
        return f"records the model type {model_type!r}, not a name"
    if not isinstance(weights, dict) or not all(isinstance(t, torch.Tensor) for t in weights.values()):
        return "holds no weights that a model can load"
    broken = [name for name, t in weights.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if broken:
        return (f"holds NaN or infinite weights ({broken[0]}{' and others' if len(broken) > 1 else ''}): the run had "
                "diverged when it was saved, so it cannot be used")
    return None


def describe(payload: dict) -> str:
    """A short description of the model in a checkpoint, for messages: type, size, data, step."""
    config = payload["model_config"]
    sizes = ", ".join(f"{key}={config[key]}" for key in sorted(config) if key not in ("vocab_size", "block_size"))
    data = payload.get("data") or {}
    source = data.get("path") or "the shipped names"
    return f"a {payload['model_type']} ({sizes}) trained {payload['step']} steps on {source}"
