"""Checks for the exercises of lessons 03 (the bigram model) and 04 (the MLP). Each
prints one verdict line and returns a Verdict (true when right).

    check_trigram_counts(N, words)                      03: N[a, b, c], how often c follows a, b
    check_trigram_probs(P, words, smoothing=1.0)        03: the rows of N + smoothing, normalised
    check_trigram_nll(nll, train_words, eval_words)     03: the trigram model's mean NLL
    check_mlp_parameter_count(count, ...)               04: how many numbers the MLP learns
    check_validation_loss(model, target=2.15)           04: a better MLP, scored on the validation split

The trigram model reads the two characters before the next one. A word is padded with
two boundary tokens in front and one at the end, so "emma" gives the five trigrams
``..e .em emm mma ma.``, one per character to predict (the end included).

Each check prints one line, right or what is wrong, and never the right answer; every
check has a worked solution, shown by ``solution(check)``.
"""

import math

import torch
import torch.nn.functional as F

from nnzero.exercises import Verdict, as_number, check_number, exercise_check, verdict
from nnzero.makemore.data import Vocab, WindowDataset, load_words, split_words
from nnzero.makemore.models.bigram import BigramCounts

D = torch.float64


def trigram_counts(words, vocab: Vocab | None = None):
    """The reference counts: a LongTensor (V, V, V) with ``N[a, b, c]`` = how often token c
    follows tokens a, b in the words (two boundary tokens in front, one at the end)."""
    vocab = Vocab.from_words(words) if vocab is None else vocab
    size = len(vocab)
    data = WindowDataset(words, vocab, context=2)
    flat = (data.X[:, 0] * size + data.X[:, 1]) * size + data.Y
    return torch.bincount(flat, minlength=size**3).view(size, size, size)


def _trigram_probs(words, vocab, smoothing):
    counts = trigram_counts(words, vocab).to(D) + smoothing
    return counts / counts.sum(dim=2, keepdim=True)


def _nll(P, words, vocab):
    data = WindowDataset(words, vocab, context=2)
    return -P[data.X[:, 0], data.X[:, 1], data.Y].log().mean().item()


def _as_table(table, size, what):
    """The learner's table as a float64 (V, V, V) tensor, or a reason why it is not one."""
    try:
        table = torch.as_tensor(table).to(D)
    except (TypeError, ValueError, RuntimeError):
        return None, f"give {what} as a tensor, not {type(table).__name__}"
    if table.shape == (size * size, size):  # one row per pair of characters is fine too
        table = table.view(size, size, size)
    if table.shape != (size, size, size):
        return None, (
            f"{what} should have shape ({size}, {size}, {size}): first character, second character, "
            f"next character; yours is {tuple(table.shape)}"
        )
    return table, None


# ----------------------------------------------------------------------------------
# Worked solutions of lesson 03's trigram exercises: plain torch, as a learner writes them.


def trigram_counts_solution(words, vocab: Vocab | None = None):
    """Number the characters as the lesson does (the boundary token `.` is 0, a is 1,
    …, z is 26). Pad each word with two boundary tokens in front and one at the end,
    and slide a window of three over it: "emma" becomes . . e m m a . and gives
    ..e .em emm mma ma., one trigram per character to predict, the end included
    (len + 1 per word). Each trigram (a, b, c) adds 1 to N[a, b, c]: the bigram
    counting loop of section 2, one character longer."""
    vocab = Vocab.from_words(words) if vocab is None else vocab
    V = len(vocab)
    dot = vocab.BOUNDARY
    N = torch.zeros((V, V, V), dtype=torch.int64)
    for word in words:
        ids = [dot, dot] + vocab.encode(word) + [dot]
        for a, b, c in zip(ids, ids[1:], ids[2:]):
            N[a, b, c] += 1
    return N


def trigram_probs_solution(words, smoothing: float = 1.0, vocab: Vocab | None = None):
    """Smooth first (section 6): add α to every count, so that no trigram gets
    probability 0 and no row of a pair (a, b) never seen is 0 / 0. Then normalise each
    row, fixed (a, b), over the last axis, the next character. keepdim=True keeps the
    sums' shape (V, V, 1), so broadcasting divides N[a, b, c] by the sum of its own
    row (a, b) (section 3); every row then sums to 1."""
    counts = trigram_counts_solution(words, vocab).double() + smoothing
    return counts / counts.sum(dim=2, keepdim=True)


