"""Gradients of gradients, forward mode and the functional API, against exact formulas and
finite differences of the first-order gradient."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import micrograd_trig
import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_core import (
    InvalidOpError,
    NotDifferentiableError,
    Op,
    OperandTypeError,
    OpRegistry,
    Provenance,
    Value,
    apply,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
)
from micrograd_core.functional import supports_higher_order


@pytest.fixture
def with_trig(builtin_registry: OpRegistry) -> Iterator[OpRegistry]:
    registry = builtin_registry.with_ops(micrograd_trig.OPS, Provenance("trig"))
    with registry.activated():
        yield registry


def nth(f: Callable[[Value], Value], x: float, n: int) -> list[float]:
    """f(x) and its first ``n`` derivatives, each differentiated from the previous graph."""
    v = Value(x)
    y = f(v)
    out = [y.data]
    for _ in range(n):
        (y,) = grad(y, [v], create_graph=True)
        out.append(y.data)
    return out


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


@pytest.mark.usefixtures("builtin_registry")
@pytest.mark.parametrize("x", [-1.3, -0.2, 0.0, 0.7, 2.5])
def test_third_derivatives_of_builtin_ops_match_their_formulas(x: float) -> None:
    t = math.tanh(x)
    cases: list[tuple[Callable[[Value], Value], list[float]]] = [
        (Value.tanh, [t, 1 - t * t, -2 * t * (1 - t * t), (1 - t * t) * (6 * t * t - 2)]),
        (Value.exp, [math.exp(x)] * 4),
        (lambda v: v**4, [x**4, 4 * x**3, 12 * x**2, 24 * x]),
    ]
    for f, exact in cases:
        assert all(map(close, nth(f, x, 3), exact)), (f, nth(f, x, 3), exact)


@pytest.mark.usefixtures("with_trig")
@pytest.mark.parametrize("x", [-2.0, 0.0, 0.4, 3.0])
def test_third_derivative_of_sin_from_a_plugin(x: float) -> None:
    exact = [math.sin(x), math.cos(x), -math.sin(x), -math.cos(x)]
    assert all(map(close, nth(lambda v: v.sin(), x, 3), exact))  # type: ignore[attr-defined]


@pytest.mark.usefixtures("builtin_registry")
def test_log_and_a_value_exponent_to_second_order() -> None:
    # d/dy x**y = x**y log x, d2/dy2 = x**y log(x)**2, d2/dxdy = x**(y-1) (1 + y log x)
    x, y = 1.7, 0.6
    h = hessian(lambda a, b: a**b, [x, y])
    assert close(h[1][1], x**y * math.log(x) ** 2)
    assert close(h[0][1], x ** (y - 1) * (1 + y * math.log(x)))
    assert close(h[1][0], h[0][1])
    assert nth(lambda v: v.log(), x, 2)[1:] == pytest.approx([1 / x, -1 / x**2], rel=1e-12)  # type: ignore[attr-defined]


@pytest.mark.usefixtures("builtin_registry")
def test_kinks_follow_the_convention_and_piecewise_constant_partials_give_zero() -> None:
    assert nth(Value.relu, 0.0, 2) == [0.0, 0.0, 0.0]  # relu'(0) = 0, as micrograd
    assert nth(Value.relu, 2.0, 2) == [2.0, 1.0, 0.0]
    assert nth(Value.relu, -2.0, 2) == [0.0, 0.0, 0.0]


@pytest.mark.usefixtures("builtin_registry")
def test_a_square_of_a_negative_number_has_every_derivative() -> None:
    # d/dexponent of x ** 2 is undefined at x < 0: it is never asked for, at any order
    assert nth(lambda v: v**2, -2.0, 3) == [4.0, -4.0, 2.0, 0.0]


@pytest.mark.usefixtures("builtin_registry")
def test_exact_hessian_of_a_two_variable_function() -> None:
    def f(x: Value, y: Value) -> Value:
        return x * x * y + (x * y).exp()

    x, y = 0.5, -1.5
    e = math.exp(x * y)
    exact = [[2 * y + y * y * e, 2 * x + e + x * y * e], [2 * x + e + x * y * e, x * x * e]]
    got = hessian(f, [x, y])
    assert all(
        close(a, b) for ra, rb in zip(got, exact, strict=True) for a, b in zip(ra, rb, strict=True)
    )
    value, product = hvp(f, [x, y], [1.0, 2.0])
    assert value == f(Value(x), Value(y)).data
    assert product == pytest.approx([exact[0][0] + 2 * exact[0][1], exact[1][0] + 2 * exact[1][1]])


# -- random expression graphs -------------------------------------------------

UNARY = ("tanh", "exp_tanh", "log", "relu", "square", "cube_root_pos")
BINARY = ("add", "mul", "pow_value", "const_left", "const_right", "affine", "sub", "div")


def build(program: list[tuple[str, int, int, float]], xs: list[Value]) -> Value:
    """Evaluate a random program: each step applies an op to earlier results (shared)."""
    pool: list[Value] = list(xs)
    for kind, i, j, c in program:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        match kind:
            case "tanh":
                v = a.tanh()
            case "exp_tanh":
                v = a.tanh().exp()
            case "log":
                v = (a * a + 1).log()  # type: ignore[attr-defined]
            case "relu":
                v = (a + 10).relu()  # away from the kink: finite differences cannot cross it
            case "square":
                v = a**2
            case "cube_root_pos":
                v = (a * a + 0.5) ** (1 / 3)
            case "add":
                v = a + b
            case "mul":
                v = a * b.tanh()
            case "pow_value":
                v = (a * a + 0.5) ** b.tanh()
            case "const_left":
                v = c - a
            case "const_right":
                v = a * c + c
            case "affine":
                v = apply("affine", a, b, c, a, b.tanh())
            case "sub":
                v = a - b
            case _:
                v = a / (b * b + 1)
        pool.append(v)
    return pool[-1] + pool[-2] * 0.5  # the last two share what came before


programs = st.lists(
    st.tuples(
        st.sampled_from(UNARY + BINARY),
        st.integers(0, 50),
        st.integers(0, 50),
        st.floats(-2.0, 2.0).filter(lambda c: abs(c) > 0.1),
    ),
    min_size=1,
    max_size=7,
)
points = st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=3)


def mismatches(f: Callable[..., Value], point: list[float]) -> list[str]:
    """Where ``hessian(f)`` differs from central differences of ``f``'s gradient."""
    h = hessian(f, point)
    found = []
    for i in range(len(point)):
        step = 1e-5 * max(1.0, abs(point[i]))
        up, down = list(point), list(point)
        up[i] += step
        down[i] -= step
        g_up, g_down = value_and_grad(f, up)[1], value_and_grad(f, down)[1]
        scale = max(1.0, *map(abs, g_up), *map(abs, g_down))
        for j in range(len(point)):
            numeric = (g_up[j] - g_down[j]) / (2 * step)
            if not math.isclose(h[i][j], numeric, rel_tol=1e-4, abs_tol=1e-6 * scale / step):
                found.append(f"H[{i}][{j}]: reverse over reverse {h[i][j]}, differences {numeric}")
        found += [
            f"H[{i}][{j}] = {h[i][j]} but H[{j}][{i}] = {h[j][i]}"
            for j in range(i)
            if not math.isclose(h[i][j], h[j][i], rel_tol=1e-9, abs_tol=1e-9)
        ]
    return found


