"""Toy data sets, drawn with the standard library only (no numpy, no scikit-learn).

``make_moons`` is micrograd's two classes; ``make_yinyang`` the three classes of
LLM101n's micrograd, drawn with that course's own small generator (:class:`RNG`)
so that the same seed gives the same points in Python, C or JavaScript.
``split_dataset`` cuts any data set into train, validation and test parts.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["RNG", "make_moons", "make_yinyang", "split_dataset"]

T = TypeVar("T")
L = TypeVar("L")

_U64 = 0xFFFFFFFFFFFFFFFF


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


class RNG:
    """LLM101n's random number generator: xorshift* on 64 bits, the same in any language.

    >>> rng = RNG(42)
    >>> rng.random_u32(), round(rng.uniform(-1.0, 1.0), 6)
    (1456360119, 0.564512)

    ``random()`` gives a float in [0, 1) with 24 random bits (a float32),
    ``uniform(a, b)`` one in [a, b). It stands in for ``random.Random`` wherever
    only ``uniform`` is used: ``MLP(..., rng=rng)``, :func:`make_yinyang`.
    """

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        if type(seed) is not int or not 0 < seed <= _U64:
            msg = f"RNG needs an int seed in 1..2**64-1 (xorshift stays at 0 forever), got {seed!r}"
            raise ValueError(msg)
        self.state = seed

    def random_u32(self) -> int:
        """The next 32 random bits, as an int."""
        state = self.state
        state ^= state >> 12
        state ^= (state << 25) & _U64
        state ^= state >> 27
        self.state = state
        return ((state * 0x2545F4914F6CDD1D) >> 32) & 0xFFFFFFFF

    def random(self) -> float:
        """A float in [0, 1): the top 24 of 32 random bits."""
        return (self.random_u32() >> 8) / 16777216.0

    def uniform(self, a: float = 0.0, b: float = 1.0) -> float:
        """A float in [a, b)."""
        return a + (b - a) * self.random()


def make_yinyang(
    n_samples: int = 1000,
    *,
    r_small: float = 0.1,
    r_big: float = 0.5,
    rng: RNG | random.Random | None = None,
    seed: int | None = None,
) -> tuple[list[list[float]], list[int]]:
    """The yin-yang data set of LLM101n's micrograd: points in a disc, labels 0, 1 or 2.

    Class 0 is the yin, 1 the yang, 2 the two small dots. Points are drawn
    uniformly in the disc and kept when they fall in the class wanted next, the
    classes in turn (0, 1, 2, 0, ...), then scaled to [-2, 2]. LLM101n draws
    them with ``RNG(42)`` and keeps drawing the model's weights from the same
    generator: pass that generator as ``rng`` to continue it, as its program
    does. Otherwise ``seed`` starts a fresh :class:`RNG` (``None``: a fresh
    draw each time).

    >>> X, y = make_yinyang(100, rng=RNG(42))
    >>> len(X), y[:6], [round(c, 4) for c in X[0]]
    (100, [0, 1, 2, 0, 1, 2], [-0.6437, 1.129])

    The original data set: L. Kriener, J. Göltz, M. A. Petrovici, "The Yin-Yang
    dataset" (2021).
    """
    if type(n_samples) is not int or n_samples < 1:
        msg = f"make_yinyang needs an int n_samples >= 1, got {n_samples!r}"
        raise ValueError(msg)
    if not 0 < r_small < r_big / 2:
        msg = (
            f"make_yinyang needs 0 < r_small < r_big / 2, got r_small={r_small!r}, r_big={r_big!r}"
        )
        raise ValueError(msg)
    if rng is None:
        rng = RNG(seed if seed is not None else random.getrandbits(64) or 1)

    def which_class(x: float, y: float) -> int:
        d_right = ((x - 1.5 * r_big) ** 2 + (y - r_big) ** 2) ** 0.5
        d_left = ((x - 0.5 * r_big) ** 2 + (y - r_big) ** 2) ** 0.5
        if d_right < r_small or d_left < r_small:
            return 2
        is_yin = (
            d_right <= r_small
            or r_small < d_left <= 0.5 * r_big
            or (y > r_big and d_right > 0.5 * r_big)
        )
        return 0 if is_yin else 1

    X: list[list[float]] = []
    labels: list[int] = []
    for i in range(n_samples):
        wanted = i % 3
        while True:
            x = rng.uniform(0, 2 * r_big)
            y = rng.uniform(0, 2 * r_big)
            if ((x - r_big) ** 2 + (y - r_big) ** 2) ** 0.5 > r_big:
                continue  # outside the disc
            if which_class(x, y) == wanted:
                break
        X.append([(x / r_big - 1) * 2, (y / r_big - 1) * 2])
        labels.append(wanted)
    return X, labels


def split_dataset(
    inputs: Sequence[T],
    labels: Sequence[L],
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
) -> list[tuple[list[T], list[L]]]:
    """Cut a data set, in order, into consecutive parts of the given ``fractions``.

    Part ``k`` ends at ``int(f * n)``, ``f`` the sum of the first ``k + 1``
    fractions (rounded to 12 digits), as LLM101n's ``pts[:int(0.8*n)]``,
    ``pts[int(0.8*n):int(0.9*n)]``, ``pts[int(0.9*n):]``; the last part takes
    the rest. Shuffle first (:func:`make_moons` and :func:`make_yinyang` give
    points in random order already) if the order means something.

    >>> X, y = list(range(10)), list("abcdefghij")
    >>> (train_X, train_y), (val_X, val_y), (test_X, test_y) = split_dataset(X, y)
    >>> train_X, val_y, test_y
    ([0, 1, 2, 3, 4, 5, 6, 7], ['i'], ['j'])
    """
    if len(inputs) != len(labels):
        msg = f"split_dataset got {len(inputs)} inputs but {len(labels)} labels"
        raise ValueError(msg)
    if not fractions or any(not f >= 0 for f in fractions) or abs(math.fsum(fractions) - 1) > 1e-9:
        msg = f"split_dataset needs fractions >= 0 that sum to 1, got {tuple(fractions)!r}"
        raise ValueError(msg)
    n = len(inputs)
    ends = [int(round(math.fsum(fractions[: k + 1]), 12) * n) for k in range(len(fractions) - 1)]
    bounds = [0, *ends, n]
    return [(list(inputs[lo:hi]), list(labels[lo:hi])) for lo, hi in itertools.pairwise(bounds)]
