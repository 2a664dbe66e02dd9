"""The exercise checks of lessons 03 and 04: right answers pass, the usual wrong answers
fail with a reason that says what to fix."""

import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F

from nnzero.exercises import makemore_basics as ex
from nnzero.scratch import window_mlp as wm
from nnzero.makemore.data import Vocab, WindowDataset, load_words, split_words

WORDS = ["emma", "ava", "ella", "liam", "noah", "anna", "mia", "leo"]
HELD_OUT = ["ema", "nala", "leon"]


def counted_by_hand(words, front=2, back=1):
    """Trigram counts the slow way, with a dict, as a learner would first write them."""
    vocab = Vocab.from_words(WORDS + HELD_OUT)
    counts = Counter()
    for word in words:
        ids = [0] * front + vocab.encode(word) + [0] * back
        for a, b, c in zip(ids, ids[1:], ids[2:]):
            counts[a, b, c] += 1
    N = torch.zeros((len(vocab),) * 3, dtype=torch.long)
    for (a, b, c), n in counts.items():
        N[a, b, c] = n
    return N, vocab


def nll_by_hand(train, held_out, smoothing):
    N, vocab = counted_by_hand(train)
    P = (N.double() + smoothing) / (N.double() + smoothing).sum(2, keepdim=True)
    logs = []
    for word in held_out:
        ids = [0, 0] + vocab.encode(word) + [0]
        logs += [math.log(P[a, b, c]) for a, b, c in zip(ids, ids[1:], ids[2:])]
    return -sum(logs) / len(logs)


class TestTrigramCounts:
    def test_the_reference_agrees_with_counting_by_hand(self):
        N, vocab = counted_by_hand(WORDS)
        assert torch.equal(ex.trigram_counts(WORDS, vocab), N)
        assert N.sum() == sum(len(w) + 1 for w in WORDS)

    def test_right_counts_pass_as_a_cube_or_as_pair_rows(self, said):
        N, vocab = counted_by_hand(WORDS)
        assert ex.check_trigram_counts(N, WORDS, vocab)
        assert ex.check_trigram_counts(N.view(-1, len(vocab)).float(), WORDS, vocab)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "front, back, reason",
        [(0, 0, "inside each word"), (1, 1, "two boundary tokens in front"), (2, 2, "one boundary token at the end")],
    )
    def test_wrong_padding_is_explained(self, said, front, back, reason):
        N, vocab = counted_by_hand(WORDS, front, back)
        assert not ex.check_trigram_counts(N, WORDS, vocab)
        assert reason in said()

    def test_axes_in_another_order_are_explained(self, said):
        N, vocab = counted_by_hand(WORDS)
        assert not ex.check_trigram_counts(N.permute(2, 0, 1), WORDS, vocab)
        assert "another order" in said()

    def test_other_mistakes_name_an_entry_and_a_bad_shape_is_refused(self, said):
        N, vocab = counted_by_hand(WORDS)
        N[0, 0, vocab.stoi["e"]] += 1
        N[0, 0, vocab.stoi["a"]] -= 1
        assert not ex.check_trigram_counts(N, WORDS, vocab)
        assert "2 entries differ" in said()
        assert not ex.check_trigram_counts(torch.zeros(5, 5), WORDS, vocab)
        assert "should have shape" in said()
        assert not ex.check_trigram_counts("counts", WORDS, vocab)
        assert "as a tensor" in said()


class TestTrigramProbs:
    def test_right_probabilities_pass(self, said):
        N, vocab = counted_by_hand(WORDS)
        P = (N.float() + 1) / (N.float() + 1).sum(2, keepdim=True)
        assert ex.check_trigram_probs(P, WORDS, vocab=vocab)
        P = (N.double() + 0.5) / (N.double() + 0.5).sum(2, keepdim=True)
        assert ex.check_trigram_probs(P, WORDS, smoothing=0.5, vocab=vocab)
        assert said().count("✓ correct") == 2

    def test_the_keepdim_bug_and_the_wrong_axis_are_explained(self, said):
        N, vocab = counted_by_hand(WORDS)
        counts = N.double() + 1
        assert not ex.check_trigram_probs(counts / counts.sum(2), WORDS, vocab=vocab)  # no keepdim
        assert "rows do not sum to 1" in said()
        assert not ex.check_trigram_probs(counts / counts.sum(0, keepdim=True), WORDS, vocab=vocab)
        assert "over axis 0" in said()

    def test_missing_smoothing_is_explained(self, said):
        N, vocab = counted_by_hand(WORDS)
        counts = N.double() + 1
        assert not ex.check_trigram_probs(counts / counts.sum(2, keepdim=True), WORDS, smoothing=0.1, vocab=vocab)
        assert "smoothing 1" in said()
        unsmoothed = N.double() / N.double().sum(2, keepdim=True)  # 0 / 0 in unseen rows
        assert not ex.check_trigram_probs(unsmoothed, WORDS, vocab=vocab)
        assert "NaN" in said()