def trigram_nll_solution(train_words, eval_words, smoothing: float = 1.0):
    """Count and smooth on the training words only; then score every character of
    every evaluated word, its end included, with the same padding (two boundary
    tokens in front). The loss is the mean over all those characters of
    −ln P[a, b, c] (section 5): minus, so that it is positive; the mean, so that it
    does not grow with the number of words; the natural log, so that the uniform
    model scores ln 27 ≈ 3.2958."""
    vocab = Vocab.from_words(list(train_words) + list(eval_words))
    P = trigram_probs_solution(train_words, smoothing, vocab)
    dot = vocab.BOUNDARY
    firsts, seconds, nexts = [], [], []
    for word in eval_words:
        ids = [dot, dot] + vocab.encode(word) + [dot]
        firsts += ids[:-2]
        seconds += ids[1:-1]
        nexts += ids[2:]
    return -P[firsts, seconds, nexts].log().mean().item()


@exercise_check(solution=trigram_counts_solution)
def check_trigram_counts(N, words, vocab: Vocab | None = None) -> Verdict:
    """Exercise (03): ``N[a, b, c]`` counts how often token ``c`` follows tokens ``a, b`` in
    ``words``, each word padded with two boundary tokens in front and one at the end.
    ``vocab`` defaults to ``Vocab.from_words(words)``."""
    vocab = Vocab.from_words(words) if vocab is None else vocab
    size = len(vocab)
    right = trigram_counts(words, vocab).to(D)
    N, why = _as_table(N, size, "N")
    if N is None:
        return verdict(False, why)
    if torch.equal(N, right):
        return verdict(True, f"{int(right.sum()):,} trigrams, {int((right > 0).sum()):,} of the {size**3:,} possible ones seen")
    letters = sum(len(w) for w in words)
    totals = {
        letters - 2 * len(words): "you counted only the trigrams inside each word; pad it with two boundary tokens in front and one at the end",
        letters: "a word needs two boundary tokens in front, so its first character has two tokens of context",
        letters + 2 * len(words): "one boundary token at the end is enough: a word ends once",
    }
    total = int(N.sum())
    if total != int(right.sum()) and total in totals:
        return verdict(False, totals[total])
    for axes in ((0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)):
        if torch.equal(N.permute(axes), right) or torch.equal(N, right.permute(axes)):
            return verdict(False, "the counts are right but the axes are in another order: N[a, b, c] is c following a then b")
    a, b, c = (int(i) for i in (N != right).nonzero()[0])
    pair = vocab.symbol(a) + vocab.symbol(b) + vocab.symbol(c)
    return verdict(False, f"{int((N != right).sum())} entries differ; e.g. {pair!r} occurs {int(right[a, b, c])} times, you have {int(N[a, b, c])}")


@exercise_check(solution=trigram_probs_solution)
def check_trigram_probs(P, words, smoothing: float = 1.0, vocab: Vocab | None = None) -> Verdict:
    """Exercise (03): ``P[a, b, c]``, the probability of ``c`` after ``a, b``: the counts of
    ``words`` plus ``smoothing``, each row (fixed a, b) divided by its sum. A (V*V, V)
    table with one row per pair is accepted too."""
    vocab = Vocab.from_words(words) if vocab is None else vocab
    size = len(vocab)
    P, why = _as_table(P, size, "P")
    if P is None:
        return verdict(False, why)
    right = _trigram_probs(words, vocab, smoothing)
    # The learner may well compute in float32; that is fine.
    if torch.allclose(P, right, rtol=1e-4, atol=1e-7):
        return verdict(True, f"every row sums to 1, and no trigram has probability 0 (smoothing {smoothing:g})")
    if torch.isnan(P).any():
        return verdict(False, "P holds NaN: a row of zero counts divided by its zero sum; add the smoothing before normalising")
    if not torch.allclose(P.sum(dim=2), torch.ones(size, size, dtype=D), atol=1e-4):
        for dim in (0, 1):
            if torch.allclose(P.sum(dim=dim), torch.ones(size, size, dtype=D), atol=1e-4):
                return verdict(False, f"your table sums to 1 over axis {dim}; normalise over the last axis: P = N / N.sum(dim=2, keepdim=True)")
        return verdict(False, "the rows do not sum to 1: divide each row by its sum, N.sum(dim=2, keepdim=True), so that broadcasting lines it up")
    for other in (0.0, 1.0):
        if other != smoothing and torch.allclose(P, _trigram_probs(words, vocab, other), rtol=1e-4, atol=1e-7):
            return verdict(False, f"that is the table for smoothing {other:g}; add {smoothing:g} to every count before normalising")
    return verdict(False, f"the probabilities differ from the reference by up to {(P - right).abs().max().item():.3g}; count with check_trigram_counts first")


