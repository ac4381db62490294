"""What an op returns is checked where the engine receives it."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import micrograd_ops
from micrograd_core import (
    InvalidOpError,
    Op,
    OperandTypeError,
    OpRegistry,
    Provenance,
    Value,
    apply,
    compile_graph,
    grad,
    hessian,
    jacobian,
    jvp,
    load_registry,
    value_and_grad,
)

GARBAGE = [complex(1, 1), "abc", None, [1.0], 1j]


def unary(forward: Callable[[float], object], partial: Callable[[float, float], object]) -> Op:
    return Op("odd", 1, forward=forward, partials=(partial,))  # type: ignore[arg-type]


@pytest.fixture
def plugin(builtin_registry: OpRegistry) -> Iterator[Callable[[Op], Op]]:
    """Registers an op as plugin 'oddities' in the active registry and returns it."""
    with ExitStack() as stack:

        def add(op: Op) -> Op:
            registry = builtin_registry.with_ops([op], Provenance("oddities"))
            stack.enter_context(registry.activated())
            return registry[op.name]

        yield add


@pytest.mark.parametrize("bad", GARBAGE, ids=repr)
def test_a_forward_returning_no_real_number_is_an_invalid_op(
    plugin: Callable[[Op], Op], bad: object
) -> None:
    op = plugin(unary(lambda x: bad, lambda x, out: 1.0))
    with pytest.raises(
        InvalidOpError, match=r"op 'odd' of plugin 'oddities': its forward ret"
    ) as e:
        op(Value(1.0))
    assert (e.value.op_name, e.value.plugin) == ("odd", "oddities")


@pytest.mark.parametrize("bad", GARBAGE, ids=repr)
def test_a_partial_returning_no_real_number_is_an_invalid_op(
    plugin: Callable[[Op], Op], bad: object
) -> None:
    op = plugin(unary(lambda x: x, lambda x, out: bad))
    x = Value(1.0)
    y = op(x) * 2
    with pytest.raises(InvalidOpError, match=r"op 'odd' of plugin 'oddities': its partial 0"):
        y.backward()
    assert x.grad == 0.0  # nothing wrong was accumulated


def test_binary_nary_and_gradient_results_are_checked(builtin_registry: OpRegistry) -> None:
    two = Op("two", 2, forward=lambda x, y: x, partials=(lambda x, y, o: 1.0, lambda x, y, o: "1"))  # type: ignore[arg-type,return-value]
    three = Op("three", 3, forward=lambda *xs: 0.0, partials=(lambda *xs: 1j,) * 3)  # type: ignore[arg-type]
    grad = Op("grad", 1, variadic=1, forward=lambda *xs: 0.0, gradient=lambda *xs: [None] * 2)
    registry = builtin_registry.with_ops([two, three, grad], Provenance("oddities"))
    with registry.activated():
        for name, args in [("two", 2), ("three", 3), ("grad", 2)]:
            out = registry[name](*(Value(1.0) for _ in range(args)))
            with pytest.raises(InvalidOpError, match=f"op '{name}' of plugin 'oddities'"):
                out.backward()


def test_a_forward_raising_type_error_is_an_invalid_op(plugin: Callable[[Op], Op]) -> None:
    op = plugin(unary(lambda x: x + "1", lambda x, out: 1.0))  # type: ignore[operator]
    with pytest.raises(InvalidOpError, match="its forward raised TypeError: unsupported operand"):
        op(Value(1.0))


def test_a_composite_returning_no_value_is_an_invalid_op(plugin: Callable[[Op], Op]) -> None:
    op = plugin(Op("odd", 1, compose=lambda x: 1.0))  # type: ignore[arg-type,return-value]
    with pytest.raises(InvalidOpError, match="its compose function returned 'float', expected a"):
        op(Value(1.0))


def test_ints_and_bools_become_floats(plugin: Callable[[Op], Op]) -> None:
    op = plugin(unary(int, lambda x, out: True))
    x = Value(2.5)
    y = op(x)
    y.backward()
    assert (type(y.data), y.data, type(x.grad), x.grad) == (float, 2.0, float, 1.0)


@pytest.mark.parametrize("special", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_are_floats_and_pass(plugin: Callable[[Op], Op], special: float) -> None:
    op = plugin(unary(lambda x: special, lambda x, out: special))
    x = Value(1.0)
    op(x).backward()
    assert math.isnan(x.grad) if math.isnan(special) else x.grad == special


# -- one checked path: every way of asking for a partial gets the same number ----


class Spoofed(float):
    """A float whose arithmetic lies: only its value counts."""

    def __mul__(self, other: object) -> float:
        return 100.0

    __rmul__ = __mul__

    def __add__(self, other: object) -> float:
        return 100.0

    __radd__ = __add__


class Disguised(float):
    """A float that converts to another number: the engine takes what ``float()`` says."""

    def __float__(self) -> float:
        return 7.0


class Uncalled:
    """A result that is no number at all."""


ODD_RESULTS = st.one_of(
    st.floats(),
    st.integers(-(10**400), 10**400),
    st.booleans(),
    st.fractions(),
    st.decimals(allow_nan=False),
    st.complex_numbers(),
    st.builds(Spoofed, st.floats()),
    st.builds(Disguised, st.floats()),
    st.sampled_from([None, "1.5", "", [2.0], (2.0,), Uncalled()]),
)
KINDS = ["partials", "gradient", "nary"]
BUILTINS = load_registry({"builtin": micrograd_ops}, environ={})


def odd_op(kind: str, result: object) -> Op:
    """``x * x`` (n-ary: times its other inputs) whose every partial is ``result``."""
    if kind == "partials":
        return Op("odd", 1, forward=lambda x: x * x, partials=(lambda x, out: result,))  # type: ignore[arg-type,return-value]
    if kind == "gradient":
        return Op("odd", 1, forward=lambda x: x * x, gradient=lambda x, out: [result])  # type: ignore[list-item]
    return Op(
        "odd",
        3,
        forward=lambda x, y, z: x * x * y * z,
        partials=(lambda *xs: result,) * 3,  # type: ignore[arg-type]
    )


Outcome = tuple[str, str]


def outcome(compute: Callable[[], float]) -> Outcome:
    """What a way of differentiating gave: the float's exact bits (but the sign of a zero:
    ``backward()`` adds to a ``.grad`` of 0.0, ``grad()`` has no such start), or the
    error's type."""
    try:
        got = compute()
    except Exception as e:  # noqa: BLE001  (the type is what is compared)
        return ("raised", type(e).__name__)
    if type(got) is not float:
        return ("gave", f"a {type(got).__name__!r}: {got!r}")
    return ("gave", (got + 0.0).hex())


