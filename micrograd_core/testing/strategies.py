"""Hypothesis strategies that draw an op's inputs from its declared domain.

Needs hypothesis (``pip install 'micrograd-registry[testing]'``); the rest of
:mod:`micrograd_core.testing` works without it. Inputs keep a margin inside the
domain's finite ends and away from declared kinks; :func:`contract_settings`
makes a run derandomised, so CI sees the same inputs every time, and a failure
shrinks to a minimal failing input::

    from hypothesis import given
    from micrograd_core.testing.check import check_taylor
    from micrograd_core.testing.strategies import contract_settings, inputs

    @contract_settings()
    @given(inputs(my_op))
    def test_my_op_taylor(xs):
        check_taylor(my_op, xs)
"""

from __future__ import annotations

try:
    from hypothesis import HealthCheck, Verbosity, settings
    from hypothesis import strategies as st
except ImportError as e:  # pragma: no cover  (exercised in a subprocess without hypothesis)
    msg = (
        "micrograd_core.testing.strategies needs hypothesis, which is not installed; "
        "install it with: pip install 'micrograd-registry[testing]' (check_op works "
        "without it, with a deterministic built-in sampler)"
    )
    raise ImportError(msg, name=e.name) from e

from micrograd_core.op import Op
from micrograd_core.testing import _sample
from micrograd_core.testing._sample import BOUND, CORE, Point

__all__ = ["contract_settings", "inputs"]


def _coordinate(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats of ``[lo, hi]``: from the core ``[-CORE, CORE]``, or with log-uniform magnitudes."""
    unit = st.floats(0.0, 1.0)
    wide = st.builds(_sample.spread, st.just(lo), st.just(hi), unit, unit)
    c_lo, c_hi = max(lo, -CORE), min(hi, CORE)
    if c_lo > c_hi:
        return wide
    return st.one_of(st.floats(c_lo, c_hi, allow_nan=False, allow_infinity=False), wide)


def inputs(op: Op, *, bound: float = BOUND, within_domain: bool = True) -> st.SearchStrategy[Point]:
    """Tuples of ``op.arity`` floats from the op's declared domain, clear of kinks.

    Each input ranges over its domain within ``[-bound, bound]`` (see
    :func:`micrograd_core.testing._sample.input_range`): from the core
    ``[-CORE, CORE]``, where failures shrink to, or with a log-uniform magnitude
    up to ``bound``. With ``within_domain=False`` over all of ``[-bound, bound]``,
    still clear of the domain's finite ends. The special points
    (:func:`micrograd_core.testing._sample.special_points`) are not drawn: the
    checks give them to hypothesis as explicit examples.

    >>> from micrograd_core import Interval, Op
    >>> log = Op("log", 1, forward=lambda x: x, partials=(lambda x, out: 1.0,),
    ...          domain=(Interval(0.0, include_low=False),))
    >>> inputs(log)  # doctest: +ELLIPSIS
    tuples(one_of(floats(min_value=0.001, max_value=10.0, ...), builds(spread, ...))).filter(clear)
    """
    coordinates = [
        _coordinate(lo, hi)
        for lo, hi in _sample.ranges(op, bound=bound, within_domain=within_domain)
    ]

    def clear(xs: Point) -> bool:
        return _sample.clear(op, xs)

    return st.tuples(*coordinates).filter(clear)


def contract_settings(examples: int = 50) -> settings:
    """Settings for contract runs: derandomised, no example database, no deadline, quiet.

    Use it as a decorator on a ``@given`` test, or pass ``examples`` to
    :func:`micrograd_core.testing.check_op`.

    >>> contract_settings(20).derandomize
    True
    """
    return settings(
        derandomize=True,
        database=None,
        max_examples=examples,
        deadline=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
    )
