"""Checks for the exercises of lessons 05 (activations, initialisation, BatchNorm) and
06 (backprop by hand). Each prints one verdict line and returns a Verdict (true when right).

    check_initial_loss(loss, vocab_size=27)          05: the loss of a network that knows nothing
    check_kaiming_std(std, fan_in=30)                05: the weight scale for a tanh layer
    check_folded_batchnorm(fold)                     05: BatchNorm folded into the Linear before it
    check_cross_entropy_backward(dlogits_fn)         06: dlogits in one expression
    check_layernorm_backward(dx_fn)                  06: LayerNorm's backward in one expression
    check_embedding_backward(dC_fn)                  06: the embedding gradient without a loop
    check_loss_to_logits(fn)                         06: from the loss to the logits, step by step
    check_output_layer(fn)                           06: dh, dW2, db2
    check_tanh(fn)                                   06: dhpreact
    check_batchnorm_steps(fn)                        06: BatchNorm's backward, step by step
    check_first_layer(fn)                            06: dembcat, dW1, db1
    check_embedding_steps(fn)                        06: demb, dC
    check_whole_backward(fn)                         06: every parameter's gradient in a few lines

``solution(check)`` (from nnzero.exercises) shows a worked solution of each exercise.
"""

import math

import torch
import torch.nn.functional as F

from nnzero.exercises import Verdict, check_number, exercise_check, verdict
from nnzero.scratch import manual_backward
from nnzero.scratch.deep_mlp import GAINS, BatchNorm1d, Linear

D = torch.float64


def solution_initial_loss(vocab_size: int = 27) -> float:
    """A network that knows nothing gives each of the ``vocab_size`` tokens probability
    1/vocab_size; the loss is minus the log of that, -ln(1/V) = ln(V), the same for every example."""
    return math.log(vocab_size)


@exercise_check(solution=solution_initial_loss)
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


def solution_kaiming_std(fan_in: int = 30, nonlinearity: str = "tanh") -> float:
    """Variances add over the fan_in products, so weights of std 1/sqrt(fan_in) keep a
    unit scale; the nonlinearity's gain (5/3 for tanh) makes up for its squashing."""
    return GAINS[nonlinearity] / math.sqrt(fan_in)


@exercise_check(solution=solution_kaiming_std)
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


def solution_folded_batchnorm(linear, bn):
    """In inference BatchNorm maps each unit's z = x @ W + b to gamma * (z - running_mean) /
    sqrt(running_var + eps) + beta: one scale per output column. Scale W's columns by it,
    and push the bias through the same normalisation and shift."""
    scale = bn.gamma / torch.sqrt(bn.running_var + bn.eps)
    bias = linear.bias if linear.bias is not None else torch.zeros_like(bn.beta)
    return linear.weight * scale, (bias - bn.running_mean) * scale + bn.beta


@exercise_check(solution=solution_folded_batchnorm)
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


def solution_cross_entropy_backward(logits, Y):
    """Worked solution: the loss is the mean over the n rows of ``-log softmax(logits)[Y]``, whose
    gradient with respect to a row of logits is ``softmax(row) - one_hot(Y)``; the mean divides by n."""
    dlogits = F.softmax(logits, 1)
    dlogits[range(len(Y)), Y] -= 1
    return dlogits / len(Y)


@exercise_check(solution=solution_cross_entropy_backward)
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


def solution_layernorm_backward(dout, x_hat, gamma, std_inv):
    """Worked solution: BatchNorm's one-expression backward with rows and columns swapped. With
    ``dx_hat = dout * gamma``, each row's mean and its projection on ``x_hat`` are taken out (the
    normalisation removes both), then scaled by ``std_inv``; means over the features (dim 1)."""
    dx_hat = dout * gamma
    return std_inv * (dx_hat - dx_hat.mean(1, keepdim=True) - x_hat * (dx_hat * x_hat).mean(1, keepdim=True))


@exercise_check(solution=solution_layernorm_backward)
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


