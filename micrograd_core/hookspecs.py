"""The whole plugin API: one hook, and the markers to implement it.

A plugin is a module (or any object) with a function marked ``@hookimpl``::

    from micrograd_core import Op, Register, hookimpl

    @hookimpl
    def micrograd_register_ops(register: Register) -> None:
        register(Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x**2,)))

and is found through an entry point in the ``micrograd`` group::

    [project.entry-points.micrograd]
    cube = "micrograd_cube"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import pluggy

if TYPE_CHECKING:
    from micrograd_core.op import Op

__all__ = ["PROJECT", "Register", "hookimpl", "hookspec", "micrograd_register_ops"]

PROJECT = "micrograd"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Register(Protocol):
    """The callback a plugin hands its ops to, one call per op."""

    def __call__(self, op: Op, /) -> None: ...


@hookspec
def micrograd_register_ops(register: Register) -> None:
    """Register this plugin's ops: call ``register(op)`` once per op.

    Called once, when a registry is built, never per arithmetic operation. The
    ops are validated after the hook returns; if any is invalid, or the hook
    raises, none of this plugin's ops are used and the plugin is reported as
    failed (an error in strict mode). Provenance is filled in by the registry.
    """
