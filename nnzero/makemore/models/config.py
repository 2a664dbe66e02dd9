"""The one config every makemore model is built from, and the little all seven share.

Every model maps a batch of token sequences to next-token logits at every position::

    logits, loss = model(idx, targets)   # idx (B, T) long, T <= block_size; logits (B, T, V)

:class:`LanguageModel` is the base class that gives each of them the same input checks,
the same loss (cross-entropy, ignoring targets of -1) and ``num_parameters()``.
"""

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    """The shape of a makemore model. Each type reads the fields it needs and ignores the rest.

    Fields:
        vocab_size: number of tokens, the boundary token included (``len(vocab)``).
        block_size: the longest sequence the model is fed (T); the Transformer's number of positions.
        context: how many of the latest tokens a window model (bigram, MLP, WaveNet) sees.
        n_layer: depth: stacked recurrent layers, Transformer blocks, or WaveNet's dilated layers.
        n_embd: width of the token embedding (and the Transformer's residual stream).
        n_embd2: the second width: the MLP's hidden layer, the recurrent hidden state, WaveNet's channels.
        n_head: attention heads per Transformer block (must divide n_embd).
        dropout: probability of zeroing an activation during training (0 turns dropout off).
    """

    vocab_size: int
    block_size: int
    context: int = 3
    n_layer: int = 4
    n_embd: int = 64
    n_embd2: int = 64
    n_head: int = 4
    dropout: float = 0.0

    def __post_init__(self):
        for field in ("vocab_size", "block_size", "context", "n_layer", "n_embd", "n_embd2", "n_head"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ModelConfig.{field} must be a whole number >= 1, not {value!r}")
        if self.vocab_size < 2:
            raise ValueError(f"ModelConfig.vocab_size must be at least 2 (the boundary token and one character), not {self.vocab_size}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ValueError(f"ModelConfig.dropout must be a probability in [0, 1), not {self.dropout!r}")

    def to_dict(self) -> dict:
        """Plain ints and floats, safe to store in a checkpoint; :meth:`from_dict` reverses it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        """Rebuild a config from :meth:`to_dict`'s output (unknown or missing keys are an error)."""
        if not isinstance(data, dict):
            raise ValueError(f"a stored ModelConfig must be a dict, not {type(data).__name__}; store it with ModelConfig.to_dict()")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown ModelConfig field(s) {', '.join(unknown)}; the fields are {', '.join(sorted(names))}")
        try:
            return cls(**data)
        except TypeError:
            missing = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING and f.name not in data]
            raise ValueError(f"a stored ModelConfig lacks {', '.join(missing)}; store it with ModelConfig.to_dict()") from None


class LanguageModel(nn.Module):
    """Base class of the makemore models: input checks, the loss, and a parameter count.

    A subclass sets ``self.config`` and implements ``logits(idx) -> (B, T, V)``;
    ``forward`` checks the input, calls it, and adds the loss when targets are given.
    """

    config: ModelConfig

    def forward(self, idx, targets=None):
        """Next-token logits (B, T, V) for idx (B, T), and the mean loss over targets != -1 (or None)."""
        self.check_input(idx, targets)
        logits = self.logits(idx)
        return logits, self.loss(logits, targets)

    def logits(self, idx):
        raise NotImplementedError

    def check_input(self, idx, targets=None):
        """One-line ValueError for a batch of the wrong type or shape."""
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
            got = f"a {idx.dim()}-D {idx.dtype} tensor" if isinstance(idx, torch.Tensor) else type(idx).__name__
            raise ValueError(f"idx must be a 2-D LongTensor (batch, time) of token indices, not {got}")
        if idx.size(1) == 0:
            raise ValueError("idx has no positions; feed at least one token (the boundary token 0 starts a word)")
        if idx.size(1) > self.config.block_size:
            raise ValueError(
                f"idx has {idx.size(1)} positions but this model's block_size is {self.config.block_size}; "
                f"feed at most the last {self.config.block_size} tokens"
            )
        if targets is not None and (not isinstance(targets, torch.Tensor) or targets.shape != idx.shape):
            got = tuple(targets.shape) if isinstance(targets, torch.Tensor) else type(targets).__name__
            raise ValueError(f"targets must be a LongTensor shaped like idx {tuple(idx.shape)}, not {got}")

    def hidden_matrices(self) -> list:
        """The weight matrices inside the network, the ones :class:`~nnzero.makemore.muon.Muon`
        trains: every 2-D parameter except embedding tables and the output layer ``head``."""
        outside = {id(p) for m in self.modules() if isinstance(m, nn.Embedding) for p in m.parameters()}
        outside |= {id(p) for p in getattr(self, "head", nn.Module()).parameters()}
        return [p for p in self.parameters() if p.requires_grad and p.dim() == 2 and id(p) not in outside]

    @staticmethod
    def loss(logits, targets):
        """Mean cross-entropy of the next-token predictions; targets of -1 (padding) are skipped."""
        if targets is None:
            return None
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)

    def num_parameters(self) -> int:
        """How many numbers training adjusts."""
        return sum(p.numel() for p in self.parameters())


def context_windows(idx, context: int):
    """The last ``context`` tokens at every position: (B, T) -> (B, T, context).

    Positions before the start read the boundary token 0, as in ``WindowDataset``, so
    ``windows[:, t]`` is ``idx[:, t-context+1 : t+1]`` left-padded with zeros.
    """
    padded = F.pad(idx, (context - 1, 0), value=0)
    return padded.unfold(1, context, 1)


def init_output_layer(head: nn.Linear, std: float = 0.02):
    """Small output weights (and zero bias): every token starts near 1/V, so the first loss is near ln(V).

    With the default init the logits spread over a few units and the first loss is well
    above ln(V): the model spends its first steps only un-learning that confidence.
    """
    nn.init.normal_(head.weight, mean=0.0, std=std)
    if head.bias is not None:
        nn.init.zeros_(head.bias)
