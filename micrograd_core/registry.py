"""``OpRegistry``: the ops one program can use, by name, with where each came from.

A registry is built once (pluggy is consulted then, never per operation) and is
immutable afterwards: ``with_ops()`` and ``without()`` return a new registry.
Two providers of one op name, or of one method name, never shadow each other:
the name is withheld and using it raises :class:`OpCollisionError` naming
both, until the user disables one of them.

Which registry ``Value``'s operators use is not decided here but in
``micrograd_core.state``, the one owner of process-wide state.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from micrograd_core.errors import (
    InvalidOpError,
    MethodNotFoundError,
    OpCollisionError,
    OpNotFoundError,
)
from micrograd_core.op import Op, Provenance, replace, validate
from micrograd_core.value import Value

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from contextlib import AbstractContextManager
    from typing import ClassVar, Literal

__all__ = ["Collision", "OpRegistry", "PluginFailure", "UnloadedPlugin", "validated"]

# Method names ops may claim although Value defines them: Value's own methods
# for these only forward to the op that claims the name.
CLAIMABLE_METHODS = frozenset({"relu", "tanh", "exp"})
RESERVED_METHODS = frozenset(n for n in dir(Value) if not n.startswith("_")) - CLAIMABLE_METHODS

# Where the ops Value's operators and built-in methods need come from.
BUILTIN_PLUGIN = "builtin"
BUILTIN_DISTRIBUTION = "micrograd-registry"


class _Record:
    """A frozen record of ``_fields``, compared, hashed, shown and pickled by them, as a
    frozen dataclass is (the dataclasses module is not imported at start-up)."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]]

    def _set(self, *values: object) -> None:
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(self._fields, self._values(), strict=True))
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        msg = f"cannot assign to field {name!r} of a {type(self).__name__}"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> None:
        msg = f"cannot delete field {name!r} of a {type(self).__name__}"
        raise AttributeError(msg)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return type(self), self._values()


class PluginFailure(_Record):
    """A plugin that failed to load, and why."""

    __slots__ = ("distribution", "error", "methods", "plugin", "version")
    _fields = ("plugin", "distribution", "version", "error", "methods")
    plugin: str
    distribution: str | None
    version: str | None
    error: str
    methods: tuple[str, ...]  # the methods its ops claim, where the hook got that far

    def __init__(
        self,
        plugin: str,
        distribution: str | None,
        version: str | None,
        error: str,
        methods: tuple[str, ...] = (),
    ) -> None:
        self._set(plugin, distribution, version, error, methods)


class UnloadedPlugin(_Record):
    """An installed plugin the settings left out, and the methods its ops would claim.

    ``methods`` are read from the plugin's source without running it (the
    ``method="..."`` of its ops): a best guess, used only in error messages.
    """

    __slots__ = ("methods", "provenance", "reason")
    _fields = ("provenance", "reason", "methods")
    provenance: Provenance
    reason: str  # e.g. "disabled by MICROGRAD_DISABLE_PLUGINS='trig'"
    methods: tuple[str, ...]

    def __init__(self, provenance: Provenance, reason: str, methods: tuple[str, ...] = ()) -> None:
        self._set(provenance, reason, methods)


class Collision(_Record):
    """An op name or method name that two or more providers claim."""

    __slots__ = ("kind", "name", "providers")
    _fields = ("kind", "name", "providers")
    kind: str  # "op" or "method"
    name: str
    providers: tuple[Provenance, ...]

    def __init__(self, kind: str, name: str, providers: tuple[Provenance, ...]) -> None:
        self._set(kind, name, providers)

    def error(self, hint: str | None = None) -> OpCollisionError:
        """The error that using the name raises; ``hint`` says how to resolve it."""
        both = " and ".join(str(p) for p in self.providers)
        if hint is None:
            names = [p.plugin for p in self.providers]
            if len(set(names)) < len(names):  # one entry-point name: use distributions
                names = [p.distribution or p.plugin for p in self.providers]
            hint = (
                "choose one by disabling the others, e.g. "
                f"MICROGRAD_DISABLE_PLUGINS={','.join(names[1:])}"
            )
        msg = f"{self.kind} {self.name!r} is provided by {both}; {hint}"
        op_name, method = (self.name, None) if self.kind == "op" else (None, self.name)
        providers = [str(p) for p in self.providers]
        return OpCollisionError(msg, op_name=op_name, method=method, providers=providers)


