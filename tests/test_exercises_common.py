from nnzero.exercises import verdict


def test_verdict_prints_one_line_and_returns_the_outcome(capsys):
    assert verdict(True, "the slope is 14") is True
    assert verdict(False, "expected 14, got 13") is False
    assert capsys.readouterr().out.splitlines() == ["✓ correct: the slope is 14", "✗ not yet: expected 14, got 13"]
