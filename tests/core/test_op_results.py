"""What an op returns is checked where the engine receives it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from micrograd_core import InvalidOpError, Op, OpRegistry, Provenance, Value

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
