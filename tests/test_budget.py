import random

import pytest

from nnzero import budget as b


def test_full_run_when_unset(monkeypatch):
    monkeypatch.delenv(b.ENV_VAR, raising=False)
    assert not b.is_quick()
    assert b.budget(full=1000, quick=10) == 1000


@pytest.mark.parametrize("value", ["0", "", " 0 "])
def test_full_run_when_zero_or_empty(monkeypatch, value):
    monkeypatch.setenv(b.ENV_VAR, value)
    assert b.budget(full=1000, quick=10) == 1000


def test_quick_run(monkeypatch):
    monkeypatch.setenv(b.ENV_VAR, "1")
    assert b.is_quick()
    assert b.budget(full=1000, quick=10) == 10


def test_other_values_are_refused_in_one_line(monkeypatch):
    monkeypatch.setenv(b.ENV_VAR, "yes")
    with pytest.raises(ValueError, match=r"NNZERO_QUICK must be 1 .* not 'yes'"):
        b.is_quick()


def test_start_lesson_seeds_and_prints_banner_only_when_quick(monkeypatch, capsys):
    import torch

    monkeypatch.setenv(b.ENV_VAR, "0")
    b.start_lesson(7)
    first = (random.random(), torch.rand(1).item())
    assert capsys.readouterr().out == ""
    monkeypatch.setenv(b.ENV_VAR, "1")
    b.start_lesson(7)
    assert (random.random(), torch.rand(1).item()) == first
    assert capsys.readouterr().out.strip() == b.QUICK_BANNER
