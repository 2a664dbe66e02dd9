"""Show the package's own code in a lesson: `show_source`.

After a learner has written a piece in the notebook, the lesson shows how the package
writes it, read from the code itself (never a pasted copy that could drift from it).
"""

import inspect
import textwrap
from pathlib import Path

__all__ = ["show_source", "Source"]

PACKAGE_ROOT = Path(__file__).resolve().parent


class Source:
    """Source code that a notebook shows syntax-highlighted, with where it comes from.

    It is shown as a Markdown code block, which JupyterLab highlights even in a notebook
    that is not trusted (an HTML rendering would lose its colours there); its text form
    is the plain code.
    """

    def __init__(self, code: str, where: str):
        self.code = code
        self.where = where

    def _repr_markdown_(self):
        fence = "```"
        while fence in self.code:
            fence += "`"
        return f"{self.where}\n\n{fence}python\n{self.code.rstrip()}\n{fence}\n"

    def __repr__(self):
        return f"# {self.where}\n{self.code.rstrip()}"


def show_source(*objects) -> Source:
    """The source of functions, methods or classes, e.g. ``show_source(Value.__mul__)``.

    Several objects are shown one after the other, in the order given. Each is preceded
    by the file it lives in (relative to the ``nnzero`` package) and its line numbers.
    """
    if not objects:
        raise TypeError("show_source needs something to show, e.g. show_source(Value.__mul__)")
    pieces, places = [], {}  # places: {file: ["55–58", ...]}, files in the order first met
    for obj in objects:
        target = inspect.unwrap(obj.fget if isinstance(obj, property) else obj)
        try:
            lines, first = inspect.getsourcelines(target)
            path = Path(inspect.getsourcefile(target)).resolve()
        except (TypeError, OSError):
            raise TypeError(
                f"show_source shows functions, methods and classes written in Python; got {type(obj).__name__} {obj!r:.60}"
            ) from None
        pieces.append(textwrap.dedent("".join(lines)))
        name = path.relative_to(PACKAGE_ROOT.parent).as_posix() if path.is_relative_to(PACKAGE_ROOT) else path.name
        places.setdefault(name, []).append(f"{first}–{first + len(lines) - 1}")
    where = "; ".join(f"`{name}`, {_lines(spans)}" for name, spans in places.items())
    return Source("\n".join(pieces), f"From {where}:")


def _lines(spans):
    """"lines 5–8", "lines 5–8 and 12–14", "lines 5–8, 12–14 and 20–22"."""
    return "lines " + (spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1])