@exercise_check(solution=trigram_nll_solution)
def check_trigram_nll(nll, train_words, eval_words, smoothing: float = 1.0) -> Verdict:
    """Exercise (03): the mean negative log-likelihood, per character predicted (the end
    included), of ``eval_words`` under the trigram model counted on ``train_words`` with
    ``smoothing`` added to every count."""
    try:
        nll = float(nll)
    except (TypeError, ValueError):
        return verdict(False, f"give the NLL as a number, not {type(nll).__name__}")
    if as_number(smoothing) is None or smoothing < 0:
        return verdict(False, f"give the smoothing α as a number of at least 0 (smoothing=best_alpha), not {smoothing!r}")
    vocab = Vocab.from_words(list(train_words) + list(eval_words))
    P = _trigram_probs(train_words, vocab, smoothing)
    right = _nll(P, eval_words, vocab)
    if math.isclose(nll, right, rel_tol=1e-4):
        return verdict(True, f"trigram NLL {right:.4f} per character (smoothing {smoothing:g})")
    count = len(WindowDataset(eval_words, vocab, context=2))
    bigram_nll = BigramCounts(train_words, vocab).nll(eval_words, smoothing)
    hints = [
        (-right, "the NLL is minus the mean log-probability, so it is positive"),
        (right * count, f"that is the sum over all {count:,} characters; take the mean"),
        (right / math.log(2), "that is in bits (log base 2); use the natural log"),
        (right / math.log(10), "that is log base 10; use the natural log"),
        (bigram_nll, "that is the bigram model's NLL: condition on the last two tokens, not one"),
    ]
    for wrong, why in hints:
        if math.isclose(nll, wrong, rel_tol=1e-4):
            return verdict(False, why)
    for other in (0.0, 1.0):
        if other == smoothing:
            continue
        other_nll = _nll(_trigram_probs(train_words, vocab, other), eval_words, vocab)
        if math.isfinite(other_nll) and math.isclose(nll, other_nll, rel_tol=1e-4):
            return verdict(False, f"that is the NLL with smoothing {other:g}; add {smoothing:g} to every count")
    if math.isinf(nll):
        return verdict(False, "an infinite NLL means a trigram of the words got probability 0: add the smoothing to the counts")
    return verdict(False, f"{nll:.4f} is not it: score every character of each word and its end, with two boundary tokens in front")


def mlp_parameter_count_solution(vocab_size: int = 27, context: int = 3, n_embd: int = 10, n_hidden: int = 200) -> int:
    """Worked solution: add up the five tensors' sizes. C is (vocab_size, n_embd); W1 reads the
    context's embeddings side by side, so it is (context * n_embd, n_hidden), with one bias per
    hidden unit; W2 is (n_hidden, vocab_size), with one bias per token."""
    return vocab_size * n_embd + (context * n_embd * n_hidden + n_hidden) + (n_hidden * vocab_size + vocab_size)


