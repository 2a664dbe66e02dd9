"""Checks for the exercises of lesson 07 (WaveNet: hierarchy, dilated causal convolutions).
Each prints one verdict line and returns a Verdict (true when right); none prints the
right answer. ``solution(check)`` shows a worked one.

    check_receptive_field(answer, dilations=(1, 2, 4, 8), kernel_size=2)   how many tokens a stack of convolutions sees
    check_batchnorm_3d(batchnorm_3d)          BatchNorm's training-mode statistics for a (B, T, C) tensor: over B and T
    check_causal_conv(causal_conv)            a dilated convolution that never reads the future
"""

import math

import torch
import torch.nn.functional as F

from nnzero.exercises import Verdict, check_number, exercise_check, verdict

D = torch.float64


def receptive_field(dilations, kernel_size: int = 2) -> int:
    """One output reads 1 position. A layer of ``kernel_size`` taps with dilation d reads
    its input at t, t - d, ..., t - (kernel_size - 1) * d: it reaches (kernel_size - 1) * d
    positions further back than the layer above it asked for. Add up what every layer adds:
    1 + (kernel_size - 1) * (d_1 + ... + d_n)."""
    return 1 + (kernel_size - 1) * sum(dilations)


@exercise_check(solution=receptive_field)
def check_receptive_field(answer, dilations=(1, 2, 4, 8), kernel_size: int = 2) -> Verdict:
    """Exercise (07): how many input tokens one output of a stack of convolutions sees,
    for layers of ``kernel_size`` taps with the given ``dilations``."""
    dilations = [int(d) for d in dilations]
    if not dilations or min(dilations) < 1 or kernel_size < 1:
        raise ValueError("dilations must be one or more whole numbers >= 1, and kernel_size >= 1")
    right = receptive_field(dilations, kernel_size)
    hints = [
        ((kernel_size - 1) * sum(dilations), "one short: the output's own position counts too (each layer adds (kernel_size - 1) × dilation to it)"),
        (1 + sum(dilations), "that is the field of two-tap layers; a layer with kernel_size taps reaches (kernel_size - 1) × dilation back"),
        (len(dilations) * (kernel_size - 1) + 1, "that is the receptive field without dilation: each layer adds only kernel_size - 1 tokens then"),
        (math.prod(dilations), "the receptive field grows by addition, not multiplication: each layer adds (kernel_size - 1) × dilation"),
        (kernel_size ** len(dilations), f"that holds for dilations 1, {kernel_size}, {kernel_size}², ... only; add up what each of these layers reaches back"),
        (kernel_size * sum(dilations), "each layer reaches (kernel_size - 1) × dilation back, not kernel_size × dilation; then count the output's own position"),
    ]
    return check_number(
        answer, right, what="the number of tokens", whole=True, hints=hints,
        right_why="1 + (kernel_size - 1) × (sum of the dilations): each layer adds what its taps reach back",
        otherwise="start from the output (1 token) and add how far back each layer reaches",
    )


def batchnorm_3d(x, eps: float = 1e-5):
    """BatchNorm in training mode for a (B, T, C) tensor: one mean and one variance per
    channel, over the batch AND the positions (dims 0 and 1), the biased variance (divide
    by n), and eps inside the square root, as ``torch.nn.BatchNorm1d`` does on (B, C, T)."""
    mean = x.mean(dim=(0, 1), keepdim=True)  # (1, 1, C)
    var = x.var(dim=(0, 1), keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps)


def _batchnorm_case():
    """A (B, T, C) batch whose channels have different scales and whose positions have
    different means, so that statistics over the wrong dimensions give other numbers."""
    g = torch.Generator().manual_seed(11)
    B, T, C = 6, 4, 5
    x = torch.randn(B, T, C, generator=g, dtype=D)
    scale = torch.tensor([1.0, 0.5, 2.0, 0.01, 3.0], dtype=D)  # channel 3 nearly flat: eps matters there
    shift = torch.arange(T, dtype=D).view(1, T, 1) * torch.tensor([1.0, -1.0, 0.5, 0.0, 2.0], dtype=D)
    return x * scale + shift


