"""Fixtures shared by the makemore tests."""

import pytest


@pytest.fixture
def scripted_validation(monkeypatch):
    """``scripted_validation(losses)`` makes train()'s evaluations return ``losses(step)``,
    so that a test decides when the validation loss stops improving. The step is read from
    the optimizer's own count, which going back to a best state restores with it."""
    from nnzero.makemore import training

    seen = {}
    real_step = training.training_step

    def remembering_step(model, optimizer, *args, **kwargs):
        seen["optimizer"] = optimizer
        return real_step(model, optimizer, *args, **kwargs)

    def steps_taken():
        counts = [int(state["step"]) for state in seen["optimizer"].state.values()] if "optimizer" in seen else []
        return max(counts, default=0)

    def script(losses):
        seen.clear()
        monkeypatch.setattr(training, "training_step", remembering_step)
        monkeypatch.setattr(training, "evaluate", lambda model, data, batch_size=512: losses(steps_taken()))

    return script
