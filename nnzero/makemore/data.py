"""Words in, tensors out: everything makemore does to a text file before a model sees it.

The pipeline a lesson (or the ``makemore`` tool) follows::

    words = load_words()                       # the shipped names, or load_words("my.txt")
    vocab = Vocab.from_words(words)            # every character in the data, plus a boundary token
    splits = split_words(words, seed=42)       # 80% train, 10% validation, 10% test
    train = WindowDataset(splits.train, vocab, context=3)        # fixed windows: bigram, MLP, WaveNet
    train = SequenceDataset(splits.train, vocab, block_size=16)  # whole words: RNN ... Transformer

Index 0 is the *boundary* token: it stands before the first character of a word (so a
model has something to predict the first letter from) and after the last (so it can
learn when a word ends). No character ever gets index 0, so a word can hold any
character at all, including '.'.
"""

import hashlib
import math
import random
from pathlib import Path
from typing import NamedTuple

import torch

# The names dataset that ships with nnzero; PROVENANCE.md beside it says where it comes from.
SHIPPED_NAMES = Path(__file__).resolve().parent.parent / "data" / "names.txt"
MAX_LINE_LENGTH = 1_000  # characters in one example; far above any name, far below what a model can attend over


class DataError(ValueError):
    """Bad input data. The message is one line that says what was wrong and what to do."""