def every_way(op: Op, point: float) -> dict[str, Outcome]:
    """d(op)/d(input 0) at ``point``, by every way there is to ask for it."""

    def applied(x: Value) -> Value:
        return op(x) if op.arity == 1 else op(x, Value(1.0), Value(1.0))

    def by_backward() -> float:
        x = Value(point)
        applied(x).backward()
        return x.grad

    def by_compiled_backward() -> float:
        x = Value(point)
        step = compile_graph(applied(x))
        step.forward()
        step.backward()
        return x.grad

    return {
        "backward": outcome(by_backward),
        "compiled backward": outcome(by_compiled_backward),
        "grad": outcome(lambda: grad(applied(x := Value(point)), [x])[0].data),
        "value_and_grad": outcome(lambda: value_and_grad(applied, [point])[1][0]),
        "jvp": outcome(lambda: jvp(applied, [point], [1.0])[1]),
        "jacobian": outcome(lambda: jacobian(applied, [point])[0][0]),
    }


@given(kind=st.sampled_from(KINDS), result=ODD_RESULTS, point=st.floats(-3, 3))
@example(kind="partials", result=Spoofed(2.0), point=1.0)
@example(kind="gradient", result=Disguised(2.0), point=1.0)
@example(kind="nary", result=None, point=1.0)
@example(kind="nary", result=10**400, point=1.0)
def test_every_path_gives_a_partial_the_same_number_or_the_same_error(
    kind: str, result: object, point: float
) -> None:
    registry = BUILTINS.with_ops([odd_op(kind, result)], Provenance("oddities"))
    with registry.activated():
        ways = every_way(registry["odd"], point)
    assert len(set(ways.values())) == 1, ways
    (got,) = set(ways.values())
    if isinstance(result, numbers.Real) and not isinstance(result, Decimal):
        try:
            expected = float(result)
        except OverflowError:
            assert got == ("raised", "InvalidOpError")
        else:  # a real number becomes what float() makes of it, in every path
            assert got == ("gave", (expected + 0.0).hex()), (got, expected)
    else:
        assert got == ("raised", "InvalidOpError")


@given(kind=st.sampled_from(KINDS), result=ODD_RESULTS)
@example(kind="partials", result=None)
@example(kind="gradient", result=None)
def test_gradients_of_gradients_check_a_partial_as_backward_does(kind: str, result: object) -> None:
    """A rule returning ``result`` on Values too (a constant partial): the Hessian of
    ``op(x) * x`` is twice the partial backward() gives, or backward()'s error."""
    registry = BUILTINS.with_ops([odd_op(kind, result)], Provenance("oddities"))
    with registry.activated():
        op = registry["odd"]

        def applied(x: Value) -> Value:
            return op(x) if op.arity == 1 else op(x, Value(1.0), Value(1.0))

        def twice_the_partial() -> float:
            x = Value(0.5)
            applied(x).backward()
            return 2 * x.grad

        expected = outcome(twice_the_partial)
        got = outcome(lambda: hessian(lambda x: applied(x) * x, [0.5])[0][0])
    if expected[0] == "gave" and not math.isfinite(float.fromhex(expected[1])):
        assert got[0] == "gave"  # inf * 0 and inf - inf on the way may make it NaN
    else:
        assert got == expected


USES: dict[str, Callable[[Value], Value]] = {
    "x * 3": lambda x: x * 3,
    "3 * x": lambda x: 3 * x,
    "x + x": lambda x: x + x,
    "x.tanh()": lambda x: x.tanh(),
    "x ** 2": lambda x: x**2,
    "apply('mul', 2, x)": lambda x: apply("mul", 2, x),
}


@pytest.mark.parametrize("bad", ["abc", None, [1.0], 1j], ids=repr)
@pytest.mark.parametrize("use", list(USES))
def test_a_leaf_holding_no_number_is_bad_input_not_a_broken_op(
    builtin_registry: OpRegistry, bad: object, use: str
) -> None:
    x = Value(2.0)
    x.data = bad  # type: ignore[assignment]  # a slot: nothing checks what is set
    with builtin_registry.activated(), pytest.raises(OperandTypeError) as e:
        USES[use](x)
    assert not isinstance(e.value, InvalidOpError)
    assert f"holds {type(bad).__name__!r} ({bad!r}), expected a real number" in str(e.value)
