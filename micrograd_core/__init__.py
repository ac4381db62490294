"""micrograd's engine as an op-plugin registry: graph, backward pass, registry, plugins.

The engine knows no op: every operation comes from a plugin (the built-in ones
from ``micrograd_ops``) through the ``micrograd_register_ops`` hook.
"""

from micrograd_core.compiled import CompiledGraph, compile_graph
from micrograd_core.errors import (
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
from micrograd_core.hookspecs import Register, hookimpl
from micrograd_core.op import Inline, Interval, Kink, Op, Provenance
from micrograd_core.plugins import load_registry
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
from micrograd_core.viz import draw_dot, render_graph, to_dot

__all__ = [
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
