"""Checks for the exercises of lesson 12 (the model zoo). Each prints one verdict line and
returns a Verdict (true when right).

    check_gru_params(count, hidden=256)     a GRU's parameter count, from its shapes
    check_new_share(new_share)              the share of samples that are new names
"""

from nnzero.exercises import Verdict, check_number, exercise_check, verdict
from nnzero.makemore.data import Splits
from nnzero.makemore.models import ModelConfig, build_model
from nnzero.makemore.sample import classify


@exercise_check()
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


def _cases():
    splits = Splits(train=["emma", "ava", "mia"], val=["zoe", "ava"], test=["leo"])
    return splits, [
        (["emma", "zoe", "leo", "emmy", "zo"], 2 / 5),  # train, val, test, new, new
        (["emmy", "emmy", "ava"], 2 / 3),  # a new name drawn twice counts twice
        (["emma"], 0.0),
        (["", "x"], 1.0),  # an empty sample is in no split
        ([], 0.0),
    ]


@exercise_check()
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
