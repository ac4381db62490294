"""The softsign activation for micrograd: ``x / (1 + |x|)``, a gentler tanh.

>>> from micrograd_core import Value
>>> softsign(Value(3.0))
Value(data=0.75, grad=0.0)
"""

from __future__ import annotations

from micrograd_core import Inline, Op, OpByName, Operand, Register, Value, hookimpl

__all__ = ["SOFTSIGN", "micrograd_register_ops", "softsign"]

SOFTSIGN = Op(
    "softsign",
    1,
    # its math, stated once: x / (1 + |x|), and d/dx = 1 / (1 + |x|)**2 = (1 - |out|)**2
    inline=Inline("x0 / (1 + math.fabs(x0))", partials=("(1 - math.fabs(out)) ** 2",)),
    method="softsign",
    doc="x / (1 + |x|), a smooth step from -1 to 1",
)
_softsign_op = OpByName("softsign")  # the active registry's op, looked up once per registry


def softsign(x: Operand) -> Value:
    """The softsign of ``x``, recorded for ``backward()``."""
    return _softsign_op(x)


@hookimpl
def micrograd_register_ops(register: Register) -> None:
    """Register ``softsign``."""
    register(SOFTSIGN)
