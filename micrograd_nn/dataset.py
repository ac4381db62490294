"""Toy data sets, drawn with the standard library only (no numpy, no scikit-learn)."""

from __future__ import annotations

import math
import random

__all__ = ["make_moons"]


def make_moons(
    n_samples: int = 100, *, noise: float = 0.0, seed: int | None = None
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``: points and labels 0 or 1.

    The first ``n_samples // 2`` points lie on the upper moon (label 0), the rest
    on the lower one (label 1); the points are shuffled, then Gaussian noise of
    standard deviation ``noise`` is added to each coordinate. The same ``seed``
    gives the same points (``None``: a fresh draw each time).

    >>> X, y = make_moons(4, seed=0)
    >>> len(X), sorted(y)
    (4, [0, 0, 1, 1])
    """
    if type(n_samples) is not int or n_samples < 2:
        msg = f"make_moons needs an int n_samples >= 2, got {n_samples!r}"
        raise ValueError(msg)
    if not noise >= 0:
        msg = f"make_moons needs noise >= 0 (a standard deviation), got {noise!r}"
        raise ValueError(msg)
    rng = random.Random(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    points: list[tuple[float, float, int]] = []
    for i in range(n_outer):
        t = math.pi * i / max(n_outer - 1, 1)
        points.append((math.cos(t), math.sin(t), 0))
    for i in range(n_inner):
        t = math.pi * i / max(n_inner - 1, 1)
        points.append((1.0 - math.cos(t), 0.5 - math.sin(t), 1))
    rng.shuffle(points)
    X = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y, _ in points]
    return X, [label for *_, label in points]