class TestTrigramNll:
    def test_the_right_nll_passes(self, said):
        right = nll_by_hand(WORDS, HELD_OUT, 1.0)
        assert ex.check_trigram_nll(right, WORDS, HELD_OUT)
        assert ex.check_trigram_nll(torch.tensor(nll_by_hand(WORDS, HELD_OUT, 0.3)), WORDS, HELD_OUT, smoothing=0.3)
        assert said().count("✓ correct") == 2

    @pytest.mark.parametrize(
        "wrong, reason",
        [
            (lambda r: -r, "positive"),
            (lambda r: r * (len("emanalaleon") + 3), "take the mean"),
            (lambda r: r / math.log(2), "bits"),
            (lambda r: r / math.log(10), "base 10"),
            (lambda r: r + 0.3, "is not it"),
        ],
    )
    def test_typical_mistakes_are_explained(self, said, wrong, reason):
        assert not ex.check_trigram_nll(wrong(nll_by_hand(WORDS, HELD_OUT, 1.0)), WORDS, HELD_OUT)
        assert reason in said()

    def test_the_bigram_nll_and_other_smoothing_are_recognised(self, said):
        from nnzero.makemore.models.bigram import BigramCounts

        vocab = Vocab.from_words(WORDS + HELD_OUT)
        bigram = BigramCounts(WORDS, vocab).nll(HELD_OUT, 1.0)
        assert not ex.check_trigram_nll(bigram, WORDS, HELD_OUT)
        assert "bigram" in said()
        assert not ex.check_trigram_nll(nll_by_hand(WORDS, HELD_OUT, 1.0), WORDS, HELD_OUT, smoothing=0.5)
        assert "smoothing 1" in said()
        assert not ex.check_trigram_nll(math.inf, WORDS, HELD_OUT)
        assert "probability 0" in said()


class TestParameterCount:
    def test_the_right_count_passes(self, said):
        assert ex.check_mlp_parameter_count(11_897)
        model = wm.init_mlp(27, context=4, n_embd=8, n_hidden=50)
        assert ex.check_mlp_parameter_count(model.num_parameters(), context=4, n_embd=8, n_hidden=50)
        assert said().count("✓ correct") == 2

    @pytest.mark.parametrize(
        "count, reason",
        [(11_897 - 270, "embedding table"), (11_897 - 227, "b1 and b2"), (11_897 - 200, "bias b1"), (11_897 - 27, "bias b2"), (11_897 - 4000, "30 rows"), (12_000, "add up"), ("many", "whole number")],
    )
    def test_typical_mistakes_are_explained(self, said, count, reason):
        assert not ex.check_mlp_parameter_count(count)
        assert reason in said()


