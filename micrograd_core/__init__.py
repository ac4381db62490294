"""micrograd's engine as an op-plugin registry: graph, backward pass, registry, plugins.

The engine knows no op: every operation comes from a plugin (the built-in ones
from ``micrograd_ops``) through the ``micrograd_register_ops`` hook.
"""

import importlib

from micrograd_core.errors import (
    ArgumentError,
    ArgumentTypeError,
    DivisionByZeroError,
    DomainError,
    GraphChangedError,
    GraphTooLargeError,
    InvalidOpError,
    MethodNotFoundError,
    MicrogradError,
    NotDifferentiableError,
    OpCollisionError,
    OperandRangeError,
    OperandTypeError,
    OpNotFoundError,
    PluginLoadError,
    PluginWarning,
    RegistryBuildError,
)
from micrograd_core.functional import (
    float_or_op,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
)
from micrograd_core.graph import Node, node_of
from micrograd_core.op import Inline, Interval, Kink, Op, Provenance
from micrograd_core.registry import OpRegistry, PluginFailure, UnloadedPlugin
from micrograd_core.state import (
    OpByName,
    active_registry,
    default_registry,
    register_op,
    temporary_ops,
    unregister_op,
)
from micrograd_core.value import Operand, Value, apply

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from micrograd_core.compiled import CompiledGraph, compile_graph
    from micrograd_core.hookspecs import Register, hookimpl
    from micrograd_core.plugins import load_registry
    from micrograd_core.viz import draw_dot, render_graph, to_dot

# Imported on first access, not with the package: compiled graphs, the pictures
# and the plugin API (pluggy) are not needed to build and differentiate a graph;
# the first use of an op loads the plugins.
_LAZY = {
    "CompiledGraph": "compiled",
    "compile_graph": "compiled",
    "Register": "hookspecs",
    "hookimpl": "hookspecs",
    "load_registry": "plugins",
    "draw_dot": "viz",
    "render_graph": "viz",
    "to_dot": "viz",
}

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "CompiledGraph",
    "DivisionByZeroError",
    "DomainError",
    "GraphChangedError",
    "GraphTooLargeError",
    "Inline",
    "Interval",
    "InvalidOpError",
    "Kink",
    "MethodNotFoundError",
    "MicrogradError",
    "Node",
    "NotDifferentiableError",
    "Op",
    "OpByName",
    "OpCollisionError",
    "OpNotFoundError",
    "OpRegistry",
    "Operand",
    "OperandRangeError",
    "OperandTypeError",
    "PluginFailure",
    "PluginLoadError",
    "PluginWarning",
    "Provenance",
    "Register",
    "RegistryBuildError",
    "UnloadedPlugin",
    "Value",
    "active_registry",
    "apply",
    "compile_graph",
    "default_registry",
    "draw_dot",
    "float_or_op",
    "grad",
    "hessian",
    "hookimpl",
    "hvp",
    "jacobian",
    "jvp",
    "load_registry",
    "node_of",
    "register_op",
    "render_graph",
    "temporary_ops",
    "to_dot",
    "unregister_op",
    "value_and_grad",
]


if not TYPE_CHECKING:  # mypy reads the imports above, and flags a name the package lacks

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            msg = f"module {__name__!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value  # later lookups find it without calling this again
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
