"""Checks for the exercises of lesson 12 (the model zoo). Each prints one verdict line and
returns a Verdict (true when right).

    check_gru_params(count, hidden=256)       a GRU's parameter count, from its shapes
    check_rnn_step_flops(flops)               the FLOPs of one training step of the zoo's RNN
    check_new_share(new_share)                the share of samples that are new names

``solution(check)`` (from nnzero.exercises) shows a worked solution of each exercise.
"""

from nnzero.exercises import Verdict, check_number, exercise_check, verdict
from nnzero.makemore.data import Splits
from nnzero.makemore.models import ModelConfig, build_model
from nnzero.makemore.sample import classify


def solution_gru_params(hidden: int = 256, n_embd: int = 64, vocab_size: int = 27) -> int:
    """Add up every tensor of the GRU: the embedding table, the cell's input and recurrent
    weights (three blocks each: reset, update, candidate) and their two bias vectors, the
    learned initial state, and the output layer with its bias."""
    embedding = vocab_size * n_embd
    cell = 3 * hidden * n_embd + 3 * hidden * hidden + 2 * 3 * hidden
    initial_state = hidden
    head = hidden * vocab_size + vocab_size
    return embedding + cell + initial_state + head


@exercise_check(solution=solution_gru_params)
def check_gru_params(count, hidden: int = 256, n_embd: int = 64, vocab_size: int = 27) -> Verdict:
    """Exercise (12): the parameters of the zoo's GRU (one layer, embeddings of ``n_embd``)
    with a hidden state of ``hidden`` units, over ``vocab_size`` tokens."""
    model = build_model("gru", ModelConfig(vocab_size, 16, n_layer=1, n_embd=n_embd, n_embd2=hidden))
    right = sum(p.numel() for p in model.parameters())
    parts = (f"embedding {vocab_size}×{n_embd}, input weights 3·{hidden}×{n_embd}, recurrent weights "
             f"3·{hidden}×{hidden}, two bias vectors of 3·{hidden}, a learned initial state of {hidden}, "
             f"head {hidden}×{vocab_size} + {vocab_size}")
    hints = [
        (right - hidden, "you left out the learned initial state (one vector of the hidden size)"),
        (right - 3 * hidden, "a GRU cell has two bias vectors of 3·hidden (one for the input, one for the recurrence), as torch's GRUCell"),
        (right - 6 * hidden, "count the biases: two vectors of 3·hidden each"),
        (right - vocab_size, "the output layer has a bias too"),
        (right - vocab_size * n_embd, "the embedding table has parameters too"),
        (right + hidden * (n_embd + hidden) + 2 * hidden, "that is an LSTM's count (4 gates); a GRU has 3 (reset, update, candidate)"),
        (right - hidden * (n_embd + hidden) - 2 * hidden, "a GRU has 3 blocks of weights (reset, update, candidate), not 2"),
    ]
    return check_number(
        count, right, what="the count", whole=True, hints=hints,
        right_why=f"{right:,} = {parts}",
        otherwise="list every tensor of the model (the embedding, the cell's weights and biases, the learned "
                  "initial state, the output layer) and add up their sizes",
    )


def solution_rnn_step_flops(batch: int = 32, positions: int = 12, hidden: int = 128, n_embd: int = 64, vocab_size: int = 27) -> int:
    """Three weight matrices multiply: W_ih (hidden × n_embd) and W_hh (hidden × hidden) at
    every position, and the output layer (vocab_size × hidden). A matrix of n weights
    applied to one position costs 2n FLOPs forward (a multiply and an add per weight) and
    4n backward (the gradient of its input and the gradient of its weights), 6n in all.
    Every one of the batch × positions tokens passes through all three. The embedding is a
    lookup and the biases are additions: no multiplications to count."""
    weights = hidden * n_embd + hidden * hidden + vocab_size * hidden
    return 6 * weights * batch * positions


