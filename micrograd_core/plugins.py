"""Plugin discovery: entry points, allow and deny lists, failure isolation.

Each plugin is loaded, validated and asked for its ops on its own, inside its
own error handling: a plugin that fails to import, has no marked hook, whose
hook raises (anything, ``SystemExit`` included; only ``KeyboardInterrupt``
goes through), or that registers an invalid op (or one name twice) is skipped
with a :class:`PluginWarning` naming the plugin, its distribution, its entry
point and the cause, and listed in ``registry.failures``. With
``MICROGRAD_STRICT_PLUGINS=1`` the first failure raises
:class:`PluginLoadError` instead.

Environment (a plugin's name is its entry-point name; its distribution name
works too, and tells apart two distributions that use one entry-point name):

- ``MICROGRAD_LOAD_PLUGINS``: comma-separated allow-list; set but empty loads none.
- ``MICROGRAD_DISABLE_PLUGINS``: comma-separated deny-list.
- ``MICROGRAD_STRICT_PLUGINS=1``: a plugin that fails to load, or a collision, is an error.

A name in either list that matches no installed plugin is warned about.
"""

from __future__ import annotations

import ast
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.machinery import PathFinder
from types import ModuleType
from typing import TYPE_CHECKING

import pluggy

from micrograd_core import hookspecs
from micrograd_core.errors import PluginLoadError, PluginWarning
from micrograd_core.grammar import parse
from micrograd_core.op import Op, Provenance, replace
from micrograd_core.registry import OpRegistry, PluginFailure, UnloadedPlugin, validated

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "LOAD_ENV",
    "STRICT_ENV",
    "load_registry",
]

