"""Checks for the exercises of lesson 11 (the Transformer). Each prints one verdict line
and returns a Verdict (true when right); ``solution(check)`` shows a worked solution.

    check_recency_scores(recency_scores)       scores whose masked softmax halves the weight per step back
    check_init_score_std(std)                  how large a head's scaled scores are at initialisation
    check_model_parameters(count, ...)         the parameters of a Transformer of another shape
    check_packed_mask(packed_mask)             the attention mask for several names packed in one row
"""

import math

import torch

from nnzero.exercises import Verdict, check_number, exercise_check, verdict

D = torch.float64


def _learner_result(fn, args, what):
    try:
        return torch.as_tensor(fn(*args)), None
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return None, f"your function raised {type(error).__name__}: {error}; it should return {what}"


# Worked solutions: plain torch, as a learner writes them.


def recency_scores_solution(T):
    """Position t should give position s <= t a weight proportional to 2^-(t - s). The
    softmax turns a score into e^score, so the score is the log of the weight we want,
    -(t - s) ln 2; any constant per row cancels in the normalisation. The future gets
    -inf, which the softmax turns into 0. (ALiBi, Press, Smith and Lewis 2021, adds such
    a linear penalty on distance to the learned scores, with a different slope per head.)"""
    t = torch.arange(T)
    distance = t.view(-1, 1) - t.view(1, -1)  # distance[t, s] = t - s
    return (-math.log(2) * distance).masked_fill(distance < 0, float("-inf"))


def init_score_std_solution():
    """One entry of q is q_j = sum_i x_i W_ji over the 64 inputs: 64 products of an x_i
    (variance 1) and a weight (variance 0.02^2), so var(q_j) = 64 * 0.0004 = 0.0256, and
    the same for k_j. q . k sums 16 products q_j k_j, each of variance 0.0256^2 (q and k
    taken as independent), so var(q . k) = 16 * 0.0256^2, and dividing by sqrt(16)
    leaves 0.0256^2: the scaled score's standard deviation is 0.0256. Scores that small
    make the softmax nearly uniform: at initialisation every position averages its past,
    as in section 1, and training has to grow the scores."""
    var_q = 64 * 0.02**2
    return math.sqrt(16 * var_q**2 / 16)


def model_parameters_solution(n_layer=6, n_embd=48, vocab_size=27, block_size=16):
    """Count layer by layer (the head count does not matter: the heads split n_embd):
    embeddings: vocab_size x C tokens + block_size x C positions;
    one block: qkv C x 3C + 3C, proj C x C + C, MLP C x 4C + 4C and 4C x C + C, two
    LayerNorms 2 x 2C, which is 12 C^2 + 13 C;
    then the final LayerNorm 2C and the head C x vocab_size (no bias)."""
    C = n_embd
    embeddings = vocab_size * C + block_size * C
    block = (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C) + 2 * 2 * C
    return embeddings + n_layer * block + 2 * C + C * vocab_size


def packed_mask_solution(segment):
    """Position t may read position s when s comes no later (s <= t: the causal mask) and
    belongs to the same name (segment[s] == segment[t]); the two masks combined with &."""
    T = len(segment)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    same_name = segment.view(-1, 1) == segment.view(1, -1)
    return causal & same_name


# The checks.


def _recency_weights(T):
    t = torch.arange(T, dtype=D)
    distance = t.view(-1, 1) - t.view(1, -1)
    weights = torch.where(distance >= 0, 2.0 ** (-distance), torch.zeros_like(distance))
    return weights / weights.sum(dim=1, keepdim=True)


@exercise_check(solution=recency_scores_solution)
def check_recency_scores(recency_scores) -> Verdict:
    """Exercise: ``recency_scores(T)`` returns a (T, T) table of scores whose softmax along
    each row (no other mask added) gives position t's weights: proportional to 2^-(t - s)
    for s <= t, and 0 for s > t."""
    for T in (8, 5):
        got, error = _learner_result(recency_scores, (T,), f"a ({T}, {T}) tensor of scores")
        if error:
            return verdict(False, error)
        if got.shape != (T, T):
            return verdict(False, f"recency_scores({T}) should have shape ({T}, {T}), not {tuple(got.shape)}")
        got = got.to(D)
        if torch.isnan(got).any():
            return verdict(False, "the scores contain nan; use -inf (float('-inf')) for the positions a row may not read")
        weights = got.softmax(dim=-1)
        expected = _recency_weights(T)
        if torch.allclose(weights, expected, atol=1e-6):
            continue
        future = torch.ones(T, T, dtype=torch.bool).triu(1)
        if torch.allclose(got.masked_fill(future, 0), expected, atol=1e-6):
            return verdict(False, "those are the weights themselves; return the scores the softmax turns into them (a softmax exponentiates)")
        if (weights[future] > 1e-9).any():
            return verdict(False, "some weight goes to the future (s > t): give those scores -inf")
        if weights[T - 1, 0] > weights[T - 1, T - 1]:
            return verdict(False, "older positions get more weight than recent ones: the score must fall as t - s grows")
        ratio = weights[T - 1, T - 2] / weights[T - 1, T - 1]
        return verdict(False, f"one step back should halve the weight; in the last row it is multiplied by {ratio.item():.3g} "
                              "(the softmax takes e to the power of each score)")
    return verdict(True, "scores -(t - s) ln 2 (and -inf for the future): e to that power is 2^-(t - s), a bias toward recent positions")