class OpRegistry(Mapping[str, Op]):
    """An immutable mapping of op names to ops, with provenance, failures and collisions.

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
        unloaded: Iterable[UnloadedPlugin] = (),
        selection: str = "",
    ) -> None:
        """Build from ops whose ``provenance`` is set; colliding names are withheld.

        ``failures`` and ``unloaded`` are the plugins that did not load and
        why; ``selection`` says how plugins were chosen. Messages use them.
        """
        self._index(
            tuple(validate(op, reserved=RESERVED_METHODS) for op in ops),
            failures,
            unloaded,
            selection,
        )

    @classmethod
    def _from_valid(
        cls,
        entries: Iterable[Op],
        *,
        failures: Iterable[PluginFailure] = (),
        unloaded: Iterable[UnloadedPlugin] = (),
        selection: str = "",
    ) -> OpRegistry:
        """A registry of ops :func:`validated` already, each op checked only once."""
        registry = cls.__new__(cls)
        registry._index(tuple(entries), failures, unloaded, selection)
        return registry

    def _index(
        self,
        entries: tuple[Op, ...],
        failures: Iterable[PluginFailure],
        unloaded: Iterable[UnloadedPlugin],
        selection: str,
    ) -> None:
        self._entries = entries
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
        self.unloaded: tuple[UnloadedPlugin, ...] = tuple(unloaded)
        self.collisions: tuple[Collision, ...] = tuple(collisions)
        self.selection = selection
        self._withheld_methods = MappingProxyType(self._find_withheld_methods(by_name))

    def _find_withheld_methods(self, by_name: Mapping[str, list[Op]]) -> dict[str, Exception]:
        """Methods that raise when used, and what they raise: claimed twice, or by an op
        that is withheld or comes from a plugin that did not load."""
        withheld: dict[str, Exception] = {}
        unloaded = {m for p in self.failures for m in p.methods}
        unloaded.update(m for p in self.unloaded for m in p.methods)
        for method in sorted(unloaded - self._methods.keys()):
            withheld[method] = self.method_error(method)
        for collision in self.collisions:
            if collision.kind == "method":
                withheld[collision.name] = collision.error()
            else:  # a withheld op withholds the methods its providers claim
                for op in by_name[collision.name]:
                    if op.method is not None and op.method not in self._methods:
                        withheld[op.method] = collision.error()
        return withheld

    @classmethod
    def from_ops(cls, ops: Iterable[Op], provenance: Provenance) -> OpRegistry:
        """A registry of ``ops``, all stamped with one provenance."""
        return cls(replace(op, provenance=provenance) for op in ops)

    def with_ops(
        self,
        ops: Iterable[Op],
        provenance: Provenance,
        *,
        on_collision: Literal["raise", "withhold"] = "raise",
    ) -> OpRegistry:
        """A new registry with ``ops`` added, all from ``provenance``; this one is left as it was.

        The checks of plugin loading apply. An op or method name another
        provider already has raises :class:`OpCollisionError` at once, or with
        ``on_collision="withhold"`` is withheld as when plugins load. The same
        provider may register a name again (re-running a notebook cell): its
        new op replaces its old one.

        >>> from micrograd_core import Op, Provenance
        >>> cube = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x,))
        >>> registry = OpRegistry().with_ops([cube], Provenance("notebook"))
        >>> registry.with_ops([cube], Provenance("other"))
        Traceback (most recent call last):
          ...
        micrograd_core.errors.OpCollisionError: op 'cube' is provided by plugin 'notebook' and plugin 'other'; register it under another op name, or unregister the other first (unregister_op('cube'))
        """  # noqa: E501
        registry = self._layered(validated(ops), provenance)
        if on_collision == "raise":
            for collision in registry.collisions:
                if collision not in self.collisions:
                    hint = (
                        f"register it under another {collision.kind} name, or unregister "
                        f"the other first (unregister_op({collision.name!r}))"
                    )
                    raise collision.error(hint)
        return registry

    def without(self, *names: str) -> OpRegistry:
        """A new registry without the ops ``names`` (every provider of each)."""
        present = {op.name for op in self._entries}
        for name in names:
            if name not in present:
                raise self.lookup_error(name)
        return self._replaced([op for op in self._entries if op.name not in names])

    def _layered(self, ops: Iterable[Op], provenance: Provenance) -> OpRegistry:
        """A new registry with ``ops`` (:func:`validated` already) added from ``provenance``,
        each replacing its provider's op of the same name."""
        added = [replace(op, provenance=provenance) for op in ops]
        names = {op.name for op in added}
        kept = [e for e in self._entries if not (e.name in names and e.provenance == provenance)]
        return self._replaced([*kept, *added])

    def _replaced(self, entries: Iterable[Op]) -> OpRegistry:
        return OpRegistry._from_valid(
            entries, failures=self.failures, unloaded=self.unloaded, selection=self.selection
        )

    @property
    def entries(self) -> tuple[Op, ...]:
        """Every op given to the registry, withheld ones included, in order."""
        return self._entries

    # -- lookup ---------------------------------------------------------------

    def __getitem__(self, name: str) -> Op:
        try:
            return self._ops[name]
        except KeyError:
            raise self.lookup_error(name) from None

    def __contains__(self, name: object) -> bool:
        # Mapping's own would raise for a withheld name (OpCollisionError is no KeyError).
        return name in self._ops

    def get(self, name: str, default: Op | None = None) -> Op | None:  # type: ignore[override]
        """The op registered as ``name``, or ``default``."""
        return self._ops.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    @property
    def methods(self) -> Mapping[str, Op]:
        """Method name (``x.tanh()``) to the op that claims it."""
        return MappingProxyType(self._methods)

    @property
    def withheld_methods(self) -> Mapping[str, Exception]:
        """Method names whose use raises, with the error: claimed by two providers, or
        by an op from a plugin that is installed but did not load."""
        return self._withheld_methods

    def lookup_error(self, name: str) -> OpNotFoundError | OpCollisionError:
        """The error for an op name that cannot be used: not provided, or claimed twice."""
        for collision in self.collisions:
            if collision.kind == "op" and collision.name == name:
                return collision.error()
        known = ", ".join(self._ops) or "none"
        msg = f"no op named {name!r}; registered: {known}{self._hint(name, self._ops)}"
        return OpNotFoundError(msg, op_name=name, available=list(self._ops))

    def method_error(self, name: str) -> MethodNotFoundError:
        """The error for a method no loaded op claims: where it would come from, or
        what exists."""
        known = ", ".join(sorted(self._methods)) or "none"
        msg = f"no loaded op claims the method {name!r}"
        wanting = [(p.provenance, p.reason) for p in self.unloaded if name in p.methods] + [
            (Provenance(f.plugin, f.distribution, f.version), f"it failed to load: {f.error}")
            for f in self.failures
            if name in f.methods
        ]
        if wanting:
            msg += "; " + "; ".join(f"{p} provides it, but {why}" for p, why in wanting)
        else:
            msg += f"; methods from ops: {known}{self._hint(name, self._methods)}"
        return MethodNotFoundError(msg, name=name, available=sorted(self._methods))

    def _hint(self, name: str, known: Iterable[str]) -> str:
        import difflib  # noqa: PLC0415  (only for this message: not on every start-up)

        close = difflib.get_close_matches(name, list(known), n=3)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        if name in {"add", "mul", "pow", *CLAIMABLE_METHODS}:
            hint += (
                f". The built-in ops come from plugin {BUILTIN_PLUGIN!r} of the "
                f"{BUILTIN_DISTRIBUTION!r} distribution: install it "
                f"(pip install {BUILTIN_DISTRIBUTION})"
            )
            if self.selection:
                hint += f" and make sure it is selected ({self.selection})"
        return hint

    # -- use ------------------------------------------------------------------

    def activated(self) -> AbstractContextManager[OpRegistry]:
        """Make ``Value``'s operators use this registry inside a ``with`` block.

        On exit the registry active before is active again. Activation is
        process-wide (``Value``'s methods belong to the class): see
        ``micrograd_core.state`` for how activations from several threads nest.
        """
        return _activation(self)

    def __repr__(self) -> str:
        return f"<OpRegistry: {', '.join(self._ops) or 'no ops'}>"