@exercise_check(solution=batchnorm_3d)
def check_batchnorm_3d(batchnorm_3d) -> Verdict:
    """Exercise (07): ``batchnorm_3d(x)`` normalises a (B, T, C) tensor as BatchNorm does in
    training (no gain or shift): each channel over the batch and the positions together."""
    x = _batchnorm_case()
    expected = torch.nn.BatchNorm1d(x.size(2), dtype=D)(x.transpose(1, 2)).transpose(1, 2).detach()
    try:
        got = torch.as_tensor(batchnorm_3d(x.clone()), dtype=D)
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return verdict(False, f"batchnorm_3d(x) raised {type(error).__name__}: {error}; it should return a tensor shaped like x")
    if got.shape != x.shape:
        return verdict(False, f"for x of shape {tuple(x.shape)} the output should have the same shape, not {tuple(got.shape)}")
    if torch.allclose(got, expected, atol=1e-9):
        return verdict(True, "one mean and one variance per channel, over dims 0 and 1: the positions count as examples")

    def normed(dims, unbiased=False, eps=1e-5):
        mean, var = x.mean(dims, keepdim=True), x.var(dims, keepdim=True, unbiased=unbiased)
        return (x - mean) / torch.sqrt(var + eps)

    mistakes = [
        (normed(0), "that normalises each position on its own (statistics over dim 0 only), the lecture's first BatchNorm: average over dims 0 and 1"),
        (normed(2), "those are LayerNorm's statistics (each position over its channels); BatchNorm averages each channel over the batch"),
        (normed(1), "statistics over the positions only leave every row of the batch on its own; average over the batch (dim 0) too"),
        (normed((0, 1), unbiased=True), "BatchNorm normalises with the biased variance (divide by n, unbiased=False), as torch does in training"),
        (normed((0, 1), eps=0.0), "put eps = 1e-5 inside the square root, var + eps, as torch does (it keeps a flat channel from dividing by 0)"),
        (normed(0, unbiased=True), "statistics over dim 0 only, and the unbiased variance: average over dims 0 and 1, and divide by n"),
    ]
    for wrong, why in mistakes:
        if torch.allclose(got, wrong, atol=1e-9):
            return verdict(False, why)
    return verdict(False, f"it differs from torch's BatchNorm1d on the same batch by up to {(got - expected).abs().max().item():.3g}; "
                          "subtract the mean over dims 0 and 1, divide by sqrt(variance + eps)")


def causal_conv(x, weight, dilation):
    """Output t must read t, t - dilation, ..., t - (k - 1) * dilation only. A plain conv1d
    with no padding reads forward from its first tap, so put (k - 1) * dilation zeros on
    the LEFT: then the first output's last tap sits on input 0, and there are T outputs."""
    pad = dilation * (weight.size(-1) - 1)
    return F.conv1d(F.pad(x, (pad, 0)), weight, dilation=dilation)


@exercise_check(solution=causal_conv)
def check_causal_conv(causal_conv_fn) -> Verdict:
    """Exercise (07): ``causal_conv(x, weight, dilation)`` with x (B, C_in, T) and weight
    (C_out, C_in, k) returns (B, C_out, T): output t reads inputs t, t - dilation, ...,
    t - (k - 1) * dilation only, zeros standing in before the start."""
    g = torch.Generator().manual_seed(7)
    x = torch.randn(2, 3, 12, generator=g, dtype=D)
    weight = torch.randn(4, 3, 2, generator=g, dtype=D)
    for dilation, k in ((2, 2), (3, 3)):
        w = weight if k == 2 else torch.randn(4, 3, 3, generator=g, dtype=D)
        expected = causal_conv(x, w, dilation)
        try:
            got = torch.as_tensor(causal_conv_fn(x.clone(), w.clone(), dilation), dtype=D)
        except Exception as error:  # the learner's code: report, don't crash the lesson
            return verdict(False, f"causal_conv(x, weight, {dilation}) raised {type(error).__name__}: {error}; it should return a (2, 4, 12) tensor")
        pad = dilation * (k - 1)
        if got.shape != expected.shape:
            if got.dim() == 3 and got.shape[:2] == (2, 4) and got.size(-1) < 12:
                return verdict(False, f"the output has {got.size(-1)} positions, not 12: pad (kernel_size - 1) × dilation = {pad} zeros on the left first")
            return verdict(False, f"with x (2, 3, 12) the output should be (2, 4, 12), one output per position, not {tuple(got.shape)}")
        if torch.allclose(got, expected, atol=1e-10):
            continue
        if torch.allclose(got, F.conv1d(F.pad(x, (0, pad)), w, dilation=dilation), atol=1e-10):
            return verdict(False, "the zeros went on the right: output t then reads t + dilation, the future; pad on the left")
        if torch.allclose(got, F.conv1d(x, w, dilation=dilation, padding=pad // 2), atol=1e-10):
            return verdict(False, "padding on both sides centres the window, so output t reads the future; put all the zeros on the left")
        return verdict(False, f"with dilation {dilation} and {k} taps it differs from a left-padded conv1d by up to {(got - expected).abs().max().item():.3g}")
    return verdict(True, "pad (kernel_size - 1) × dilation zeros on the left, then conv1d: T outputs, none of which reads the future")