def load_words(path=None) -> list[str]:
    """Read one example per line from a UTF-8 text file.

    With no ``path``, the names dataset that ships with nnzero. Each line is stripped of
    surrounding whitespace and blank lines are dropped; nothing else changes (no
    lower-casing, duplicates kept, order kept).

    Raises :class:`DataError` for a missing file, a directory, a binary file, a file that
    is not UTF-8, a file with no text in it, a line longer than :data:`MAX_LINE_LENGTH`
    (makemore models short examples, one a line; longer text belongs in shorter lines),
    or a file of one line (too few to split into train,
    validation and test).
    """
    path = SHIPPED_NAMES if path is None else Path(path)
    name = str(path)
    if not path.exists():
        raise DataError(f"{name} does not exist; check the path and try again")
    if path.is_dir():
        raise DataError(f"{name} is a directory; give a text file with one example per line")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"{name} cannot be read ({error.strerror}); check its permissions") from None

    if b"\x00" in data:
        raise DataError(
            f"{name} looks like a binary file, not text (it contains NUL bytes: binary data, "
            "or text saved as UTF-16); give a UTF-8 text file with one example per line"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataError(
            f"{name} is not UTF-8 text (invalid byte 0x{data[error.start]:02x} on line {line}); "
            "save it as UTF-8 and try again"
        ) from None
    # Windows editors often start a UTF-8 file with a byte-order mark; it is not a character.
    text = text.removeprefix("\ufeff")

    # Lines end at a newline ("\r\n" too), as for `wc -l`: str.splitlines would also break at
    # form feeds, U+2028 and U+0085, which may sit inside an example.
    words = [line.strip() for line in text.split("\n")]
    words = [word for word in words if word]
    if not words:
        raise DataError(f"{name} has no text in it (no non-blank line); give a file with one example per line")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    if len(words[longest]) > MAX_LINE_LENGTH:
        raise DataError(
            f"{name} has a line of {len(words[longest]):,} characters (\"{words[longest][:20]}...\"); makemore models "
            f"short examples, one a line (names, words), at most {MAX_LINE_LENGTH:,} characters: split the text into shorter lines"
        )
    if len(words) == 1:
        raise DataError(
            f"{name} has only one line, too few to split into train, validation and test; "
            "give a file with one example per line"
        )
    return words


class Vocab:
    """The characters a model can read and write, each with an integer index.

    Index 0 is the boundary token (:attr:`BOUNDARY`), which marks the start and the end
    of a word; the characters get 1, 2, 3, ... in the order of :attr:`chars`. So
    ``len(vocab)`` is the number of characters plus one, and it is the size of a model's
    output layer.

    >>> vocab = Vocab.from_words(["emma", "ava"])
    >>> vocab.chars, len(vocab), vocab.encode("ava"), vocab.decode([1, 4, 1, 0])
    (['a', 'e', 'm', 'v'], 5, [1, 4, 1], 'ava')
    """

    BOUNDARY = 0
    # Markers tried in turn to show the boundary token in plots and tables; the first
    # that is not a character of the data wins. The last has two characters, so it can
    # never be mistaken for one.
    _BOUNDARY_MARKERS = (".", "·", "•", "¶", "<>")

    def __init__(self, chars):
        chars = list(chars)
        if any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise DataError("a vocabulary holds single characters; build it with Vocab.from_words(words)")
        if len(set(chars)) != len(chars):
            raise DataError("a vocabulary lists each character once; build it with Vocab.from_words(words)")
        self.chars: list[str] = chars
        self.stoi: dict[str, int] = {c: i + 1 for i, c in enumerate(chars)}
        self.itos: dict[int, str] = {i: c for c, i in self.stoi.items()}
        self.boundary_symbol: str = next(m for m in self._BOUNDARY_MARKERS if m not in self.stoi)

    @classmethod
    def from_words(cls, words) -> "Vocab":
        """The vocabulary of a list of words: every character that occurs in them, sorted."""
        chars = sorted(set("".join(words)))
        if not chars:
            raise DataError("the words hold no characters, so there is no vocabulary to build; give non-empty words")
        return cls(chars)

    def __len__(self) -> int:
        return len(self.chars) + 1

    def encode(self, word: str) -> list[int]:
        """The indices of the characters of ``word`` (no boundary tokens added)."""
        try:
            return [self.stoi[c] for c in word]
        except KeyError as error:
            char = error.args[0]
            raise DataError(
                f"character {char!r} (U+{ord(char):04X}) in {word!r} is not in the vocabulary; "
                "build the vocabulary from data that contains it"
            ) from None

    def decode(self, ids) -> str:
        """The text of a sequence of indices (a list or a 1-D tensor); boundary tokens are dropped."""
        chars = []
        for i in ids:
            i = int(i)
            if i == self.BOUNDARY:
                continue
            if i not in self.itos:
                raise DataError(f"index {i} is not in the vocabulary (0..{len(self) - 1}); decode indices this vocabulary made")
            chars.append(self.itos[i])
        return "".join(chars)

    def symbol(self, i: int) -> str:
        """How to show index ``i`` in a plot or table: its character, or a marker for the boundary."""
        i = int(i)
        if i == self.BOUNDARY:
            return self.boundary_symbol
        if i not in self.itos:
            raise DataError(f"index {i} is not in the vocabulary (0..{len(self) - 1})")
        return self.itos[i]

    def to_dict(self) -> dict:
        """Plain data (a list of strings) to store in a checkpoint; :meth:`from_dict` reverses it."""
        return {"chars": list(self.chars)}

    @classmethod
    def from_dict(cls, data: dict) -> "Vocab":
        """Rebuild a vocabulary from :meth:`to_dict`'s output."""
        if not isinstance(data, dict) or not isinstance(data.get("chars"), list):
            raise DataError("a stored vocabulary must be a dict with a list 'chars'; store it with Vocab.to_dict()")
        return cls(data["chars"])

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and self.chars == other.chars

    def __repr__(self) -> str:
        return f"Vocab({''.join(self.chars)!r}, size={len(self)})"


class Splits(NamedTuple):
    """Three disjoint lists of words: fit on ``train``, tune on ``val``, report on ``test``."""

    train: list[str]
    val: list[str]
    test: list[str]


SPLIT_SEED = 42  # the lectures' split of the words into train / val / test (random.seed(42))


def words_sha256(words) -> str:
    """A fingerprint of a list of words: the sha256 of the words joined by newlines."""
    return hashlib.sha256("\n".join(words).encode("utf-8")).hexdigest()


def split_words(words, seed: int = SPLIT_SEED, fractions=(0.8, 0.1, 0.1), dedupe: bool = False) -> Splits:
    """Shuffle the words with a seeded generator and cut them into train, val and test.

    The same words and seed always give the same split (the generator is private, so no
    other random numbers are disturbed). With the default fractions the cut points are
    ``int(0.8 * n)`` and ``int(0.9 * n)`` and the shuffle is Python's ``random.shuffle``,
    so ``seed=42`` gives the very split of the lectures' ``random.seed(42)``. The lines
    are split as given: a word that occurs twice can land in two splits. ``dedupe=True``
    first keeps only the first occurrence of each word, so the splits share no word.
    """
    if len(fractions) != 3 or any(not f > 0 for f in fractions) or not math.isclose(sum(fractions), 1.0):
        raise DataError(f"fractions must be three positive numbers that add up to 1, not {tuple(fractions)}")
    words = list(dict.fromkeys(words)) if dedupe else list(words)
    random.Random(seed).shuffle(words)

    n = len(words)
    # Sums of fractions can land a hair below a whole number ((0.1 + 0.6) * 90 is
    # 62.999...); the small epsilon keeps the cut where exact arithmetic puts it (63).
    train_end = int(fractions[0] * n + 1e-9)
    val_end = int((fractions[0] + fractions[1]) * n + 1e-9)
    splits = Splits(words[:train_end], words[train_end:val_end], words[val_end:])
    if not all(splits):
        sizes = "/".join(str(len(s)) for s in splits)
        lines = f"{n} {'distinct ' if dedupe else ''}line{'s are' if n != 1 else ' is'}"
        raise DataError(
            f"{lines} too few to split into train/val/test (sizes would be {sizes}); "
            "give more lines, at least 10 for an 80/10/10 split"
        )
    return splits


class WindowDataset(torch.utils.data.Dataset):
    """Every (last ``context`` characters, next character) pair of the words.

    For the word "emma" with ``context=3`` (``.`` is the boundary token)::

        ... -> e     ..e -> m     .em -> m     emm -> a     mma -> .

    ``X`` is a LongTensor (N, context) of those windows, ``Y`` a LongTensor (N,) of the
    characters that follow; the last target of every word is the boundary, which teaches
    the model to end words. Bigram (context 1), MLP and WaveNet models train on these.
    ``dataset[i]`` is ``(X[i], Y[i])``; for batches index the tensors directly: ``X[ix]``.
    """

    def __init__(self, words, vocab: Vocab, context: int):
        if not isinstance(context, int) or context < 1:
            raise DataError(f"context must be a whole number of characters, at least 1, not {context!r}")
        self.vocab = vocab
        self.context = context
        windows, targets = [], []
        for word in words:
            window = [Vocab.BOUNDARY] * context
            for i in vocab.encode(word) + [Vocab.BOUNDARY]:
                windows.append(window)
                targets.append(i)
                window = window[1:] + [i]
        self.X = torch.tensor(windows, dtype=torch.long).view(len(windows), context)
        self.Y = torch.tensor(targets, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.Y)

    def __getitem__(self, i):
        return self.X[i], self.Y[i]


def _windows(tokens: list, block_size: int):
    """``(inputs, targets)`` rows of at most ``block_size`` positions that cover the
    predictions of ``tokens`` (boundary, characters, boundary), each target once."""
    predictions = len(tokens) - 1
    stride = max(1, block_size // 2)
    start, counted = 0, 0  # targets before position `counted` are in an earlier row
    while True:
        x = tokens[start : start + block_size]
        y = [-1 if start + t < counted else token for t, token in enumerate(tokens[start + 1 : start + 1 + len(x)])]
        x = x[: len(y)]
        yield x, y
        counted = start + len(y)
        if counted >= predictions:
            return
        start += stride


class SequenceDataset(torch.utils.data.Dataset):
    """Whole words as fixed-length rows, with the targets shifted by one.

    For "emma" with ``block_size=6`` (e=2, m=3, a=1 in some vocabulary)::

        X = [0, 2, 3, 3, 1, 0]     the boundary, then the word, then padding
        Y = [2, 3, 3, 1, 0, -1]    the next character at each position; -1 = ignore

    At position t the model has read ``X[:t+1]`` and must predict ``Y[t]``. Targets of
    -1 are padding: the loss skips them (``cross_entropy(..., ignore_index=-1)``). The
    recurrent models and the Transformer train on these, and so does the tool for every
    model type.

    A word longer than ``block_size - 1`` becomes several rows, windows of ``block_size``
    positions that each start half a window after the one before; each target counts in
    one row only (the first that has it; in the later rows it is -1), and every target
    of a later row has at least half a window of context. So a few long lines cost a
    bounded amount of memory and time, instead of making every row as long as the
    longest line.
    """

    def __init__(self, words, vocab: Vocab, block_size: int):
        words = list(words)
        self.vocab = vocab
        self.block_size = block_size
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
            raise DataError(f"block_size must be a whole number >= 2 (positions a row holds), not {block_size!r}")
        inputs, targets = [], []
        for word in words:
            for x, y in _windows([Vocab.BOUNDARY] + vocab.encode(word) + [Vocab.BOUNDARY], block_size):
                padding = block_size - len(x)
                inputs.append(x + [Vocab.BOUNDARY] * padding)
                targets.append(y + [-1] * padding)
        self.X = torch.tensor(inputs, dtype=torch.long).view(len(inputs), block_size)
        self.Y = torch.tensor(targets, dtype=torch.long).view(len(inputs), block_size)
        self._word_set = set(words)

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.Y[i]

    def contains(self, word: str) -> bool:
        """Whether ``word`` is one of this dataset's words."""
        return word in self._word_set


def sequence_splits(
    words, seed: int = SPLIT_SEED, dedupe: bool = False
) -> tuple[Vocab, Splits, tuple[SequenceDataset, SequenceDataset, SequenceDataset]]:
    """``(vocab, splits, (train, val, test))``: the vocabulary of ``words``, their 80/10/10
    split (:func:`split_words` with ``seed`` and ``dedupe``; 42 is the makemore tool's) and
    the three parts as :class:`SequenceDataset` rows, padded to the longest word + 1
    (``train.block_size``)."""
    words = list(words)
    vocab = Vocab.from_words(words)
    splits = split_words(words, seed=seed, dedupe=dedupe)
    block_size = max(map(len, words)) + 1
    return vocab, splits, tuple(SequenceDataset(part, vocab, block_size) for part in splits)
