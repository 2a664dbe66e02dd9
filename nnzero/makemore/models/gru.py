"""The gated recurrent unit (GRU) language model: Cho, van Merrienboer, Gulcehre, Bahdanau,
Bougares, Schwenk and Bengio (2014), "Learning Phrase Representations using RNN
Encoder-Decoder for Statistical Machine Translation".

A lighter relative of the LSTM: no separate cell state, two gates instead of three.
With the equations and weight layout of ``torch.nn.GRUCell`` (gates stacked r, z, n):

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)         reset gate: how much of h the candidate reads
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)         update gate: how much of h to keep
    n =    tanh(W_in x + b_in + r * (W_hn h + b_hn))   the candidate state
    h' = (1 - z) * n + z * h

With z near 1 the state is copied forward unchanged, which (like the LSTM's forget gate)
gives the gradient a path back through time. The reset gate here multiplies W_hn h after
the matrix product, as torch and cuDNN do (and the paper's first version); the paper's
final version resets h before the product. The two are slightly different functions,
and work about equally well.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .rnn import RecurrentCell, RecurrentLanguageModel


class GRUCell(RecurrentCell):
    """The GRU cell above, with ``torch.nn.GRUCell``'s parameters; state h."""

    gates = 3
    torch_cell = nn.GRUCell

    def step(self, x_projected, state):
        (h,) = state
        x_r, x_z, x_n = x_projected.chunk(3, dim=-1)
        h_r, h_z, h_n = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, dim=-1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h
        return (h,), {"h": h, "r": r, "z": z, "n": n}


class GRU(RecurrentLanguageModel):
    """A stack of :class:`GRUCell` layers, each with a learned initial h."""

    cell = GRUCell
