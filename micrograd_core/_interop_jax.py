"""An op as a ``jax.custom_jvp`` function on arrays: the backend of
:func:`micrograd_core.interop.to_jax`.

An op's rendered expressions become the function and its rule (the tangent from
the rendered partials); an op with functions only calls them on the host,
element by element, its derivatives the same way one order up. jax is imported
when a function is made or run, never with this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from micrograd_core._interop_backend import (
    TensorFunction,
    _Backend,
    _Derivative,
    _module,
    _real_dtype_error,
    _Rule,
)
from micrograd_core.op import Op


class _Jax(_Backend):
    def convert(self, op: Op, xs: Sequence[Any]) -> list[Any]:
        jnp = _module("jax.numpy")

        arrays = [jnp.asarray(x) for x in xs]
        dtype = jnp.result_type(*xs)
        if jnp.issubdtype(dtype, jnp.complexfloating):
            raise _real_dtype_error(op, dtype)
        if not jnp.issubdtype(dtype, jnp.floating):
            dtype = jnp.result_type(float)
        return [a.astype(dtype) for a in arrays]

    def rendered(self, op: Op, rule: _Rule) -> TensorFunction:
        jax = _module("jax")
        jnp = _module("jax.numpy")

        def forward(*xs: Any) -> Any:
            return _jax_shaped(rule.forward(*xs, None, jnp), xs)

        function = jax.custom_jvp(forward)

        def rule_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
            out = function(*primals)
            tangent = jnp.zeros_like(out)
            for i, t in enumerate(tangents):
                if not _symbolic_zero(t):  # no tangent: the partial is not computed
                    tangent = tangent + rule.partials[i](*primals, out, jnp) * t
            return out, tangent.astype(out.dtype)

        function.defjvp(rule_jvp, symbolic_zeros=True)
        made: TensorFunction = function
        return made

    def elementwise(self, op: Op) -> TensorFunction:
        return _jax_elementwise(_Derivative(op))

    def rule_values(self, rule: _Rule, xs: tuple[float, ...], out: float) -> list[float]:
        jnp = _module("jax.numpy")
        dtype = jnp.result_type(float)
        arrays = [jnp.asarray(x, dtype=dtype) for x in xs]
        a_out = jnp.asarray(out, dtype=dtype)
        values = [
            rule.forward(*arrays, None, jnp),
            *(p(*arrays, a_out, jnp) for p in rule.partials),
        ]
        return [float(v) for v in values]

    def bits(self) -> int:
        jnp = _module("jax.numpy")

        return 53 if jnp.result_type(float) == jnp.float64 else 24


def _symbolic_zero(t: Any) -> bool:
    return isinstance(t, _module("jax.custom_derivatives").SymbolicZero)


def _jax_shaped(result: Any, xs: Sequence[Any]) -> Any:
    jnp = _module("jax.numpy")

    shape = jnp.broadcast_shapes(*(jnp.shape(x) for x in xs))
    dtype = jnp.result_type(*xs)
    return jnp.broadcast_to(jnp.asarray(result).astype(dtype), shape)


def _jax_elementwise(spec: _Derivative) -> TensorFunction:
    """``spec`` as a ``jax.custom_jvp`` around a host callback, one Python call per element."""
    jax = _module("jax")
    jnp = _module("jax.numpy")
    np = _module("numpy")

    def on_host(*arrays: Any) -> Any:
        broadcast = np.broadcast_arrays(*arrays)
        columns = [a.reshape(-1).tolist() for a in broadcast]
        values = [spec.at(point) for point in zip(*columns, strict=True)]
        return np.asarray(values, dtype=broadcast[0].dtype).reshape(broadcast[0].shape)

    def forward(*xs: Any) -> Any:
        shape = jnp.broadcast_shapes(*(jnp.shape(x) for x in xs))
        result = jax.ShapeDtypeStruct(shape, jnp.result_type(*xs))
        return jax.pure_callback(on_host, result, *xs, vmap_method="broadcast_all")

    function = jax.custom_jvp(forward)

    derivatives: dict[int, TensorFunction] = {}

    def rule_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        out = function(*primals)
        tangent = jnp.zeros_like(out)
        for i, t in enumerate(tangents):
            if not _symbolic_zero(t):
                if i not in derivatives:
                    derivatives[i] = _jax_elementwise(spec.then(i))
                tangent = tangent + derivatives[i](*primals) * t
        return out, tangent.astype(out.dtype)

    function.defjvp(rule_jvp, symbolic_zeros=True)
    made: TensorFunction = function
    return made
