"""to_jax(op): every op a jax.custom_jvp function that check_grads passes to order 2."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from micrograd_activations import GELU

from micrograd_core import Inline, Op, interop
from tests.interop.conftest import OPS, arity, inputs_for

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
check_grads = pytest.importorskip("jax.test_util").check_grads


@pytest.fixture(autouse=True, scope="module")
def x64() -> Iterator[None]:
    """float64 arrays, as gradient checks want, for this module's tests only."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def arrays(op: Op, size: int = 4, seed: int = 0) -> list[Any]:
    return [jnp.asarray(c, dtype=jnp.float64) for c in inputs_for(op, arity(op), size, seed)]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_passes_check_grads_to_order_2(op: Op) -> None:
    check_grads(interop.to_jax(op), arrays(op), order=2, modes=("fwd", "rev"))


def test_the_new_plugin_op_passes_check_grads_to_order_2(cube: Op) -> None:
    f = interop.to_jax(cube)  # functions only: a host callback, element by element
    check_grads(f, arrays(cube), order=2, modes=("fwd", "rev"))
    assert jax.jit(f)(jnp.asarray([2.0])).tolist() == [8.0]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_values_are_the_ops_floats(op: Op) -> None:
    xs = arrays(op, size=20, seed=1)
    out = interop.to_jax(op)(*xs)
    columns = [x.tolist() for x in xs]
    want = [op(*point).data for point in zip(*columns, strict=True)]
    assert out.tolist() == pytest.approx(want, rel=1e-13)


def test_jit_vmap_and_grad_go_through_the_rule() -> None:
    tanh = interop.to_jax("tanh")
    x = jnp.linspace(-1.0, 1.0, 5)
    assert jax.jit(tanh)(x).tolist() == pytest.approx(jnp.tanh(x).tolist(), rel=1e-15)
    d = jax.vmap(jax.grad(tanh))(x)
    assert d.tolist() == pytest.approx((1 - jnp.tanh(x) ** 2).tolist(), rel=1e-14)
    d3 = jax.grad(jax.grad(jax.grad(tanh)))(0.3)
    t = math.tanh(0.3)
    assert float(d3) == pytest.approx(-2 * (1 - t * t) * (1 - 3 * t * t), rel=1e-13)


def test_broadcasting_and_a_tangent_only_where_asked() -> None:
    power = interop.to_jax("pow")
    x = jnp.asarray([[-2.0], [-0.5]])
    # only the base has a tangent: d/dy (no value at x < 0) is never computed
    d = jax.grad(lambda b: power(b, 3.0).sum())(x)
    assert d.tolist() == [[12.0], [0.75]]
    assert power(x, jnp.asarray([1.0, 2.0])).shape == (2, 2)


def test_a_wrong_partial_fails_check_grads() -> None:
    wrong = Op(
        "wrong_sin",
        1,
        forward=math.sin,
        partials=(lambda x, out: -math.cos(x),),
        inline=Inline("math.sin(x0)", partials=("-math.cos(x0)",)),
    )
    with pytest.raises(AssertionError, match="Not equal to tolerance"):
        check_grads(interop.to_jax(wrong), [jnp.asarray([0.3])], order=1)


def test_a_composite_runs_through_its_parts() -> None:
    gelu = interop.to_jax(GELU)
    x = jnp.asarray([-1.0, 0.5])
    assert gelu(x).tolist() == pytest.approx([GELU(-1.0).data, GELU(0.5).data], rel=1e-14)
    check_grads(gelu, [x], order=2)