@exercise_check(solution=mlp_parameter_count_solution)
def check_mlp_parameter_count(count, vocab_size: int = 27, context: int = 3, n_embd: int = 10, n_hidden: int = 200) -> Verdict:
    """Exercise (04): the number of parameters of the MLP (C, W1, b1, W2, b2) of the given size."""
    embedding = vocab_size * n_embd
    hidden = context * n_embd * n_hidden + n_hidden
    output = n_hidden * vocab_size + vocab_size
    right = mlp_parameter_count_solution(vocab_size, context, n_embd, n_hidden)
    hints = [
        (right - embedding, "the embedding table C is learned too: vocab_size * n_embd numbers"),
        (right - n_hidden - vocab_size, "count the biases b1 and b2 as well"),
        (right - n_hidden, "count the bias b1 as well: one number per hidden unit"),
        (right - vocab_size, "count the bias b2 as well: one number per token of the vocabulary"),
        (right - (context - 1) * n_embd * n_hidden, f"W1 reads all {context} embeddings at once: it has context * n_embd = {context * n_embd} rows"),
    ]
    return check_number(
        count, right, what="the count", whole=True, hints=hints,
        right_why=f"C {embedding:,} + W1, b1 {hidden:,} + W2, b2 {output:,} = {right:,}",
        otherwise="add up the sizes of C, W1, b1, W2 and b2",
    )


def _validation_windows(context):
    words = load_words()
    vocab = Vocab.from_words(words)
    return WindowDataset(split_words(words, seed=42, dedupe=True).val, vocab, context)


def better_mlp_solution(steps: int = 100_000):
    """Worked solution: lesson 04's recipe (plain SGD, batches of 256, rate 0.4 for the first half
    of the steps and 0.04 after), with wider embeddings (15) and hidden layer (300) and
    ``steps`` steps. At 100,000 steps (about 2 CPU minutes) it reaches a validation loss of
    2.1486 (bench/BENCHMARKS.md); the lesson's model of 10 and 200, 60,000 steps, 2.1706."""
    from nnzero.scratch.window_mlp import init_mlp, train

    words = load_words()
    vocab = Vocab.from_words(words)
    data = WindowDataset(split_words(words, seed=42, dedupe=True).train, vocab, 3)
    model = init_mlp(len(vocab), context=3, n_embd=15, n_hidden=300, seed=2147483647)
    train(model, data.X, data.Y, steps=steps, batch_size=256, lr=0.4, decay_at=0.5, seed=2147483647)
    return model


@torch.no_grad()
@exercise_check(solution=better_mlp_solution)
def check_validation_loss(model, target: float = 2.15, context: int | None = None) -> Verdict:
    """Exercise (04): a model whose loss on lesson 04's validation split (the shipped names,
    ``split_words(words, seed=42, dedupe=True)``: each distinct name in one split only) is at
    most ``target``.

    ``model`` maps a LongTensor (batch, context) of windows to logits (batch, 27): a
    WindowMLP, or any function of yours. ``context`` defaults to ``model.context``.
    """
    context = getattr(model, "context", None) if context is None else context
    if isinstance(context, bool) or not isinstance(context, int) or context < 1:
        return verdict(False, "say how many characters the model reads: check_validation_loss(model, context=3)")
    val = _validation_windows(context)
    total = 0.0
    for start in range(0, len(val), 8192):
        X, Y = val.X[start : start + 8192], val.Y[start : start + 8192]
        try:
            logits = torch.as_tensor(model(X)).float()
        except Exception as error:  # the learner's code: report, don't crash the lesson
            return verdict(False, f"model(X) raised {type(error).__name__}: {error}; it should map (batch, {context}) windows to logits")
        if logits.shape != (len(Y), 27):
            return verdict(False, f"model(X) should return logits of shape (batch, 27), not {tuple(logits.shape)}")
        total += F.cross_entropy(logits, Y, reduction="sum").item()
    loss = total / len(val)
    if not math.isfinite(loss):
        return verdict(False, "the validation loss is not finite: the logits hold inf or NaN (is the learning rate too high?)")
    if loss <= target:
        return verdict(True, f"validation loss {loss:.4f} <= {target}; now report the test loss, once")
    return verdict(False, f"validation loss {loss:.4f} is above {target}: train longer, or try a wider hidden layer or a longer context")
