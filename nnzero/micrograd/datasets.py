"""Small 2-D data sets to train micrograd networks on, in pure Python."""

import math
import random

__all__ = ["make_moons"]


def make_moons(n_samples=100, noise=0.1, seed=None):
    """Two interleaving half circles, the classic toy classification problem.

    Returns ``(X, y)``: ``X`` is a list of ``n_samples`` points ``[x0, x1]`` and ``y``
    their labels, -1.0 for the upper moon (centred at (0, 0)) and +1.0 for the lower
    one (centred at (1, 0.5)), in shuffled order. Each moon has its points evenly
    spaced along the half circle (the lower one gets the extra point when
    ``n_samples`` is odd), then Gaussian noise of standard deviation ``noise`` is
    added to both coordinates. This is the shape of scikit-learn's ``make_moons``,
    with labels ±1 as micrograd's demo uses them.

    ``seed`` makes it reproducible, without touching Python's global ``random`` state;
    ``seed=None`` gives different points on every call.
    """
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 2:
        raise ValueError(f"n_samples must be a whole number of at least 2 (one per moon), got {n_samples!r}")
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not noise >= 0:
        raise ValueError(f"noise is a standard deviation: a number >= 0, got {noise!r}")
    rng = random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    points = []
    for i in range(n_upper):
        angle = math.pi * i / (n_upper - 1) if n_upper > 1 else 0.0
        points.append((math.cos(angle), math.sin(angle), -1.0))
    for i in range(n_lower):
        angle = math.pi * i / (n_lower - 1) if n_lower > 1 else 0.0
        points.append((1.0 - math.cos(angle), 0.5 - math.sin(angle), 1.0))
    rng.shuffle(points)
    X = [[x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)] for x0, x1, _ in points]
    y = [label for _, _, label in points]
    return X, y
