"""Where the contract checks evaluate an op: input ranges, special points and a built-in sampler.

Typical inputs come from each input's declared domain within ``[-bound, bound]``:
half of them from the core ``[-CORE, CORE]``, half with log-uniform magnitudes
from ``TINY`` up to ``bound``, so that a gradient wrong only for large (or tiny)
inputs is met. They keep a small margin inside the domain's finite ends and away
from declared kinks, so that a central difference or a Taylor step around them
stays where the op is smooth. Special points come first in both samplers:
0 and ±1, the domain's ends and the kinks' neighbours, and equal inputs. The
built-in sampler is deterministic: the same op gives the same points on every
machine.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable
from typing import TypeAlias

from micrograd_core.op import Interval, Op

__all__ = [
    "BOUND",
    "CORE",
    "LARGE",
    "TINY",
    "Point",
    "clear",
    "input_range",
    "room",
    "sample_points",
    "special_points",
    "spread",
    "toward_zero",
]

Point: TypeAlias = tuple[float, ...]

BOUND = 1e6
"""Typical inputs are drawn from ``[-BOUND, BOUND]`` within each input's domain."""

CORE = 10.0
"""Half of the typical inputs are drawn uniformly from ``[-CORE, CORE]``."""

TINY = 1e-3
"""The smallest magnitude of the log-uniform half of the typical inputs."""

LARGE = 1000.0
"""The smallest magnitude of the large inputs the ``large_inputs`` check tries."""


def margin(x: float) -> float:
    """How far the checks keep from a domain end or kink at ``x``."""
    return 1e-3 * max(1.0, abs(x))


