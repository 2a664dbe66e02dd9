"""Checks for the exercises of lesson 10 (the GRU). Each prints one verdict line and
returns a Verdict (true when right).

    check_gru_step(gru_step)                               the GRU cell in torch's convention
    check_gru_parameter_count(count, 64, 128)              how many numbers a GRU cell holds
    check_gradient_through_gate(factor, z=0.9, steps=20)   what the update gate lets through
"""

import torch

from nnzero.exercises import Verdict, check_number, exercise_check, verdict

D = torch.float64


def _reference_step(x, h, W_ih, W_hh, b_ih, b_hh, reset_before_product=False, swap_z=False, bias_hn_outside=False):
    """torch's GRU step, and the usual mistakes (each a flag), to name what went wrong."""
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    W_hn, b_hn = W_hh.chunk(3)[2], b_hh.chunk(3)[2]
    if reset_before_product:
        n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
    elif bias_hn_outside:
        n = torch.tanh(x_n + r * (h @ W_hn.T) + b_hn)
    else:
        n = torch.tanh(x_n + r * h_n)
    return z * n + (1 - z) * h if swap_z else (1 - z) * n + z * h


def _cases(seed=0, input_size=5, hidden_size=7, batch=4):
    """Weights of a torch.nn.GRUCell (float64, biases far from zero so a misplaced bias shows)
    and a few (x, h) pairs, with torch's answer for each."""
    generator = torch.Generator().manual_seed(seed)
    torch_cell = torch.nn.GRUCell(input_size, hidden_size, dtype=D)
    with torch.no_grad():
        for p in torch_cell.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=D))
    weights = tuple(getattr(torch_cell, name).detach() for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    cases = []
    for _ in range(3):
        x = torch.randn(batch, input_size, generator=generator, dtype=D)
        h = torch.tanh(torch.randn(batch, hidden_size, generator=generator, dtype=D))
        with torch.no_grad():
            cases.append((x, h, torch_cell(x, h)))
    return weights, cases


def gru_step_solution(x, h, W_ih, W_hh, b_ih, b_hh):
    """The input's and the state's shares of r, z and n (torch's order), each with its
    bias; r scales the state's share of the candidate, b_hn included (torch's convention);
    z is the share of the old h that is kept."""
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


@exercise_check(solution=gru_step_solution)
def check_gru_step(gru_step) -> Verdict:
    """Exercise (10): ``gru_step(x, h, W_ih, W_hh, b_ih, b_hh)`` must return the next hidden
    state exactly as ``torch.nn.GRUCell`` computes it with those weights (gates stacked r, z, n)."""
    if not callable(gru_step):
        return verdict(False, f"pass your function itself, gru_step, not a {type(gru_step).__name__}")
    weights, cases = _cases()
    for x, h, expected in cases:
        try:
            got = gru_step(x, h, *weights)
        except Exception as error:  # a learner's function can fail in any way; say how
            return verdict(False, f"gru_step raised {type(error).__name__}: {error}")
        if not isinstance(got, torch.Tensor):
            return verdict(False, f"gru_step should return a tensor (the next h), not {type(got).__name__}")
        if got.shape != expected.shape:
            return verdict(False, f"the next h should have the shape of h, {tuple(expected.shape)}, not {tuple(got.shape)}")
        if torch.allclose(got.to(D), expected, atol=1e-8):
            continue
        mistakes = [
            (dict(reset_before_product=True), "you reset h before the product, W_hn (r * h), as the final version of Cho et al.'s paper "
             "and makemore.py do; torch's convention applies r after it: r * (W_hn h + b_hn)"),
            (dict(bias_hn_outside=True), "b_hn belongs inside the reset: r * (W_hn h + b_hn), not r * (W_hn h) + b_hn"),
            (dict(swap_z=True), "z and 1 - z are swapped: in torch, z is the share of the OLD h kept, h' = (1 - z) * n + z * h"),
        ]
        for flags, why in mistakes:
            if torch.allclose(got.to(D), _reference_step(x, h, *weights, **flags), atol=1e-8):
                return verdict(False, why)
        worst = (got.to(D) - expected).abs().max().item()
        return verdict(False, f"off by up to {worst:.3g} from torch.nn.GRUCell; check the gate order (r, z, n) "
                              "in the stacked weights, and sigmoid for r and z, tanh for n")
    return verdict(True, "equal to torch.nn.GRUCell for the same weights: r and z gate, n is the candidate, "
                         "h' = (1 - z) * n + z * h")


def gru_parameter_count_solution(input_size=64, hidden_size=128):
    """Three blocks (r, z, n), each with an input matrix H x I, a recurrent matrix H x H
    and two bias vectors of H (b_hn must stay apart: it sits inside the reset)."""
    I, H = input_size, hidden_size
    return 3 * (H * I + H * H + 2 * H)


@exercise_check(solution=gru_parameter_count_solution)
def check_gru_parameter_count(count, input_size: int = 64, hidden_size: int = 128) -> Verdict:
    """Exercise (10): the number of parameters of ``torch.nn.GRUCell(input_size, hidden_size)``."""
    I, H = input_size, hidden_size
    right = 3 * (H * I + H * H + 2 * H)
    hints = [
        (3 * (H * I + H * H + H), "torch's GRU keeps two biases per block, b_i and b_h (b_hn must stay separate, inside the reset)"),
        (3 * (H * I + H * H), "you left out the biases: each block has b_i and b_h"),
        (4 * (H * I + H * H + 2 * H), "that is the LSTM's count (four blocks: i, f, g, o); the GRU has three: r, z, n"),
        (2 * (H * I + H * H + 2 * H), "two gates, but the candidate n has its own weights too: three blocks"),
        (H * I + H * H + 2 * H, "that is one block, a plain RNN cell; the GRU stacks three (r, z, n)"),
    ]
    return check_number(
        count, right, what="the count", whole=True, hints=hints,
        right_why=f"3 blocks (r, z, n) of H*I + H*H weights and two biases of H: 3 * ({H}*{I} + {H}*{H} + 2*{H}) = {right:,}",
        otherwise="count W_ih (3H x I), W_hh (3H x H), b_ih and b_hh (3H each)",
    )


def gradient_through_gate_solution(z=0.9, steps=20):
    """With z fixed and n independent of h, h' = (1 - z) * n + z * h gives dh'/dh = z:
    each step multiplies the gradient by z, so the steps multiply to z**steps."""
    return z**steps


@exercise_check(solution=gradient_through_gate_solution)
def check_gradient_through_gate(factor, z: float = 0.9, steps: int = 20) -> Verdict:
    """Exercise (10): the factor by which the direct path h' = (1 - z) * n + z * h scales a
    gradient over ``steps`` steps, when z is held at ``z`` and n does not depend on h."""
    right = z**steps
    hints = [
        ((1 - z) ** steps, "that is (1 - z)^steps; (1 - z) weighs the candidate n, and n does not depend on h here. What weighs h?"),
        (z * steps, "the chain rule multiplies the factors of the steps, it does not add them"),
        (z, "that is one step; the gradient passes through all of them"),
        (1 - right, "that is how much is lost; the question asks how much is left"),
    ]
    return check_number(
        factor, right, what="the factor", hints=hints,
        right_why=f"each step multiplies by dh'/dh = z, so {steps} steps give z^{steps} = {z}^{steps} = {right:.4g}",
        otherwise="what is dh'/dh for h' = (1 - z) * n + z * h, with z and n fixed?",
    )
