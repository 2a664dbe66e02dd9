"""Checks for the exercises of lesson 08 (the recurrent network). Each prints one verdict
line and returns a Verdict (true when right).

    check_sequence_row(make_row)          a name as one (input, target) row of a SequenceDataset
    check_rnn_cell(rnn_cell)              one step of the tanh RNN cell, against torch.nn.RNNCell
    check_backprop_through_time(bptt)     the gradient carried back through the steps by hand
    check_steps_to_shrink(steps, factor)  how many steps until the gradient is 1,000 times smaller
"""

import math

import torch

from nnzero.exercises import Verdict, exercise_check, verdict
from nnzero.makemore.data import SequenceDataset, Vocab

D = torch.float64


def _as_list(values):
    if isinstance(values, torch.Tensor):
        return [int(v) for v in values.flatten().tolist()]
    return [int(v) for v in values]


def sequence_row_solution(word, vocab, block_size):
    """x is what the model reads: the boundary token, then the letters, padded with the
    boundary token to block_size. y is what it must predict at each position: the letters,
    then the boundary that ends the name, then -1 for every padded position (the loss
    skips them)."""
    ids = vocab.encode(word)
    padding = block_size - len(ids) - 1
    return [Vocab.BOUNDARY] + ids + [Vocab.BOUNDARY] * padding, ids + [Vocab.BOUNDARY] + [-1] * padding


@exercise_check(solution=sequence_row_solution)
def check_sequence_row(make_row) -> Verdict:
    """Exercise (08): ``make_row(word, vocab, block_size) -> (x, y)``, the input row and the
    target row that ``SequenceDataset`` stores for ``word`` (lists or 1-D tensors)."""
    vocab = Vocab.from_words(["emma", "olivia", "ava", "zoe"])
    for word, block_size in (("emma", 8), ("olivia", 7), ("ava", 4)):
        dataset = SequenceDataset([word], vocab, block_size)
        want_x, want_y = dataset.X[0].tolist(), dataset.Y[0].tolist()
        try:
            x, y = make_row(word, vocab, block_size)
            x, y = _as_list(x), _as_list(y)
        except Exception as error:  # the learner's code: report, don't crash the lesson
            return verdict(False, f"make_row({word!r}, vocab, {block_size}) raised {type(error).__name__}: {error}; it should return (x, y)")
        if x == want_x and y == want_y:
            continue
        where = f"for {word!r} with block_size {block_size}"
        if len(x) != block_size or len(y) != block_size:
            return verdict(False, f"{where} both rows should have block_size = {block_size} entries, not {len(x)} and {len(y)}")
        if x != want_x:
            if x[0] != Vocab.BOUNDARY:
                return verdict(False, f"{where} x should start with the boundary token 0: the model reads it to predict the first letter")
            first = next(i for i, (a, b) in enumerate(zip(x, want_x)) if a != b)
            return verdict(False, f"{where} x goes wrong at position {first}: the boundary token, the letters, then boundary tokens (0) as padding")
        ids = vocab.encode(word)
        if y[: len(ids)] != ids:
            return verdict(False, f"{where} y[t] is the character that follows x[t]: y starts with the word's letters {ids}, not {y[:len(ids)]}")
        if y[len(ids)] != Vocab.BOUNDARY:
            return verdict(False, f"{where} after the last letter comes the boundary token 0 as a target: that is how the model learns to end a name")
        return verdict(False, f"{where} every target after the end token is padding and should be -1 (the loss ignores it)")
    return verdict(True, "x is the boundary then the letters, y the same shifted by one with the end token, padded with -1")


def _cell_case():
    g = torch.Generator().manual_seed(8)
    input_size, hidden_size = 5, 7  # not square, so a forgotten transpose of W_ih fails loudly
    with torch.random.fork_rng(devices=[]):  # building torch's cell draws numbers; leave the learner's generator alone
        cell = torch.nn.RNNCell(input_size, hidden_size).to(D)
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=D) * 0.7)
    x = torch.randn(4, input_size, generator=g, dtype=D)
    h = torch.randn(4, hidden_size, generator=g, dtype=D).tanh()
    return cell, x, h


def rnn_cell_solution(x, h, W_ih, W_hh, b_ih, b_hh):
    """The new input and the old state, each through its matrix (stored (out, in), so
    transposed), both biases added, squashed by tanh."""
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


