"""The process-wide state: the default registry, the active one, run-time registration.

This module is its one owner. Everything here is per process, as ``Value``'s
methods (attributes of the class) are:

- The **default registry** holds every installed plugin's ops and the ops
  registered at run time. It is built on first use, exactly once: threads that
  race to it wait for the one building it.
- The **active registry** is what ``Value``'s operators and methods use: the
  default, or the registry of the innermost ``registry.activated()`` block still
  open. Activations from several threads nest as one stack: each block's exit
  removes its own entry, wherever it is, and the newest entry left is active.
  Use activation for tests and scripts; threads that need different ops at
  the same moment cannot each have their own.
- :func:`register_op`, :func:`unregister_op` and :func:`temporary_ops` change
  the default as one step under a lock, so no registration is lost, and
  ``Value``'s methods change only where the registry did, so no other op or
  method ever goes missing for another thread.
- ``temporary_ops`` blocks, from several threads or nested, may close in any
  order: while one is open, every change to the default is kept in order, and
  a block's exit drops only its own and replays the rest, so each block open
  keeps its ops and nothing a closed block added stays behind.

A plugin whose import or hook computes with ``Value`` s while the default
registry is being built gets :class:`RegistryBuildError` (recorded as that
plugin's failure): the registry those ops would come from does not exist yet.
"""

from __future__ import annotations

import functools
import sys
import threading
from contextlib import contextmanager

from micrograd_core import op as _op_spec
from micrograd_core import registry as _registry
from micrograd_core import value as _engine
from micrograd_core.errors import InvalidOpError, RegistryBuildError
from micrograd_core.op import Op, Provenance

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from contextlib import AbstractContextManager
    from typing import overload

    from micrograd_core.op import Interval, Kink
    from micrograd_core.registry import OpRegistry
    from micrograd_core.value import Operand, Value

__all__ = [
    "OpByName",
    "active_registry",
    "composite",
    "default_registry",
    "register_op",
    "temporary_ops",
    "unregister_op",
]

# Held while the default registry is built or changed, and while the active one
# is switched. Re-entrant: building the default may call back into this module
# from the same thread (a plugin that uses the engine), which is then refused.
_lock = threading.RLock()
_default: OpRegistry | None = None
_builder: int | None = None  # the thread building the default, while it does
_activations: list[tuple[object, OpRegistry]] = []  # (token, registry), oldest first
_active: OpRegistry | None = None  # what the engine has installed; read without the lock
# While temporary_ops blocks are open: the default before the oldest opened, and
# every change since, in order (see _Change).
_since: OpRegistry | None = None
_changes: list[_Change] = []


def _install(registry: OpRegistry | None) -> None:
    """Hand ``registry`` to the engine (under the lock): what Value uses from now on."""
    global _active  # noqa: PLW0603
    _engine.install(registry)
    _active = registry


def default_registry() -> OpRegistry:
    """The registry of every installed plugin, built on first use, then kept.

    Ops registered at run time (:func:`register_op`) are part of it.
    """
    default = _default
    if default is not None:
        return default
    with _lock:
        return _built_default()


def _built_default() -> OpRegistry:
    global _default, _builder  # noqa: PLW0603  (built lazily, once, under the lock)
    if _default is not None:
        return _default
    if _builder == threading.get_ident():
        msg = (
            "an op was used while the op registry was being built: a plugin's import or "
            "micrograd_register_ops hook may register ops but not compute with Values"
        )
        raise RegistryBuildError(msg)
    _builder = threading.get_ident()
    from micrograd_core.plugins import load_registry  # noqa: PLC0415  (pluggy: not at start-up)

    try:
        _default = load_registry()
    finally:
        _builder = None
    if not _activations:
        _install(_default)
    return _default


def active_registry() -> OpRegistry:
    """The registry ``Value``'s operators use now: the default unless another is activated."""
    active = _active
    return active if active is not None else default_registry()


def _set_default(registry: OpRegistry | None) -> None:
    """Make ``registry`` the default (under the lock), and active unless another is."""
    global _default  # noqa: PLW0603  (registries are immutable: the default is replaced)
    _default = registry
    if not _activations:
        _install(registry)


def _reset_default(registry: OpRegistry | None) -> None:
    """Make ``registry`` the default as it is (None: build it again on next use); for tests.

    Blocks of :func:`temporary_ops` still open leave it as it is when they close.
    """
    global _since  # noqa: PLW0603
    with _lock:
        _since = None
        _changes.clear()
        _set_default(registry)


def _install_first_use() -> None:
    with _lock:
        _built_default()
        if _activations:  # a registry activated before first use
            _install(_activations[-1][1])


@contextmanager
def _activated(registry: OpRegistry) -> Iterator[OpRegistry]:
    token = object()
    with _lock:
        _activations.append((token, registry))
        _install(registry)
    try:
        yield registry
    finally:
        with _lock:
            _activations[:] = [entry for entry in _activations if entry[0] is not token]
            _install(_activations[-1][1] if _activations else _default)


