"""micrograd-trig: values, gradients against finite differences, methods and typed functions."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import micrograd_trig
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd_trig import ATAN, COS, SIN, TAN, atan, cos, sin, tan

import micrograd_ops
from micrograd_core import Op, OpNotFoundError, OpRegistry, Value, load_registry

# Inside tan's declared domain, away from the poles where differences lose precision.
INPUTS = {
    SIN: st.floats(-10, 10),
    COS: st.floats(-10, 10),
    TAN: st.floats(-1.4, 1.4),
    ATAN: st.floats(-10, 10),
}


@pytest.fixture
def registry() -> Iterator[OpRegistry]:
    """The built-in ops and this plugin's, active for one test."""
    plugins = {"builtin": micrograd_ops, "trig": micrograd_trig}
    with load_registry(plugins, environ={}).activated() as registry:
        yield registry


def gradient(op: Op, x: float) -> float:
    """d op / dx as backward() computes it."""
    v = Value(x)
    op(v).backward()
    return v.grad


def central_difference(op: Op, x: float, h: float = 1e-6) -> float:
    return (op(Value(x + h)).data - op(Value(x - h)).data) / (2 * h)


def gradient_matches(op: Op, x: float) -> bool:
    return math.isclose(gradient(op, x), central_difference(op, x), rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("op", INPUTS, ids=lambda op: op.name)
@settings(deadline=None)  # a shared CI machine may be slow now and then
@given(data=st.data())
def test_gradient_matches_central_differences(op: Op, data: st.DataObject) -> None:
    x = data.draw(INPUTS[op], label="x")
    assert x in op.input_domain(0)
    assert gradient_matches(op, x)


def test_a_wrong_derivative_is_caught() -> None:
    wrong = Op("sin", 1, forward=math.sin, partials=(lambda x, out: math.sin(x),))
    assert not gradient_matches(wrong, 0.5)


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
        assert via_function._op is not None
        assert via_function._op.provenance is not None
        assert via_function._op.provenance.plugin == "trig"


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