def input_range(interval: Interval, bound: float = BOUND) -> tuple[float, float]:
    """The closed range an input is drawn from: ``interval`` within ``[-bound, bound]``.

    The range keeps a margin inside the interval's finite ends. An interval that
    lies beyond ``bound`` gives its part nearest to zero, ``2 * bound`` wide.

    >>> input_range(Interval(0.0, math.inf, include_low=False))
    (0.001, 1000000.0)
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


def spread(lo: float, hi: float, u: float, v: float) -> float:
    """A point of ``[lo, hi]`` with a log-uniform magnitude, from two uniform draws in [0, 1].

    ``u`` picks the sign (as far as ``[lo, hi]`` has both), ``v`` the magnitude,
    from ``TINY`` (or the range's nearest end to zero) to the range's far end.

    >>> spread(0.0, 1e6, 0.5, 0.0), spread(-1e6, 1e6, 0.1, 0.5)  # doctest: +ELLIPSIS
    (0.00100..., -31.6227766016...)
    """
    if lo >= 0 or (hi > 0 and u >= 0.5):
        a, b, sign = max(lo, 0.0), hi, 1.0
    else:
        a, b, sign = max(-hi, 0.0), -lo, -1.0
    a = max(a, min(TINY, b))
    if a <= 0 or b <= a:
        return sign * (a + v * (b - a))
    x = sign * math.exp(math.log(a) + v * (math.log(b) - math.log(a)))
    return min(max(x, lo), hi)


def _inside(interval: Interval, lo: float, hi: float, x: float) -> bool:
    return lo <= x <= hi and x in interval


def special_values(
    op: Op, i: int, *, bound: float = BOUND, within_domain: bool = True
) -> list[float]:
    """Input ``i``'s values where bugs hide: 0, ±1 and the ends of its range."""
    lo, hi = ranges(op, bound=bound, within_domain=within_domain)[i]
    values = [0.0, 1.0, -1.0]
    values += [e for e in (lo, hi) if math.isfinite(e) and abs(e) < bound]
    return list(dict.fromkeys(x for x in values if lo <= x <= hi))


def _unique(points: Iterable[Point]) -> list[Point]:
    return list(dict.fromkeys(points))


def special_points(op: Op, *, bound: float = BOUND, within_domain: bool = True) -> list[Point]:
    """The points every run tries first: where an op's special cases hide.

    Each input's special values (0, ±1, its domain's ends a margin inside, see
    :func:`special_values`), combined when there are few inputs, each with the
    others at 1 when there are many; each declared kink's neighbours, two
    margins away along each input and along the diagonal; and equal inputs
    (``f(x, x)``, where ties and ``0 / 0`` hide). Points outside the ranges or
    too close to a kink are left out.

    >>> from micrograd_core import Kink, Op
    >>> relu = Op("relu", 1, forward=lambda x: max(x, 0.0),
    ...           partials=(lambda x, out: float(x > 0),), kinks=(Kink((0.0,), (0.0,)),))
    >>> special_points(relu)
    [(1.0,), (-1.0,), (0.002,), (-0.002,)]
    """
    spans = ranges(op, bound=bound, within_domain=within_domain)
    values = [
        special_values(op, i, bound=bound, within_domain=within_domain) for i in range(op.arity)
    ]
    points: list[Point] = []
    if math.prod(len(v) for v in values) <= 27:
        points += itertools.product(*values)
    else:
        base = tuple(1.0 if lo <= 1.0 <= hi else lo for lo, hi in spans)
        points += [(*base[:i], x, *base[i + 1 :]) for i, vs in enumerate(values) for x in vs]
    for kink in op.kinks:
        step = 2 * margin(max(kink.at, key=abs))
        directions = [tuple(float(j == i) for j in range(op.arity)) for i in range(op.arity)] + (
            [(1.0,) * op.arity] if op.arity > 1 else []
        )
        for d in directions:
            for sign in (1.0, -1.0):
                points.append(tuple(k + sign * step * e for k, e in zip(kink.at, d, strict=True)))
    if op.arity > 1:
        points += [(x,) * op.arity for x in values[0]]
        for kink in op.kinks:
            points += [(k,) * op.arity for k in kink.at]
    domains = [op.input_domain(i) if within_domain else Interval() for i in range(op.arity)]
    return [
        xs
        for xs in _unique(points)
        if all(_inside(d, lo, hi, x) for d, (lo, hi), x in zip(domains, spans, xs, strict=True))
        and clear(op, xs)
    ]


def toward_zero(x: float, lo: float, hi: float) -> list[float]:
    """The simpler values than ``x`` in ``[lo, hi]``, smallest magnitude first.

    Zero, the numbers of one significant digit not below 1 (1, 2, ..., 9, 10,
    20, ...) and the range's ends, each of smaller magnitude than ``x``; of two
    values of one magnitude the positive comes first. A failing input is moved
    to the first of these that still fails.

    >>> toward_zero(-31.6, -1e6, 1e6)[:5], toward_zero(0.5, 0.001, 1e6)
    ([0.0, 1.0, -1.0, 2.0, -2.0], [0.001])
    """
    size = abs(x)
    values = {0.0, lo, hi}
    magnitude = 1.0
    while magnitude < size:
        values.update(sign * digit * magnitude for digit in range(1, 10) for sign in (1.0, -1.0))
        magnitude *= 10
    return sorted(
        (v for v in values if abs(v) < size and lo <= v <= hi and math.isfinite(v)),
        key=lambda v: (abs(v), v < 0),
    )


def sample_points(
    op: Op,
    n: int = 50,
    *,
    seed: int = 0,
    bound: float = BOUND,
    within_domain: bool = True,
    keep: Callable[[Point], bool] | None = None,
) -> list[Point]:
    """The special points, then ``n`` deterministic typical inputs for ``op``.

    Typical inputs alternate between the core ``[-CORE, CORE]`` and log-uniform
    magnitudes up to ``bound`` (see :func:`spread`). With
    ``within_domain=False`` every input ranges over ``[-bound, bound]``, inside
    its declared domain or not (the ``constants`` check needs that). ``keep``,
    when given, leaves out the points it refuses (the checks use it to stay
    where the op's values are finite).

    >>> from micrograd_core import Op
    >>> square = Op("square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    >>> sample_points(square, 3)
    [(0.0,), (1.0,), (-1.0,), (6.888437030500963,), (6.097393556458925,), (-4.821664994140733,)]
    """
    rng = random.Random(seed)
    spans = ranges(op, bound=bound, within_domain=within_domain)
    cores = [(max(lo, -CORE), min(hi, CORE)) for lo, hi in spans]
    points = [xs for xs in special_points(op, bound=bound, within_domain=within_domain)]
    if keep is not None:
        points = [xs for xs in points if keep(xs)]
    drawn = 0
    for k in range(50 * n):
        if drawn == n:
            break
        if k % 2 == 0:
            xs: Point = tuple(
                rng.uniform(c_lo, c_hi)
                if c_lo <= c_hi
                else spread(lo, hi, rng.random(), rng.random())
                for (lo, hi), (c_lo, c_hi) in zip(spans, cores, strict=True)
            )
        else:
            xs = tuple(spread(lo, hi, rng.random(), rng.random()) for lo, hi in spans)
        inside = all(lo <= x <= hi for x, (lo, hi) in zip(xs, spans, strict=True))
        if inside and clear(op, xs) and (keep is None or keep(xs)):
            points.append(xs)
            drawn += 1
    return points
