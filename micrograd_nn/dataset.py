"""Toy data sets, drawn with the standard library only (no numpy, no scikit-learn).

``make_moons`` is micrograd's two classes; ``make_yinyang`` the three classes of
LLM101n's micrograd, drawn with that course's own small generator (:class:`RNG`)
so that the same seed gives the same points in Python, C or JavaScript.
``split_dataset`` cuts any data set into train, validation and test parts.
"""

from __future__ import annotations

import itertools
import math
import numbers
import random
from collections.abc import Sequence
from typing import TypeVar

from micrograd_core import ArgumentError, ArgumentTypeError
from micrograd_nn._check import count, real, sequence

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
    n_samples = count(n_samples, "make_moons", "n_samples", minimum=2)
    if not 0 <= real(noise, "make_moons", "noise") < math.inf:
        msg = f"make_moons needs a finite noise >= 0 (a standard deviation), got {noise!r}"
        raise ArgumentError(msg)
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
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 < seed <= _U64:
            msg = f"RNG needs an int seed in 1..2**64-1 (xorshift stays at 0 forever), got {seed!r}"
            raise ArgumentError(msg)
        self.state: int = int(seed)

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
    n_samples = count(n_samples, "make_yinyang", "n_samples", minimum=1)
    _check_radii(real(r_small, "make_yinyang", "r_small"), real(r_big, "make_yinyang", "r_big"))
    if rng is not None and not callable(getattr(rng, "uniform", None)):
        msg = (
            f"make_yinyang takes as rng a generator with uniform(a, b) (RNG or random.Random), "
            f"got {type(rng).__name__}; pass seed= for a seed"
        )
        raise ArgumentTypeError(msg)
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


_FEWEST_HITS = 1e-6
"""The least share of the square that each class of the yin-yang may cover: below it, drawing
points until one falls in the class takes millions of draws (and never ends as it nears 0)."""


def _check_radii(r_small: float, r_big: float) -> None:
    """Refuse radii for which :func:`make_yinyang` would never, or only after ages, finish.

    Points are drawn in the square around the big disc until one falls in the
    class wanted: class 2 (the two dots) covers ``(pi/2) * (r_small/r_big)**2``
    of the square, classes 0 and 1 half of the rest of the disc each.
    """
    if not 0 < r_small < r_big / 2:
        msg = (
            f"make_yinyang needs 0 < r_small < r_big / 2, got r_small={r_small!r}, r_big={r_big!r}"
        )
        raise ArgumentError(msg)
    if not (1e-150 <= r_small and r_big <= 1e150):  # their squares stay normal floats
        msg = (
            f"make_yinyang needs r_small and r_big between 1e-150 and 1e150, got "
            f"r_small={r_small!r}, r_big={r_big!r} (the points are scaled to [-2, 2]: "
            "only r_small / r_big shapes them)"
        )
        raise ArgumentError(msg)
    dots = math.pi / 2 * (r_small / r_big) ** 2
    if min(dots, (math.pi / 4 - dots) / 2) < _FEWEST_HITS:
        msg = (
            f"make_yinyang needs r_small / r_big >= {math.sqrt(2 * _FEWEST_HITS / math.pi):.1e}, "
            f"got {r_small / r_big:.3g} (r_small={r_small!r}, r_big={r_big!r}): the dots would "
            f"cover {dots:.3g} of the square the points are drawn from, and each of their "
            "points would take millions of draws"
        )
        raise ArgumentError(msg)


def split_dataset(
    inputs: Sequence[T],
    labels: Sequence[L],
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
) -> list[tuple[list[T], list[L]]]:
    """Cut a data set, in order, into consecutive parts of the given ``fractions``.

    Part ``k`` ends at ``int(f * n)``, ``f`` the sum of the first ``k + 1``
    fractions (a whole number that ``f * n`` misses by the floats' rounding
    alone counts as that number), as LLM101n's ``pts[:int(0.8*n)]``,
    ``pts[int(0.8*n):int(0.9*n)]``, ``pts[int(0.9*n):]``; the last part takes
    the rest. Shuffle first (:func:`make_moons` and :func:`make_yinyang` give
    points in random order already) if the order means something.

    >>> X, y = list(range(10)), list("abcdefghij")
    >>> (train_X, train_y), (val_X, val_y), (test_X, test_y) = split_dataset(X, y)
    >>> train_X, val_y, test_y
    ([0, 1, 2, 3, 4, 5, 6, 7], ['i'], ['j'])
    """
    sequence(inputs, "split_dataset", "the inputs")
    sequence(labels, "split_dataset", "the labels")
    if len(inputs) != len(labels):
        msg = f"split_dataset got {len(inputs)} inputs but {len(labels)} labels"
        raise ArgumentError(msg)
    sequence(fractions, "split_dataset", "the fractions")
    shares = [real(f, "split_dataset", "fractions") for f in fractions]
    if not shares or any(not f >= 0 for f in shares) or abs(math.fsum(shares) - 1) > 1e-9:
        msg = f"split_dataset needs fractions >= 0 that sum to 1, got {tuple(fractions)!r}"
        raise ArgumentError(msg)
    n = len(inputs)
    ends = [_end(math.fsum(shares[: k + 1]) * n) for k in range(len(shares) - 1)]
    bounds = [0, *ends, n]
    return [(list(inputs[lo:hi]), list(labels[lo:hi])) for lo, hi in itertools.pairwise(bounds)]


def _end(x: float) -> int:
    """Where a part ends: ``int(x)``, or the whole number ``x`` misses by rounding alone.

    ``0.29 * 100`` is 28.999999999999996 and ``(1/3) * 3`` is 0.9999999999999999
    in floats: both end at the whole number (29, 1), as exact fractions would;
    elsewhere ``int(x)``, as LLM101n's ``int(0.8*n)``.
    """
    nearest = round(x)
    return nearest if abs(x - nearest) <= 1e-9 * max(1.0, x) else int(x)
