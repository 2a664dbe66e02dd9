"""Checks for the lessons' exercises: call one with your answer and it tells you
whether it is right, and why not when it is not.

Each lesson's checks live in a module named after its part of the course
(``nnzero.exercises.micrograd`` for lessons 01–02, …). Every check prints one verdict
line and returns True or False, so a notebook cell never stops with a traceback.
"""

import math


def verdict(ok: bool, why: str) -> bool:
    """Print a check's one-line verdict and return ``ok``."""
    print(("✓ correct: " if ok else "✗ not yet: ") + why)
    return ok


def check_number(answer, right, *, what: str, right_why: str, hints=(), otherwise: str, whole: bool = False, rel_tol: float = 1e-3) -> bool:
    """The check of an exercise whose answer is one number.

    ``answer`` is the learner's, ``right`` the right value and ``right_why`` how to get
    it. ``hints`` are ``(wrong value, why)`` pairs, the usual mistakes: an answer equal to
    one gets its ``why``, any other wrong answer ``otherwise``. ``what`` names the answer
    for the message asking for a number ("the loss"). A ``whole`` answer (a count) must be
    a whole number and match exactly; any other matches to ``rel_tol``.
    """
    value = _as_number(answer, whole)
    if value is None:
        return verdict(False, f"give {what} as {'a whole number' if whole else 'a number'}, not {answer!r}")

    def matches(wrong):
        return value == wrong if whole else math.isclose(value, wrong, rel_tol=rel_tol)

    if matches(right):
        return verdict(True, right_why)
    for wrong, why in hints:
        if matches(wrong):
            return verdict(False, why)
    return verdict(False, f"{value:,} is not it: {otherwise}" if whole else f"{value:.4g} is not it: {otherwise}")


def _as_number(answer, whole):
    """``answer`` as an int (``whole``) or a float, or None if it is not one."""
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError, OverflowError):
        return None
    if whole:
        return int(value) if math.isfinite(value) and value == int(value) else None
    return value
