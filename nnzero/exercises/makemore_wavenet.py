"""Checks for the exercises of lesson 07 (WaveNet: hierarchy, dilated causal convolutions).
Each prints one verdict line and returns a Verdict (true when right).

    check_receptive_field(answer, dilations=(1, 2, 4, 8))   how many tokens a stack of kernel-2 layers sees
    check_fuse_pairs(fuse)                                   (B, T, C) -> (B, T // n, n * C), neighbours side by side
    check_causal_conv(causal_conv)                           a dilated convolution that never reads the future
"""

import math

import torch
import torch.nn.functional as F

from nnzero.exercises import Verdict, check_number, exercise_check, verdict

D = torch.float64


@exercise_check()
def check_receptive_field(answer, dilations=(1, 2, 4, 8), kernel_size: int = 2) -> Verdict:
    """Exercise (07): how many input tokens one output of a stack of convolutions sees,
    for layers of ``kernel_size`` taps with the given ``dilations``."""
    dilations = [int(d) for d in dilations]
    if not dilations or min(dilations) < 1 or kernel_size < 1:
        raise ValueError("dilations must be one or more whole numbers >= 1, and kernel_size >= 1")
    right = 1 + (kernel_size - 1) * sum(dilations)
    hints = [
        ((kernel_size - 1) * sum(dilations), "one short: the output's own position counts too (each layer adds (kernel_size - 1) × dilation to it)"),
        (len(dilations) * (kernel_size - 1) + 1, "that is the receptive field without dilation: each layer adds only kernel_size - 1 tokens then"),
        (math.prod(dilations), "the receptive field grows by addition, not multiplication: each layer adds (kernel_size - 1) × dilation"),
        (kernel_size ** len(dilations), f"that holds for dilations 1, {kernel_size}, {kernel_size}², ... only; add up what each of these layers reaches back"),
    ]
    return check_number(
        answer, right, what="the number of tokens", whole=True, hints=hints,
        right_why=f"1 + (kernel_size - 1) × sum of dilations = 1 + {kernel_size - 1} × {sum(dilations)} = {right} tokens",
        otherwise="start from the output (1 token) and add how far back each layer reaches",
    )


@exercise_check()
def check_fuse_pairs(fuse) -> Verdict:
    """Exercise (07): ``fuse(x, n)`` turns (B, T, C) into (B, T // n, n * C), putting each run of
    ``n`` consecutive positions side by side (the lecture's FlattenConsecutive)."""
    x = torch.arange(2 * 8 * 3, dtype=D).view(2, 8, 3)
    expected = x.view(2, 4, 6)
    try:
        got = torch.as_tensor(fuse(x.clone(), 2), dtype=D)
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return verdict(False, f"fuse(x, 2) raised {type(error).__name__}: {error}; it should return a (2, 4, 6) tensor")
    if got.shape != expected.shape:
        return verdict(False, f"fuse(x, 2) on a (2, 8, 3) tensor should give (2, 4, 6), not {tuple(got.shape)}")
    if not torch.equal(got, expected):
        mixed = x.view(2, 2, 4, 3).transpose(1, 2).reshape(2, 4, 6)  # fused positions t and t + T/2
        if torch.equal(got, mixed):
            return verdict(False, "each row fuses positions t and t + T/2; fuse neighbours 2t and 2t + 1 (a plain view does it)")
        across = x.transpose(1, 2).reshape(2, 3, 8).reshape(2, 4, 6)
        if torch.equal(got, across):
            return verdict(False, "the channels got interleaved: a fused row must be [x[2t] channels, then x[2t + 1] channels]")
        return verdict(False, "the shape is right but the numbers are not where they belong: row t should be x[:, 2t] followed by x[:, 2t + 1]")
    try:
        got3 = torch.as_tensor(fuse(torch.arange(1 * 9 * 2, dtype=D).view(1, 9, 2), 3), dtype=D)
    except Exception as error:
        return verdict(False, f"fuse(x, 3) raised {type(error).__name__}: {error}; fuse must work for any n that divides T: use n, not 2")
    if got3.shape != (1, 3, 6) or not torch.equal(got3, torch.arange(18, dtype=D).view(1, 3, 6)):
        return verdict(False, "fuse(x, 2) works, but fuse(x, 3) on a (1, 9, 2) tensor should give (1, 3, 6): use n, not 2")
    return verdict(True, "x.view(B, T // n, n * C): consecutive positions side by side, ready for one Linear per group")


def _reference_causal_conv(x, weight, dilation):
    pad = dilation * (weight.size(-1) - 1)
    return F.conv1d(F.pad(x, (pad, 0)), weight, dilation=dilation)


@exercise_check()
def check_causal_conv(causal_conv) -> Verdict:
    """Exercise (07): ``causal_conv(x, weight, dilation)`` with x (B, C_in, T) and weight
    (C_out, C_in, k) returns (B, C_out, T): output t reads inputs t, t - dilation, ...,
    t - (k - 1) * dilation only, zeros standing in before the start."""
    g = torch.Generator().manual_seed(7)
    x = torch.randn(2, 3, 12, generator=g, dtype=D)
    weight = torch.randn(4, 3, 2, generator=g, dtype=D)
    for dilation, k in ((2, 2), (3, 3)):
        w = weight if k == 2 else torch.randn(4, 3, 3, generator=g, dtype=D)
        expected = _reference_causal_conv(x, w, dilation)
        try:
            got = torch.as_tensor(causal_conv(x.clone(), w.clone(), dilation), dtype=D)
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
