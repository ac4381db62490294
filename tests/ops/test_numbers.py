"""Numbers at the edges: tanh's accuracy, division by zero, overflow, operands too large."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from micrograd_core import Value


def ulps_apart(a: float, b: float) -> float:
    """How many units in the last place of ``b`` separate ``a`` from ``b``."""
    if a == b:
        return 0.0
    return abs(a - b) / math.ulp(b)


@given(st.floats(allow_nan=False) | st.floats(-1e-300, 1e-300) | st.floats(-40.0, 40.0))
def test_tanh_is_within_one_ulp_of_math_tanh(x: float) -> None:
    got = Value(x).tanh().data
    assert ulps_apart(got, math.tanh(x)) <= 1, (x, got, math.tanh(x))


def test_tanh_keeps_relative_accuracy_near_zero() -> None:
    # The lecture formula (e**2x - 1) / (e**2x + 1) is off by 2e-5 at 1e-12 and 0.0 at 1e-17.
    for x in (1e-12, 1e-17, 5e-324, -1e-17):
        assert Value(x).tanh().data == math.tanh(x)
    x = Value(1e-17)
    assert (x / x.tanh()).data == 1.0


def test_tanh_of_nan_and_infinities() -> None:
    assert math.isnan(Value(math.nan).tanh().data)
    assert Value(math.inf).tanh().data == 1.0
    assert Value(-math.inf).tanh().data == -1.0