class TestValidationLoss:
    def uniform(self, X):
        return torch.zeros(len(X), 27)

    def test_scores_on_the_lessons_validation_split(self, said):
        assert ex.check_validation_loss(self.uniform, target=3.3, context=3)
        assert f"{math.log(27):.4f}" in said()
        assert not ex.check_validation_loss(self.uniform, target=3.2, context=3)
        assert "above 3.2" in said()

    def test_scores_the_deduplicated_split_the_lessons_use(self, said):
        words = load_words()
        splits = split_words(words, seed=42, dedupe=True)
        assert not set(splits.val) & set(splits.train)
        val = WindowDataset(splits.val, Vocab.from_words(words), context=3)
        table = torch.randn(27, 27, generator=torch.Generator().manual_seed(0))

        def last_character(X):  # logits from the last character of the window only
            return table[X[:, -1]]

        expected = F.cross_entropy(last_character(val.X), val.Y).item()
        assert ex.check_validation_loss(last_character, target=100.0, context=3)
        assert f"{expected:.4f}" in said()

    def test_reads_the_context_from_a_window_mlp(self, said):
        model = wm.init_mlp(27, context=2, n_embd=2, n_hidden=4)
        assert ex.check_validation_loss(model, target=100.0)
        assert not ex.check_validation_loss(self.uniform)
        assert "context=3" in said()

    def test_broken_models_are_explained(self, said):
        assert not ex.check_validation_loss(lambda X: torch.zeros(len(X), 26), context=3)
        assert "(batch, 27)" in said()
        assert not ex.check_validation_loss(lambda X: X @ X, context=3)
        assert "raised RuntimeError" in said()
        assert not ex.check_validation_loss(lambda X: torch.full((len(X), 27), math.nan), context=3)
        assert "not finite" in said()


class TestWorkedSolutions:
    """Lesson 03's trigram exercises: each worked solution passes its check, the stub the
    lesson hands out gets "not answered yet". (That every check a lesson uses has a solution:
    test_exercises_common.py, for every lesson.)"""

    def test_the_counts_solution_passes(self, said):
        N, vocab = counted_by_hand(WORDS)
        assert torch.equal(ex.trigram_counts_solution(WORDS, vocab), N)
        assert ex.check_trigram_counts(ex.trigram_counts_solution(WORDS), WORDS)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize("smoothing", [1.0, 0.5, 0.01])
    def test_the_probs_solution_passes(self, said, smoothing):
        assert ex.check_trigram_probs(ex.trigram_probs_solution(WORDS, smoothing), WORDS, smoothing=smoothing)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize("smoothing", [1.0, 0.3])
    def test_the_nll_solution_passes_and_agrees_with_counting_by_hand(self, said, smoothing):
        worked = ex.trigram_nll_solution(WORDS, HELD_OUT, smoothing)
        assert worked == pytest.approx(nll_by_hand(WORDS, HELD_OUT, smoothing), rel=1e-9)
        assert ex.check_trigram_nll(worked, WORDS, HELD_OUT, smoothing=smoothing)
        assert said().startswith("✓ correct")

    @pytest.mark.parametrize(
        "check, args",
        [
            (ex.check_trigram_counts, (WORDS,)),
            (ex.check_trigram_probs, (WORDS,)),
            (ex.check_trigram_nll, (WORDS, HELD_OUT)),
        ],
    )
    def test_the_stub_is_not_answered_yet_and_nothing_else(self, said, check, args):
        assert not check(None, *args)
        assert said() == "… not answered yet"

    def test_the_test_split_stub_with_no_alpha_yet_is_not_answered(self, said):
        assert not ex.check_trigram_nll(None, WORDS, HELD_OUT, smoothing=None)  # best_alpha = None too
        assert said() == "… not answered yet"

    def test_a_missing_alpha_is_explained_in_one_line(self, said):
        assert not ex.check_trigram_nll(2.0, WORDS, HELD_OUT, smoothing=None)
        assert "give the smoothing α as a number" in said()

    def test_no_check_prints_the_right_answer(self, said):
        right = ex.trigram_nll_solution(WORDS, HELD_OUT)
        for wrong in (right + 0.3, right * 2, -right):
            ex.check_trigram_nll(wrong, WORDS, HELD_OUT)
        assert f"{right:.4f}" not in said() and f"{right:.3f}" not in said()


class TestLesson04Solutions:
    def test_the_parameter_count_solution_passes_at_any_size(self, said):
        assert ex.check_mlp_parameter_count(ex.mlp_parameter_count_solution())
        assert ex.check_mlp_parameter_count(ex.mlp_parameter_count_solution(27, 4, 15, 300), context=4, n_embd=15, n_hidden=300)

    def test_the_better_mlp_recipe_trains_a_model_the_check_can_score(self, said):
        model = ex.better_mlp_solution(steps=50)  # the recipe, far too short to reach the target
        assert (model.C.shape, model.W1.shape) == ((27, 15), (45, 300))
        assert not ex.check_validation_loss(model) and "validation loss" in said()
