"""WaveNet: van den Oord, Dieleman, Zen, Simonyan, Vinyals, Graves, Kalchbrenner, Senior
and Kavukcuoglu (2016), "WaveNet: A Generative Model for Raw Audio", on characters.

A stack of *causal dilated convolutions*. Each layer mixes every position with one
position ``dilation`` steps back (a kernel of size 2), and the dilation doubles from
layer to layer (1, 2, 4, ...), so n layers see 2**n tokens for only n layers of cost:
the receptive field grows exponentially with depth. Here the last dilation is trimmed so
that the receptive field is exactly ``context`` tokens (context 8: dilations 1, 2, 4;
context 12: 1, 2, 4, 4), the same window the MLP reads, left-padded with the boundary
token 0.

Each layer is the paper's gated residual unit:

    z = tanh(W_f * x) . sigmoid(W_g * x)     (* is the dilated convolution, . elementwise)
    x <- x + W_r z                           (residual: the next layer's input)
    skip += W_s z                            (skip connection: straight to the output)

and the output stage is the paper's ReLU -> 1x1 -> ReLU -> 1x1 on the sum of the skips.
One change from the paper: each unit, and the output stage, first normalises its input
with a LayerNorm over the channels at each position (the paper has no normalisation).
It keeps training stable as the stack deepens, and unlike BatchNorm it never mixes
positions or batch rows, so the model stays causal and behaves the same in training
and evaluation.

Lecture 5's hierarchical model computes the same tree for one window; a convolution
slides it along the sequence, so all T positions share their overlapping work.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import LanguageModel, ModelConfig, init_output_layer


def dilations(context: int, n_layer: int) -> list[int]:
    """The dilation of each layer: doubling, the last trimmed so the receptive field is ``context``.

    A stack of kernel-2 layers with dilations d_1..d_n sees 1 + d_1 + ... + d_n tokens.
    """
    if context < 2:
        raise ValueError(f"wavenet needs context >= 2 (its smallest layer already reads 2 tokens), not {context}")
    needed = math.ceil(math.log2(context))
    if n_layer != needed:
        raise ValueError(
            f"wavenet with context {context} needs n_layer {needed} (2**n_layer must reach the context and "
            f"2**(n_layer-1) fall short of it), not n_layer {n_layer}; set n_layer={needed} or change context"
        )
    steps = [2**i for i in range(n_layer - 1)]
    return steps + [context - 1 - sum(steps)]


class GatedResidualUnit(nn.Module):
    """LayerNorm -> dilated causal convolution -> tanh . sigmoid gate -> residual and skip outputs.

    The convolution has kernel size 2: the output at position t mixes the input at t
    with the input ``dilation`` steps back, through two weight matrices,

        conv(x)[t] = W_past x[t - dilation] + W_now x[t] + b,

    which is ``nn.Conv1d(C, 2C, kernel_size=2, dilation=dilation)`` written out (and
    faster on a CPU). There is no padding, so the first ``dilation`` positions, which
    have no partner, are dropped: (B, L, C) in, (B, L - dilation, C) residual out. The
    caller pads the input on the left in advance. The last unit feeds no further unit,
    so it is built with ``residual=False`` and returns None for the residual output.
    """

    def __init__(self, channels: int, dilation: int, dropout: float, residual: bool = True):
        super().__init__()
        self.dilation = dilation
        self.norm = nn.LayerNorm(channels)
        # Each tap makes both halves at once: the filter (tanh) and the gate (sigmoid).
        self.conv_past = nn.Linear(channels, 2 * channels, bias=False)
        self.conv_now = nn.Linear(channels, 2 * channels)
        self.residual = nn.Linear(channels, channels) if residual else None  # a 1x1 convolution
        self.skip = nn.Linear(channels, channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, skip_length: int):
        """Residual output (B, L - dilation, C) or None, and the skip output of the last ``skip_length`` positions."""
        normed = self.norm(x)
        h = self.conv_past(normed[:, : -self.dilation]) + self.conv_now(normed[:, self.dilation :])
        filter_, gate = h.chunk(2, dim=-1)
        z = self.dropout(torch.tanh(filter_) * torch.sigmoid(gate))
        skip = self.skip(z[:, -skip_length:])
        if self.residual is None:
            return None, skip
        return x[:, self.dilation :] + self.residual(z), skip


class WaveNet(LanguageModel):
    """Embedding -> 1x1 to ``n_embd2`` channels -> ``n_layer`` gated dilated units -> logits.

    ``n_layer`` must be ``ceil(log2(context))``: the layers that reach exactly the
    context (a clear error says so otherwise).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.dilations = dilations(config.context, config.n_layer)
        channels = config.n_embd2
        self.embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.input = nn.Linear(config.n_embd, channels)
        last = len(self.dilations) - 1
        self.units = nn.ModuleList(
            GatedResidualUnit(channels, d, config.dropout, residual=i < last) for i, d in enumerate(self.dilations)
        )
        self.output_norm = nn.LayerNorm(channels)
        self.output_hidden = nn.Linear(channels, channels)
        self.head = nn.Linear(channels, config.vocab_size)
        init_output_layer(self.head)

    def logits(self, idx):
        T = idx.size(1)
        # Boundary tokens before the start, so every position has a full window and the
        # unpadded convolutions come out at exactly T positions.
        padded = F.pad(idx, (self.config.context - 1, 0), value=0)
        x = self.input(self.embedding(padded))  # (B, T + context - 1, C)
        skips = 0
        for unit in self.units:
            x, skip = unit(x, skip_length=T)
            skips = skips + skip
        h = F.relu(self.output_hidden(F.relu(self.output_norm(skips))))
        return self.head(h)
