"""micrograd's Value API, on the plugin engine."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

from micrograd_core import Value


def test_micrograd_readme_expression() -> None:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_repr_matches_micrograd() -> None:
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"


@pytest.mark.parametrize(
    ("expression", "data", "grad"),
    [
        (lambda x: x + 2, 5.0, 1.0),
        (lambda x: 2 + x, 5.0, 1.0),
        (lambda x: x - 2, 1.0, 1.0),
        (lambda x: 1 - x, -2.0, -1.0),
        (lambda x: x * 2, 6.0, 2.0),
        (lambda x: 2 * x, 6.0, 2.0),
        (lambda x: x / 2, 1.5, 0.5),
        (lambda x: 12 / x, 4.0, -12 / 9),
        (lambda x: x**2, 9.0, 6.0),
        (lambda x: 2**x, 8.0, 8 * math.log(2)),
        (lambda x: -x, -3.0, -1.0),
        (lambda x: x.exp(), math.exp(3), math.exp(3)),
        (lambda x: x.tanh(), math.tanh(3), 1 - math.tanh(3) ** 2),
        (lambda x: x.relu(), 3.0, 1.0),
        (lambda x: (-x).relu(), 0.0, 0.0),
    ],
)
def test_operators_and_reflected_forms(
    expression: Callable[[Value], Value], data: float, grad: float
) -> None:
    x = Value(3.0)
    y = expression(x)
    y.backward()
    assert y.data == pytest.approx(data)
    assert x.grad == pytest.approx(grad)


def test_value_exponent_gets_its_gradient() -> None:
    x, y = Value(2.0), Value(3.0)
    z = x**y
    z.backward()
    assert z.data == 8.0
    assert x.grad == pytest.approx(12.0)  # y * x ** (y - 1)
    assert y.grad == pytest.approx(8.0 * math.log(2.0))  # out * log(x)


def test_constant_exponent_of_negative_base_differentiates() -> None:
    # d/dy of x ** y is out * log(x), undefined for x < 0: a constant exponent
    # must never have it evaluated.
    e = Value(-3.0)
    y = e**2
    y.backward()
    assert (y.data, e.grad) == (9.0, -6.0)


def test_sum_starts_from_zero() -> None:
    xs = [Value(float(i)) for i in range(5)]
    total = sum(xs)
    assert isinstance(total, Value)
    total.backward()
    assert total.data == 10.0
    assert [x.grad for x in xs] == [1.0] * 5


def test_node_reuse_accumulates() -> None:
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0


def test_diamond_graph() -> None:
    x = Value(2.0)
    a = x * 3
    b = x.tanh()
    y = a * b  # x reaches y along two paths
    y.backward()
    expected = 3 * math.tanh(2.0) + 3 * 2.0 * (1 - math.tanh(2.0) ** 2)
    assert x.grad == pytest.approx(expected)


def test_backward_twice_accumulates_as_micrograd() -> None:
    x = Value(2.0)
    y = x * 2
    z = y * 3
    z.backward()
    assert (z.grad, y.grad, x.grad) == (1.0, 3.0, 6.0)
    z.backward()  # the root is reset to 1, every other gradient is added to
    assert (z.grad, y.grad, x.grad) == (1.0, 6.0, 18.0)


@pytest.mark.parametrize(
    "number", [np.float64(2.5), np.float32(2.5), np.int64(2), Fraction(5, 2), True]
)
def test_real_numbers_of_other_types(number: object) -> None:
    x = Value(number)  # type: ignore[arg-type]
    assert type(x.data) is float
    assert x.data == float(number)  # type: ignore[arg-type]
    y = Value(1.0) * number + number  # type: ignore[operator]
    assert type(y.data) is float


def test_tanh_saturates_for_large_inputs() -> None:
    assert Value(1000.0).tanh().data == 1.0
    assert Value(-1000.0).tanh().data == -1.0


def test_numpy_scalar_on_the_left() -> None:
    x = Value(2.0)
    for y in (np.float64(3) * x, np.float64(3) + x, np.int64(3) - x, np.float64(4) / x):
        assert isinstance(y, Value)
    y = np.float64(3) * x
    y.backward()
    assert (y.data, x.grad) == (6.0, 3.0)