def _caller(depth: int) -> str:
    """The module name of the code ``depth`` frames up, the provenance of run-time ops."""
    return str(sys._getframe(depth + 1).f_globals.get("__name__", "__main__"))


if TYPE_CHECKING:

    @overload
    def register_op(op: Op, /, *, plugin: str | None = None) -> Op: ...
    @overload
    def register_op(
        op: Callable[..., Value],
        /,
        *,
        plugin: str | None = None,
        method: str | None = None,
        doc: str | None = None,
        domain: Sequence[Interval] = (),
        kinks: Sequence[Kink] = (),
    ) -> Op: ...
    @overload
    def register_op(
        op: None = None,
        /,
        *,
        plugin: str | None = None,
        method: str | None = None,
        doc: str | None = None,
        domain: Sequence[Interval] = (),
        kinks: Sequence[Kink] = (),
    ) -> Callable[[Callable[..., Value]], Op]: ...


def register_op(
    op: Op | Callable[..., Value] | None = None,
    /,
    *,
    plugin: str | None = None,
    method: str | None = None,
    doc: str | None = None,
    domain: Sequence[Interval] = (),
    kinks: Sequence[Kink] = (),
) -> Op | Callable[[Callable[..., Value]], Op]:
    """Register ``op`` into the default registry at run time (a script or a notebook).

    Returns the registered op. The checks of plugin loading apply, and a name
    or method another provider has is refused with :class:`OpCollisionError`.
    The provenance is ``plugin``, by default the caller's module (``'__main__'``
    in a script or notebook), which may register a name again to redefine it.
    As a decorator on a function of ``Value`` s, it registers a composite op
    named after the function, whose doc is the function's first line:

    >>> from micrograd_core import Value
    >>> @register_op
    ... def softsign(x: Value) -> Value:
    ...     "x / (1 + |x|)"
    ...     return x / (1 + x.relu() + (-x).relu())
    >>> softsign(Value(3.0))
    Value(data=0.75, grad=0.0)
    >>> unregister_op("softsign").doc
    'x / (1 + |x|)'

    With arguments, the decorator also sets what an ``Op`` would: the method it
    claims, its doc, its domain and its kinks:

    >>> @register_op(method="softplus2", doc="log(1 + e**x)")
    ... def softplus2(x: Value) -> Value:
    ...     return (x.exp() + 1).log()
    >>> round(Value(0.0).softplus2().data, 6)
    0.693147
    >>> unregister_op("softplus2").method
    'softplus2'

    For a registry of your own, use :meth:`OpRegistry.with_ops`; to register
    for one block only (a test), :func:`temporary_ops`.
    """
    provenance = Provenance(plugin if plugin is not None else _caller(1))
    make = functools.partial(
        composite, method=method, doc=doc, domain=tuple(domain), kinks=tuple(kinks)
    )
    if op is None:  # @register_op(method=...): the decorator to apply
        return lambda compose: _register(make(compose), provenance)
    if isinstance(op, Op):
        if method is not None or doc is not None or domain or kinks:
            msg = (
                f"register_op() takes method, doc, domain and kinks for a function; the Op "
                f"{op.name!r} carries its own (micrograd_core.op.replace(op, method=...) "
                f"changes them)"
            )
            raise InvalidOpError(msg, op_name=op.name)
        return _register(op, provenance)
    return _register(make(op), provenance)


def _register(spec: Op, provenance: Provenance) -> Op:
    with _lock:
        registry = _built_default().with_ops([spec], provenance)
        _change(registry, _Change(None, (spec,), provenance))
    return registry[spec.name]


def composite(
    compose: Callable[..., Value],
    *,
    method: str | None = None,
    doc: str | None = None,
    domain: tuple[Interval, ...] = (),
    kinks: tuple[Kink, ...] = (),
) -> Op:
    """A composite op from a function of ``Value`` s, named after it, its doc its first line."""
    if not callable(compose):
        msg = f"register_op() takes an Op or a function of Values, got {type(compose).__name__!r}"
        raise InvalidOpError(msg)
    import inspect  # noqa: PLC0415  (registering at run time is rare: not at start-up)

    parameters = inspect.signature(compose).parameters.values()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    arity = sum(p.default is p.empty and p.kind in positional for p in parameters)
    # ``def total(x, *rest)`` takes one input or more: a variadic op.
    variadic = int(any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters))
    if variadic and arity == 0:
        arity = 1  # ``def total(*xs)``: an op takes at least one input
    if doc is None:
        doc = (inspect.getdoc(compose) or "").partition("\n")[0]
    name = getattr(compose, "__name__", "")
    return Op(
        name,
        arity,
        compose=compose,
        variadic=variadic,
        doc=doc,
        method=method,
        domain=domain,
        kinks=kinks,
    )


