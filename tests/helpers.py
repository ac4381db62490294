"""Helpers shared by test modules."""

from __future__ import annotations

from micrograd_core import Register, hookimpl


def make_plugin(*ops: object, raises: BaseException | None = None) -> object:
    """A plugin object whose hook registers ``ops`` (or raises ``raises``)."""

    class Plugin:
        @hookimpl
        def micrograd_register_ops(self, register: Register) -> None:
            if raises is not None:
                raise raises
            for op in ops:
                register(op)  # type: ignore[arg-type]  # invalid ops on purpose

    return Plugin()
