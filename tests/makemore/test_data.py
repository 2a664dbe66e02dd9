"""nnzero.makemore.data: loading words, the vocabulary, the seeded split and the two
dataset shapes, each checked by hand on tiny inputs, and every kind of bad file refused
with a one-line DataError."""

import io
import random
from collections import Counter

import pytest
import torch

from nnzero.makemore.data import (
    MAX_LINE_LENGTH,
    SHIPPED_NAMES,
    DataError,
    SequenceDataset,
    Splits,
    Vocab,
    WindowDataset,
    load_words,
    sequence_splits,
    split_words,
)

WORDS = [f"w{i:03d}" for i in range(100)]  # 100 distinct words


def write(tmp_path, data, name="words.txt"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def one_line_error(excinfo):
    message = str(excinfo.value)
    assert message and "\n" not in message
    return message


# --- load_words ----------------------------------------------------------------------


def test_shipped_names_load():
    words = load_words()
    assert words == load_words(SHIPPED_NAMES)
    assert len(words) == 32_952
    assert words[:3] == ["emma", "olivia", "sophia"]
    assert all(word.isascii() and word.isalpha() and word.islower() for word in words)
    vocab = Vocab.from_words(words)
    assert "".join(vocab.chars) == "abcdefghijklmnopqrstuvwxyz"
    assert len(vocab) == 27


def test_load_strips_lines_and_drops_blank_ones(tmp_path):
    path = write(tmp_path, "  ann \n\n\t\nbob\r\nann\n   \nc d\n")
    assert load_words(path) == ["ann", "bob", "ann", "c d"]
    assert load_words(str(path)) == ["ann", "bob", "ann", "c d"]


def test_load_drops_a_utf8_byte_order_mark(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbfjos\xc3\xa9\nzo\xc3\xab\n")
    assert load_words(path) == ["josé", "zoë"]


def test_load_reads_any_utf8_text(tmp_path):
    path = write(tmp_path, "josé\nr2d2\n日本\n")
    assert load_words(path) == ["josé", "r2d2", "日本"]


BAD_FILES = {
    "empty": (b"", "has no text in it"),
    "blank_only": (b"  \n\n\t\r\n", "has no text in it"),
    "one_line": (b"\n  emma  \n\n", "has only one line"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file"),
    "utf16": ("emma\nava\n".encode("utf-16"), "looks like a binary file"),
    "latin1": ("emma\njosé\n".encode("latin-1"), "is not UTF-8 text (invalid byte 0xe9 on line 2)"),
    "one_long_line": (b"emma\n" + b"ab" * 600 + b"\nava\n", "has a line of 1,200 characters"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_files_are_refused_with_one_line(tmp_path, kind):
    data, expected = BAD_FILES[kind]
    path = write(tmp_path, data, name=f"{kind}.txt")
    with pytest.raises(DataError) as excinfo:
        load_words(path)
    message = one_line_error(excinfo)
    assert message.startswith(str(path))
    assert expected in message


def test_a_line_of_the_longest_allowed_length_is_read(tmp_path):
    longest = "x" * MAX_LINE_LENGTH
    assert load_words(write(tmp_path, f"emma\n{longest}\n"))[1] == longest


def test_non_utf8_message_names_line_and_byte(tmp_path):
    path = write(tmp_path, b"emma\nava\nzo\xffe\n", name="names.txt")
    with pytest.raises(DataError) as excinfo:
        load_words(path)
    assert one_line_error(excinfo) == (
        f"{path} is not UTF-8 text (invalid byte 0xff on line 3); save it as UTF-8 and try again"
    )


def test_missing_file_and_directory_are_refused(tmp_path):
    with pytest.raises(DataError) as excinfo:
        load_words(tmp_path / "nope.txt")
    assert "does not exist" in one_line_error(excinfo)
    with pytest.raises(DataError) as excinfo:
        load_words(tmp_path)
    assert "is a directory" in one_line_error(excinfo)


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


# --- Vocab ---------------------------------------------------------------------------


def test_vocab_is_built_from_the_data():
    vocab = Vocab.from_words(["josé", "r2d2", "a.b"])
    assert vocab.chars == sorted(set("josér2d2a.b"))
    assert "é" in vocab.chars and "2" in vocab.chars and "." in vocab.chars
    assert len(vocab) == len(vocab.chars) + 1
    # The boundary token has index 0 and is not a character: the characters get 1..n.
    assert Vocab.BOUNDARY == 0
    assert sorted(vocab.stoi.values()) == list(range(1, len(vocab)))
    assert 0 not in vocab.itos
    assert all(vocab.itos[vocab.stoi[c]] == c for c in vocab.chars)


@pytest.mark.parametrize("word", ["josé", "r2d2", "a.b", "", "..."])
def test_encode_decode_round_trip(word):
    vocab = Vocab.from_words(["josé", "r2d2", "a.b"])
    ids = vocab.encode(word)
    assert len(ids) == len(word) and Vocab.BOUNDARY not in ids
    assert vocab.decode(ids) == word
    # Boundary tokens around and inside are dropped; a tensor works as well as a list.
    assert vocab.decode(torch.tensor([0] + ids + [0, 0])) == word


def test_encode_names_an_unknown_character():
    vocab = Vocab.from_words(["emma", "ava"])
    with pytest.raises(DataError) as excinfo:
        vocab.encode("zoë")
    message = one_line_error(excinfo)
    assert "'z'" in message and "'zoë'" in message
    for dataset in (lambda: WindowDataset(["zoë"], vocab, 3), lambda: SequenceDataset(["zoë"], vocab, 8)):
        with pytest.raises(DataError):
            dataset()


def test_decode_refuses_an_index_out_of_range():
    vocab = Vocab.from_words(["ab"])
    with pytest.raises(DataError) as excinfo:
        vocab.decode([1, 3])
    assert "index 3" in one_line_error(excinfo)


def test_symbol_marks_the_boundary_with_something_not_in_the_data():
    plain = Vocab.from_words(["emma"])
    assert plain.symbol(0) == "." and plain.symbol(1) == "a"
    dotted = Vocab.from_words(["e.m"])
    assert dotted.symbol(0) not in dotted.chars and dotted.symbol(dotted.stoi["."]) == "."
    every_marker = Vocab.from_words([".·•¶<>"])
    assert every_marker.symbol(0) not in every_marker.chars


def test_vocab_round_trips_through_a_weights_only_checkpoint():
    vocab = Vocab.from_words(["josé", "r2d2"])
    buffer = io.BytesIO()
    torch.save({"vocab": vocab.to_dict()}, buffer)
    buffer.seek(0)
    restored = Vocab.from_dict(torch.load(buffer, weights_only=True)["vocab"])
    assert restored == vocab and restored.stoi == vocab.stoi
    assert restored != Vocab.from_words(["jose"])


def test_bad_vocabularies_are_refused():
    for chars in (["a", "a"], ["ab"], [""]):
        with pytest.raises(DataError):
            Vocab(chars)
    with pytest.raises(DataError):
        Vocab.from_dict({"letters": "abc"})
    with pytest.raises(DataError):
        Vocab.from_words(["", ""])


# --- split_words ---------------------------------------------------------------------


def test_split_is_deterministic_for_a_seed_and_differs_for_another():
    first, again, other = split_words(WORDS, seed=1), split_words(WORDS, seed=1), split_words(WORDS, seed=2)
    assert isinstance(first, Splits)
    assert first == again
    assert first.train != other.train


def test_split_is_80_10_10_disjoint_and_complete():
    splits = split_words(WORDS, seed=0)
    assert [len(s) for s in splits] == [80, 10, 10]
    assert sorted(splits.train + splits.val + splits.test) == sorted(WORDS)
    assert not set(splits.train) & set(splits.val)
    assert not set(splits.train) & set(splits.test)
    assert not set(splits.val) & set(splits.test)
    assert splits.train != WORDS[:80]  # shuffled, not cut in file order


def test_split_sizes_follow_the_lectures_cut_points():
    words = [f"w{i}" for i in range(32_033)]
    assert [len(s) for s in split_words(words)] == [25_626, 3_203, 3_204]
    assert [len(s) for s in split_words(words[:10])] == [8, 1, 1]


def test_split_keeps_duplicates_unless_asked_to_dedupe():
    words = ["ann", "bob", "ann", "cy", "bob"] * 4 + [f"x{i}" for i in range(20)]
    kept = split_words(words, seed=3)
    assert Counter(kept.train + kept.val + kept.test) == Counter(words)
    unique = split_words(words, seed=3, dedupe=True)
    flat = unique.train + unique.val + unique.test
    assert sorted(flat) == sorted(set(words))
    assert [len(s) for s in unique] == [18, 2, 3]


def test_split_leaves_its_input_and_the_global_random_state_alone():
    words = list(WORDS)
    state = random.getstate()
    split_words(words, seed=5)
    assert words == WORDS
    assert random.getstate() == state


def test_split_refuses_too_few_words_and_bad_fractions():
    with pytest.raises(DataError) as excinfo:
        split_words(["a", "b", "c"])
    assert "too few" in one_line_error(excinfo)
    with pytest.raises(DataError) as excinfo:
        split_words(["a"] * 20, dedupe=True)
    assert "distinct" in one_line_error(excinfo)
    for fractions in [(0.8, 0.2), (0.5, 0.5, 0.5), (1.0, 0.0, 0.0), (0.9, 0.2, -0.1)]:
        with pytest.raises(DataError):
            split_words(WORDS, fractions=fractions)


def test_split_with_other_fractions():
    assert [len(s) for s in split_words(WORDS, fractions=(0.5, 0.25, 0.25))] == [50, 25, 25]
    # (0.1 + 0.6) * 90 is 62.999... in floating point; the cut is still at 63.
    assert [len(s) for s in split_words(WORDS[:90], fractions=(0.1, 0.6, 0.3))] == [9, 54, 27]


# --- WindowDataset -------------------------------------------------------------------


def test_windows_for_emma_by_hand():
    vocab = Vocab.from_words(["emma"])  # a=1, e=2, m=3
    data = WindowDataset(["emma"], vocab, context=3)
    # ... -> e, ..e -> m, .em -> m, emm -> a, mma -> .
    assert data.X.tolist() == [[0, 0, 0], [0, 0, 2], [0, 2, 3], [2, 3, 3], [3, 3, 1]]
    assert data.Y.tolist() == [2, 3, 3, 1, 0]
    assert data.X.dtype == data.Y.dtype == torch.long
    assert len(data) == 5
    x, y = data[3]
    assert x.tolist() == [2, 3, 3] and y.item() == 1


def test_windows_of_several_words_and_bigram_context():
    vocab = Vocab.from_words(["ab", "b"])  # a=1, b=2
    data = WindowDataset(["ab", "b"], vocab, context=1)
    assert data.X.tolist() == [[0], [1], [2], [0], [2]]
    assert data.Y.tolist() == [1, 2, 0, 2, 0]
    empty = WindowDataset([], vocab, context=4)
    assert empty.X.shape == (0, 4) and empty.Y.shape == (0,)


def test_window_context_must_be_positive():
    vocab = Vocab.from_words(["ab"])
    for context in (0, -1, 2.5):
        with pytest.raises(DataError):
            WindowDataset(["ab"], vocab, context=context)


# --- SequenceDataset -----------------------------------------------------------------


def test_sequences_pad_and_mask_by_hand():
    vocab = Vocab.from_words(["emma", "ma"])  # a=1, e=2, m=3
    data = SequenceDataset(["emma", "ma"], vocab, block_size=6)
    assert data.X.tolist() == [[0, 2, 3, 3, 1, 0], [0, 3, 1, 0, 0, 0]]
    assert data.Y.tolist() == [[2, 3, 3, 1, 0, -1], [3, 1, 0, -1, -1, -1]]
    assert data.X.dtype == data.Y.dtype == torch.long
    assert len(data) == 2
    x, y = data[1]
    assert x.tolist() == [0, 3, 1, 0, 0, 0] and y.tolist() == [3, 1, 0, -1, -1, -1]


def test_a_word_that_fills_the_block_is_one_row():
    vocab = Vocab.from_words(["emma"])
    exact = SequenceDataset(["emma"], vocab, block_size=5)
    assert exact.X.tolist() == [[0, 2, 3, 3, 1]] and exact.Y.tolist() == [[2, 3, 3, 1, 0]]
    with pytest.raises(DataError) as excinfo:
        SequenceDataset(["emma"], vocab, block_size=1)
    assert "block_size must be a whole number >= 2" in one_line_error(excinfo)


@pytest.mark.parametrize("length, block_size", [(4, 4), (9, 4), (10, 5), (30, 8), (7, 2), (100, 16)])
def test_a_longer_word_becomes_windows_that_count_each_target_once(length, block_size):
    word = "".join("abcdefghij"[i % 10] for i in range(length))
    vocab = Vocab.from_words([word])
    data = SequenceDataset([word], vocab, block_size)
    tokens = [0] + vocab.encode(word) + [0]
    stride = block_size // 2
    assert data.X.shape[1] == block_size and len(data) > 1
    for row, (x, y) in enumerate(zip(data.X.tolist(), data.Y.tolist())):
        start = row * stride
        n = min(block_size, len(tokens) - 1 - start)
        assert x[:n] == tokens[start : start + n]  # a stretch of the word, half a window after the last
        assert all(target in (-1, tokens[start + t + 1]) for t, target in enumerate(y[:n]))  # the next token, or skipped
        if row:  # a later row counts only new targets, each with at least half a window before it
            first = next(t for t, target in enumerate(y) if target != -1)
            assert first >= block_size - stride
    made = [target for row in data.Y.tolist() for target in row if target != -1]
    assert made == tokens[1:]  # every prediction of the word once, in order


def test_sequence_contains():
    vocab = Vocab.from_words(["emma", "ava"])
    data = SequenceDataset(["emma", "ava"], vocab, block_size=8)
    assert data.contains("ava") and not data.contains("eva")


def test_sequence_positions_equal_the_windows():
    """Position t of a sequence row, seen through the last `context` inputs, is exactly
    the window dataset's example: the two shapes hold the same predictions."""
    words = load_words()[:50]
    vocab = Vocab.from_words(words)
    context = 3
    windows = WindowDataset(words, vocab, context)
    sequences = SequenceDataset(words, vocab, block_size=16)
    padded = torch.cat([torch.zeros(len(words), context - 1, dtype=torch.long), sequences.X], dim=1)
    X, Y = [], []
    for row in range(len(words)):
        for t in range(16):
            if sequences.Y[row, t] != -1:
                X.append(padded[row, t : t + context].tolist())
                Y.append(sequences.Y[row, t].item())
    assert X == windows.X.tolist() and Y == windows.Y.tolist()


def test_sequence_splits_is_the_vocabulary_the_split_and_three_datasets():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"]
    vocab, splits, (train, val, test) = sequence_splits(words, seed=7)
    assert vocab == Vocab.from_words(words) and splits == split_words(words, seed=7)
    for part, data in zip(splits, (train, val, test)):
        expected = SequenceDataset(part, vocab, len("isabella") + 1)
        assert data.block_size == 9 and torch.equal(data.X, expected.X) and torch.equal(data.Y, expected.Y)


def test_sequence_splits_passes_dedupe_to_the_split():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"] * 2
    _, splits, (train, val, test) = sequence_splits(words, seed=7, dedupe=True)
    assert splits == split_words(words, seed=7, dedupe=True)
    assert sorted(splits.train + splits.val + splits.test) == sorted(set(words))
    assert len(train) + len(val) + len(test) == 10