def solution_embedding_backward(demb, X, vocab_size):
    """Worked solution: ``emb = C[X]`` copies row ``X[i, j]`` of C into place ``(i, j)``, so row k of dC
    is the sum of ``demb`` over every place where k was looked up: ``index_add_`` adds them in one call."""
    dC = torch.zeros(vocab_size, demb.shape[-1], dtype=demb.dtype)
    return dC.index_add_(0, X.reshape(-1), demb.reshape(-1, demb.shape[-1]))


@exercise_check(solution=solution_embedding_backward)
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


# ----------------------------------------------------------------------------------
# 06, section 2: backpropagation tensor by tensor, one group of steps at a time.
#
# Each exercise is a function that receives the forward pass's tensors (and the
# gradient arriving from above) and returns a dict of gradients keyed by tensor name.
# The checks run it on their own small batch, in float64, and compare every gradient
# with autograd's; the gradient arriving from above is autograd's, so one group's
# mistake does not spill into the next.


def _forward_steps(seed=5, n=16, vocab_size=27, context=3, n_embd=4, n_hidden=8):
    """Lesson 06's forward pass, split into small steps, on a fixed batch (float64), every
    tensor's autograd gradient kept. Returns ``{name: tensor}`` (graph attached)."""
    g = torch.Generator().manual_seed(seed)
    t = {}
    t["C"] = torch.randn(vocab_size, n_embd, generator=g, dtype=D)
    t["W1"] = torch.randn(context * n_embd, n_hidden, generator=g, dtype=D) * 0.5
    t["b1"] = torch.randn(n_hidden, generator=g, dtype=D) * 0.1
    t["bngain"] = 1 + 0.1 * torch.randn(n_hidden, generator=g, dtype=D)
    t["bnbias"] = 0.1 * torch.randn(n_hidden, generator=g, dtype=D)
    t["W2"] = torch.randn(n_hidden, vocab_size, generator=g, dtype=D) * 0.3
    t["b2"] = 0.1 * torch.randn(vocab_size, generator=g, dtype=D)
    for name in ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2"):
        t[name].requires_grad_()
    t["Xb"] = torch.randint(0, vocab_size, (n, context), generator=g)
    t["Xb"][:4, 0] = 0  # repeated tokens, as the boundary token is in real batches
    t["Yb"] = torch.randint(0, vocab_size, (n,), generator=g)
    t["emb"] = t["C"][t["Xb"]]
    t["embcat"] = t["emb"].view(n, -1)
    t["hprebn"] = t["embcat"] @ t["W1"] + t["b1"]
    t["bnmeani"] = t["hprebn"].sum(0, keepdim=True) / n
    t["bndiff"] = t["hprebn"] - t["bnmeani"]
    t["bndiff2"] = t["bndiff"] ** 2
    t["bnvar"] = t["bndiff2"].sum(0, keepdim=True) / n
    t["bnvar_inv"] = (t["bnvar"] + 1e-5) ** -0.5
    t["bnraw"] = t["bndiff"] * t["bnvar_inv"]
    t["hpreact"] = t["bngain"] * t["bnraw"] + t["bnbias"]
    t["h"] = torch.tanh(t["hpreact"])
    t["logits"] = t["h"] @ t["W2"] + t["b2"]
    t["logit_maxes"] = t["logits"].max(1, keepdim=True).values
    t["norm_logits"] = t["logits"] - t["logit_maxes"]
    t["counts"] = t["norm_logits"].exp()
    t["counts_sum"] = t["counts"].sum(1, keepdim=True)
    t["counts_sum_inv"] = t["counts_sum"] ** -1
    t["probs"] = t["counts"] * t["counts_sum_inv"]
    t["logprobs"] = t["probs"].log()
    loss = -t["logprobs"][torch.arange(n), t["Yb"]].mean()
    for name, tensor in t.items():
        if tensor.requires_grad and not tensor.is_leaf:
            tensor.retain_grad()
    loss.backward()
    return t


_USED_TWICE = {
    "counts": "counts is used twice (in probs and in counts_sum): add both contributions",
    "logits": "logits is used twice (in norm_logits and, through max, in logit_maxes): add both contributions",
    "bndiff": "bndiff is used twice (in bnraw and in bndiff2): add both contributions",
    "hprebn": "hprebn is used twice (in bndiff and in bnmeani): add both contributions",
    "C": "a row of C looked up several times collects the sum of all their gradients (index_add_; dC[Xb] += demb keeps only one)",
}