def unregister_op(name: str) -> Op:
    """Remove the op ``name`` from the default registry and return it.

    Raises :class:`OpNotFoundError` if there is none. To remove a plugin's ops
    for good, disable the plugin (``MICROGRAD_DISABLE_PLUGINS``) instead.
    """
    with _lock:
        registry = _built_default()
        op = registry[name]
        _change(registry.without(name), _Change(None, removed=name))
    return op


def temporary_ops(*ops: Op, plugin: str | None = None) -> AbstractContextManager[OpRegistry]:
    """Register ``ops`` into the default registry for the length of a ``with`` block.

    On exit exactly these ops are removed again (an op of the same name that
    they replaced comes back); what other code registered meanwhile stays.
    Blocks may close in any order, from one thread or several: each takes away
    only what it added.

    >>> from micrograd_core import Op, Value
    >>> cube = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x,),
    ...           method="cube")
    >>> with temporary_ops(cube):
    ...     Value(2.0).cube()
    Value(data=8.0, grad=0.0)
    >>> "cube" in default_registry()
    False
    """
    return _temporary(ops, Provenance(plugin if plugin is not None else _caller(1)))


class _Change:
    """One change to the default made while a temporary block is open, kept to replay."""

    __slots__ = ("ops", "provenance", "removed", "token")

    def __init__(
        self,
        token: object | None,
        ops: tuple[Op, ...] = (),
        provenance: Provenance | None = None,
        removed: str | None = None,
    ) -> None:
        self.token = token  # the temporary block that made it; None: a lasting change
        self.ops = ops  # ops added (validated when they were), from provenance
        self.provenance = provenance
        self.removed = removed  # or the name of the op removed

    def applied(self, registry: OpRegistry) -> OpRegistry:
        if self.provenance is None:
            return registry._replaced(op for op in registry.entries if op.name != self.removed)
        return registry._layered(self.ops, self.provenance)


def _change(registry: OpRegistry, change: _Change) -> None:
    """Make ``registry``, the default after ``change``, the default (under the lock)."""
    if _since is not None:  # a temporary block is open: keep the change to replay
        _changes.append(change)
    _set_default(registry)


@contextmanager
def _temporary(ops: Iterable[Op], provenance: Provenance) -> Iterator[OpRegistry]:
    global _since  # noqa: PLW0603
    token = object()
    ops = tuple(ops)
    with _lock:
        before = _built_default()
        registry = before.with_ops(ops, provenance)
        if _since is None:
            _since = before
        _change(registry, _Change(token, ops, provenance))
    try:
        yield registry
    finally:
        with _lock:
            _changes[:] = [change for change in _changes if change.token is not token]
            if _since is not None:  # None: the default was reset meanwhile (tests)
                registry = _since
                for change in _changes:
                    registry = change.applied(registry)
                _set_default(registry)
            if all(change.token is None for change in _changes):  # no block is open
                _since = None
                _changes.clear()


class OpByName:
    """Applies the op named ``name`` in the active registry: a plugin's typed function.

    The op is looked up once per active registry, not on every call, and
    follows the plugin settings: a disabled plugin's op is not found. A plugin
    wraps one in a typed function, so ``sin(x)`` is a ``Value`` to mypy:

    >>> from micrograd_core import Value
    >>> relu = OpByName("relu")
    >>> relu(Value(-2.0)), relu(3)
    (Value(data=0.0, grad=0.0), Value(data=3.0, grad=0.0))
    """

    __slots__ = ("_op", "_registry", "name")

    def __init__(self, name: str) -> None:
        """Refer to the op ``name``; nothing is looked up until the first call."""
        self.name = name
        self._registry: object = None
        self._op: Op | None = None

    def __call__(self, *args: Operand) -> Value:
        """Apply the op to ``Value`` s or numbers."""
        registry = _active
        op = self._op
        if registry is not self._registry or op is None:
            if registry is None:  # first use: nothing installed yet
                registry = active_registry()
            op = self._op = registry[self.name]
            self._registry = registry
        return _engine.apply(op, *args)

    def __repr__(self) -> str:
        return f"OpByName({self.name!r})"


def _method(name: str) -> Op:
    """The op claiming the method ``name`` in the active registry (for derived partials)."""
    return _engine._active.method(name)


def _wire_layers() -> None:
    """Hand the lower layers what they call upward: the one place this is done.

    The op spec applies itself through the engine (``op(x)``), the engine
    installs the default registry when an op is first needed, and a registry
    activates itself (``registry.activated()``) through this module.
    ``tests/core/test_layers.py`` checks that nothing else reaches up.
    """
    _op_spec._engine.apply = _engine.apply
    _op_spec._engine.method = _method
    _engine._first_use_hook = _install_first_use
    _registry._activation = _activated


_wire_layers()
