"""Numbers at the edges: tanh's accuracy, division by zero, overflow, operands too large."""

from __future__ import annotations

import math
import sys
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_ops
from micrograd_core import (
    DivisionByZeroError,
    DomainError,
    MicrogradError,
    Op,
    OperandRangeError,
    Value,
    apply,
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
    v = Value(1e-17)
    assert (v / v.tanh()).data == 1.0


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


# -- overflow: a finite result beyond the float range raises DomainError ---------

BIG = 1e308

# Per built-in op: inputs whose exact result is finite but beyond 1.8e308, or None
# for an op no finite input makes overflow (it is then tried at the largest floats).
OVERFLOWS: dict[str, tuple[float, ...] | None] = {
    "add": (BIG, BIG),
    "mul": (BIG, 10.0),
    "pow": (1e200, 2.0),
    "relu": None,
    "tanh": None,
    "exp": (1000.0,),
    "log": None,
    "softplus": None,  # max(x, 0) + log1p(e**-|x|): at most x + log(2), rounded to x
    "logsumexp": None,  # at most the largest input + log(n)
    "affine": (BIG, BIG, 10.0),
}


def test_every_builtin_op_has_an_overflow_case() -> None:
    assert sorted(OVERFLOWS) == sorted(op.name for op in micrograd_ops.OPS)


@pytest.mark.parametrize("op", micrograd_ops.OPS, ids=lambda op: op.name)
def test_overflow_raises_domain_error_naming_the_op(op: Op) -> None:
    xs = OVERFLOWS[op.name]
    if xs is None:
        for x in (sys.float_info.max, -sys.float_info.max, 5e-324):
            if x in op.input_domain(0):
                assert math.isfinite(apply(op, x).data)
        return
    with pytest.raises(DomainError) as caught:
        apply(op, *xs)
    args = ", ".join(map(repr, xs))
    assert str(caught.value) == f"{op.name}({args}) overflows a float (beyond 1.8e308)"
    assert caught.value.op_name == op.name
    assert caught.value.inputs == xs


@pytest.mark.parametrize(
    "overflow",
    [
        lambda: Value(BIG) * 10,
        lambda: Value(-BIG) * 10,
        lambda: 10 * Value(BIG),
        lambda: Value(BIG) + BIG,
        lambda: Value(-BIG) - BIG,
        lambda: BIG - Value(-BIG),
        lambda: Value(1e200) ** 2,
        lambda: Value(-1e200) ** 3,
        lambda: Value(1e-200) ** -2,
        lambda: 2 ** Value(1e4),
        lambda: Value(1000.0).exp(),
        lambda: Value(BIG) / 0.1,
        lambda: Value(1.0) / 5e-324,
        lambda: Value(1.0) / Value(5e-324),
        lambda: 1.0 / Value(5e-324),
    ],
)
def test_every_spelling_of_an_overflow_raises_domain_error(overflow: object) -> None:
    with pytest.raises(DomainError, match=r"overflows a float"):
        overflow()  # type: ignore[operator]


def test_infinite_and_nan_inputs_propagate_as_in_ieee_arithmetic() -> None:
    inf = math.inf
    assert (Value(inf) + 1).data == inf
    assert (Value(inf) * -2).data == -inf
    assert (Value(inf) ** 2).data == inf
    assert Value(inf).exp().data == inf
    assert Value(-inf).exp().data == 0.0
    assert math.isnan((Value(inf) + -inf).data)
    assert math.isnan((Value(math.nan) * 2).data)
    assert math.isnan(apply("affine", math.nan, 1.0, 2.0).data)


def test_results_near_the_largest_float_are_not_overflows() -> None:
    assert (Value(BIG) * 1.7).data == BIG * 1.7
    assert (Value(BIG) + BIG * 0.7).data == BIG + BIG * 0.7
    assert Value(709.0).exp().data == math.exp(709.0)
    assert (Value(1e154) ** 2).data == 1e154**2