def _check_gradients(fn, inputs, names, group, where):
    """Call the learner's ``fn(*inputs)`` (tensors detached) and compare the dict it
    returns with autograd's gradients of ``names``; one verdict line."""
    t = _forward_steps()
    # "dX" is the gradient arriving at X (autograd's), any other name the forward tensor
    args = [t[x[1:]].grad.clone() if x not in t else t[x].detach().clone() for x in inputs]
    try:
        got = fn(*args)
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return verdict(False, f"your function raised {type(error).__name__}: {error}; it should return a dict of gradients ({where})")
    if not isinstance(got, dict):
        return verdict(False, f"return a dict {{name: gradient}} with the keys {', '.join(names)}, not {type(got).__name__}")
    missing = [name for name in names if got.get(name) is None]
    if len(missing) == len(names):
        return verdict(False, f"no gradient returned yet: the dict needs the keys {', '.join(names)}")
    for name in names:
        if name in missing:
            return verdict(False, f"d{name} is missing: the dict needs the keys {', '.join(names)}")
        try:
            ours = torch.as_tensor(got[name], dtype=D)
        except Exception:
            return verdict(False, f"d{name} should be a tensor, not {type(got[name]).__name__}")
        ref = t[name].grad
        shape = tuple(t[name].shape)
        if ours.shape != ref.shape:
            if ours.shape == ref.T.shape and ours.dim() == 2:
                return verdict(False, f"d{name} is transposed: a gradient has its tensor's shape {shape}; let the shapes pick the matrix product ({where})")
            return verdict(False, f"d{name} should have {name}'s shape {shape}, not {tuple(ours.shape)}: what is broadcast in the forward pass is summed (keepdim=True) in the backward pass ({where})")
        if torch.allclose(ours, ref, rtol=1e-7, atol=1e-10):
            continue
        n = t["Yb"].shape[0]
        if torch.allclose(ours, -ref, rtol=1e-7, atol=1e-10):
            why = "the sign is flipped"
        elif torch.allclose(ours, ref * n, rtol=1e-7, atol=1e-10):
            why = "it is n times too large: divide by n where the forward pass averaged"
        elif torch.allclose(ours, ref / n, rtol=1e-7, atol=1e-10):
            why = "it is n times too small: the 1/n of the mean is counted twice"
        elif name in _USED_TWICE:
            why = f"it differs from autograd's; {_USED_TWICE[name]}"
        else:
            why = "it differs from autograd's"
        return verdict(False, f"d{name} is wrong: {why} ({where})")
    what = f"all {len(names)} gradients of {group} agree" if len(names) > 1 else f"the gradient of {group} agrees"
    return verdict(True, f"{what} with autograd, to float64 rounding")


def solution_loss_to_logits(Yb, logits, logit_maxes, norm_logits, counts, counts_sum, counts_sum_inv, probs, logprobs):
    """From the loss back to the logits, one small step at a time (eleven lines).

    The loss picks one log-probability per row and averages: -1/n there, 0 elsewhere.
    log: 1/p. A product with a broadcast column: the other factor, and a sum over the
    broadcast dimension. x**-1: -x**-2. A sum: copy back. exp: itself. The row maximum
    is used twice (subtracted, and picked by max), as are counts and logits.
    """
    n = Yb.shape[0]
    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[torch.arange(n), Yb] = -1.0 / n
    dprobs = dlogprobs / probs
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
    dcounts = counts_sum_inv * dprobs  # first of counts' two uses
    dcounts_sum = -counts_sum**-2 * dcounts_sum_inv
    dcounts += torch.ones_like(counts) * dcounts_sum  # second use
    dnorm_logits = counts * dcounts
    dlogits = dnorm_logits.clone()
    dlogit_maxes = -dnorm_logits.sum(1, keepdim=True)
    dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    return {"logprobs": dlogprobs, "probs": dprobs, "counts_sum_inv": dcounts_sum_inv, "counts_sum": dcounts_sum,
            "counts": dcounts, "norm_logits": dnorm_logits, "logit_maxes": dlogit_maxes, "logits": dlogits}


LOSS_TO_LOGITS = ("logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits", "logit_maxes", "logits")


