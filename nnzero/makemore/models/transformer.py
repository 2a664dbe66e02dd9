"""The Transformer of Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser and
Polosukhin (2017), "Attention Is All You Need", as a decoder-only, GPT-2-style language
model (Radford et al. 2019): causal, with the LayerNorm before each sublayer.

Each position starts as the sum of its token's embedding and its position's embedding,
a vector of ``n_embd`` numbers, the *residual stream*. Each of ``n_layer`` blocks then
adds two things to it:

    x = x + Attention(LayerNorm(x))   positions read from earlier positions
    x = x + MLP(LayerNorm(x))         each position thinks on its own (n_embd -> 4 n_embd -> n_embd, GELU)

Attention, per head: every position emits a query q, a key k and a value v; position t
takes the softmax over s <= t of q_t . k_s / sqrt(head size) as weights, and reads the
weighted average of the values v_s. ``n_head`` heads of size n_embd / n_head run side
by side and their outputs are concatenated. The *causal* mask (s <= t) is what makes it
a language model: no position can see the token it must predict. A final LayerNorm and
a linear head turn the stream into next-token logits.

Training uses ``F.scaled_dot_product_attention`` (fused and fast, but its weights are
never materialised); :meth:`Transformer.forward_with_attention` computes the same
attention by hand and returns the weights, for looking at.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import LanguageModel, ModelConfig, init_output_layer


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with its output projection."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"n_embd {config.n_embd} must be a multiple of n_head {config.n_head}, so each head gets the same width")
        self.n_head = config.n_head
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)  # queries, keys and values of all heads at once
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x, return_weights: bool = False):
        """(B, T, C) -> (B, T, C), and the attention weights (B, n_head, T, T) if asked, else None."""
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        dropout = self.dropout if self.training else 0.0
        if return_weights:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
            future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
            weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
            y = F.dropout(weights, dropout, self.training) @ v
        else:
            weights = None
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again
        return self.resid_dropout(self.proj(y)), weights


class Block(nn.Module):
    """Pre-norm Transformer block: attention, then the MLP, each added to the residual stream."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, 4 * config.n_embd),
            nn.GELU(approximate="tanh"),  # GPT-2's GELU
            nn.Linear(4 * config.n_embd, config.n_embd),
            nn.Dropout(config.dropout),
        )

    def forward(self, x, return_weights: bool = False):
        attended, weights = self.attn(self.ln_1(x), return_weights)
        x = x + attended
        x = x + self.mlp(self.ln_2(x))
        return x, weights


class Transformer(LanguageModel):
    """Token + position embeddings -> ``n_layer`` blocks -> LayerNorm -> linear head (no bias).

    With n_layer 4, n_head 4, n_embd 64, vocabulary 27 and block size 16 it has 204,544
    parameters, the same as makemore's default Transformer.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.position_embedding = nn.Embedding(config.block_size, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(self._init_weights)
        # GPT-2: each block adds to the residual stream twice, so the layers that write
        # into it start smaller, keeping the stream's size the same at any depth.
        for block in self.blocks:
            for writer in (block.attn.proj, block.mlp[2]):
                nn.init.normal_(writer.weight, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
        init_output_layer(self.head)

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def logits(self, idx):
        return self._run(idx, return_weights=False)[0]

    def forward_with_attention(self, idx, targets=None):
        """``(logits, loss, attention)`` with the attention computed explicitly.

        ``attention`` is a tensor (n_layer, B, n_head, T, T): ``attention[l, b, h, t, s]``
        is how much position t reads from position s in head h of block l. Each row sums
        to 1 and is 0 above the diagonal (s > t). The logits equal ``forward``'s up to
        rounding. Call it in eval mode (``model.eval()``) to see the weights without dropout.
        """
        self.check_input(idx, targets)
        logits, attention = self._run(idx, return_weights=True)
        return logits, self.loss(logits, targets), attention

    def attention_maps(self, idx):
        """The attention weights (n_layer, B, n_head, T, T) for idx: ``forward_with_attention(idx)[2]``."""
        return self.forward_with_attention(idx)[2]

    def _run(self, idx, return_weights: bool):
        positions = torch.arange(idx.size(1), device=idx.device)
        x = self.dropout(self.token_embedding(idx) + self.position_embedding(positions))
        maps = []
        for block in self.blocks:
            x, weights = block(x, return_weights)
            maps.append(weights)
        logits = self.head(self.ln_f(x))
        return logits, torch.stack(maps) if return_weights else None
