"""``OpRegistry``: the ops one program can use, by name, with where each came from.

A registry is built once (pluggy is consulted then, never per operation) and is
frozen afterwards: ``extended()`` returns a new registry instead of changing
one. Two providers of one op name, or of one method name, never shadow each
other: the name is withheld and using it raises :class:`OpCollisionError`
naming both, until the user disables one of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType

from micrograd_core.errors import InvalidOpError, OpCollisionError, OpNotFoundError
from micrograd_core.op import Op, Provenance, validate
from micrograd_core.value import Value, install, installed

__all__ = ["Collision", "OpRegistry", "PluginFailure", "default_registry"]

# Method names ops may claim although Value defines them: Value's own methods
# for these only forward to the op that claims the name.
CLAIMABLE_METHODS = frozenset({"relu", "tanh", "exp"})
RESERVED_METHODS = frozenset(n for n in dir(Value) if not n.startswith("_")) - CLAIMABLE_METHODS

# Where the ops Value's operators and built-in methods need come from.
BUILTIN_PLUGIN = "builtin"
BUILTIN_DISTRIBUTION = "micrograd-registry"


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin that was skipped, and why."""

    plugin: str
    distribution: str | None
    version: str | None
    error: str


@dataclass(frozen=True, slots=True)
class Collision:
    """An op name or method name that two or more providers claim."""

    kind: str  # "op" or "method"
    name: str
    providers: tuple[Provenance, ...]

    def error(self) -> OpCollisionError:
        both = " and ".join(str(p) for p in self.providers)
        others = ",".join(p.plugin for p in self.providers[1:])
        msg = (
            f"{self.kind} {self.name!r} is provided by {both}; choose one by disabling "
            f"the others, e.g. MICROGRAD_DISABLE_PLUGINS={others}"
        )
        return OpCollisionError(msg, name=self.name, providers=[str(p) for p in self.providers])


class OpRegistry(Mapping[str, Op]):
    """A frozen mapping of op names to ops, with provenance, failures and collisions.

    >>> from micrograd_core import Op, Provenance
    >>> double = Op("double", 1, forward=lambda x: 2 * x, partials=(lambda x, out: 2.0,))
    >>> registry = OpRegistry.from_ops([double], Provenance("example"))
    >>> registry["double"].provenance
    Provenance(plugin='example', distribution=None, version=None)
    """

    def __init__(
        self,
        ops: Iterable[Op] = (),
        *,
        failures: Iterable[PluginFailure] = (),
        selection: str = "",
    ) -> None:
        """Build from ops whose ``provenance`` is set; colliding names are withheld.

        ``selection`` says how plugins were chosen, for error messages.
        """
        self._entries = tuple(validate(op, reserved=RESERVED_METHODS) for op in ops)
        by_name: dict[str, list[Op]] = {}
        for op in self._entries:
            by_name.setdefault(op.name, []).append(op)
        collisions = [
            Collision("op", name, tuple(_provider(op) for op in same))
            for name, same in by_name.items()
            if len(same) > 1
        ]
        self._ops = {name: same[0] for name, same in sorted(by_name.items()) if len(same) == 1}
        by_method: dict[str, list[Op]] = {}
        for op in self._ops.values():
            if op.method is not None:
                by_method.setdefault(op.method, []).append(op)
        collisions += [
            Collision("method", name, tuple(_provider(op) for op in same))
            for name, same in by_method.items()
            if len(same) > 1
        ]
        self._methods = {name: same[0] for name, same in by_method.items() if len(same) == 1}
        self.failures: tuple[PluginFailure, ...] = tuple(failures)
        self.collisions: tuple[Collision, ...] = tuple(collisions)
        self.selection = selection

    @classmethod
    def from_ops(cls, ops: Iterable[Op], provenance: Provenance) -> OpRegistry:
        """A registry of ``ops``, all stamped with one provenance."""
        return cls(dataclasses.replace(op, provenance=provenance) for op in ops)

    def extended(self, ops: Iterable[Op], provenance: Provenance) -> OpRegistry:
        """A new registry with ``ops`` added; this one is left as it was."""
        added = [dataclasses.replace(op, provenance=provenance) for op in ops]
        return OpRegistry(
            [*self._entries, *added], failures=self.failures, selection=self.selection
        )

    # -- lookup ---------------------------------------------------------------

    def __getitem__(self, name: str) -> Op:
        try:
            return self._ops[name]
        except KeyError:
            raise self.missing(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._ops

    def get(self, name: str, default: Op | None = None) -> Op | None:  # type: ignore[override]
        """The op registered as ``name``, or ``default``."""
        return self._ops.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def op(self, name: str) -> Op:
        """The op registered as ``name``, or an error saying what exists instead."""
        return self[name]

    @property
    def methods(self) -> Mapping[str, Op]:
        """Method name (``x.tanh()``) to the op that claims it."""
        return MappingProxyType(self._methods)

    def missing(self, name: str, *, kind: str = "op") -> LookupError | OpCollisionError:
        """The error for a name that cannot be used: not provided, or claimed twice."""
        for collision in self.collisions:
            if collision.kind == kind and collision.name == name:
                return collision.error()
        if kind == "method":
            known = ", ".join(sorted(self._methods)) or "none"
            msg = f"no op claims the method {name!r}; methods from ops: {known}"
        else:
            known = ", ".join(self._ops) or "none"
            msg = f"no op named {name!r}; registered: {known}"
        if name in {"add", "mul", "pow", *CLAIMABLE_METHODS}:
            msg += (
                f". The built-in ops come from plugin {BUILTIN_PLUGIN!r} of the "
                f"{BUILTIN_DISTRIBUTION!r} distribution: install it "
                f"(pip install {BUILTIN_DISTRIBUTION})"
            )
            if self.selection:
                msg += f" and make sure it is selected ({self.selection})"
        return OpNotFoundError(msg, op_name=name, available=list(self._ops))

    def op_or_placeholder(self, name: str) -> Op:
        """The op ``name``; if missing, a stand-in whose forward raises the reason."""
        if name in self._ops:
            return self._ops[name]
        error = self.missing(name)

        def unavailable(*xs: float) -> float:
            raise error

        return Op(name, 2, forward=unavailable, partials=(unavailable, unavailable))

    # -- use ------------------------------------------------------------------

    @contextmanager
    def activated(self) -> Iterator[OpRegistry]:
        """Make ``Value``'s operators use this registry inside a ``with`` block.

        The previously active registry (normally the default) is restored on exit.
        Not thread-safe: the active registry is one per process.
        """
        previous = installed()
        install(self)
        try:
            yield self
        finally:
            if previous is None:
                from micrograd_core import value  # noqa: PLC0415

                value._reset()
            else:
                install(previous)

    def __repr__(self) -> str:
        return f"<OpRegistry: {', '.join(self._ops) or 'no ops'}>"


def _provider(op: Op) -> Provenance:
    if op.provenance is None:
        msg = f"op {op.name!r} has no provenance; add ops through a plugin or extended()"
        raise InvalidOpError(msg, op_name=op.name)
    return op.provenance


_default: OpRegistry | None = None


def default_registry() -> OpRegistry:
    """The registry of every installed plugin, built on first use (then cached)."""
    global _default  # noqa: PLW0603  (built lazily, once)
    if _default is None:
        from micrograd_core.plugins import load_registry  # noqa: PLC0415

        _default = load_registry()
    return _default