@exercise_check(solution=solution_loss_to_logits)
def check_loss_to_logits(fn) -> Verdict:
    """Exercise (06): ``fn(Yb, logits, logit_maxes, norm_logits, counts, counts_sum,
    counts_sum_inv, probs, logprobs)`` returns ``{name: gradient}`` for logprobs, probs,
    counts_sum_inv, counts_sum, counts, norm_logits, logit_maxes and logits."""
    inputs = ("Yb", "logits", "logit_maxes", "norm_logits", "counts", "counts_sum", "counts_sum_inv", "probs", "logprobs")
    return _check_gradients(fn, inputs, LOSS_TO_LOGITS, "the cross-entropy", "reread 'The loss' to 'Subtracting the row maximum'")


def solution_output_layer(dlogits, h, W2):
    """``logits = h @ W2 + b2``: let the shapes pick the products; b2 is broadcast over
    the rows, so its gradient is the sum over rows."""
    return {"h": dlogits @ W2.T, "W2": h.T @ dlogits, "b2": dlogits.sum(0)}


@exercise_check(solution=solution_output_layer)
def check_output_layer(fn) -> Verdict:
    """Exercise (06): ``fn(dlogits, h, W2)`` returns ``{"h": dh, "W2": dW2, "b2": db2}``."""
    return _check_gradients(fn, ("dlogits", "h", "W2"), ("h", "W2", "b2"), "the output layer", "reread 'A matrix product'")


def solution_tanh(dh, h):
    """d tanh(x)/dx = 1 - tanh(x)**2, and tanh(x) is h."""
    return {"hpreact": (1.0 - h**2) * dh}


@exercise_check(solution=solution_tanh)
def check_tanh(fn) -> Verdict:
    """Exercise (06): ``fn(dh, h)`` returns ``{"hpreact": dhpreact}``."""
    return _check_gradients(fn, ("dh", "h"), ("hpreact",), "tanh", "reread 'tanh'")


def solution_batchnorm_steps(dhpreact, hprebn, bngain, bnraw, bndiff, bnvar, bnvar_inv):
    """Back through BatchNorm one step at a time: the scale and shift (sums over the
    batch for the broadcast gain and bias), the product with bnvar_inv, the power, the
    mean of the squares, the square, then the mean. bndiff and hprebn are used twice."""
    n = dhpreact.shape[0]
    dbngain = (bnraw * dhpreact).sum(0)
    dbnbias = dhpreact.sum(0)
    dbnraw = bngain * dhpreact
    dbndiff = bnvar_inv * dbnraw  # first of bndiff's two uses
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    dbnvar = -0.5 * (bnvar + 1e-5) ** -1.5 * dbnvar_inv
    dbndiff2 = torch.ones_like(bndiff) * dbnvar / n
    dbndiff += 2 * bndiff * dbndiff2  # second use
    dhprebn = dbndiff.clone()
    dbnmeani = -dbndiff.sum(0, keepdim=True)
    dhprebn += torch.ones_like(hprebn) * dbnmeani / n  # second use of hprebn
    return {"bngain": dbngain, "bnbias": dbnbias, "bnraw": dbnraw, "bnvar_inv": dbnvar_inv, "bnvar": dbnvar,
            "bndiff2": dbndiff2, "bndiff": dbndiff, "bnmeani": dbnmeani, "hprebn": dhprebn}


BATCHNORM_STEPS = ("bngain", "bnbias", "bnraw", "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmeani", "hprebn")


@exercise_check(solution=solution_batchnorm_steps)
def check_batchnorm_steps(fn) -> Verdict:
    """Exercise (06): ``fn(dhpreact, hprebn, bngain, bnraw, bndiff, bnvar, bnvar_inv)``
    returns ``{name: gradient}`` for bngain, bnbias, bnraw, bnvar_inv, bnvar, bndiff2,
    bndiff, bnmeani and hprebn."""
    inputs = ("dhpreact", "hprebn", "bngain", "bnraw", "bndiff", "bnvar", "bnvar_inv")
    return _check_gradients(fn, inputs, BATCHNORM_STEPS, "BatchNorm", "reread 'BatchNorm, step by step' and 'The mean'")


