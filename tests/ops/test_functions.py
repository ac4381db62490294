"""The built-in ops' typed functions apply the op of the active registry, as ``x.tanh()`` does."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import micrograd_ops
from micrograd_core import (
    Op,
    OpNotFoundError,
    OpRegistry,
    Provenance,
    Value,
    default_registry,
    node_of,
    temporary_ops,
    unregister_op,
)
from tests.helpers import stand_in

OTHER_TANH = stand_in(micrograd_ops.TANH, marker=42.0)


def test_a_function_applies_the_activated_registry_s_op(builtin_registry: OpRegistry) -> None:
    other = builtin_registry.without("tanh").with_ops([OTHER_TANH], Provenance("other"))
    x = Value(0.5)
    with other.activated():
        y = micrograd_ops.tanh(x)
    assert y.data == 42.0
    assert node_of(y).op is other["tanh"]
    z = micrograd_ops.tanh(x)  # the built-in registry is active again
    assert z.data == math.tanh(0.5)
    assert node_of(z).op is builtin_registry["tanh"]


@pytest.mark.usefixtures("scratch_default")
def test_a_function_follows_temporary_ops() -> None:
    if "tanh" in default_registry():
        unregister_op("tanh")
    with temporary_ops(OTHER_TANH):
        assert micrograd_ops.tanh(0.5).data == 42.0
    with pytest.raises(OpNotFoundError, match="no op named 'tanh'"):
        micrograd_ops.tanh(0.5)


def test_every_function_applies_its_op(builtin_registry: OpRegistry) -> None:
    """Each function is its op's, with the arguments in order: the op's own forward."""
    x, y = Value(0.75), Value(2.0)
    cases: list[tuple[Callable[..., Value], Op, tuple[Value | float, ...]]] = [
        (micrograd_ops.add, micrograd_ops.ADD, (x, y)),
        (micrograd_ops.mul, micrograd_ops.MUL, (x, y)),
        (micrograd_ops.power, micrograd_ops.POW, (x, y)),
        (micrograd_ops.relu, micrograd_ops.RELU, (-0.5,)),
        (micrograd_ops.tanh, micrograd_ops.TANH, (x,)),
        (micrograd_ops.exp, micrograd_ops.EXP, (x,)),
        (micrograd_ops.log, micrograd_ops.LOG, (x,)),
        (micrograd_ops.affine, micrograd_ops.AFFINE, (0.5, x, y, y, 3.0)),
        (micrograd_ops.softplus, micrograd_ops.SOFTPLUS, (x,)),
        (micrograd_ops.logsumexp, micrograd_ops.LOGSUMEXP, (x, 1000.0, y)),
    ]
    assert {op.name for _, op, _ in cases} == {op.name for op in micrograd_ops.OPS}
    for function, op, args in cases:
        out = function(*args)
        assert node_of(out).op is builtin_registry[op.name]
        floats = [a.data if isinstance(a, Value) else a for a in args]
        assert op.forward is not None
        assert out.data == op.forward(*floats)


def test_power_is_pow_and_no_name_hides_a_builtin(builtin_registry: OpRegistry) -> None:
    x = Value(3.0)
    assert node_of(micrograd_ops.power(x, 2)).op is node_of(x**2).op
    assert micrograd_ops.power(2, x).data == 8.0
    assert not hasattr(micrograd_ops, "pow")
