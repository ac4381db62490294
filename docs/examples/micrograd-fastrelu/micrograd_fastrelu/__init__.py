"""``relu`` written with ``max()``: a second provider of an op micrograd already has.

Installed beside the built-in plugin, both claim the op ``relu`` and the method
``x.relu()``; micrograd withholds both names until one provider is disabled.
"""

from __future__ import annotations

from micrograd_core import Op, Register, hookimpl

__all__ = ["RELU", "micrograd_register_ops"]

RELU = Op(
    "relu",
    1,
    forward=lambda x: max(x, 0.0),
    partials=(lambda x, out: 1.0 if out > 0 else 0.0,),
    method="relu",
    doc="max(0, x), computed with max()",
)


@hookimpl
def micrograd_register_ops(register: Register) -> None:
    """Register ``relu``."""
    register(RELU)
