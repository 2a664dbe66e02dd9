"""How big a lesson's run is: the full lesson, or the quick run that CI does.

Every lesson gathers its knobs (steps, evaluation sizes, number of seeds, samples) in
one settings cell, each a call to :func:`budget`::

    STEPS = budget(full=20_000, quick=300)

A learner runs the full numbers. Setting the environment variable ``NNZERO_QUICK=1``
(``make test`` does) runs the very same cells with the small numbers, so CI checks that
every lesson still runs from top to bottom within minutes. There is no second copy of
any notebook.
"""

import os
import random

ENV_VAR = "NNZERO_QUICK"
QUICK_BANNER = f"quick run ({ENV_VAR}=1): small budgets, so the numbers below differ from the stored full run"


def is_quick() -> bool:
    """True when ``NNZERO_QUICK=1``; False when it is unset, empty or ``0``."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    raise ValueError(f"{ENV_VAR} must be 1 (quick run) or 0 (full run), not {value!r}")


def budget(full, quick):
    """Return ``quick`` in a quick run and ``full`` otherwise."""
    return quick if is_quick() else full


def start_lesson(seed: int) -> None:
    """Seed Python's and torch's random generators once, at the top of a lesson.

    In a quick run it also prints a one-line banner, so nobody mistakes its numbers
    for the lesson's. (torch is seeded only if it is installed: the micrograd lessons
    do not need it.)
    """
    random.seed(seed)
    try:
        import torch
    except ImportError:
        pass
    else:
        torch.manual_seed(seed)
    if is_quick():
        print(QUICK_BANNER)
