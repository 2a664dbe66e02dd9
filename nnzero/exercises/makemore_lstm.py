"""Checks for the exercises of lesson 09 (the LSTM). Each prints one verdict line and
returns a Verdict (true when right).

    check_lstm_parameter_count(count, input_size=64, hidden_size=128)   the weights of one LSTM cell
    check_memory_left(fraction, forget=0.731, steps=10)                 what a cell state keeps over time
    check_lstm_step(step_fn)                                            the LSTM cell in a few tensor lines
"""

import math

import torch

from nnzero.exercises import Verdict, check_number, exercise_check, verdict

D = torch.float64


def lstm_parameter_count_solution(input_size=64, hidden_size=128):
    """Four blocks (i, f, g, o), each with an input matrix H x I, a recurrent matrix
    H x H and two bias vectors of H (torch keeps b_ih and b_hh apart)."""
    I, H = input_size, hidden_size
    return 4 * (H * I + H * H + 2 * H)


@exercise_check(solution=lstm_parameter_count_solution)
def check_lstm_parameter_count(count, input_size: int = 64, hidden_size: int = 128) -> Verdict:
    """Exercise (09): how many numbers an LSTM cell (``torch.nn.LSTMCell(input_size,
    hidden_size)``, biases included) learns."""
    I, H = input_size, hidden_size
    right = 4 * (H * I + H * H + 2 * H)
    hints = [
        (H * I + H * H + 2 * H, "that is one block, the plain RNN cell; the LSTM has four (i, f, g, o)"),
        (3 * (H * I + H * H + 2 * H), "that is three blocks, the GRU cell; the LSTM has four (i, f, g, o)"),
        (4 * (H * I + H * H + H), "torch keeps two bias vectors per block, b_ih and b_hh (they add up, but both are parameters)"),
        (4 * (H * I + H * H), "count the biases too: b_ih and b_hh, 4H numbers each"),
        (4 * (H * I + 2 * H), "the recurrent weights W_hh (4H x H) count too"),
        (4 * (H * H + 2 * H), "the input weights W_ih (4H x I) count too"),
    ]
    return check_number(
        count, right, what="the count", whole=True, hints=hints,
        right_why=f"4 blocks (i, f, g, o) of H*(I + H) weights and 2H biases: 4 * ({H}*{I} + {H}*{H} + 2*{H}) = {right:,}",
        otherwise="each of the four gates has its own W_ih (H x I), W_hh (H x H), b_ih and b_hh (H each)",
    )


def memory_left_solution(forget=0.731, steps=10):
    """With the input gate shut, c_t = f * c_{t-1}: each step keeps the fraction f, so
    after n steps f**n of the cell state is left."""
    return forget**steps


@exercise_check(solution=memory_left_solution)
def check_memory_left(fraction, forget: float = 0.731, steps: int = 10) -> Verdict:
    """Exercise (09): a unit's forget gate stays at ``forget`` for ``steps`` steps while its
    input gate is shut (i = 0). What fraction of its cell state is left at the end?"""
    right = forget**steps
    hints = [
        (forget * steps, "the forget gate multiplies the cell state at every step: the factors multiply, they don't add"),
        ((1 - forget) ** steps, "f is the share the cell *keeps*, not the share it forgets"),
        (forget, f"that is one step; the gate acts at each of the {steps} steps"),
        (math.exp(-forget * steps), "no exponential of f: the cell state is multiplied by f itself at every step"),
    ]
    return check_number(
        fraction, right, what="the fraction", hints=hints,
        right_why=f"with i = 0, c[t] = f * c[t-1], so {steps} steps multiply it by f^{steps} = {forget}^{steps} = {right:.4g}",
        otherwise=f"with the input gate shut, c[t] = f * c[t-1]; apply that {steps} times",
    )


def _torch_cell(seed=0, input_size=5, hidden_size=3):
    with torch.random.fork_rng():  # building the cell draws from torch's generator; leave the lesson's alone
        cell = torch.nn.LSTMCell(input_size, hidden_size).to(D)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=D))  # weights large enough that every gate matters
    x = torch.randn(4, input_size, generator=g, dtype=D)
    h = torch.randn(4, hidden_size, generator=g, dtype=D)
    c = torch.randn(4, hidden_size, generator=g, dtype=D)
    return cell, x, h, c


