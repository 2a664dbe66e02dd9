"""The recurrent language model of Mikolov, Karafiat, Burget, Cernocky and Khudanpur (2010),
"Recurrent neural network based language model", on characters.

A window model forgets everything older than its window. A recurrent network instead
carries a hidden state h, a vector of ``n_embd2`` numbers, from one step to the next;
at each step it folds the new token's embedding x into it,

    h[t] = tanh(W_ih x[t] + b_ih + W_hh h[t-1] + b_hh),

and predicts the next token from h[t]. In principle h summarises the whole prefix, so
the model sees all of it. Mikolov's network used a sigmoid; tanh (zero-centred) is the
usual choice today and the one ``torch.nn.RNNCell`` makes.

This file also holds what the three recurrent models share: the :class:`RecurrentCell`
base (its parameters laid out as in torch's cells) and :class:`RecurrentLanguageModel`,
which embeds the tokens, runs a stack of ``n_layer`` cells over time, and reads the
top layer's hidden states out into logits. ``lstm.py`` and ``gru.py`` only add a cell.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import LanguageModel, ModelConfig, init_output_layer


class RecurrentCell(nn.Module):
    """One step of a recurrent layer, with the parameters torch's cells have.

    ``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H), ``bias_ih`` (G*H,) and ``bias_hh``
    (G*H,), where G is the number of gates (1 for the plain RNN, 3 for the GRU, 4 for
    the LSTM) stacked in torch's order. So :meth:`copy_from_torch` can take the weights
    of ``torch.nn.RNNCell`` / ``GRUCell`` / ``LSTMCell`` and the two compute the same.

    Called like torch's cell, ``cell(x, state)`` with x (B, I) does one step. A layer
    running over a sequence instead calls :meth:`project_input` once for all steps and
    then :meth:`step` at each step, so only ``h @ W_hh`` is left inside the loop.
    """

    gates = 1  # how many blocks of H rows the weights have
    state_names = ("h",)  # the state carried between steps; h always comes first
    torch_cell: type[nn.Module]  # the torch cell with the same layout

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        rows = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(rows))
        self.bias_hh = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self):
        """torch's init for its cells: every parameter uniform in +-1/sqrt(hidden_size)."""
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def project_input(self, x):
        """W_ih x + b_ih for inputs of any leading shape (..., I) -> (..., G*H)."""
        return F.linear(x, self.weight_ih, self.bias_ih)

    def step(self, x_projected, state):
        """One step from the projected input (B, G*H) and the state (a tuple of (B, H) tensors).

        Returns the new state (a tuple, h first) and a dict of named (B, H) tensors for
        inspection: the state and, for gated cells, each gate's activation.
        """
        raise NotImplementedError

    def forward(self, x, state=None):
        """One step on x (B, I), like torch's cell: RNN and GRU take and return h, LSTM (h, c).

        A missing state is zeros, as in torch.
        """
        if state is None:
            zeros = x.new_zeros(x.size(0), self.hidden_size)
            state = (zeros,) * len(self.state_names)
        elif isinstance(state, torch.Tensor):
            state = (state,)
        new_state, _ = self.step(self.project_input(x), tuple(state))
        return new_state if len(new_state) > 1 else new_state[0]

    @torch.no_grad()
    def copy_from_torch(self, torch_cell: nn.Module):
        """Take the weights of a ``torch.nn`` cell of the same kind and size; returns self."""
        if type(torch_cell) is not self.torch_cell:
            raise ValueError(f"{type(self).__name__} copies from torch.nn.{self.torch_cell.__name__}, not {type(torch_cell).__name__}")
        if getattr(torch_cell, "nonlinearity", "tanh") != "tanh":
            raise ValueError(f"{type(self).__name__} uses tanh; build the torch cell with nonlinearity='tanh'")
        if not torch_cell.bias:
            raise ValueError(f"{type(self).__name__} has biases; build the torch cell with bias=True")
        if (torch_cell.input_size, torch_cell.hidden_size) != (self.input_size, self.hidden_size):
            raise ValueError(
                f"size mismatch: torch cell is {torch_cell.input_size} -> {torch_cell.hidden_size}, "
                f"this cell is {self.input_size} -> {self.hidden_size}"
            )
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(self, name).copy_(getattr(torch_cell, name))
        return self

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(RecurrentCell):
    """The plain (Elman) recurrent cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""

    torch_cell = nn.RNNCell

    def step(self, x_projected, state):
        (h,) = state
        h = torch.tanh(x_projected + F.linear(h, self.weight_hh, self.bias_hh))
        return (h,), {"h": h}


class RecurrentLanguageModel(LanguageModel):
    """Embedding -> ``n_layer`` recurrent layers of ``n_embd2`` units -> logits from the top layer.

    Each layer starts from a learned initial state (one per layer, as makemore's RNN
    does; it starts at zero), runs over all T steps, and hands its hidden states on to
    the layer above. With ``dropout`` > 0, dropout is applied to each layer's outputs
    (between layers and before the head), never to the recurrent connection.

    Subclasses set ``cell`` (a :class:`RecurrentCell` class). For a look inside, use
    :meth:`forward_with_states` / :meth:`states`.
    """

    cell: type[RecurrentCell]

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        hidden = config.n_embd2
        self.embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.layers = nn.ModuleList(
            self.cell(config.n_embd if layer == 0 else hidden, hidden) for layer in range(config.n_layer)
        )
        self.initial_state = nn.Parameter(torch.zeros(config.n_layer, len(self.cell.state_names), hidden))
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(hidden, config.vocab_size)
        init_output_layer(self.head)

    def logits(self, idx):
        return self._run(idx, record=False)[0]

    def forward_with_states(self, idx, targets=None):
        """``(logits, loss, states)``: the forward pass, plus what every layer did at every step.

        ``states[layer]`` is a dict of (B, T, H) tensors: ``"h"`` (the hidden states),
        the LSTM's ``"c"``, and each gate's activation (LSTM: ``"i"``, ``"f"``, ``"g"``,
        ``"o"``; GRU: ``"r"``, ``"z"``, ``"n"``). ``"h_steps"`` (and the LSTM's
        ``"c_steps"``) is the list of the T per-step (B, H) states as the recurrence used
        them: take gradients with respect to these
        (``torch.autograd.grad(loss, states[0]["h_steps"])``) to see how far back in time
        the gradient reaches; a gradient with respect to the stacked ``"h"`` would miss
        the path through the recurrence.
        """
        self.check_input(idx, targets)
        logits, states = self._run(idx, record=True)
        return logits, self.loss(logits, targets), states

    def states(self, idx):
        """Every layer's hidden states and gate activations for idx: ``forward_with_states(idx)[2]``."""
        return self.forward_with_states(idx)[2]

    def _run(self, idx, record: bool):
        B, T = idx.shape
        x = self.embedding(idx)
        states = []
        for layer, cell in enumerate(self.layers):
            # The input's share of every step in one matrix product; only h @ W_hh is
            # left for the (inherently sequential) loop.
            x_projected = cell.project_input(x)
            state = tuple(s.expand(B, -1) for s in self.initial_state[layer])
            steps, records = [], []
            for t in range(T):
                state, step_record = cell.step(x_projected[:, t], state)
                steps.append(state)
                if record:
                    records.append(step_record)
            outputs = [step[0] for step in steps]
            if record:
                layer_states = {name: torch.stack([r[name] for r in records], dim=1) for name in records[0]}
                for k, name in enumerate(cell.state_names):
                    layer_states[f"{name}_steps"] = [step[k] for step in steps]
                states.append(layer_states)
            x = self.dropout(torch.stack(outputs, dim=1))
        return self.head(x), states


class RNN(RecurrentLanguageModel):
    """Mikolov's recurrent language model: a stack of tanh :class:`RNNCell` layers."""

    cell = RNNCell
