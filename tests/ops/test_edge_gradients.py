"""Gradients at the edges of an op's domain follow PyTorch's conventions where it has one."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from micrograd_core import DomainError, Value, grad


def gradients(f: Callable[..., Value], *xs: float) -> list[float]:
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


# (function, inputs, gradients as PyTorch 2.13 computes them)
CONVENTIONS: list[tuple[str, Callable[..., Value], tuple[float, ...], list[float]]] = [
    ("x**0 at 0", lambda x: x**0, (0.0,), [0.0]),
    ("x**0.0 at 0", lambda x: x**0.0, (0.0,), [0.0]),
    ("x**y at (0, 0)", lambda x, y: x**y, (0.0, 0.0), [0.0, 0.0]),
    ("x**y at (0, 2)", lambda x, y: x**y, (0.0, 2.0), [0.0, 0.0]),
    ("x**y at (0, 1)", lambda x, y: x**y, (0.0, 1.0), [1.0, 0.0]),
    ("x**y at (3, 0)", lambda x, y: x**y, (3.0, 0.0), [0.0, math.log(3.0)]),
    ("relu at nan", lambda x: x.relu(), (math.nan,), [1.0]),
    ("relu at 0", lambda x: x.relu(), (0.0,), [0.0]),
    ("relu at -0.0", lambda x: x.relu(), (-0.0,), [0.0]),
    ("relu at inf", lambda x: x.relu(), (math.inf,), [1.0]),
    ("tanh at inf", lambda x: x.tanh(), (math.inf,), [0.0]),
]


@pytest.mark.parametrize(
    ("f", "xs", "expected"), [c[1:] for c in CONVENTIONS], ids=[c[0] for c in CONVENTIONS]
)
def test_edge_gradients_follow_pytorch(
    f: Callable[..., Value], xs: tuple[float, ...], expected: list[float]
) -> None:
    assert gradients(f, *xs) == expected


def test_x_to_the_zero_has_zero_derivatives_of_every_order_at_zero() -> None:
    x = Value(0.0)
    (d,) = grad(x**0, [x], create_graph=True)
    assert d.data == 0.0
    x, y = Value(0.0), Value(0.0)
    dx, dy = grad(x**y, [x, y], create_graph=True)
    assert (dx.data, dy.data) == (0.0, 0.0)


def test_the_exponent_gradient_at_a_negative_base_says_how_to_avoid_it() -> None:
    # PyTorch gives nan for d/dy here; an undefined partial raises in this engine.
    x, y = Value(-2.0), Value(2.0)
    with pytest.raises(DomainError) as caught:
        (x**y).backward()
    assert str(caught.value) == (
        "pow: d/dy of x ** y is x ** y * log(x), which has no real value at x = -2.0; "
        "write the exponent as a number (x ** 2.0), not a Value, if it needs no gradient"
    )
    x = Value(-2.0)
    (x**2.0).backward()
    assert x.grad == -4.0


def test_a_pole_of_the_gradient_raises_where_pytorch_gives_inf() -> None:
    x = Value(0.0)
    with pytest.raises(DomainError, match=r"^pow: a partial derivative at \(0.0, 0.5\)"):
        (x**0.5).backward()


@pytest.mark.parametrize(
    ("f", "xs", "expected"), [c[1:] for c in CONVENTIONS], ids=[c[0] for c in CONVENTIONS]
)
def test_the_conventions_are_pytorchs(
    f: Callable[..., Value], xs: tuple[float, ...], expected: list[float]
) -> None:
    with warnings.catch_warnings():  # torch warns at import when numpy is missing
        warnings.simplefilter("ignore")
        torch = pytest.importorskip("torch")  # optional: the table records what it gives

    class T:  # the same expressions on tensors
        def __init__(self, t: object) -> None:
            self.t = t

        def __pow__(self, other: object) -> T:
            return T(self.t ** (other.t if isinstance(other, T) else other))  # type: ignore[operator]

        def relu(self) -> T:
            return T(torch.relu(self.t))

        def tanh(self) -> T:
            return T(torch.tanh(self.t))

    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    result: Any = f(*(T(t) for t in ts))  # the expression, on tensors
    out = result.t
    got = torch.autograd.grad(out, ts)
    assert [g.item() for g in got] == expected