def solution_first_layer(dhprebn, embcat, W1):
    """``hprebn = embcat @ W1 + b1``: a matrix product like the output layer."""
    return {"embcat": dhprebn @ W1.T, "W1": embcat.T @ dhprebn, "b1": dhprebn.sum(0)}


@exercise_check(solution=solution_first_layer)
def check_first_layer(fn) -> Verdict:
    """Exercise (06): ``fn(dhprebn, embcat, W1)`` returns ``{"embcat": ..., "W1": ..., "b1": ...}``."""
    return _check_gradients(fn, ("dhprebn", "embcat", "W1"), ("embcat", "W1", "b1"), "the first layer", "reread 'The mean, then the first layer'")


def solution_embedding_steps(dembcat, emb, Xb, C):
    """``embcat = emb.view(n, -1)`` only reshapes: reshape the gradient back. ``emb = C[Xb]``
    copies rows of C: each row collects the sum of its copies' gradients (index_add_)."""
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C).index_add_(0, Xb.view(-1), demb.view(-1, demb.shape[-1]))
    return {"emb": demb, "C": dC}


@exercise_check(solution=solution_embedding_steps)
def check_embedding_steps(fn) -> Verdict:
    """Exercise (06): ``fn(dembcat, emb, Xb, C)`` returns ``{"emb": demb, "C": dC}``."""
    return _check_gradients(fn, ("dembcat", "emb", "Xb", "C"), ("emb", "C"), "the embedding", "reread 'The embedding'")


# ----------------------------------------------------------------------------------
# 06, section 6: the whole backward pass in a few lines.


PARAMETERS = ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")


@exercise_check(solution=manual_backward.backward)  # the package's, the one ManualMLP uses
def check_whole_backward(fn) -> Verdict:
    """Exercise (06): ``fn(cache, params)`` returns every parameter's gradient,
    ``{name: gradient}`` for C, W1, b1, bngain, bnbias, W2, b2. ``cache`` holds the forward
    pass's X, Y, embcat, x_hat (the standardised pre-activations), var_inv
    (1/sqrt(var + eps), shape (n_hidden,)), h and logits; ``params`` the parameters."""
    t = _forward_steps()
    cache = {"X": t["Xb"], "Y": t["Yb"], "embcat": t["embcat"], "x_hat": t["bnraw"], "var_inv": t["bnvar_inv"].view(-1),
             "h": t["h"], "logits": t["logits"]}
    cache = {k: v.detach().clone() for k, v in cache.items()}
    params = {k: t[k].detach().clone() for k in PARAMETERS}
    try:
        got = fn(cache, params)
    except Exception as error:  # the learner's code: report, don't crash the lesson
        return verdict(False, f"your function raised {type(error).__name__}: {error}; it should return a dict of the 7 parameters' gradients")
    if not isinstance(got, dict):
        return verdict(False, f"return a dict {{name: gradient}} with the keys {', '.join(PARAMETERS)}, not {type(got).__name__}")
    for name in PARAMETERS:
        if got.get(name) is None:
            return verdict(False, f"d{name} is missing: the dict needs the keys {', '.join(PARAMETERS)}")
        ours, ref = torch.as_tensor(got[name], dtype=D), t[name].grad
        if ours.shape != ref.shape:
            return verdict(False, f"d{name} should have {name}'s shape {tuple(ref.shape)}, not {tuple(ours.shape)}")
        if not torch.allclose(ours, ref, rtol=1e-7, atol=1e-10):
            n = t["Yb"].shape[0]
            if torch.allclose(ours, ref * n, rtol=1e-7, atol=1e-10):
                why = "n times too large: the loss is a mean over the batch"
            elif torch.allclose(ours, -ref, rtol=1e-7, atol=1e-10):
                why = "the sign is flipped"
            elif name == "C":
                why = "it differs from autograd's; a token looked up twice must add twice (index_add_, section 5)"
            elif name in ("W1", "b1"):
                why = "it differs from autograd's; check the BatchNorm line (section 4), which everything below it inherits"
            else:
                why = "it differs from autograd's"
            return verdict(False, f"d{name} is wrong: {why}")
    return verdict(True, "all 7 parameter gradients agree with autograd: the whole backward pass in a few lines")
