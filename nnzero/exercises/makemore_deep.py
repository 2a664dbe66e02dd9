"""Checks for the exercises of lessons 05 (activations, initialisation, BatchNorm) and
06 (backprop by hand). Each prints one verdict line and returns a Verdict (true when right).

    check_initial_loss(loss, vocab_size=27)          05: the loss of a network that knows nothing
    check_kaiming_std(std, fan_in=30)                05: the weight scale for a tanh layer
    check_folded_batchnorm(fold)                     05: BatchNorm folded into the Linear before it
    check_cross_entropy_backward(dlogits_fn)         06: dlogits in one expression
    check_layernorm_backward(dx_fn)                  06: LayerNorm's backward in one expression
    check_embedding_backward(dC_fn)                  06: the embedding gradient without a loop
"""

import math

import torch
import torch.nn.functional as F

from nnzero.exercises import Verdict, check_number, exercise_check, verdict
from nnzero.scratch.deep_mlp import GAINS, BatchNorm1d, Linear

D = torch.float64


@exercise_check()
def check_initial_loss(loss, vocab_size: int = 27) -> Verdict:
    """Exercise (05): the loss of a fresh network that gives every token the same probability."""
    right = math.log(vocab_size)
    hints = [
        (math.log10(vocab_size), "that is log base 10; the cross-entropy uses the natural log"),
        (1 / vocab_size, "that is the probability of the right token; the loss is minus its log"),
        (-right, "a loss is minus the log-probability, so it is positive"),
        (math.log(vocab_size - 1), f"count the boundary token too: there are {vocab_size} tokens"),
    ]
    return check_number(
        loss, right, what="the loss", hints=hints,
        right_why=f"-ln(1/{vocab_size}) = ln({vocab_size}) = {right:.4f}",
        otherwise=f"each of the {vocab_size} tokens gets probability 1/{vocab_size}; what is -ln of that?",
    )


@exercise_check()
def check_kaiming_std(std, fan_in: int = 30, nonlinearity: str = "tanh") -> Verdict:
    """Exercise (05): the standard deviation of Kaiming-initialised weights for a layer with
    ``fan_in`` inputs followed by ``nonlinearity`` ("tanh", "relu" or "linear")."""
    if nonlinearity not in GAINS:
        raise ValueError(f"nonlinearity must be one of {', '.join(GAINS)}, not {nonlinearity!r}")
    gain = GAINS[nonlinearity]
    right = gain / math.sqrt(fan_in)
    hints = [
        (1 / math.sqrt(fan_in), f"that keeps a linear layer's scale; {nonlinearity} squashes, so multiply by its gain {gain:.4g}"),
        (gain / fan_in, "divide by the square root of fan_in: variances add, standard deviations add in quadrature"),
        (gain**2 / fan_in, "that is the variance; the standard deviation is its square root"),
        (gain * math.sqrt(fan_in), "divide by sqrt(fan_in), don't multiply: more inputs means smaller weights"),
    ]
    return check_number(
        std, right, what="the standard deviation", hints=hints,
        right_why=f"gain / sqrt(fan_in) = {gain:.4g} / sqrt({fan_in}) = {right:.4f}",
        otherwise="the rule is gain / sqrt(fan_in)",
    )


def _trained_pair(seed=0):
    """A Linear with a bias and a BatchNorm in inference mode, with statistics unlike the
    defaults (some tiny variances, so a forgotten eps shows)."""
    g = torch.Generator().manual_seed(seed)
    linear = Linear(6, 5, generator=g, dtype=D)
    linear.bias = torch.randn(5, generator=g, dtype=D)
    bn = BatchNorm1d(5, dtype=D)
    bn.gamma = torch.rand(5, generator=g, dtype=D) + 0.5
    bn.beta = torch.randn(5, generator=g, dtype=D)
    bn.running_mean = torch.randn(5, generator=g, dtype=D)
    bn.running_var = torch.tensor([2.0, 0.5, 1e-5, 3e-6, 1.0], dtype=D)
    bn.training = False
    return linear, bn


@exercise_check()
def check_folded_batchnorm(fold) -> Verdict:
    """Exercise (05): ``fold(linear, bn) -> (weight, bias)`` such that ``x @ weight + bias``
    equals ``bn(linear(x))`` with ``bn`` in inference mode (running estimates)."""
    linear, bn = _trained_pair()
    x = torch.randn(50, 6, generator=torch.Generator().manual_seed(1), dtype=D)
    expected = bn(linear(x))
    try:
        weight, bias = fold(linear, bn)
        weight, bias = torch.as_tensor(weight, dtype=D), torch.as_tensor(bias, dtype=D)
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return verdict(False, f"fold(linear, bn) raised {type(error).__name__}: {error}; it should return (weight, bias)")
    if weight.shape != linear.weight.shape or bias.shape != (5,):
        return verdict(False, f"weight should have the Linear's shape (6, 5) and bias shape (5,), not {tuple(weight.shape)} and {tuple(bias.shape)}")
    got = x @ weight + bias
    if torch.allclose(got, expected, rtol=1e-6, atol=1e-8):
        return verdict(True, "x @ weight + bias equals the Linear followed by BatchNorm, in one matrix multiply")
    scale_no_eps = bn.gamma / bn.running_var.sqrt()
    if torch.allclose(weight, linear.weight * scale_no_eps, rtol=1e-6):
        return verdict(False, "the scale is gamma / sqrt(running_var + eps): eps matters when a variance is tiny")
    scale = bn.gamma / torch.sqrt(bn.running_var + bn.eps)
    if torch.allclose(weight, linear.weight * scale, rtol=1e-6):
        return verdict(False, "the weights are right but the bias is not: trace the Linear's bias through BatchNorm's normalisation (running mean, scale) and shift (beta)")
    return verdict(False, f"the outputs differ by up to {(got - expected).abs().max().item():.3g}: every output column j is scaled by gamma_j / sqrt(running_var_j + eps)")


