"""``OpRegistry``: the ops one program can use, by name, with where each came from.

A registry is built once (pluggy is consulted then, never per operation) and is
frozen afterwards: ``extended()`` returns a new registry instead of changing
one. Two providers of one op name, or of one method name, never shadow each
other: the name is withheld and using it raises :class:`OpCollisionError`
naming both, until the user disables one of them.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import overload

from micrograd_core.errors import InvalidOpError, OpCollisionError, OpNotFoundError
from micrograd_core.op import Op, Provenance, validate
from micrograd_core.value import (  # the engine's own entry points
    Operand,
    Value,
    _apply,
    _apply_to,
    install,
    installed,
)

__all__ = [
    "Collision",
    "OpRegistry",
    "PluginFailure",
    "RegisteredOp",
    "active_registry",
    "default_registry",
    "register_op",
    "registered_ops",
    "unregister_op",
]

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
        """A new registry with ``ops`` added; this one is left as it was.

        As when plugins load, a name two providers claim is withheld; use
        :meth:`with_ops` to be told about a collision at once.
        """
        added = [dataclasses.replace(op, provenance=provenance) for op in ops]
        return self._replaced(self._entries, added)

    def with_ops(self, ops: Iterable[Op], provenance: Provenance) -> OpRegistry:
        """A new registry with ``ops`` added, refusing any op or method name already taken.

        The checks of plugin loading apply, but a collision raises
        :class:`OpCollisionError` at once instead of withholding the name. The
        same provider may register a name again (re-running a notebook cell):
        its new op replaces its old one.

        >>> from micrograd_core import Op, Provenance
        >>> cube = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x,))
        >>> registry = OpRegistry().with_ops([cube], Provenance("notebook"))
        >>> registry.with_ops([cube], Provenance("other"))
        Traceback (most recent call last):
          ...
        micrograd_core.errors.OpCollisionError: op 'cube' is provided by plugin 'notebook' and plugin 'other'; register it under another op name, or unregister the other first (unregister_op('cube'))
        """  # noqa: E501
        added = [
            dataclasses.replace(validate(op, reserved=RESERVED_METHODS), provenance=provenance)
            for op in ops
        ]
        names = {op.name for op in added}
        kept = [e for e in self._entries if not (e.name in names and e.provenance == provenance)]
        registry = self._replaced(kept, added)
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
                raise self.missing(name)
        return self._replaced([op for op in self._entries if op.name not in names], [])

    def _replaced(self, entries: Iterable[Op], added: Iterable[Op]) -> OpRegistry:
        return OpRegistry([*entries, *added], failures=self.failures, selection=self.selection)

    # -- lookup ---------------------------------------------------------------

    def __getitem__(self, name: str) -> Op:
        try:
            return self._ops[name]
        except KeyError:
            raise self.missing(name) from None

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
            # A withheld op also withholds the method it claims, usually its own name.
            if collision.name == name:
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
    """The registry of every installed plugin, built on first use (then cached).

    Ops registered at run time (:func:`register_op`) are part of it.
    """
    global _default  # noqa: PLW0603  (built lazily, once)
    if _default is None:
        from micrograd_core.plugins import load_registry  # noqa: PLC0415

        _default = load_registry()
    return _default


def active_registry() -> OpRegistry:
    """The registry ``Value``'s operators use now: the default unless another is activated."""
    return installed() or default_registry()


def _replace_default(registry: OpRegistry) -> None:
    """Make ``registry`` the default, and the active one if the default was active."""
    global _default  # noqa: PLW0603  (registries are immutable: the default is replaced)
    previous = default_registry()
    _default = registry
    if installed() is previous:
        install(registry)


def _caller(depth: int) -> str:
    """The module name of the code ``depth`` frames up, the provenance of run-time ops."""
    return str(sys._getframe(depth + 1).f_globals.get("__name__", "__main__"))


@overload
def register_op(op: Op, /, *, plugin: str | None = None) -> Op: ...
@overload
def register_op(op: Callable[..., Value], /, *, plugin: str | None = None) -> Op: ...