@pytest.mark.usefixtures("builtin_registry")
@given(program=programs, point=points)
def test_hessians_of_random_graphs_match_differences_of_the_gradient(
    program: list[Any], point: list[float]
) -> None:
    assert mismatches(lambda *xs: build(program, list(xs)), point) == []


def test_a_wrong_second_order_rule_is_caught(builtin_registry: OpRegistry) -> None:
    # right on floats (backward), wrong on Values: d/dx of 2*out is 4x, not 2
    square = Op(
        "square",
        1,
        forward=lambda x: x * x,
        partials=(lambda x, out: 2 * x if type(x) is float else 2 * out,),
    )
    with builtin_registry.with_ops([square], Provenance("wrong")).activated():
        assert mismatches(lambda x, y: apply("square", x) * y, [1.5, 2.0]) != []


@pytest.mark.usefixtures("builtin_registry")
@given(program=programs, point=points, data=st.data())
def test_forward_mode_equals_the_gradient_dotted_with_the_tangent(
    program: list[Any], point: list[float], data: st.DataObject
) -> None:
    tangent = data.draw(st.lists(st.floats(-2, 2), min_size=len(point), max_size=len(point)))
    value, derivative = jvp(lambda *xs: build(program, list(xs)), point, tangent)
    value2, gradient = value_and_grad(lambda *xs: build(program, list(xs)), point)
    assert value == value2
    dot = sum(g * t for g, t in zip(gradient, tangent, strict=True))
    assert math.isclose(derivative, dot, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, *map(abs, gradient)))