def _learner_result(fn, args, what):
    try:
        return torch.as_tensor(fn(*args), dtype=D), None
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return None, f"your function raised {type(error).__name__}: {error}; it should return {what}"


@exercise_check()
def check_cross_entropy_backward(dlogits_fn) -> Verdict:
    """Exercise (06): ``dlogits_fn(logits, Y)`` returns the gradient of
    ``F.cross_entropy(logits, Y)`` (mean over the batch) with respect to ``logits``."""
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(16, 27, generator=g, dtype=D, requires_grad=True)
    Y = torch.randint(0, 27, (16,), generator=g)
    F.cross_entropy(logits, Y).backward()
    got, error = _learner_result(dlogits_fn, (logits.detach().clone(), Y), "a (16, 27) tensor")
    if error:
        return verdict(False, error)
    if got.shape != logits.shape:
        return verdict(False, f"dlogits should have the logits' shape (16, 27), not {tuple(got.shape)}")
    if torch.allclose(got, logits.grad, atol=1e-10):
        return verdict(True, "(softmax(logits) - one_hot(Y)) / n, as autograd computes it")
    if torch.allclose(got / 16, logits.grad, atol=1e-10):
        return verdict(False, "the loss is the mean over the batch: divide by n")
    if torch.allclose(got, -logits.grad, atol=1e-10):
        return verdict(False, "the sign is flipped: it is softmax minus one-hot")
    probs = F.softmax(logits.detach(), dim=1)
    if torch.allclose(got, probs / 16, atol=1e-10) or torch.allclose(got, probs, atol=1e-10):
        return verdict(False, "subtract 1 at the right answer: row i gets -1 in column Y[i]")
    return verdict(False, f"it differs from autograd's by up to {(got - logits.grad).abs().max().item():.3g}")


@exercise_check()
def check_layernorm_backward(dx_fn) -> Verdict:
    """Exercise (06): LayerNorm normalises each *row* over its features,
    ``out = gamma * x_hat + beta`` with ``x_hat = (x - x.mean(1)) * std_inv`` and
    ``std_inv = 1 / sqrt(x.var(1, unbiased=False) + eps)``. ``dx_fn(dout, x_hat, gamma, std_inv)``
    returns dx (``std_inv`` has shape (n, 1))."""
    g = torch.Generator().manual_seed(3)
    x = (2 * torch.randn(8, 12, generator=g, dtype=D) + 1).requires_grad_()
    gamma = torch.randn(12, generator=g, dtype=D)
    dout = torch.randn(8, 12, generator=g, dtype=D)
    (F.layer_norm(x, (12,), gamma, None, eps=1e-5) * dout).sum().backward()
    xd = x.detach()
    std_inv = (xd.var(1, unbiased=False, keepdim=True) + 1e-5) ** -0.5
    x_hat = (xd - xd.mean(1, keepdim=True)) * std_inv
    got, error = _learner_result(dx_fn, (dout, x_hat, gamma, std_inv), "an (8, 12) tensor")
    if error:
        return verdict(False, error)
    if got.shape != x.shape:
        return verdict(False, f"dx should have x's shape (8, 12), not {tuple(got.shape)}")
    if torch.allclose(got, x.grad, atol=1e-10):
        return verdict(True, "gamma-weighted dout, minus its row mean, minus x_hat times the row mean of dout * x_hat, all times std_inv")
    return verdict(False, f"it differs from autograd's by up to {(got - x.grad).abs().max().item():.3g}: the sums run over each row (dim 1), and dout reaches x_hat through gamma")


@exercise_check()
def check_embedding_backward(dC_fn) -> Verdict:
    """Exercise (06): ``dC_fn(demb, X, vocab_size)`` returns the gradient of the embedding
    table C given the gradient ``demb`` of ``emb = C[X]``."""
    g = torch.Generator().manual_seed(4)
    X = torch.tensor([[0, 0, 3], [3, 3, 3], [1, 0, 5], [2, 6, 0]])
    C = torch.randn(7, 4, generator=g, dtype=D, requires_grad=True)
    demb = torch.randn(4, 3, 4, generator=g, dtype=D)
    (C[X] * demb).sum().backward()
    got, error = _learner_result(dC_fn, (demb, X, 7), "a (7, 4) tensor")
    if error:
        return verdict(False, error)
    if got.shape != C.shape:
        return verdict(False, f"dC should have C's shape (7, 4), not {tuple(got.shape)}")
    if torch.allclose(got, C.grad, atol=1e-12):
        return verdict(True, "each row of C collects the gradients of every place it was looked up")
    overwritten = torch.zeros(7, 4, dtype=D)
    overwritten[X] += demb
    if torch.allclose(got, overwritten, atol=1e-12):
        return verdict(False, "a token used twice counts once: dC[X] += demb does not accumulate repeated indices; use index_add_")
    return verdict(False, f"it differs from autograd's by up to {(got - C.grad).abs().max().item():.3g}")
