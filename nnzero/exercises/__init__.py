"""Checks for the lessons' exercises: call one with your answer and it tells you
whether it is right, and why not when it is not.

Each lesson's checks live in a module named after its part of the course
(``nnzero.exercises.micrograd`` for lessons 01–02, …). Every check prints one verdict
line and returns True or False, so a notebook cell never stops with a traceback.
"""


def verdict(ok: bool, why: str) -> bool:
    """Print a check's one-line verdict and return ``ok``."""
    print(("✓ correct: " if ok else "✗ not yet: ") + why)
    return ok
