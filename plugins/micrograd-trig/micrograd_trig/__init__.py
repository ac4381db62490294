"""Trigonometric ops for micrograd-registry: ``sin``, ``cos``, ``tan`` and ``atan``.

Once installed, the ops are found through the ``micrograd`` entry point and
claim the methods of the same names::

    from micrograd_core import Value
    from micrograd_trig import cos, sin

    x = Value(0.5)
    y = sin(x) * cos(x)  # or x.sin() * x.cos()
    y.backward()
    print(f"{y.data:.4f} {x.grad:.4f}")  # 0.4207 0.5403: sin(2x) / 2 and cos(2x)

Each op is exported twice: its ``Op`` record in capitals (``SIN``), which the
hook registers, and a typed function in lowercase (``sin(x)``, a ``Value`` to
mypy), which applies the op the active registry holds under that name, so it
follows ``registry.activated()`` and the plugin settings; in code that mypy
need not check, ``x.sin()`` does the same. Angles are in radians.
"""

from __future__ import annotations

import math

from micrograd_core import (
    Inline,
    Interval,
    Op,
    OpByName,
    Operand,
    Register,
    Value,
    hookimpl,
)

__all__ = [
    "ATAN",
    "COS",
    "HALF_TURN",
    "OPS",
    "SIN",
    "TAN",
    "atan",
    "cos",
    "micrograd_register_ops",
    "sin",
    "tan",
]

# tan is smooth on every interval between its poles; this is the one tests draw from.
HALF_TURN = Interval(-math.pi / 2, math.pi / 2, include_low=False, include_high=False)

# Each op states its math once, as expressions: from them come its functions on
# floats (backward()), its rules on Values (a gradient of the gradient: math.cos
# there is the op that claims the method cos), so every op here supports any
# order, and compiled graphs' loops.

SIN = Op(
    "sin",
    1,
    inline=Inline("math.sin(x0)", partials=("math.cos(x0)",)),
    method="sin",
    doc="sine of x (radians); sin' = cos",
)
_sin_op = OpByName("sin")


def sin(x: Operand) -> Value:
    """The sine of ``x`` (radians), recorded for ``backward()``."""
    return _sin_op(x)


COS = Op(
    "cos",
    1,
    inline=Inline("math.cos(x0)", partials=("-math.sin(x0)",)),
    method="cos",
    doc="cosine of x (radians); cos' = -sin",
)
_cos_op = OpByName("cos")


def cos(x: Operand) -> Value:
    """The cosine of ``x`` (radians), recorded for ``backward()``."""
    return _cos_op(x)


TAN = Op(
    "tan",
    1,
    inline=Inline("math.tan(x0)", partials=("1 + out * out",)),
    method="tan",
    doc="tangent of x (radians); tan' = 1 + tan**2; poles at pi/2 + k*pi",
    domain=(HALF_TURN,),
)
_tan_op = OpByName("tan")


def tan(x: Operand) -> Value:
    """The tangent of ``x`` (radians), recorded for ``backward()``."""
    return _tan_op(x)


ATAN = Op(
    "atan",
    1,
    inline=Inline("math.atan(x0)", partials=("1 / (1 + x0 * x0)",)),
    method="atan",
    doc="arctangent of x, in (-pi/2, pi/2); atan' = 1 / (1 + x**2)",
)
_atan_op = OpByName("atan")


def atan(x: Operand) -> Value:
    """The arctangent of ``x``, in radians, recorded for ``backward()``."""
    return _atan_op(x)


OPS = (SIN, COS, TAN, ATAN)


@hookimpl
def micrograd_register_ops(register: Register) -> None:
    """Register ``sin``, ``cos``, ``tan`` and ``atan``."""
    for op in OPS:
        register(op)
