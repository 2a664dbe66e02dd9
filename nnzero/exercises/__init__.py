"""Checks for the lessons' exercises: call one with your answer and it tells you
whether it is right, and why not when it is not.

Each lesson's checks live in a module named after its part of the course
(``nnzero.exercises.micrograd_derivatives`` for lesson 01, …). Every check prints one
line and returns a `Verdict`, true when the answer is right. A notebook shows nothing
more: no ``True`` or ``False`` under the line, and never a traceback. An exercise left
as it was handed out (a value still ``None``, a function that still raises
``NotImplementedError``) gets "not answered yet" and nothing else. A check never
prints the right answer; ``solution(check)`` shows a worked one.
"""

import functools
import inspect
import math

from nnzero.source import show_source

NOT_ANSWERED = "… not answered yet"


class Verdict:
    """What a check returns: true when the answer is right (``if check(...):`` works).

    The check has already printed its one line, so in a notebook the Verdict itself
    shows nothing."""

    __slots__ = ("ok", "line")

    def __init__(self, ok: bool, line: str):
        self.ok = bool(ok)
        self.line = line

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return self.line

    def _ipython_display_(self):
        pass  # the line was printed when the check ran


def verdict(ok: bool, why: str) -> Verdict:
    """Print a check's one-line verdict and return it."""
    line = ("✓ correct: " if ok else "✗ not yet: ") + why
    print(line)
    return Verdict(ok, line)


class _Unanswered(BaseException):
    """Raised through a check when the learner's function still raises
    NotImplementedError. A BaseException, so the checks' ``except Exception`` (which
    report a learner's bug) let it pass to `exercise_check`."""


def _answered(fn):
    """The learner's function, with its NotImplementedError turned into `_Unanswered`."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            raise _Unanswered from None

    return call


def exercise_check(solution=None):
    """Make a function an exercise's check (a decorator): ``@exercise_check(solution=fn)``.

    The check's first argument is the learner's answer. When it is still ``None`` (or a
    dict or list of nothing but ``None``, a table handed out blank), or it is a function
    that raises ``NotImplementedError`` when the check calls it, the check prints "not
    answered yet" and nothing else. ``solution`` is the worked solution that
    `solution` shows: a function that returns a right answer, its docstring the reasoning.
    """

    def decorate(check):
        @functools.wraps(check)
        def run(answer, *args, **kwargs):
            if _blank(answer):
                return _not_answered()
            if inspect.isfunction(answer):
                answer = _answered(answer)
            try:
                return check(answer, *args, **kwargs)
            except _Unanswered:
                return _not_answered()

        run.solution = solution
        return run

    return decorate


def _blank(answer) -> bool:
    if isinstance(answer, dict):
        answer = list(answer.values())
    if isinstance(answer, (list, tuple)) and answer:
        return all(item is None for item in answer)
    return answer is None


def _not_answered() -> Verdict:
    print(NOT_ANSWERED)
    return Verdict(False, NOT_ANSWERED)


def solution(check):
    """Show the worked solution of the exercise that ``check`` checks, from its code.

    >>> solution(check_softplus)   # doctest: +SKIP
    """
    worked = getattr(check, "solution", None)
    if worked is None:
        name = getattr(check, "__name__", type(check).__name__)
        raise ValueError(f"{name} has no worked solution: pass the check of an exercise, e.g. solution(check_softplus)")
    return show_source(worked)


def check_number(answer, right, *, what: str, right_why: str, hints=(), otherwise: str, whole: bool = False, rel_tol: float = 1e-3) -> Verdict:
    """The check of an exercise whose answer is one number.

    ``answer`` is the learner's, ``right`` the right value and ``right_why`` how to get
    it. ``hints`` are ``(wrong value, why)`` pairs, the usual mistakes: an answer equal to
    one gets its ``why``, any other wrong answer ``otherwise``. ``what`` names the answer
    for the message asking for a number ("the loss"). A ``whole`` answer (a count) must be
    a whole number and match exactly; any other matches to ``rel_tol``.
    """
    value = as_number(answer, whole)
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


def as_number(answer, whole: bool = False):
    """A learner's answer as a float (an int when ``whole``), or None when it is not a
    finite real number (text, None, True, nan, inf; a ``whole`` answer with a fraction)."""
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(value):
        return None
    if whole:
        return int(value) if value == int(value) else None
    return value
