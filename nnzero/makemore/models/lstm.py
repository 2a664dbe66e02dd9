"""The long short-term memory (LSTM) language model, as Graves (2013), "Generating Sequences
With Recurrent Neural Networks", writes the LSTM of Hochreiter and Schmidhuber (1997)
with the forget gate of Gers, Schmidhuber and Cummins (2000).

A plain RNN rewrites its whole hidden state at every step, so a gradient travelling back
through time is multiplied by W_hh and tanh' again and again, and it vanishes (or
explodes) within a few steps. The LSTM adds a *cell state* c that is changed only by
elementwise gates, each a sigmoid between 0 and 1 computed from the input and h:

    i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    input gate: how much new content to write
    f = sigmoid(W_if x + b_if + W_hf h + b_hf)    forget gate: how much of c to keep
    g =    tanh(W_ig x + b_ig + W_hg h + b_hg)    the candidate content
    o = sigmoid(W_io x + b_io + W_ho h + b_ho)    output gate: how much of c to show
    c' = f * c + i * g
    h' = o * tanh(c')

While f stays near 1, c' is mostly c, and the gradient flows back along c almost
unchanged. (Graves's peephole connections, from c into the gates, are left out, as in
``torch.nn.LSTMCell``; the weights are stacked in its order i, f, g, o.)
"""

import torch
import torch.nn.functional as F
from torch import nn

from .rnn import RecurrentCell, RecurrentLanguageModel


class LSTMCell(RecurrentCell):
    """The LSTM cell above, with ``torch.nn.LSTMCell``'s parameters; state (h, c)."""

    gates = 4
    state_names = ("h", "c")
    torch_cell = nn.LSTMCell

    def reset_parameters(self):
        """torch's init, then the forget gate's bias raised by 1.

        A forget gate that starts near sigmoid(1) = 0.73 rather than 0.5 keeps the cell
        state (and its gradient) alive over more steps from the start (Gers, Schmidhuber
        and Cummins 2000; Jozefowicz, Zaremba and Sutskever 2015).
        """
        super().reset_parameters()
        with torch.no_grad():
            self.bias_ih[self.hidden_size : 2 * self.hidden_size] += 1.0

    def step(self, x_projected, state):
        h, c = state
        i, f, g, o = (x_projected + F.linear(h, self.weight_hh, self.bias_hh)).chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return (h, c), {"h": h, "c": c, "i": i, "f": f, "g": g, "o": o}


class LSTM(RecurrentLanguageModel):
    """A stack of :class:`LSTMCell` layers, each with a learned initial (h, c)."""

    cell = LSTMCell
