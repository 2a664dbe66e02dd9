"""The MLP language model of Bengio, Ducharme, Vincent and Jauvin (2003),
"A Neural Probabilistic Language Model", on characters.

Each of the last ``context`` tokens is looked up in a shared embedding table C (a
learned vector of ``n_embd`` numbers per token); the vectors are concatenated into one
input x, and a hidden tanh layer and an output layer turn x into next-token logits::

    x = [C(w[t-context+1]), ..., C(w[t])]        (context * n_embd numbers)
    logits = U tanh(H x + d) + b                  (the paper's y = b + U tanh(d + Hx))

Tokens with similar roles end up with nearby embeddings, so what the model learns about
one context carries over to similar contexts: that is the paper's point. (The paper's
optional direct connection Wx from the embeddings to the output is left out, as in the
lectures.)

Fed a whole sequence (B, T), the same window computation runs at every position at
once; fed windows (B, context), its last position gives the window's prediction.
"""

import torch
from torch import nn

from .config import LanguageModel, ModelConfig, context_windows, init_output_layer


class MLP(LanguageModel):
    """Embedding of the last ``context`` tokens -> tanh layer of ``n_embd2`` -> logits."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.hidden = nn.Linear(config.context * config.n_embd, config.n_embd2)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.n_embd2, config.vocab_size)
        init_output_layer(self.head)

    def logits(self, idx):
        windows = context_windows(idx, self.config.context)  # (B, T, context)
        x = self.embedding(windows).flatten(start_dim=2)  # (B, T, context * n_embd)
        h = torch.tanh(self.hidden(x))
        return self.head(self.dropout(h))