def register_op(op: Op | Callable[..., Value], /, *, plugin: str | None = None) -> Op:
    """Register ``op`` into the default registry at run time (a script or a notebook).

    Returns the registered op. The checks of plugin loading apply, and a name
    or method another provider has is refused with :class:`OpCollisionError`.
    The provenance is ``plugin``, by default the caller's module (``'__main__'``
    in a script or notebook), which may register a name again to redefine it.
    As a decorator on a function of ``Value`` s, it registers a composite op
    named after the function:

    >>> from micrograd_core import Value
    >>> @register_op
    ... def softsign(x: Value) -> Value:
    ...     "x / (1 + |x|)"
    ...     return x / (1 + x.relu() + (-x).relu())
    >>> softsign(Value(3.0))
    Value(data=0.75, grad=0.0)
    >>> unregister_op("softsign").doc
    'x / (1 + |x|)'

    For a registry of your own, use :meth:`OpRegistry.with_ops`; to register
    for one block only (a test), :func:`registered_ops`.
    """
    spec = op if isinstance(op, Op) else _composite(op)
    provenance = Provenance(plugin if plugin is not None else _caller(1))
    registry = default_registry().with_ops([spec], provenance)
    _replace_default(registry)
    return registry[spec.name]


def _composite(compose: Callable[..., Value]) -> Op:
    """A composite op from a function of ``Value`` s, named after it."""
    if not callable(compose):
        msg = f"register_op() takes an Op or a function of Values, got {type(compose).__name__!r}"
        raise InvalidOpError(msg)
    parameters = inspect.signature(compose).parameters.values()
    arity = sum(p.default is p.empty and p.kind in _POSITIONAL for p in parameters)
    # ``def total(x, *rest)`` takes one input or more: a variadic op.
    variadic = int(any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters))
    if variadic and arity == 0:
        arity = 1  # ``def total(*xs)``: an op takes at least one input
    doc = (inspect.getdoc(compose) or "").partition("\n")[0]
    name = getattr(compose, "__name__", "")
    return Op(name, arity, compose=compose, variadic=variadic, doc=doc)


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def unregister_op(name: str) -> Op:
    """Remove the op ``name`` from the default registry and return it.

    Raises :class:`OpNotFoundError` if there is none. To remove a plugin's ops
    for good, disable the plugin (``MICROGRAD_DISABLE_PLUGINS``) instead.
    """
    registry = default_registry()
    op = registry[name]
    _replace_default(registry.without(name))
    return op


def registered_ops(*ops: Op, plugin: str | None = None) -> AbstractContextManager[OpRegistry]:
    """Register ``ops`` into the default registry for the length of a ``with`` block.

    On exit the default registry, and the active one, are what they were
    before, whatever was registered inside the block.

    >>> from micrograd_core import Op, Value
    >>> cube = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x,),
    ...           method="cube")
    >>> with registered_ops(cube):
    ...     Value(2.0).cube()
    Value(data=8.0, grad=0.0)
    >>> "cube" in default_registry()
    False
    """
    return _scoped(ops, Provenance(plugin if plugin is not None else _caller(1)))


@contextmanager
def _scoped(ops: Iterable[Op], provenance: Provenance) -> Iterator[OpRegistry]:
    global _default  # noqa: PLW0603  (restored on exit)
    previous = default_registry()
    registry = previous.with_ops(ops, provenance)
    _default = registry
    try:
        with registry.activated():
            yield registry
    finally:
        _default = previous


class RegisteredOp:
    """Applies the op registered under ``name`` in the active registry, typed for mypy.

    The op is looked up once per active registry, not on every call. A plugin
    wraps one in a typed function, so ``sin(x)`` is a ``Value`` to mypy:

    >>> from micrograd_core import Value
    >>> relu = RegisteredOp("relu")
    >>> relu(Value(-2.0)), relu(3)
    (Value(data=0.0, grad=0.0), Value(data=3.0, grad=0.0))
    """

    __slots__ = ("_op", "_registry", "name")

    def __init__(self, name: str) -> None:
        """Refer to the op ``name``; nothing is looked up until the first call."""
        self.name = name
        self._registry: OpRegistry | None = None
        self._op: Op | None = None

    def __call__(self, *args: Operand) -> Value:
        """Apply the op to ``Value`` s or numbers."""
        registry = installed() or default_registry()
        op = self._op
        if registry is not self._registry or op is None:
            op = self._op = registry[self.name]
            self._registry = registry
        if len(args) == 1 == op.arity and type(args[0]) is Value:  # the usual call: f(x)
            return _apply(op, args)  # type: ignore[arg-type]  # args is a tuple of one Value
        return _apply_to(op, *args)

    def __repr__(self) -> str:
        return f"RegisteredOp({self.name!r})"
