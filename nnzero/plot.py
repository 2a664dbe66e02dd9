"""The few matplotlib helpers several lessons share: one style, and labelled curves.

Notebooks import this; the engines never do.
"""

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt

STYLE = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 90,  # committed PNGs stay small and readable on the web
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "legend.frameon": False,
}


def use_course_style() -> None:
    """Apply the course's plot style (call once, in a lesson's first code cell)."""
    mpl.rcParams.update(STYLE)


def smooth(values: Sequence[float], window: int) -> list[float]:
    """Mean of each run of `window` consecutive values (the lectures' chunked average).

    Turns a noisy per-step loss into a readable curve; the result has
    ``len(values) // window`` points.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    n = len(values) // window
    return [sum(values[i * window : (i + 1) * window]) / window for i in range(n)]


def plot_curves(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    ax=None,
    logy: bool = False,
):
    """Draw labelled curves ``{label: (xs, ys)}`` on one set of axes, with a legend.

    Every plot in the course has a title, axis labels with units and a legend; this
    helper makes that the default. Returns the axes.
    """
    if ax is None:
        _, ax = plt.subplots()
    for label, (xs, ys) in curves.items():
        ax.plot(xs, ys, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax
