"""micrograd-activations: stability, kinks, composites, methods and typed functions.

Whether each gradient is right is the contract kit's job: test_activations_contract.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import micrograd_activations
import pytest
from hypothesis import strategies as st
from micrograd_activations import (
    GELU,
    LEAKY_RELU,
    LEAKY_SLOPE,
    SIGMOID,
    SILU,
    SOFTPLUS,
    gelu,
    leaky_relu,
    log,
    sigmoid,
    silu,
    softplus,
)

import micrograd_ops
from micrograd_core import (
    DomainError,
    Op,
    Operand,
    OpRegistry,
    Value,
    compile_graph,
    load_registry,
    node_of,
)
from micrograd_core.testing import check_inline

REALS = st.floats(-30, 30)


@pytest.fixture
def registry() -> Iterator[OpRegistry]:
    """The built-in ops and this plugin's, active for one test."""
    plugins = {"builtin": micrograd_ops, "activations": micrograd_activations}
    with load_registry(plugins, environ={}).activated() as registry:
        yield registry


def gradient(op: Op, x: float) -> float:
    """d op / dx as backward() computes it."""
    v = Value(x)
    op(v).backward()
    return v.grad


@pytest.mark.parametrize("x", [-1000.0, -50.0, 0.0, 50.0, 1000.0, 1e308, -1e308])
def test_sigmoid_is_finite_for_large_inputs(x: float) -> None:
    s = Value(x)
    SIGMOID(s).backward()
    assert 0.0 <= SIGMOID(x).data <= 1.0
    assert 0.0 <= s.grad <= 0.25


def test_the_naive_sigmoid_formula_overflows() -> None:
    naive = Op("sigmoid", 1, forward=lambda x: 1 / (1 + math.exp(-x)), partials=(abs,))
    with pytest.raises(DomainError, match=r"sigmoid\(-1000.0\) is outside the op's domain"):
        naive(-1000.0)
    assert SIGMOID(-1000.0).data == 0.0


def test_softplus_is_the_built_in_op() -> None:
    assert SOFTPLUS is micrograd_ops.SOFTPLUS
    assert softplus is micrograd_ops.softplus
    assert "softplus" not in [op.name for op in micrograd_activations.OPS]


def test_leaky_relu_slope_and_kink() -> None:
    assert LEAKY_RELU(-2.0).data == -2.0 * LEAKY_SLOPE
    assert LEAKY_RELU(3.0).data == 3.0
    (kink,) = LEAKY_RELU.kinks
    assert gradient(LEAKY_RELU, kink.at[0]) == kink.partials[0] == LEAKY_SLOPE


@pytest.mark.parametrize("op", [SILU, GELU], ids=lambda op: op.name)
def test_composites_record_their_primitives(op: Op) -> None:
    assert op.is_composite
    assert op.forward is None
    assert not op.partials
    out = op(Value(0.5))
    last = node_of(out).op
    assert last is not None
    assert last.name == "mul"


@pytest.mark.usefixtures("registry")
@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("sigmoid", sigmoid),
        ("softplus", softplus),
        ("leaky_relu", leaky_relu),
        ("log", log),
        ("silu", silu),
        ("gelu", gelu),
    ],
)
def test_methods_and_typed_functions_agree(name: str, fn: Callable[[Operand], Value]) -> None:
    x = Value(0.8)
    assert getattr(x, name)().data == fn(x).data == fn(0.8).data


def test_registry_has_every_op_with_its_method(registry: OpRegistry) -> None:
    for op in micrograd_activations.OPS:
        assert registry.methods[op.name].name == op.name
        provenance = registry[op.name].provenance
        assert provenance is not None
        assert provenance.plugin == "activations"


PRIMITIVES = [op for op in micrograd_activations.OPS if not op.is_composite]
# Beyond what the contract kit samples: signed zeros, tiny and huge floats, exp's
# overflow threshold, infinities and NaN.
EDGES = [
    0.0,
    -0.0,
    5e-324,
    1e-300,
    36.0,
    -745.2,
    709.8,
    710.0,
    1e308,
    -math.inf,
    math.inf,
    math.nan,
]


def test_every_op_but_the_composites_offers_inline_expressions() -> None:
    assert [op.name for op in PRIMITIVES if op.inline is None] == []
    assert [op.name for op in micrograd_activations.OPS if op.inline is None] == ["silu", "gelu"]


@pytest.mark.parametrize("op", PRIMITIVES, ids=[op.name for op in PRIMITIVES])
@pytest.mark.parametrize("x", EDGES)
def test_inline_expressions_are_the_functions_at_the_edges(op: Op, x: float) -> None:
    check_inline(op, (x,))


@pytest.mark.usefixtures("registry")
def test_a_compiled_graph_gives_the_engine_s_numbers() -> None:
    x = Value(0.3)

    def build() -> Value:
        return sigmoid(x) * softplus(x) + leaky_relu(x) * silu(x)

    compiled = compile_graph(build())
    for data in (-40.0, -1.5, 0.0, 0.7, 40.0):
        x.data, x.grad = data, 0.0
        replayed = compiled.forward()
        compiled.backward()
        replayed_grad, x.grad = x.grad, 0.0
        fresh = build()
        fresh.backward()
        assert (replayed.hex(), replayed_grad.hex()) == (fresh.data.hex(), x.grad.hex())
