"""Activation ops for micrograd-registry: sigmoid, leaky_relu, silu, gelu.

Once installed, the ops are found through the ``micrograd`` entry point and
claim the methods of the same names::

    from micrograd_core import Value
    from micrograd_activations import sigmoid, silu

    x = Value(-2.0)
    y = sigmoid(x) + silu(x)  # or x.sigmoid() + x.silu()
    y.backward()

``sigmoid`` stays finite for any float (no ``exp`` overflow).
``silu`` and ``gelu`` are composite ops: built from other ops, with no gradient
written by hand, so ``backward()`` runs through the primitives they record.
Every gradient rule works on ``Value`` s too, so all of them support gradients
of gradients (``micrograd_core.grad(..., create_graph=True)``, ``hessian``).
Each op is exported twice: its ``Op`` record in capitals (``SIGMOID``), which
the hook registers, and a typed function in lowercase (``sigmoid(x)``, a
``Value`` to mypy), which applies the op the active registry holds under that
name, so it follows ``registry.activated()`` and the plugin settings.
``log`` and ``softplus`` are built-in ops now; ``log``, ``softplus`` and
``SOFTPLUS`` here are ``micrograd_ops``' own, as before.
"""

from __future__ import annotations

import math

from micrograd_core import (
    Inline,
    Kink,
    Op,
    OpByName,
    Operand,
    Register,
    Value,
    hookimpl,
)
from micrograd_ops import SOFTPLUS, log, softplus

__all__ = [
    "GELU",
    "LEAKY_RELU",
    "LEAKY_SLOPE",
    "OPS",
    "SIGMOID",
    "SILU",
    "SOFTPLUS",
    "gelu",
    "leaky_relu",
    "log",
    "micrograd_register_ops",
    "sigmoid",
    "silu",
    "softplus",
]

LEAKY_SLOPE = 0.01
"""The slope of ``leaky_relu`` for x <= 0 (also its derivative at the kink x = 0)."""

_GELU_SCALE = math.sqrt(2 / math.pi)


# Each op states its math once: its functions on floats, its rules on Values and
# compiled graphs' loops come from these expressions. Only math is in scope.
# sigmoid is finite for any float: exp of a number <= 0 only, never overflowing.
_SIGMOID_INLINE = "1 / (1 + math.exp(-x0)) if x0 >= 0 else math.exp(x0) / (1 + math.exp(x0))"


SIGMOID = Op(
    "sigmoid",
    1,
    inline=Inline(_SIGMOID_INLINE, partials=("out * (1 - out)",)),
    method="sigmoid",
    doc="1 / (1 + e**-x), finite for any x; sigmoid' = out * (1 - out)",
)
_sigmoid_op = OpByName("sigmoid")


def sigmoid(x: Operand) -> Value:
    """The logistic function ``1 / (1 + e**-x)``, recorded for ``backward()``."""
    return _sigmoid_op(x)


LEAKY_RELU = Op(
    "leaky_relu",
    1,
    inline=Inline(
        f"x0 if x0 > 0 else {LEAKY_SLOPE!r} * x0", partials=(f"1.0 if x0 > 0 else {LEAKY_SLOPE!r}",)
    ),
    method="leaky_relu",
    doc="x for x > 0, else 0.01 * x; its derivative at 0 is 0.01",
    kinks=(Kink(at=(0.0,), partials=(LEAKY_SLOPE,)),),
)
_leaky_relu_op = OpByName("leaky_relu")


def leaky_relu(x: Operand) -> Value:
    """``x`` for positive ``x``, else ``0.01 * x``, recorded for ``backward()``."""
    return _leaky_relu_op(x)


def _silu(x: Value) -> Value:
    return x * SIGMOID(x)


# silu and gelu are composites: they have no inline expressions of their own, and
# a compiled graph replays the ops they are built from (sigmoid's included).
SILU = Op(
    "silu",
    1,
    compose=_silu,
    method="silu",
    doc="x * sigmoid(x), composed from mul and sigmoid",
)
_silu_op = OpByName("silu")


def silu(x: Operand) -> Value:
    """``x * sigmoid(x)`` (also called swish), recorded as its primitives."""
    return _silu_op(x)


def _gelu(x: Value) -> Value:
    return 0.5 * x * (1 + (_GELU_SCALE * (x + 0.044715 * x**3)).tanh())


GELU = Op(
    "gelu",
    1,
    compose=_gelu,
    method="gelu",
    doc="GELU, tanh approximation: 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x**3)))",
)
_gelu_op = OpByName("gelu")


def gelu(x: Operand) -> Value:
    """The GELU activation (tanh approximation), recorded as its primitives."""
    return _gelu_op(x)


OPS = (SIGMOID, LEAKY_RELU, SILU, GELU)


@hookimpl
def micrograd_register_ops(register: Register) -> None:
    """Register sigmoid, leaky_relu, silu and gelu."""
    for op in OPS:
        register(op)
