"""Sampling new words from a trained model, and telling which of them are really new.

::

    words = generate(model, vocab, 20, temperature=0.8, top_k=10, prefix="ja", seed=1)
    labels = classify(words, splits)     # "train", "val/test" or "new" for each word
    print(format_samples(words, labels))

A word is written one character at a time: the model reads the boundary token (and the
prefix), gives logits for the next character, we divide them by the temperature, keep
the ``top_k`` largest, turn them into probabilities with a softmax and draw one. A
word ends when the model draws the boundary token, or after ``max_len`` characters.
"""

import math

import torch
import torch.nn.functional as F

from nnzero.makemore.data import DataError, Splits, Vocab


def check_sampling(model, vocab: Vocab, num_samples: int, max_len: int | None, temperature: float, top_k: int | None,
                   prefix: str) -> int:
    """Check :func:`generate`'s settings without drawing anything (so a program can refuse
    bad ones before it trains); return ``max_len`` with its default filled in.
    ValueError (DataError for the prefix) says what is wrong."""
    if not isinstance(num_samples, int) or num_samples < 0:
        raise ValueError(f"num_samples must be a whole number >= 0, not {num_samples!r}")
    if not (temperature > 0 and math.isfinite(temperature)):
        raise ValueError(f"temperature must be a number > 0, not {temperature!r}; 1 samples the model as it is")
    if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a whole number >= 1 (None: no limit), not {top_k!r}")
    longest = model.config.block_size - 1
    max_len = longest if max_len is None else max_len
    if not isinstance(max_len, int) or not 1 <= max_len <= longest:
        raise ValueError(f"max_len must be between 1 and {longest} (the model's block_size - 1), not {max_len!r}")
    unknown = [c for c in dict.fromkeys(prefix) if c not in vocab.stoi]
    if unknown:
        raise DataError(
            f"the prefix {prefix!r} has characters the model never saw ({''.join(unknown)!r}); "
            f"use only these: {''.join(vocab.chars)!r}"
        )
    if len(prefix) > max_len:
        raise DataError(f"the prefix {prefix!r} is longer than the longest word the model writes ({max_len} characters)")
    return max_len


@torch.inference_mode()
def generate(
    model: torch.nn.Module,
    vocab: Vocab,
    num_samples: int,
    max_len: int | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    prefix: str = "",
    seed: int | None = None,
    device=None,
) -> list[str]:
    """Draw ``num_samples`` words from ``model``, all at once as one batch.

    - ``max_len``: the most characters a word may have, prefix included; by default and
      at most ``model.config.block_size - 1``, the longest word the model was trained on.
    - ``temperature`` > 0: below 1 sharpens the distribution (safer, more common words),
      above 1 flattens it (stranger words); near 0 it approaches always taking the most
      likely character.
    - ``top_k``: draw only among the k most likely characters (ties at the k-th are kept);
      None draws among all.
    - ``prefix``: every word starts with it and the model continues it; each of its
      characters must be in ``vocab`` (DataError otherwise).
    - ``seed``: the same seed gives the same words; None uses torch's global generator.
    - ``device``: where to run; by default the device the model's parameters are on.

    The model runs in eval mode (no dropout) and is put back in the mode it was in.
    """
    max_len = check_sampling(model, vocab, num_samples, max_len, temperature, top_k, prefix)
    if num_samples == 0:
        return []

    device = torch.device(device) if device is not None else next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed) if seed is not None else None
    start = [Vocab.BOUNDARY] + vocab.encode(prefix)
    idx = torch.tensor([start] * num_samples, dtype=torch.long, device=device)
    finished = torch.zeros(num_samples, dtype=torch.bool, device=device)

    was_training = model.training
    model.eval()
    try:
        for _ in range(max_len - len(prefix)):
            logits, _ = model(idx[:, -model.config.block_size :])  # the last block_size tokens: a sliding window
            logits = logits[:, -1, :].float() / temperature
            if top_k is not None and top_k < logits.size(-1):
                kth_largest = torch.topk(logits, top_k, dim=-1).values[:, -1:]
                logits = logits.masked_fill(logits < kth_largest, -math.inf)
            next_id = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
            # A finished word only collects boundary tokens, which decoding drops.
            next_id = next_id.masked_fill(finished[:, None], Vocab.BOUNDARY)
            idx = torch.cat([idx, next_id], dim=1)
            finished |= next_id[:, 0] == Vocab.BOUNDARY
            if finished.all():
                break
    finally:
        model.train(was_training)
    return [vocab.decode(row[1:].tolist()) for row in idx.cpu()]


def classify(samples, splits: Splits) -> list[str]:
    """For each sample: "train" if it is a training word, "val/test" if it is a validation
    or test word (and not a training word), else "new" (the model made it up)."""
    train_words = set(splits.train)
    held_out = set(splits.val) | set(splits.test)
    return ["train" if s in train_words else "val/test" if s in held_out else "new" for s in samples]


# How format_samples names each label, in the order it lists them.
_GROUPS = {"new": "new", "train": "in the training set", "val/test": "in val/test"}


def format_samples(samples, labels=None, width: int = 88) -> str:
    """The samples grouped by their :func:`classify` labels, as text for a terminal.

    ::

        20 samples: 14 new, 5 in the training set, 1 in val/test
        new:       kaylin, amarie, ...
        train:     emma, ...
        val/test:  jose

    With ``labels=None`` (the training words are not at hand) the samples are listed unmarked.
    """
    samples = [s or "(empty)" for s in samples]
    if not samples:
        return "0 samples"
    if labels is None:
        return "\n".join([f"{len(samples)} samples:"] + _wrap("", samples, width))
    labels = list(labels)
    if len(samples) != len(labels):
        raise ValueError(f"{len(samples)} samples but {len(labels)} labels; give one label per sample")
    unknown = set(labels) - set(_GROUPS)
    if unknown:
        raise ValueError(f"unknown labels {sorted(unknown)}; labels come from classify(): {', '.join(_GROUPS)}")
    counts = ", ".join(f"{labels.count(label)} {name}" for label, name in _GROUPS.items())
    lines = [f"{len(samples)} samples: {counts}"]
    for label in _GROUPS:
        words = [s for s, l in zip(samples, labels) if l == label]
        if words:
            lines += _wrap(label + ":", words, width)
    return "\n".join(lines)


def _wrap(head: str, words: list[str], width: int) -> list[str]:
    """``head`` then the words, comma-separated, over as many lines as ``width`` needs,
    breaking between words and never inside one (a sample may itself contain spaces)."""
    indent = " " * 11
    lines, line = [], f"{head:<10} {words[0]}" if head else indent + words[0]
    for word in words[1:]:
        if len(line) + len(", ") + len(word) + len(",") > width:
            lines.append(line + ",")
            line = indent + word
        else:
            line += ", " + word
    return lines + [line]