@exercise_check(solution=rnn_cell_solution)
def check_rnn_cell(rnn_cell) -> Verdict:
    """Exercise (08): ``rnn_cell(x, h, W_ih, W_hh, b_ih, b_hh)`` computes one step of the
    tanh RNN for a batch (x (B, I), h (B, H); the weights shaped as in ``torch.nn.RNNCell``)."""
    cell, x, h = _cell_case()
    W_ih, W_hh, b_ih, b_hh = (getattr(cell, n).detach() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    with torch.no_grad():
        expected = cell(x, h)
    try:
        got = torch.as_tensor(rnn_cell(x, h, W_ih, W_hh, b_ih, b_hh), dtype=D)
    except Exception as error:  # the learner's code: report, don't crash the lesson
        hint = " (the weights are stored (out, in): multiply by their transpose, x @ W_ih.T)" if "shape" in str(error) or "size" in str(error) else ""
        return verdict(False, f"rnn_cell raised {type(error).__name__}: {error}{hint}")
    if got.shape != expected.shape:
        return verdict(False, f"the new state should have h's shape {tuple(expected.shape)}, not {tuple(got.shape)}")
    if torch.allclose(got, expected, atol=1e-10):
        return verdict(True, "tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh), equal to torch.nn.RNNCell")
    pre = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    hints = [
        (pre, "you forgot the tanh: without a nonlinearity a stack of steps is one linear map"),
        (torch.sigmoid(pre), "that is a sigmoid (Mikolov's 2010 choice); torch's cell, and ours, use tanh"),
        (torch.tanh(pre - b_hh), "b_hh is missing: torch's cell has two biases, b_ih and b_hh, and adds both"),
        (torch.tanh(pre - b_ih), "b_ih is missing: torch's cell has two biases, b_ih and b_hh, and adds both"),
        (torch.tanh(x @ W_ih.T + b_ih + h @ W_hh + b_hh), "W_hh is stored (out, in) like every torch weight: use h @ W_hh.T"),
        (torch.tanh(x @ W_ih.T + b_ih + b_hh), "the recurrent term h @ W_hh.T is missing: it is what carries the past forward"),
    ]
    for wrong, why in hints:
        if wrong.shape == expected.shape and torch.allclose(got, wrong, atol=1e-10):
            return verdict(False, why)
    return verdict(False, f"it differs from torch.nn.RNNCell by up to {(got - expected).abs().max().item():.3g}")


def _bptt_case():
    """States of a tanh RNN over 6 steps and the gradient of a loss that reads the last one."""
    g = torch.Generator().manual_seed(9)
    H, T = 6, 6
    W_hh = torch.randn(H, H, generator=g, dtype=D) * 0.6
    inputs = torch.randn(T, H, generator=g, dtype=D)
    h0 = torch.zeros(H, dtype=D, requires_grad=True)
    states, h = [], h0
    for t in range(T):
        h = torch.tanh(inputs[t] + W_hh @ h)
        h.retain_grad()
        states.append(h)
    readout = torch.randn(H, generator=g, dtype=D)
    loss = (readout * states[-1]).sum() ** 2
    loss.backward()
    hs = torch.stack([s.detach() for s in states])
    grads = torch.stack([s.grad for s in states])
    return hs, W_hh, grads


def backprop_through_time_solution(hs, W_hh, grad_last):
    """Start from dL/dh[T-1] and go back one step at a time. From h[t] = tanh(a[t] +
    W_hh @ h[t-1]): first through tanh (times 1 - h[t]**2, elementwise), then through the
    matrix (W_hh transposed). Vectors only: the Jacobian is never built."""
    grads = [grad_last]
    for t in range(len(hs) - 1, 0, -1):
        grads.append(W_hh.T @ ((1 - hs[t] ** 2) * grads[-1]))
    return torch.stack(grads[::-1])


@exercise_check(solution=backprop_through_time_solution)
def check_backprop_through_time(bptt) -> Verdict:
    """Exercise (08): ``bptt(hs, W_hh, grad_last) -> (T, H)`` tensor of dL/dh[t].

    ``hs`` (T, H) holds one sequence's states, ``h[t] = tanh(a[t] + W_hh @ h[t-1])``; the
    loss depends on the last state only, and ``grad_last`` (H,) is dL/dh[T-1]. Row t of the
    answer is dL/dh[t], carried back step by step (its last row is ``grad_last``).
    """
    hs, W_hh, expected = _bptt_case()
    try:
        got = torch.as_tensor(bptt(hs.clone(), W_hh.clone(), expected[-1].clone()), dtype=D)
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return verdict(False, f"bptt raised {type(error).__name__}: {error}; it should return a (T, H) tensor")
    if got.shape != expected.shape:
        return verdict(False, f"the answer should be (T, H) = {tuple(expected.shape)}, one gradient a step, not {tuple(got.shape)}")
    if torch.allclose(got, expected, rtol=1e-8, atol=1e-12):
        return verdict(True, "dL/dh[t-1] = W_hh.T @ ((1 - h[t]**2) * dL/dh[t]): one Jacobian a step, as autograd does it")

    def carried(step):
        grads = [expected[-1]]
        for t in range(len(hs) - 1, 0, -1):
            grads.append(step(t, grads[-1]))
        return torch.stack(grads[::-1])

    hints = [
        (lambda t, g: W_hh.T @ g, "tanh's derivative is missing: multiply by 1 - h[t]**2 before W_hh.T"),
        (lambda t, g: W_hh @ ((1 - hs[t] ** 2) * g), "going backwards the matrix is transposed: W_hh.T, not W_hh"),
        (lambda t, g: W_hh.T @ ((1 - hs[t - 1] ** 2) * g), "the tanh derivative belongs to the later state: 1 - h[t]**2 on the way from h[t] to h[t-1]"),
        (lambda t, g: (1 - hs[t] ** 2) * (W_hh.T @ g), "apply tanh's derivative first, then W_hh.T: h[t] = tanh(a), a = ... + W_hh @ h[t-1]"),
    ]
    for step, why in hints:
        if torch.allclose(got, carried(step), rtol=1e-8, atol=1e-12):
            return verdict(False, why)
    if torch.allclose(got, expected.flip(0), rtol=1e-8, atol=1e-12):
        return verdict(False, "the rows are in reverse order: row t should be dL/dh[t], the last row grad_last")
    if not torch.allclose(got[-1], expected[-1]):
        return verdict(False, "the last row should be grad_last itself: dL/dh[T-1]")
    wrong = [t for t in range(len(hs)) if not torch.allclose(got[t], expected[t], rtol=1e-8, atol=1e-12)]
    return verdict(False, f"rows {wrong} differ from autograd's (by up to {(got - expected).abs().max().item():.3g})")


def steps_to_shrink_solution(factor=0.5, shrink=1000.0):
    """After k steps the norm is factor**k times its size at the prediction. Solve
    factor**k <= 1/shrink: k >= ln(shrink) / ln(1/factor), and round up to a whole step."""
    return math.ceil(math.log(shrink) / math.log(1 / factor))


@exercise_check(solution=steps_to_shrink_solution)
def check_steps_to_shrink(steps, factor: float = 0.5, shrink: float = 1000.0) -> Verdict:
    """Exercise (08): if every step back multiplies the gradient's norm by ``factor`` (< 1),
    after how many steps is it ``shrink`` times smaller? (A whole number: the first step at
    which it is at least that much smaller.)"""
    if not 0 < factor < 1:
        raise ValueError(f"factor must be between 0 and 1 (a shrinking gradient), not {factor!r}")
    exact = math.log(shrink) / math.log(1 / factor)
    right = math.ceil(exact - 1e-9)
    try:
        steps = float(steps)
    except (TypeError, ValueError):
        return verdict(False, f"give the number of steps as a number, not {type(steps).__name__}")
    if steps == right or math.isclose(steps, exact, rel_tol=1e-3):
        return verdict(True, f"factor**k <= 1/{shrink:g} for k >= ln({shrink:g}) / ln(1/{factor:g}) = {exact:.2f}, so {right} steps")
    if math.isclose(steps, -exact, rel_tol=1e-3) or steps == -right:
        return verdict(False, "a number of steps is positive: use ln(1/factor), not ln(factor)")
    if steps == right - 1:
        return verdict(False, f"round up: after that many steps the gradient is not yet {shrink:g} times smaller")
    return verdict(False, f"{steps:g} is not it: solve factor**k = 1/{shrink:g} for k, then round up")
