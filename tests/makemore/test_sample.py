"""nnzero.makemore.sample: generate() checked against a model whose next-character
distribution is known exactly (a fixed bigram table), classify() and format_samples()."""

import dataclasses

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from nnzero.makemore.data import DataError, Splits, Vocab
from nnzero.makemore.sample import classify, format_samples, generate

VOCAB = Vocab(["a", "b", "c", "d"])  # indices a=1, b=2, c=3, d=4; 0 is the boundary
A, B, C, D = 1, 2, 3, 4


@dataclasses.dataclass
class TableConfig:
    block_size: int


class TableModel(nn.Module):
    """logits[b, t] = table[idx[b, t]]: the next character depends on the last one only, with
    the distribution we set. Dropout in train mode lets a test see that generate() uses eval mode."""

    def __init__(self, table, block_size=8):
        super().__init__()
        self.config = TableConfig(block_size)
        self.table = nn.Parameter(torch.as_tensor(table, dtype=torch.float))
        self.drop = nn.Dropout(0.9)

    def forward(self, idx, targets=None):
        return self.drop(self.table[idx]), None


def greedy_chain_table():
    """Most likely continuations: start -> a -> b -> end, c -> c (forever), d -> end;
    every other character is possible but less likely."""
    table = torch.zeros(5, 5)
    table[0, A] = 3.0
    table[A, B] = 3.0
    table[B, 0] = 3.0
    table[C, C] = 3.0
    table[D, 0] = 3.0
    return table


def first_character_frequencies(model, **kwargs):
    samples = generate(model, VOCAB, 20000, max_len=1, seed=0, **kwargs)
    counts = torch.tensor([sum(s == c for s in samples) for c in ["", "a", "b", "c", "d"]], dtype=torch.float)
    return counts / counts.sum()


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_samples_follow_softmax_of_logits_over_temperature(temperature):
    model = TableModel(greedy_chain_table())
    expected = F.softmax(model.table[0].detach() / temperature, dim=-1)
    assert torch.allclose(first_character_frequencies(model, temperature=temperature), expected, atol=0.015)


def test_top_k_draws_only_among_the_k_most_likely():
    table = greedy_chain_table()
    table[0] = torch.tensor([0.0, 2.0, 1.0, -1.0, 0.5])  # ranking: a, b, d, boundary, c
    model = TableModel(table)
    frequencies = first_character_frequencies(model, top_k=2)
    expected = torch.zeros(5)
    expected[[A, B]] = F.softmax(torch.tensor([2.0, 1.0]), dim=-1)
    assert torch.allclose(frequencies, expected, atol=0.015)
    assert frequencies[[0, C, D]].sum() == 0


def test_top_k_one_and_tiny_temperature_take_the_most_likely_path():
    model = TableModel(greedy_chain_table())
    assert generate(model, VOCAB, 10, top_k=1, seed=3) == ["ab"] * 10
    assert generate(model, VOCAB, 10, temperature=1e-3, seed=4) == ["ab"] * 10


def test_each_word_stops_at_the_boundary_or_at_max_len():
    model = TableModel(greedy_chain_table())
    assert generate(model, VOCAB, 3, top_k=1, prefix="c") == ["c" * 7] * 3  # block_size 8 -> at most 7
    assert generate(model, VOCAB, 3, top_k=1, prefix="c", max_len=4) == ["cccc"] * 3
    words = generate(model, VOCAB, 200, seed=0)
    assert all(len(w) <= 7 for w in words)
    # Words that ended early were not continued: after "b" the end is likely, after "c" not.
    assert sum(w.endswith("b") for w in words) > sum(w.endswith("c") for w in words)


def test_prefix_starts_every_word_and_conditions_the_next_character():
    model = TableModel(greedy_chain_table())
    assert generate(model, VOCAB, 5, top_k=1, prefix="da") == ["dab"] * 5
    assert generate(model, VOCAB, 5, top_k=1, prefix="d") == ["d"] * 5
    words = generate(model, VOCAB, 50, prefix="bad", seed=1)
    assert all(w.startswith("bad") for w in words)


def test_seed_makes_sampling_repeatable():
    model = TableModel(torch.zeros(5, 5))  # uniform: every word equally surprising
    assert generate(model, VOCAB, 30, seed=7) == generate(model, VOCAB, 30, seed=7)
    assert generate(model, VOCAB, 30, seed=7) != generate(model, VOCAB, 30, seed=8)
    torch.manual_seed(0)
    unseeded = generate(model, VOCAB, 30)
    torch.manual_seed(0)
    assert generate(model, VOCAB, 30) == unseeded  # seed=None follows torch's global generator


def test_generation_runs_in_eval_mode_and_restores_the_mode():
    model = TableModel(greedy_chain_table())
    model.train()
    # With dropout 0.9 active the greedy path would break; in eval mode it holds.
    assert generate(model, VOCAB, 20, top_k=1, seed=0) == ["ab"] * 20
    assert model.training


def test_bad_arguments_are_refused_in_one_line():
    model = TableModel(greedy_chain_table())
    cases = [
        (dict(temperature=0.0), ValueError, "temperature must be a number > 0"),
        (dict(temperature=-1.0), ValueError, "temperature must be a number > 0"),
        (dict(temperature=float("nan")), ValueError, "temperature must be a number > 0"),
        (dict(top_k=0), ValueError, "top_k must be a whole number >= 1"),
        (dict(max_len=8), ValueError, "max_len must be between 1 and 7"),
        (dict(prefix="abx"), DataError, "characters the model never saw ('x')"),
        (dict(prefix="abcdabcd"), DataError, "longer than the longest word"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error) as excinfo:
            generate(model, VOCAB, 3, **kwargs)
        assert message in str(excinfo.value) and "\n" not in str(excinfo.value)
    assert generate(model, VOCAB, 0) == []


def test_classify_marks_train_val_test_and_new():
    splits = Splits(train=["ann", "bob"], val=["cat", "bob"], test=["dan"])
    assert classify(["ann", "bob", "cat", "dan", "eve", ""], splits) == ["train", "train", "val/test", "val/test", "new", "new"]


def test_format_samples_groups_counts_and_wraps_between_words():
    samples = ["ann", "new york", "cat", "zed", ""]
    labels = ["train", "new", "val/test", "new", "new"]
    text = format_samples(samples, labels)
    assert text.splitlines() == [
        "5 samples: 3 new, 1 in the training set, 1 in val/test",
        "new:       new york, zed, (empty)",
        "train:     ann",
        "val/test:  cat",
    ]
    wrapped = format_samples(["new york"] * 10, ["new"] * 10, width=40).splitlines()
    assert all(len(line) <= 40 for line in wrapped[1:]) and len(wrapped) > 2
    assert all(line.rstrip(",").endswith("new york") for line in wrapped[1:])
    with pytest.raises(ValueError, match="2 samples but 1 labels"):
        format_samples(["a", "b"], ["new"])
    with pytest.raises(ValueError, match="unknown labels \\['old'\\]"):
        format_samples(["a"], ["old"])