@exercise_check(solution=init_score_std_solution)
def check_init_score_std(std) -> Verdict:
    """Exercise: the standard deviation of a scaled score q . k / sqrt(16) in a fresh
    package model (width 64, heads of 16): LayerNorm's output with independent entries of
    variance 1, qkv weights N(0, 0.02^2) and zero biases, q and k taken as independent.
    A measurement on a fresh model passes too (it comes out within a few per cent)."""
    right = init_score_std_solution()
    hints = [
        (math.sqrt(64 * 0.02**2), "that is the size of one entry of q (or k); the score multiplies 16 pairs of them and sums"),
        (right * 4, "that is before dividing by sqrt(16); the question asks for the scaled score"),
        (right**2, "that is the variance; the standard deviation is its square root"),
        (0.02, "that is the weights' standard deviation; follow it through q = x W and q . k"),
        (1.0, "a score of size 1 needs q and k entries of size 1/2 each; at initialisation they are much smaller"),
    ]
    return check_number(
        std, right, what="the standard deviation", hints=hints, rel_tol=0.08,
        right_why="var(q_j) = 64 x 0.02^2, the scaled score's variance is its square: the scores start near 0 and every "
                  "position averages its past almost evenly",
        otherwise="find var(q_j) from the 64 products x_i W_ji first, then the variance of a sum of 16 products q_j k_j, then divide by 16",
    )


@exercise_check(solution=model_parameters_solution)
def check_model_parameters(count, n_layer: int = 6, n_embd: int = 48, vocab_size: int = 27, block_size: int = 16) -> Verdict:
    """Exercise: the parameters of the package's Transformer with ``n_layer`` blocks of
    width ``n_embd`` (any head count), ``vocab_size`` tokens and ``block_size`` positions."""
    C = n_embd
    right = model_parameters_solution(n_layer, n_embd, vocab_size, block_size)
    block = 12 * C * C + 13 * C
    hints = [
        (right - block_size * C, "count the position embedding too: block_size vectors of n_embd numbers"),
        (right - 2 * C, "count the final LayerNorm (a gain and a shift of n_embd numbers) before the head"),
        (right + vocab_size, "the head has no bias"),
        (right - n_layer * block + block, f"the model has {n_layer} blocks, not one"),
        (right - n_layer * 13 * C, "those are a block's weight matrices only; add its biases and LayerNorms"),
        (right - n_layer * 4 * C, "count the two LayerNorms in every block (a gain and a shift each)"),
        (right - n_layer * (C * C + C), "each attention has an output projection (n_embd x n_embd and a bias) after its heads"),
    ]
    return check_number(
        count, right, what="the count", whole=True, hints=hints,
        right_why="embeddings + blocks of 12 C^2 + 13 C + final LayerNorm + head; the heads split the width, so their number does not count",
        otherwise="list the embeddings, every Linear of a block (weights and bias) and its two LayerNorms, the final LayerNorm and the head",
    )


@exercise_check(solution=packed_mask_solution)
def check_packed_mask(packed_mask) -> Verdict:
    """Exercise: ``packed_mask(segment)``, for a row holding several names one after another
    (``segment[t]`` says which name position t belongs to), returns a (T, T) boolean
    tensor: True where position t may read position s (s <= t and the same name)."""
    for segment in (torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2]), torch.tensor([0, 0, 1, 1, 1, 1, 1, 1, 2, 3, 3])):
        T = len(segment)
        got, error = _learner_result(packed_mask, (segment.clone(),), f"a ({T}, {T}) boolean tensor")
        if error:
            return verdict(False, error)
        if got.shape != (T, T):
            return verdict(False, f"the mask should have shape ({T}, {T}) for {T} positions, not {tuple(got.shape)}")
        if got.dtype != torch.bool:
            if not ((got == 0) | (got == 1)).all():
                return verdict(False, "give a boolean tensor (True: may read), or 0s and 1s")
            got = got.bool()
        right = packed_mask_solution(segment)
        if torch.equal(got, right):
            continue
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        same_name = segment.view(-1, 1) == segment.view(1, -1)
        if torch.equal(got, causal):
            return verdict(False, "that is the causal mask alone: the first letters of a name may then read the name before it")
        if torch.equal(got, same_name):
            return verdict(False, "each name sees all of itself, its future included: combine with the causal mask (s <= t)")
        if torch.equal(got, right.T) or torch.equal(got, ~right):
            return verdict(False, "the mask is transposed or inverted: row t, column s is True when t may read s (s <= t)")
        return verdict(False, f"{int((got != right).sum())} of the {T * T} entries are wrong: True exactly where s <= t and segment[s] == segment[t]")
    return verdict(True, "the causal mask & the same-name mask: a block-diagonal of lower triangles, one per name")