@exercise_check(solution=solution_rnn_step_flops)
def check_rnn_step_flops(flops, batch: int = 32, positions: int = 12, hidden: int = 128, n_embd: int = 64,
                         vocab_size: int = 27) -> Verdict:
    """Exercise (12): the FLOPs of the matrix products in one training step (forward and
    backward) of the zoo's RNN, for a batch of ``batch`` names cut to ``positions`` positions."""
    tokens = batch * positions
    right = solution_rnn_step_flops(batch, positions, hidden, n_embd, vocab_size)
    dense = right // (6 * tokens)
    params = dense + vocab_size * n_embd + 2 * hidden + hidden + vocab_size  # embedding, biases, initial state
    hints = [
        (right / 3, "that is the forward pass alone; the backward pass costs twice as much (the input's gradient and the weights')"),
        (right / 2, "a multiply-add is two FLOPs (a multiplication and an addition)"),
        (right / 6, "count the FLOPs: 2 per multiply-add forward, and twice the forward's work backward"),
        (right * 2 / 3, "the backward pass computes two products per weight matrix (its input's gradient and its own), "
                        "each as costly as the forward one"),
        (6 * params * tokens, "only the weight matrices multiply: the embedding is a lookup, the biases and the "
                              "initial state are added"),
        (right - 6 * hidden * hidden * tokens, "the recurrent weights W_hh multiply the state at every position too"),
        (right - 6 * vocab_size * hidden * tokens, "the output layer is a matrix product too"),
        (right / positions, "every position of every name goes through the cell and the output layer"),
    ]
    return check_number(
        flops, right, what="the FLOPs", hints=hints,
        right_why=f"6 × {dense:,} weights × {tokens} tokens = {right:,}",
        otherwise="count the weights of the matrices that multiply, then 2 FLOPs per weight and token forward "
                  "and 4 backward (section 2)",
    )


def _cases():
    splits = Splits(train=["emma", "ava", "mia"], val=["zoe", "ava"], test=["leo"])
    return splits, [
        (["emma", "zoe", "leo", "emmy", "zo"], 2 / 5),  # train, val, test, new, new
        (["emmy", "emmy", "ava"], 2 / 3),  # a new name drawn twice counts twice
        (["emma"], 0.0),
        (["", "x"], 1.0),  # an empty sample is in no split
        ([], 0.0),
    ]


def solution_new_share(samples, splits) -> float:
    """A sample is known when it is in any of the three splits; count the others, each as
    often as it was drawn, and divide by the number of samples (none: 0.0)."""
    known = set(splits.train) | set(splits.val) | set(splits.test)
    if not samples:
        return 0.0
    return sum(sample not in known for sample in samples) / len(samples)


@exercise_check(solution=solution_new_share)
def check_new_share(new_share) -> Verdict:
    """Exercise (12): ``new_share(samples, splits)`` gives the share of samples that are in
    none of the splits (train, val, test), each sample counted as often as it was drawn;
    0.0 for no samples."""
    splits, cases = _cases()
    for samples, right in cases:
        try:
            answer = new_share(list(samples), splits)
        except Exception as error:  # the learner's code: report whatever it raised
            return verdict(False, f"new_share({samples}, splits) raised {type(error).__name__}: {error}")
        try:
            answer = float(answer)
        except (TypeError, ValueError):
            return verdict(False, f"new_share({samples}, splits) returned {answer!r}; return a number between 0 and 1")
        if abs(answer - right) > 1e-9:
            labels = classify(samples, splits)
            why = f"new_share({samples}, splits) gave {answer:.4g}, expected {right:.4g} (labels {labels})"
            if samples and abs(answer - right * len(samples)) < 1e-9:
                why += "; divide the count by the number of samples"
            elif len(set(samples)) != len(samples):
                why += "; count a name as often as it was drawn, not once"
            return verdict(False, why)
    return verdict(True, "a sample is new when it is in none of train, val and test; the share counts repeats")
