"""Where the contract checks evaluate an op: input ranges, step sizes and a built-in sampler.

Typical inputs come from each input's declared domain within ``[-bound, bound]``,
kept a small margin inside the domain's finite ends and away from declared kinks,
so that a central difference or a Taylor step around them stays where the op is
smooth. The built-in sampler is deterministic: the same op gives the same points
on every machine.
"""

from __future__ import annotations

import math
import random
from typing import TypeAlias

from micrograd_core.op import Interval, Op

__all__ = ["BOUND", "LARGE", "Point", "clear", "input_range", "room", "sample_points"]

Point: TypeAlias = tuple[float, ...]

BOUND = 10.0
"""Typical inputs are drawn from ``[-BOUND, BOUND]`` within each input's domain."""

LARGE = 1000.0
"""The magnitude of the large inputs the ``large_inputs`` check tries."""

# Round numbers tried first by the built-in sampler: integers and halves are where
# special cases hide (x ** 2 of a negative base, the kink of relu, ...).
NICE = (0.5, -0.5, 1.5, -1.5, 2.0, -2.0, 3.0, -3.0, 0.25, -2.5, 1.0, -1.0, 4.0, -4.0, 0.75, 5.0)


def margin(x: float) -> float:
    """How far the checks keep from a domain end or kink at ``x``."""
    return 1e-3 * max(1.0, abs(x))


def input_range(interval: Interval, bound: float = BOUND) -> tuple[float, float]:
    """The closed range an input is drawn from: ``interval`` within ``[-bound, bound]``.

    The range keeps a margin inside the interval's finite ends. An interval that
    lies beyond ``bound`` gives its part nearest to zero, ``2 * bound`` wide.

    >>> input_range(Interval(0.0, math.inf, include_low=False))
    (0.001, 10.0)
    """
    low, high = interval.low, interval.high
    lo, hi = max(low, -bound), min(high, bound)
    if lo > hi:
        lo, hi = (
            (low, min(high, low + 2 * bound)) if low > bound else (max(low, high - 2 * bound), high)
        )
    if lo == low:
        lo += min(margin(low), (hi - lo) / 4)
    if hi == high:
        hi -= min(margin(high), (hi - lo) / 4)
    return lo, hi


def _ends(interval: Interval) -> tuple[float, ...]:
    return tuple(e for e in (interval.low, interval.high) if math.isfinite(e))


def room(op: Op, xs: Point, i: int) -> float:
    """How far input ``i`` can move from ``xs`` and stay clear of domain ends and kinks."""
    distances = [abs(xs[i] - end) for end in _ends(op.input_domain(i))]
    distances += [max(abs(x - k) for x, k in zip(xs, kink.at, strict=True)) for kink in op.kinks]
    return min(distances, default=math.inf)


def clear(op: Op, xs: Point) -> bool:
    """Whether ``xs`` keeps a margin from every finite domain end and every kink."""
    for i, x in enumerate(xs):
        if any(abs(x - end) < margin(end) for end in _ends(op.input_domain(i))):
            return False
    return all(
        max(abs(x - k) for x, k in zip(xs, kink.at, strict=True)) >= margin(max(kink.at, key=abs))
        for kink in op.kinks
    )


def ranges(
    op: Op, *, bound: float = BOUND, within_domain: bool = True
) -> list[tuple[float, float]]:
    """The range of each input: inside its domain, or all of ``[-bound, bound]``."""
    if within_domain:
        return [input_range(op.input_domain(i), bound) for i in range(op.arity)]
    return [(-bound, bound)] * op.arity


def sample_points(
    op: Op, n: int = 50, *, seed: int = 0, bound: float = BOUND, within_domain: bool = True
) -> list[Point]:
    """``n`` deterministic inputs for ``op``, round numbers first, then uniform draws.

    With ``within_domain=False`` every input ranges over ``[-bound, bound]``, inside
    its declared domain or not (the ``constants`` check needs that).

    >>> from micrograd_core import Op
    >>> square = Op("square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    >>> sample_points(square, 3)
    [(0.5,), (-0.5,), (1.5,)]
    """
    rng = random.Random(seed)
    spans = ranges(op, bound=bound, within_domain=within_domain)
    points: list[Point] = []
    for k in range(50 * n):
        if len(points) == n:
            break
        if k < len(NICE) and op.arity == 1:
            xs: Point = (NICE[k],)
        elif k < n // 2:
            xs = tuple(rng.choice(NICE) for _ in spans)
        else:
            xs = tuple(rng.uniform(lo, hi) for lo, hi in spans)
        inside = all(lo <= x <= hi for x, (lo, hi) in zip(xs, spans, strict=True))
        if inside and clear(op, xs):
            points.append(xs)
    return points
