"""The exceptions micrograd raises, all rooted at :class:`MicrogradError`.

Each public error also subclasses the builtin a caller would catch anyway, so
``except LookupError`` or ``except TypeError`` keeps working.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "DivisionByZeroError",
    "DomainError",
    "GraphChangedError",
    "GraphTooLargeError",
    "InvalidOpError",
    "MethodNotFoundError",
    "MicrogradError",
    "NotDifferentiableError",
    "OpCollisionError",
    "OpNotFoundError",
    "OperandRangeError",
    "OperandTypeError",
    "PluginLoadError",
    "PluginWarning",
    "RegistryBuildError",
]


class MicrogradError(Exception):
    """Base class of every error micrograd raises on purpose."""


class OpNotFoundError(MicrogradError, KeyError):
    """No registered op has the requested name (or claims the requested method).

    A ``KeyError`` (so a ``LookupError``) because a registry is a mapping of names to ops.
    """

    def __init__(self, msg: str, *, op_name: str, available: Sequence[str] = ()) -> None:
        super().__init__(msg)
        self.op_name = op_name
        self.available = tuple(available)

    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0])


class MethodNotFoundError(MicrogradError, AttributeError):
    """No loaded op claims the method (``x.sin()``); says what exists and where it might be.

    An ``AttributeError``, because that is what a missing method is to Python:
    ``name`` is the method's name, as on any ``AttributeError`` (there is no op).
    """

    def __init__(self, msg: str, *, name: str, available: Sequence[str] = ()) -> None:
        super().__init__(msg)
        self.name = name
        self.available = tuple(available)


class InvalidOpError(MicrogradError, ValueError):
    """An op is malformed: a bad spec, or a forward, partial or gradient returning a non-number."""

    def __init__(self, msg: str, *, op_name: str | None = None, plugin: str | None = None) -> None:
        super().__init__(msg)
        self.op_name = op_name
        self.plugin = plugin


class OpCollisionError(MicrogradError, ValueError):
    """Two providers register the same op name or claim the same method name.

    ``op_name`` is the op name they both register, ``method`` the method name
    they both claim (the other one is None).
    """

    def __init__(
        self,
        msg: str,
        *,
        op_name: str | None = None,
        method: str | None = None,
        providers: Sequence[str],
    ) -> None:
        super().__init__(msg)
        self.op_name = op_name
        self.method = method
        self.providers = tuple(providers)


class PluginLoadError(MicrogradError, RuntimeError):
    """A plugin could not be loaded (raised instead of warned in strict mode)."""

    def __init__(self, msg: str, *, plugin: str, distribution: str | None = None) -> None:
        super().__init__(msg)
        self.plugin = plugin
        self.distribution = distribution


class NotDifferentiableError(MicrogradError, TypeError):
    """A gradient of a gradient goes through an op whose gradient rule only works on floats.

    The rule calls something like ``math.cos`` on its inputs; written with
    arithmetic and registered ops instead, it supports any order.
    """

    def __init__(self, msg: str, *, op_name: str, plugin: str | None = None) -> None:
        super().__init__(msg)
        self.op_name = op_name
        self.plugin = plugin


class RegistryBuildError(MicrogradError, RuntimeError):
    """An op was used while the registry it needs was still being built.

    A plugin's import or hook that computes with ``Value`` s raises this: the
    registry those ops would come from does not exist yet.
    """


class DomainError(MicrogradError, ValueError):
    """An op was applied outside the inputs where it is defined.

    ``op_name`` and ``plugin`` name the op whose domain was left (the engine
    fills in ``plugin`` when the op's own code raised the error without it),
    ``inputs`` are the inputs it was given.
    """

    def __init__(
        self, msg: str, *, op_name: str, inputs: Sequence[float], plugin: str | None = None
    ) -> None:
        super().__init__(msg)
        self.op_name = op_name
        self.plugin = plugin
        self.inputs = tuple(inputs)


class DivisionByZeroError(DomainError, ZeroDivisionError):
    """A division by zero: ``x / 0``, ``1 / Value(0.0)``, or zero to a negative power.

    A ``DomainError`` like any op applied outside its domain, and a
    ``ZeroDivisionError``, which is what Python (and micrograd) raise there.
    """


class GraphChangedError(MicrogradError, RuntimeError):
    """A compiled graph no longer computes what building the graph again computes.

    ``node`` is the position (in topological order) of the first node that
    differs, or None when the graphs differ in size.
    """

    def __init__(self, msg: str, *, node: int | None) -> None:
        super().__init__(msg)
        self.node = node


class GraphTooLargeError(MicrogradError, ValueError):
    """A graph has more values than a drawing of it may show (``max_nodes``)."""

    def __init__(self, msg: str, *, max_nodes: int) -> None:
        super().__init__(msg)
        self.max_nodes = max_nodes


class OperandTypeError(MicrogradError, TypeError):
    """Something that is not a real number was given where one was expected."""


class OperandRangeError(MicrogradError, OverflowError):
    """A real number too large for a float was given (``Value(10**400)``).

    An ``OverflowError``, as ``float(10**400)`` raises.
    """


class ArgumentError(MicrogradError, ValueError):
    """An argument's value is not one the function takes.

    A learning rate below 0, a class index beyond the logits, an empty batch,
    inputs and labels of different lengths: the message says what was given
    and what is expected.
    """


class ArgumentTypeError(MicrogradError, TypeError):
    """An argument's type is not one the function takes.

    An optimiser given floats instead of ``Value`` s, a learning rate given as
    a string, one number where a sequence is expected.
    """


class PluginWarning(UserWarning):
    """A plugin was skipped; everything else keeps working."""