# -- the API's promises and refusals -------------------------------------------


@pytest.mark.usefixtures("builtin_registry")
def test_grad_touches_no_grad_and_gives_zero_for_an_unused_input() -> None:
    x, y, unused = Value(2.0), Value(3.0), Value(4.0)
    gx, gy, gu = grad(x * y, [x, y, unused])
    assert (gx.data, gy.data, gu.data) == (3.0, 2.0, 0.0)
    assert (x.grad, y.grad, unused.grad) == (0.0, 0.0, 0.0)
    (gx2,) = grad(x * y, [x], create_graph=True)
    assert gx2 is y or gx2.data == 3.0
    assert jacobian(lambda a, b: [a * b, a + b], [2.0, 3.0]) == [[3.0, 2.0], [1.0, 1.0]]


def test_a_rule_that_only_works_on_floats_fails_loudly_naming_the_op(
    builtin_registry: OpRegistry,
) -> None:
    floats_only = Op("wave", 1, forward=math.sin, partials=(lambda x, out: math.cos(x),))
    registry = builtin_registry.with_ops([floats_only], Provenance("waves"))
    with registry.activated():
        x = Value(0.3)
        (first,) = grad(registry["wave"](x), [x])  # first order works
        assert first.data == math.cos(0.3)
        with pytest.raises(
            NotDifferentiableError, match="op 'wave' of plugin 'waves' does not"
        ) as e:
            grad(registry["wave"](x), [x], create_graph=True)
        assert (e.value.op_name, e.value.plugin) == ("wave", "waves")
        assert isinstance(e.value, TypeError)


@pytest.mark.usefixtures("builtin_registry")
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: grad(2.0, [Value(1.0)]), "grad() differentiates a Value, got 'float'"),  # type: ignore[arg-type]
        (lambda: grad(Value(1.0), Value(1.0)), "as inputs, got 'Value'"),  # type: ignore[arg-type]
        (lambda: grad(Value(1.0), [1.0]), "grad() takes Values as inputs, got 'float'"),  # type: ignore[list-item]
        (lambda: hessian(lambda x: 2.0, [1.0]), "hessian(): f must return a Value, got 'float'"),  # type: ignore[arg-type,return-value]
        (lambda: jvp(lambda x: x, 1.0, [1.0]), "as primals, got 'float'"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_says_what_was_expected(call: Callable[[], object], message: str) -> None:
    with pytest.raises(OperandTypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_tangents_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="one tangent per primal: 2 primals, 1 tangents"):
        jvp(lambda x, y: x * y, [1.0, 2.0], [1.0])


NO_PARTIAL = [
    Op("none", 1, forward=lambda x: x * x, partials=(lambda x, out: None,)),  # type: ignore[arg-type,return-value]
    Op("none", 1, forward=lambda x: x * x, gradient=lambda x, out: [None]),  # type: ignore[list-item]
]


@pytest.mark.parametrize("op", NO_PARTIAL, ids=["partial", "gradient"])
def test_a_partial_returning_none_is_an_error_in_every_derivative(
    builtin_registry: OpRegistry, op: Op
) -> None:
    """None was also the mark of a constant input here: it gave 0 (a Hessian of [[0.0]])."""
    registry = builtin_registry.with_ops([op], Provenance("nones"))
    with registry.activated():
        none = registry["none"]

        def f(v: Value) -> Value:
            return none(v) * v

        calls: list[Callable[[], object]] = [
            lambda: grad(f(x := Value(1.0)), [x]),
            lambda: grad(f(x := Value(1.0)), [x], create_graph=True),
            lambda: value_and_grad(f, [1.0]),
            lambda: jvp(f, [1.0], [1.0]),
            lambda: hessian(f, [1.0]),
            lambda: hvp(f, [1.0], [1.0]),
            lambda: jacobian(f, [1.0]),
            lambda: f(Value(1.0)).backward(),
        ]
        for call in calls:
            with pytest.raises(InvalidOpError, match="op 'none' of plugin 'nones': its ") as e:
                call()
            assert (e.value.op_name, e.value.plugin) == ("none", "nones")
        assert not supports_higher_order(none)


@pytest.mark.usefixtures("builtin_registry")
def test_hvp_of_no_primals_is_empty_as_hessian_and_jvp_are() -> None:
    def f() -> Value:
        return Value(3.0)

    assert hvp(f, [], []) == (3.0, [])
    assert hessian(f, []) == []
    assert jvp(f, [], []) == (3.0, 0.0)
