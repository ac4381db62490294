"""The demo's data set: two interleaving half circles ("moons"), drawn without numpy.

Every implementation trains on the very same points: they are made here, once,
from a fixed seed, the way scikit-learn's ``make_moons`` makes them.
"""

from __future__ import annotations

import math
import random

__all__ = ["moons"]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """``n`` points and their labels (-1.0 or 1.0), as micrograd's demo uses them.

    >>> X, y = moons(4, noise=0.0)
    >>> len(X), y
    (4, [-1.0, -1.0, 1.0, 1.0])
    """
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    X: list[list[float]] = []
    y: list[float] = []
    for i in range(n_outer):
        t = math.pi * i / max(n_outer - 1, 1)
        X.append([math.cos(t), math.sin(t)])
        y.append(-1.0)
    for i in range(n_inner):
        t = math.pi * i / max(n_inner - 1, 1)
        X.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        y.append(1.0)
    for point in X:
        point[0] += rng.gauss(0.0, noise)
        point[1] += rng.gauss(0.0, noise)
    return X, y
