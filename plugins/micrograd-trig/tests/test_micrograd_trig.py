"""micrograd-trig: values, methods and typed functions.

Whether each gradient is right is the contract kit's job: test_trig_contract.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import micrograd_trig
import pytest
from micrograd_trig import ATAN, COS, SIN, TAN, atan, cos, sin, tan

import micrograd_ops
from micrograd_core import (
    Op,
    OpNotFoundError,
    OpRegistry,
    Value,
    compile_graph,
    load_registry,
    node_of,
)
from micrograd_core.testing import check_inline


@pytest.fixture
def registry() -> Iterator[OpRegistry]:
    """The built-in ops and this plugin's, active for one test."""
    plugins = {"builtin": micrograd_ops, "trig": micrograd_trig}
    with load_registry(plugins, environ={}).activated() as registry:
        yield registry


@pytest.mark.parametrize(
    ("op", "fn"), [(SIN, math.sin), (COS, math.cos), (TAN, math.tan), (ATAN, math.atan)]
)
@pytest.mark.parametrize("x", [-1.2, 0.0, 0.3, 1.0])
def test_forward_is_the_math_function(op: Op, fn: Callable[[float], float], x: float) -> None:
    assert op(Value(x)).data == fn(x)


@pytest.mark.usefixtures("registry")
def test_methods_and_typed_functions_apply_the_registered_ops() -> None:
    x = Value(0.7)
    for name, fn in [("sin", sin), ("cos", cos), ("tan", tan), ("atan", atan)]:
        via_method = getattr(x, name)()
        via_function = fn(x)
        assert via_method.data == via_function.data
        op = node_of(via_function).op
        assert op is not None
        assert op.provenance is not None
        assert op.provenance.plugin == "trig"


def test_registry_lists_the_ops_with_their_methods(registry: OpRegistry) -> None:
    assert {"sin", "cos", "tan", "atan"} <= set(registry)
    assert registry.methods["tan"].domain == (micrograd_trig.HALF_TURN,)


@pytest.mark.usefixtures("registry")
def test_typed_function_takes_numbers_and_composes() -> None:
    x = Value(0.25)
    y = sin(x) ** 2 + cos(x) ** 2
    y.backward()
    assert math.isclose(y.data, 1.0)
    assert abs(x.grad) < 1e-12
    assert sin(0).data == 0.0


def test_typed_function_follows_the_active_registry(registry: OpRegistry) -> None:
    assert sin(1.0).data == math.sin(1.0)
    with load_registry({"builtin": micrograd_ops}, environ={}).activated():
        with pytest.raises(OpNotFoundError, match="no op named 'sin'; registered: add"):
            sin(1.0)
    assert sin(1.0).data == math.sin(1.0)


# Beyond what the contract kit samples: signed zeros, the smallest and largest
# floats, infinities (where sin raises, and so does its expression) and NaN.
EDGES = [0.0, -0.0, 5e-324, 1e-300, 1.5707963267948966, 1e22, 1e308, -math.inf, math.inf, math.nan]


@pytest.mark.parametrize("op", micrograd_trig.OPS, ids=[op.name for op in micrograd_trig.OPS])
@pytest.mark.parametrize("x", EDGES)
def test_inline_expressions_are_the_functions_at_the_edges(op: Op, x: float) -> None:
    check_inline(op, (x,))


@pytest.mark.usefixtures("registry")
def test_a_compiled_graph_gives_the_engine_s_numbers() -> None:
    x = Value(0.3)

    def build() -> Value:
        return sin(x) * cos(x) + tan(x) * atan(x)

    compiled = compile_graph(build())
    for data in (-1.2, 0.0, 0.7, 1.5):
        x.data, x.grad = data, 0.0
        replayed = compiled.forward()
        compiled.backward()
        replayed_grad, x.grad = x.grad, 0.0
        fresh = build()
        fresh.backward()
        assert (replayed.hex(), replayed_grad.hex()) == (fresh.data.hex(), x.grad.hex())