def _variant(x, h, c, W_ih, W_hh, b_ih, b_hh, order="ifgo", cell_update="full", output="tanh", biases=True):
    gates = x @ W_ih.T + h @ W_hh.T + ((b_ih + b_hh) if biases else 0)
    blocks = dict(zip(order, gates.chunk(4, dim=1)))
    i, f, g, o = blocks["i"].sigmoid(), blocks["f"].sigmoid(), blocks["g"].tanh(), blocks["o"].sigmoid()
    c_new = {"full": f * c + i * g, "no_input_gate": f * c + g, "forget_is_keep_inverted": (1 - f) * c + i * g, "no_forget": c + i * g}[cell_update]
    h_new = o * (c_new.tanh() if output == "tanh" else c_new)
    return h_new, c_new


def lstm_step_solution(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """Side by side, [W_ih W_hh] acts on [x, h] as the two products did; the two biases
    add up to one. Then the four blocks in torch's order i, f, g, o, as in lesson 09."""
    W = torch.cat([W_ih, W_hh], dim=1)
    gates = torch.cat([x, h], dim=1) @ W.T + (b_ih + b_hh)
    i, f, g, o = gates.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


@exercise_check(solution=lstm_step_solution)
def check_lstm_step(step_fn) -> Verdict:
    """Exercise (09): ``step_fn(x, h, c, W_ih, W_hh, b_ih, b_hh) -> (h, c)`` computes one step
    of an LSTM cell with ``torch.nn.LSTMCell``'s weight layout (gates stacked i, f, g, o)."""
    cell, x, h, c = _torch_cell()
    weights = (cell.weight_ih.detach(), cell.weight_hh.detach(), cell.bias_ih.detach(), cell.bias_hh.detach())
    with torch.no_grad():
        h_ref, c_ref = cell(x, (h, c))
    try:
        out = step_fn(x.clone(), h.clone(), c.clone(), *(w.clone() for w in weights))
        h_got, c_got = (torch.as_tensor(t, dtype=D) for t in out)
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return verdict(False, f"step_fn raised {type(error).__name__}: {error}; it should return (h, c)")
    if h_got.shape != h_ref.shape or c_got.shape != c_ref.shape:
        return verdict(False, f"h and c should both have shape {tuple(h_ref.shape)} (batch, hidden), not {tuple(h_got.shape)} and {tuple(c_got.shape)}")
    same_h, same_c = torch.allclose(h_got, h_ref, atol=1e-10), torch.allclose(c_got, c_ref, atol=1e-10)
    if same_h and same_c:
        return verdict(True, "h and c equal torch.nn.LSTMCell's for the same weights")
    if same_c:
        h_linear = _variant(x, h, c, *weights, output="identity")[0]
        if torch.allclose(h_got, h_linear, atol=1e-10):
            return verdict(False, "c is right; h squashes the new cell state first: h = o * tanh(c)")
        return verdict(False, "c is right but h is not: h = o * tanh(c), with the *new* c")
    mistakes = [
        (dict(order="ifog"), "torch stacks the gate blocks in the order i, f, g, o (the candidate g third)"),
        (dict(order="figo"), "torch stacks the gate blocks in the order i, f, g, o (input gate first)"),
        (dict(order="iofg"), "torch stacks the gate blocks in the order i, f, g, o"),
        (dict(cell_update="no_input_gate"), "the input gate scales the candidate: c = f * c + i * g"),
        (dict(cell_update="forget_is_keep_inverted"), "f is the share of the old cell state kept: c = f * c + i * g, not (1 - f) * c"),
        (dict(cell_update="no_forget"), "the forget gate scales the old cell state: c = f * c + i * g"),
        (dict(biases=False), "add both biases, b_ih and b_hh, to the gates' pre-activations"),
    ]
    for kwargs, why in mistakes:
        h_wrong, c_wrong = _variant(x, h, c, *weights, **kwargs)
        if torch.allclose(c_got, c_wrong, atol=1e-10):
            return verdict(False, why)
    return verdict(False, f"c differs from torch's by up to {(c_got - c_ref).abs().max().item():.3g}: "
                          "gates = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh, chunked into i, f, g, o; c = f * c + i * g")
