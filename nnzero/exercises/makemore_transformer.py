"""Checks for the exercises of lesson 11 (the Transformer). Each prints one verdict line
and returns a Verdict (true when right).

    check_running_mean(average_past)        the averaging-with-a-mask trick, as one matrix multiply
    check_score_std(std, head_size=32)      how large q . k is before the 1/sqrt(head size) scale
    check_block_parameters(count, n_embd)   the parameters of one pre-norm Transformer block
    check_causal_attention(attend)          one head of causal self-attention from q, k and v
"""

import math

import torch
import torch.nn.functional as F

from nnzero.exercises import Verdict, check_number, exercise_check, verdict

D = torch.float64


def _learner_result(fn, args, what):
    try:
        return torch.as_tensor(fn(*args), dtype=D), None
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return None, f"your function raised {type(error).__name__}: {error}; it should return {what}"


@exercise_check()
def check_running_mean(average_past) -> Verdict:
    """Exercise: ``average_past(x)`` takes x of shape (B, T, C) and returns, at every
    position t, the mean of x over positions 0..t (the past and the present)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 7, 5, generator=g, dtype=D)
    expected = x.cumsum(dim=1) / torch.arange(1, 8, dtype=D).view(1, 7, 1)
    got, error = _learner_result(average_past, (x.clone(),), "a (3, 7, 5) tensor")
    if error:
        return verdict(False, error)
    if got.shape != x.shape:
        return verdict(False, f"the result should have x's shape (3, 7, 5), not {tuple(got.shape)}")
    if torch.allclose(got, expected, atol=1e-10):
        return verdict(True, "position t holds the mean of positions 0..t: a lower-triangular matrix with rows summing to 1, times x")
    if torch.allclose(got, x.cumsum(dim=1), atol=1e-10):
        return verdict(False, "that is the running sum; divide row t of the triangular matrix by t + 1 so each row sums to 1")
    future = x.flip(1).cumsum(dim=1).flip(1) / torch.arange(7, 0, -1, dtype=D).view(1, 7, 1)
    if torch.allclose(got, future, atol=1e-10):
        return verdict(False, "that averages the future (positions t..T-1): use the lower triangle (torch.tril), not the upper")
    if torch.allclose(got, x.mean(dim=1, keepdim=True).expand_as(x), atol=1e-10):
        return verdict(False, "every position got the mean of the whole sequence: mask out the positions after t")
    return verdict(False, f"it differs from the running mean by up to {(got - expected).abs().max().item():.3g}")


@exercise_check()
def check_score_std(std, head_size: int = 32) -> Verdict:
    """Exercise: q and k have ``head_size`` independent N(0, 1) entries; the standard
    deviation of their dot product q . k (before any scaling)."""
    right = math.sqrt(head_size)
    hints = [
        (float(head_size), f"{head_size} is the variance; the standard deviation is its square root"),
        (1.0, "that is the std AFTER dividing by sqrt(head_size); the question asks before"),
        (1 / right, "each product q_i k_i has variance 1 and there are head_size of them: the spread grows, it does not shrink"),
    ]
    return check_number(
        std, right, what="the standard deviation", hints=hints,
        right_why=f"a sum of {head_size} products of variance 1 has variance {head_size}, so std sqrt({head_size}) = {right:.4g}: dividing by it brings the scores back to 1",
        otherwise="variances of independent terms add up",
    )


@exercise_check()
def check_block_parameters(count, n_embd: int = 64) -> Verdict:
    """Exercise: the number of parameters in one Block of ``nnzero.makemore.models.transformer``
    of width ``n_embd`` (attention with its output projection, the MLP of 4 x n_embd, two
    LayerNorms; every Linear with a bias)."""
    C = n_embd
    attention = (C * 3 * C + 3 * C) + (C * C + C)
    mlp = (C * 4 * C + 4 * C) + (4 * C * C + C)
    norms = 2 * 2 * C
    right = attention + mlp + norms
    hints = [
        (12 * C * C, "those are the weight matrices; add the biases and the LayerNorms' gains and shifts"),
        (right - norms, "count the two LayerNorms too: each has a gain and a shift of n_embd numbers"),
        (right - C * C - C, "the attention has an output projection (n_embd x n_embd and a bias) after the heads"),
        (right - mlp + 2 * C * C + 2 * C, "the MLP's hidden layer is 4 x n_embd wide"),
    ]
    return check_number(
        count, right, what="the count", whole=True, hints=hints,
        right_why=f"attention {attention:,} + MLP {mlp:,} + two LayerNorms {norms:,} = {right:,} (12 C^2 + 13 C for C = {C})",
        otherwise="list every Linear (weights and bias) and both LayerNorms of the block",
    )


@exercise_check()
def check_causal_attention(attend) -> Verdict:
    """Exercise: ``attend(q, k, v)`` with q, k, v of shape (B, T, head_size) returns one
    head's causal self-attention output (B, T, head_size): softmax over s <= t of
    q_t . k_s / sqrt(head_size), times v."""
    g = torch.Generator().manual_seed(1)
    B, T, hs = 2, 6, 8
    q, k, v = (torch.randn(B, T, hs, generator=g, dtype=D) for _ in range(3))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    got, error = _learner_result(attend, (q.clone(), k.clone(), v.clone()), "a (2, 6, 8) tensor")
    if error:
        return verdict(False, error)
    if got.shape != expected.shape:
        return verdict(False, f"the output should have v's shape (2, 6, 8), not {tuple(got.shape)}")
    if torch.allclose(got, expected, atol=1e-10):
        return verdict(True, "softmax(q k^T / sqrt(head_size)) with the future masked to -inf, times v")
    scores = q @ k.transpose(-2, -1)
    lower = torch.ones(T, T, dtype=torch.bool).tril()

    def weights_times_v(s, mask, dim=-1):
        return s.masked_fill(~mask, float("-inf")).softmax(dim=dim) @ v

    wrong_answers = [
        (weights_times_v(scores, lower), "divide the scores by sqrt(head_size) before the softmax"),
        (F.scaled_dot_product_attention(q, k, v), "mask the future: position t may only read positions s <= t"),
        (weights_times_v(scores / math.sqrt(hs), lower.T), "the mask is upside down: keep the lower triangle (s <= t), not the upper"),
        (weights_times_v(scores / hs, lower), "divide by the SQUARE ROOT of head_size: that brings the scores' variance back to 1"),
    ]
    for wrong, why in wrong_answers:
        if torch.allclose(got, wrong, atol=1e-10):
            return verdict(False, why)
    weights = (scores / math.sqrt(hs)).masked_fill(~lower, float("-inf"))
    if torch.allclose(got, torch.nan_to_num(weights.softmax(dim=-2)) @ v, atol=1e-10):
        return verdict(False, "take the softmax along the last dimension, so each row (one query) sums to 1")
    return verdict(False, f"it differs from causal attention by up to {(got - expected).abs().max().item():.3g}")
