"""Numbers at the edges: tanh's accuracy, division by zero, overflow, operands too large."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_core import (
    DivisionByZeroError,
    DomainError,
    MicrogradError,
    OperandRangeError,
    Value,
)


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


# -- operands too large for a float ----------------------------------------------


def test_an_int_too_large_for_a_float_is_refused_saying_so() -> None:
    with pytest.raises(OperandRangeError) as caught:
        Value(10**400)
    assert str(caught.value) == (
        "Value() takes a real number that fits a float (magnitude up to 1.8e308), "
        "got an int of 401 digits"
    )
    assert isinstance(caught.value, MicrogradError)
    assert isinstance(caught.value, OverflowError)  # what float(10**400) raises
    with pytest.raises(OperandRangeError, match=r"got an int of about 10001 digits$"):
        Value(10**10000)  # more digits than str() converts


@pytest.mark.parametrize(
    "use",
    [
        lambda: Value(1.0) + 10**400,
        lambda: Value(1.0) * -(10**400),
        lambda: 10**400 - Value(1.0),
        lambda: Value(1.0) / 10**400,
        lambda: Value(2.0) ** 10**400,
    ],
)
def test_an_operand_too_large_for_a_float_is_refused_saying_so(use: object) -> None:
    with pytest.raises(OperandRangeError, match=r"^an operand of Value takes a real number that"):
        use()  # type: ignore[operator]


def test_a_fraction_too_large_for_a_float_is_refused_saying_so() -> None:
    with pytest.raises(OperandRangeError, match=r"got a 'Fraction' too large for a float"):
        Value(Fraction(10**400, 3))


# -- division by zero -----------------------------------------------------------


@pytest.mark.parametrize(
    ("divide", "shown"),
    [
        (lambda: Value(1.0) / 0, "1.0 / 0.0"),
        (lambda: Value(1.0) / 0.0, "1.0 / 0.0"),
        (lambda: Value(1.0) / Value(0.0), "1.0 / 0.0"),
        (lambda: Value(-2.5) / Value(-0.0), "-2.5 / -0.0"),
        (lambda: 1 / Value(0.0), "1.0 / 0.0"),
        (lambda: 3.0 / Value(-0.0), "3.0 / -0.0"),
    ],
)
def test_division_by_zero_is_one_domain_error_naming_division(divide: object, shown: str) -> None:
    with pytest.raises(DivisionByZeroError) as caught:
        divide()  # type: ignore[operator]
    assert str(caught.value) == f"division by zero: {shown}"
    assert isinstance(caught.value, DomainError)
    assert isinstance(caught.value, ZeroDivisionError)  # what micrograd and Python raise
    assert caught.value.op_name == "pow"  # a / b is a * b ** -1


def test_zero_to_a_negative_power_names_pow_and_no_wrong_domain() -> None:
    for base in (0.0, -0.0):
        with pytest.raises(DivisionByZeroError) as caught:
            Value(base) ** -1
        assert str(caught.value) == (
            f"pow({base!r}, -1.0): zero to a negative power is a division by zero"
        )
    with pytest.raises(DivisionByZeroError, match=r"^pow\(0.0, -0.5\): zero to a negative"):
        Value(0.0) ** Value(-0.5)


def test_a_negative_base_to_a_fraction_says_what_is_allowed() -> None:
    assert (Value(-3.0) ** 2).data == 9.0
    assert (Value(-2.0) ** -3).data == -0.125
    with pytest.raises(DomainError) as caught:
        Value(-2.0) ** 0.5
    assert str(caught.value) == (
        "pow(-2.0, 0.5): a negative base needs an integer exponent (-2.0 ** 0.5 is not real)"
    )
    assert "(0, inf)" not in str(caught.value)


def test_division_by_a_nonzero_number_stays_micrograds_composition() -> None:
    # a / b is a * b ** -1, as in micrograd: the same floats to the last bit.
    for a, b in [(1.0, 3.0), (0.1, 0.7), (-5.0, 1e-300), (2.0, -3.0)]:
        assert (Value(a) / b).data == a * b**-1
        assert (Value(a) / Value(b)).data == a * b**-1
        assert (a / Value(b)).data == b**-1 * a