ENTRY_POINT_GROUP = "micrograd"
LOAD_ENV = "MICROGRAD_LOAD_PLUGINS"
DISABLE_ENV = "MICROGRAD_DISABLE_PLUGINS"
STRICT_ENV = "MICROGRAD_STRICT_PLUGINS"


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A plugin to load: from an entry point, or an object handed in directly."""

    provenance: Provenance
    entry_point: EntryPoint | None = None
    obj: object = None

    def load(self) -> object:
        return self.entry_point.load() if self.entry_point is not None else self.obj

    def methods(self) -> tuple[str, ...]:
        """The method names its ops claim, read from its source without running it."""
        if self.entry_point is None:
            return ()
        return _claimed_methods(self.entry_point.module)

    @property
    def names(self) -> set[str]:
        """What the allow and deny lists may call it: its plugin or distribution name."""
        provenance = self.provenance
        return {provenance.plugin, provenance.distribution or provenance.plugin}


def _claimed_methods(module: str) -> tuple[str, ...]:
    """The ``method="..."`` strings in a module's source, found without importing it.

    Only for messages about a plugin left out by the settings: a best guess
    (it sees the module's own file, not ops built elsewhere).
    """
    from pathlib import Path  # noqa: PLC0415  (imported when needed: not on every start-up)

    path = None
    for part in module.split("."):
        spec = PathFinder.find_spec(part, path)
        if spec is None:
            return ()
        path = spec.submodule_search_locations
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return ()
    try:
        tree = parse(Path(spec.origin).read_text(encoding="utf-8"), "exec")
    except (OSError, SyntaxError, ValueError):
        return ()
    return tuple(
        sorted(
            {
                keyword.value.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                for keyword in node.keywords
                if keyword.arg == "method"
                and isinstance(keyword.value, ast.Constant)
                and isinstance(keyword.value.value, str)
            }
        )
    )


def _names(value: str) -> set[str]:
    return {name.strip() for name in value.split(",") if name.strip()}


def load_registry(
    plugins: Mapping[str, object] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    strict: bool | None = None,
) -> OpRegistry:
    """Build a registry from the installed plugins (or from ``plugins``, name to module).

    ``environ`` defaults to ``os.environ`` and supplies the allow/deny lists and
    strict mode; ``strict`` overrides the latter.

    >>> import micrograd_ops
    >>> registry = load_registry({"builtin": micrograd_ops})
    >>> sorted(registry)
    ['add', 'affine', 'exp', 'log', 'logsumexp', 'mul', 'pow', 'relu', 'softplus', 'tanh']
    """
    env = os.environ if environ is None else environ
    if strict is None:
        strict = env.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
    candidates = _discover() if plugins is None else _given(plugins)
    allowed = _names(env[LOAD_ENV]) if LOAD_ENV in env else None
    denied = _names(env.get(DISABLE_ENV, ""))
    selection = []
    if allowed is not None:
        selection.append(f"{LOAD_ENV}={env[LOAD_ENV]!r}")
    if denied:
        selection.append(f"{DISABLE_ENV}={env[DISABLE_ENV]!r}")
    known = set().union(*(c.names for c in candidates))
    installed = ", ".join(c.provenance.plugin for c in candidates) or "none"
    for variable, names in ((LOAD_ENV, allowed or set()), (DISABLE_ENV, denied)):
        for name in sorted(names - known):
            warnings.warn(
                f"{variable} names plugin {name!r}, which is not installed "
                f"(installed: {installed})",
                PluginWarning,
                stacklevel=2,
            )
    loader = _Loader(strict)
    unloaded = []
    for candidate in candidates:
        names = candidate.names
        if names & denied:
            reason = f"it is disabled by {DISABLE_ENV}={env[DISABLE_ENV]!r}"
        elif allowed is not None and not names & allowed:
            reason = f"it is not in {LOAD_ENV}={env[LOAD_ENV]!r}"
        else:
            loader.load(candidate)
            continue
        unloaded.append(UnloadedPlugin(candidate.provenance, reason, candidate.methods()))
    registry = OpRegistry._from_valid(
        loader.ops, failures=loader.failures, unloaded=unloaded, selection=", ".join(selection)
    )
    for collision in registry.collisions:
        error = collision.error()
        if strict:
            raise error
        warnings.warn(f"{error}; until then it is unavailable", PluginWarning, stacklevel=2)
    return registry


def _discover() -> list[_Candidate]:
    from importlib import metadata  # noqa: PLC0415  (by the first discovery, not at import)

    found = []
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        dist = ep.dist
        provenance = Provenance(
            ep.name, dist.name if dist else None, dist.version if dist else None
        )
        found.append(_Candidate(provenance, entry_point=ep))
    return found


def _describe(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return f"module {plugin.__name__!r}"
    return f"{type(plugin).__name__!r} object"


def _given(plugins: Mapping[str, object]) -> list[_Candidate]:
    return [_Candidate(Provenance(name), obj=obj) for name, obj in plugins.items()]


class _Loader:
    """Loads plugins one by one into a pluggy manager, keeping their ops apart."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.ops: list[Op] = []
        self.failures: list[PluginFailure] = []
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)

    def load(self, candidate: _Candidate) -> None:
        """Load one plugin; on any failure record it (or raise in strict mode)."""
        provenance = candidate.provenance
        staged: list[Op] = []
        stage = staged.append
        try:
            plugin = candidate.load()
            # One plugin is registered at a time, so the hook call reaches only it.
            self.manager.register(plugin, name=provenance.plugin)
            try:
                self.manager.check_pending()
                if not self.manager.get_hookcallers(plugin):
                    msg = (
                        f"{_describe(plugin)} has no micrograd_register_ops function "
                        "marked with @micrograd_core.hookimpl"
                    )
                    raise PluginLoadError(msg, plugin=provenance.plugin)
                self.manager.hook.micrograd_register_ops(register=stage)
            finally:
                self.manager.unregister(plugin)
            valid = validated(staged)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # noqa: BLE001  (anything a plugin raises, SystemExit too, is its failure)
            self.fail(provenance, candidate.entry_point, e, staged)
            return
        self.ops += (replace(op, provenance=provenance) for op in valid)

    def fail(
        self,
        provenance: Provenance,
        ep: EntryPoint | None,
        cause: BaseException,
        staged: list[Op],
    ) -> None:
        where = f" (entry point {ep.name} = {ep.value!r})" if ep is not None else ""
        msg = f"{provenance}{where} was skipped: {type(cause).__name__}: {cause}"
        if self.strict:
            raise PluginLoadError(
                msg, plugin=provenance.plugin, distribution=provenance.distribution
            ) from cause
        warnings.warn(msg, PluginWarning, stacklevel=4)
        claimed = (getattr(op, "method", None) for op in staged)  # ops may be invalid
        self.failures.append(
            PluginFailure(
                provenance.plugin,
                provenance.distribution,
                provenance.version,
                f"{type(cause).__name__}: {cause}",
                tuple(method for method in claimed if isinstance(method, str)),
            )
        )