def validated(ops: Iterable[object]) -> list[Op]:
    """Check one provider's ops: each a valid op, no op name or method given twice.

    Raises :class:`InvalidOpError` saying what is wrong. Every op a registry
    holds went through this once, when its provider handed it in.
    """
    valid = [validate(op, reserved=RESERVED_METHODS) for op in ops]
    taken: dict[tuple[str, str], str] = {}
    for op in valid:
        for kind, name in (("op", op.name), ("method", op.method)):
            if name is None:
                continue
            if (kind, name) in taken:
                msg = (
                    f"{kind} {name!r} is registered twice, by op {taken[kind, name]!r} "
                    f"and op {op.name!r}"
                )
                raise InvalidOpError(msg, op_name=op.name)
            taken[kind, name] = op.name
    return valid


def _provider(op: Op) -> Provenance:
    if op.provenance is None:
        msg = f"op {op.name!r} has no provenance; add ops through a plugin or with_ops()"
        raise InvalidOpError(msg, op_name=op.name)
    return op.provenance


def _no_state(registry: OpRegistry) -> AbstractContextManager[OpRegistry]:
    msg = "micrograd_core.state is not imported; import micrograd_core"
    raise RuntimeError(msg)


# Activation is process-wide state, owned by micrograd_core.state, which sits
# above the registry in the layers of micrograd_core: its ``_wire_layers`` sets this.
_activation: Callable[[OpRegistry], AbstractContextManager[OpRegistry]] = _no_state
