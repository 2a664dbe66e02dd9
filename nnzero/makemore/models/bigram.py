"""The bigram model: the next character depends on the current character alone.

Two ways to get the same model, both in lesson 03:

* :class:`BigramCounts` counts. ``N[a, b]`` is how often ``b`` follows ``a`` in the
  words (the boundary token 0 before the first and after the last character), and the
  model's probabilities are the rows of ``N + smoothing``, each divided by its sum.
* :class:`Bigram` learns. It is a table of ``V x V`` logits, one row per current token,
  trained by gradient descent on the cross-entropy. Its best possible loss is exactly
  the counting model's NLL without smoothing: both are the maximum-likelihood estimate
  of the same V*(V-1) free probabilities, one found in closed form, one by descent.

The bigram is the smallest window model: its context is one token.
"""

import torch
from torch import nn

from ..data import Vocab
from .config import LanguageModel, ModelConfig


class Bigram(LanguageModel):
    """A learned table of next-token logits, one row per current token (V*V parameters).

    The table starts at zero, so every next token starts equally likely (loss ln V).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.logit_table = nn.Parameter(torch.zeros(config.vocab_size, config.vocab_size))

    def logits(self, idx):
        return self.logit_table[idx]

    def hidden_matrices(self) -> list:
        return []  # its one table is both the input and the output layer


class BigramCounts:
    """The counting bigram model of a list of words.

    ``N`` is a LongTensor (V, V): ``N[a, b]`` counts how often token ``b`` follows token
    ``a``, with the boundary token 0 standing before each word and after it.

    >>> vocab = Vocab.from_words(["ab", "b"])
    >>> BigramCounts(["ab", "b"], vocab).N.tolist()   # rows/cols: boundary, a, b
    [[0, 1, 1], [0, 0, 1], [2, 0, 0]]
    """

    def __init__(self, words, vocab: Vocab):
        self.vocab = vocab
        size = len(vocab)
        current, following = self.pairs(words, vocab)
        self.N = torch.bincount(current * size + following, minlength=size * size).view(size, size)

    @staticmethod
    def pairs(words, vocab: Vocab):
        """Every (current token, next token) pair of the words, as two LongTensors."""
        current, following = [], []
        for word in words:
            ids = [Vocab.BOUNDARY] + vocab.encode(word) + [Vocab.BOUNDARY]
            current.extend(ids[:-1])
            following.extend(ids[1:])
        return torch.tensor(current, dtype=torch.long), torch.tensor(following, dtype=torch.long)

    def probs(self, smoothing: float = 1.0):
        """P[a, b] = (N[a, b] + smoothing) / sum over b' of (N[a, b'] + smoothing); rows sum to 1.

        ``smoothing`` (Laplace's "add-one" for 1) pretends every pair was seen that many
        extra times, so no pair gets probability 0 and no word gets an infinite loss.
        """
        return self._probs(smoothing).float()

    def _probs(self, smoothing):
        if not smoothing >= 0:
            raise ValueError(f"smoothing must be a count >= 0, not {smoothing!r}")
        counts = self.N.double() + smoothing
        return counts / counts.sum(dim=1, keepdim=True)

    def nll(self, words, smoothing: float = 1.0) -> float:
        """Mean negative log-likelihood per predicted token (end token included) of the words.

        A pair the counts never saw has probability 0 without smoothing, and the NLL is
        then infinite.
        """
        current, following = self.pairs(words, self.vocab)
        if len(current) == 0:
            raise ValueError("nll needs at least one word to score")
        log_probs = self._probs(smoothing).log()
        return -log_probs[current, following].mean().item()
